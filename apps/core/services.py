"""Helpers shared by every service: validate, save, audit."""

from typing import Any, TypeVar

from django.db import models

from apps.audit.services import audit_record

M = TypeVar("M", bound=models.Model)


def model_create(*, actor: Any, instance: M, audit: bool = True) -> M:
    """full_clean() then save a new instance, recording a ``create`` audit event."""
    instance.full_clean()
    instance.save()
    if audit:
        audit_record(actor=actor, action="create", obj=instance)
    return instance


def model_update(
    *, actor: Any, instance: M, data: dict[str, Any], audit: bool = True
) -> tuple[M, list[str]]:
    """Apply ``data`` to ``instance``; full_clean(); save the changed fields; audit their names.

    If validation or the save fails, ``instance`` gets its previous values back and the error
    is raised.
    """
    changed = [name for name, value in data.items() if getattr(instance, name) != value]
    if not changed:
        return instance, []
    previous = {name: getattr(instance, name) for name in changed}
    for name in changed:
        setattr(instance, name, data[name])
    update_fields = list(changed)
    if any(f.name == "updated_at" for f in instance._meta.get_fields()):
        update_fields.append("updated_at")
    try:
        instance.full_clean()
        instance.save(update_fields=update_fields)
    except Exception:
        # Refused (ValidationError, or IntegrityError from a concurrent write): leave the
        # caller's instance as it was, so a retry or a re-rendered form does not start from
        # values that were never saved.
        for name, value in previous.items():
            setattr(instance, name, value)
        raise
    if audit:
        audit_record(actor=actor, action="update", obj=instance, changed_fields=changed)
    return instance, changed
