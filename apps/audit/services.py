"""Writing the audit trail. Called inside the same transaction as the change it records."""

from collections.abc import Iterable
from typing import Any

from django.db import models

from .context import current_request_meta
from .models import AuditAction, AuditEvent, Surface
from .reads import ReadLog

# Fields whose values are never written to the audit trail; only that they changed.
SENSITIVE_FIELDS = frozenset({"password", "answers", "body", "note", "resolution_note", "text"})


def audit_record(
    *,
    actor: Any,
    action: str,
    obj: models.Model | None = None,
    patient: Any = None,
    object_type: str | None = None,
    object_id: Any = None,
    changed_fields: Iterable[str] = (),
    surface: str | None = None,
) -> AuditEvent:
    """Append an audit event. ``changed_fields`` are names only, never values."""
    meta = current_request_meta()
    if patient is None and obj is not None:
        patient = patient_of(obj)
    if obj is not None:
        object_type = object_type or obj._meta.label_lower
        object_id = obj.pk if object_id is None else object_id
    user = actor if getattr(actor, "is_authenticated", False) else None
    return AuditEvent.objects.create(
        actor=user,
        patient=patient,
        action=AuditAction(action),
        object_type=object_type or "",
        object_id="" if object_id is None else str(object_id),
        changed_fields=sorted(set(changed_fields)),
        surface=Surface(surface or meta.surface),
        ip_address=meta.ip_address,
        user_agent=meta.user_agent[:300],
        path=meta.path[:300],
    )


def audit_read(*, actor: Any, log: ReadLog, route: str) -> AuditEvent:
    """The one row of a request that showed patient data (``apps.audit.reads``): one INSERT."""
    meta = current_request_meta()
    ids = sorted(log.patient_ids)
    user = actor if getattr(actor, "is_authenticated", False) else None
    return AuditEvent.objects.create(
        actor=user,
        patient_id=ids[0] if len(ids) == 1 else None,
        patient_ids=ids,
        action=AuditAction(log.action),
        object_type=log.object_type[:60],
        object_id=log.object_id[:40],
        surface=Surface(meta.surface),
        ip_address=meta.ip_address,
        user_agent=meta.user_agent[:300],
        path=meta.path[:300],
        route=route[:120],
    )


def patient_of(obj: models.Model) -> Any:
    from apps.patients.models import Patient

    if isinstance(obj, Patient):
        return obj
    for attr in ("patient", "episode", "plan", "agenda_item"):
        if hasattr(obj, attr):
            related = getattr(obj, attr)
            if related is None:
                continue
            return patient_of(related)
    return None


def changed_field_names(instance: models.Model, data: dict[str, Any]) -> list[str]:
    """Names of the fields in ``data`` whose values differ from ``instance``'s."""
    return [name for name, value in data.items() if getattr(instance, name) != value]
