"""Reads of patient data: which patients a request showed, written as ONE audit row per request.

The one mechanism behind every read row:

- The code that puts patient data in a response registers what it shows — the access selectors
  (``apps.patients.selectors``: one record reached by id), the list selectors and the API's
  serializer hook (the rows on the page actually rendered or serialized), the admin's changelist,
  change, history and delete pages (``apps.audit.admin_reads``). Registration is free: it only
  adds ids to a per-request set (no query while the rows already carry their patient).
- ``AuditContextMiddleware`` opens the per-request collector and, when the response is a
  success (2xx) to a GET or HEAD, writes one ``AuditEvent`` naming the actor, the route, the
  path and every patient shown (``patient_ids``; ``patient`` too when exactly one was shown).
  One INSERT per request, whatever the number of rows. A 404 (missing or forbidden), a redirect
  or an error shows nothing and writes nothing. Writes (POST, PATCH) are recorded by the services
  as changes; an export registered with :func:`patients_exported` is recorded whatever the method.
- Outside a request (jobs, commands, shell) nothing is collected: registration is a no-op.

``tests/audit/test_read_audit_routes.py`` walks the URL conf so that a route that shows patient
data without registering it fails the suite.
"""

from __future__ import annotations

import contextvars
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

from django.core.exceptions import FieldDoesNotExist
from django.db import models

PATIENT_LABEL = "patients.patient"
READ_METHODS = frozenset({"GET", "HEAD"})


@dataclass
class ReadLog:
    """What one request has shown so far."""

    patient_ids: set[int] = field(default_factory=set)
    object_type: str = ""
    object_id: str = ""
    action: str = "view"
    any_method: bool = False  # an export is recorded whatever the HTTP method


_current: contextvars.ContextVar[ReadLog | None] = contextvars.ContextVar(
    "careteam_audit_reads", default=None
)


@contextmanager
def collecting_reads() -> Iterator[ReadLog]:
    log = ReadLog()
    token = _current.set(log)
    try:
        yield log
    finally:
        _current.reset(token)


def current_reads() -> ReadLog | None:
    return _current.get()


# --- Which patient a row belongs to ----------------------------------------------------------


def _walk(obj: models.Model, path: str) -> tuple[bool, int | None]:
    """(known without a query, the patient id) of ``obj`` through the lookup ``path``."""
    if path == "pk" or obj._meta.label_lower == PATIENT_LABEL:
        return True, obj.pk
    *hops, last = path.split("__")
    current: Any = obj
    for hop in hops:
        fk = current._meta.get_field(hop)
        if getattr(current, fk.attname, None) is None:
            return True, None
        if not fk.is_cached(current):
            return False, None
        current = getattr(current, hop)
    if current._meta.label_lower == PATIENT_LABEL and last == "pk":
        return True, current.pk
    return True, getattr(current, current._meta.get_field(last).attname)


_PATHS = ("patient", "episode__patient", "plan__episode__patient", "agenda_item__patient")


def infer_patient_path(model: Any) -> str | None:
    """The lookup from ``model`` to its patient, for rows that do not declare one (inlines)."""
    if model._meta.label_lower == PATIENT_LABEL:
        return "pk"
    for path in _PATHS:
        current = model
        for hop in path.split("__"):
            try:
                fk = current._meta.get_field(hop)
            except FieldDoesNotExist:
                break
            if not getattr(fk, "many_to_one", False):
                break
            current = fk.related_model
        else:
            if current._meta.label_lower == PATIENT_LABEL:
                return path
    return None


def patient_ids_of(objs: Iterable[Any], patient_path: str | None = "patient") -> set[int]:
    """The patients of ``objs`` (model instances) reached through ``patient_path``.

    Read from the loaded rows (``patient_id``, or a select_related chain); rows whose chain is
    not loaded cost one query for all of them, never one per row."""
    if patient_path is None:
        return set()
    found: set[int] = set()
    missing: dict[type[models.Model], list[Any]] = {}
    for obj in objs:
        if not isinstance(obj, models.Model):
            continue
        known, pid = _walk(obj, patient_path)
        if not known:
            missing.setdefault(type(obj), []).append(obj.pk)
        elif pid is not None:
            found.add(pid)
    for model, pks in missing.items():
        rows = model._default_manager.filter(pk__in=pks).values_list(patient_path, flat=True)
        found.update(pid for pid in rows if pid is not None)
    return found


# --- Registering what is shown -----------------------------------------------------------------


def object_shown(obj: Any, patient_path: str | None = "patient") -> None:
    """One record is shown (a detail page, a form with its values, an API detail)."""
    log = _current.get()
    if log is None or obj is None or not isinstance(obj, models.Model):
        return
    ids = patient_ids_of([obj], patient_path)
    if not ids:
        return
    log.patient_ids |= ids
    if not log.object_type:
        log.object_type, log.object_id = obj._meta.label_lower, str(obj.pk)


def rows_shown(
    objs: Iterable[Any], patient_path: str | None = "patient", *, object_type: str = ""
) -> None:
    """Rows of a list are shown (only those on the page: pass the evaluated page)."""
    log = _current.get()
    if log is None:
        return
    rows = list(objs)
    ids = patient_ids_of(rows, patient_path)
    if not ids:
        return
    log.patient_ids |= ids
    if not log.object_type:
        first = next((r for r in rows if isinstance(r, models.Model)), None)
        log.object_type = object_type or (first._meta.label_lower if first is not None else "")


def patients_shown(patient_ids: Iterable[int | None], *, object_type: str = "") -> None:
    """Patients shown by id (a page built from values rather than model instances)."""
    log = _current.get()
    if log is None:
        return
    ids = {pid for pid in patient_ids if pid is not None}
    if not ids:
        return
    log.patient_ids |= ids
    if not log.object_type:
        log.object_type = object_type or PATIENT_LABEL


def patients_exported(patient_ids: Iterable[int | None], *, object_type: str) -> None:
    """A download of these patients' data: recorded as one "export" row, whatever the method."""
    log = _current.get()
    if log is None:
        return
    # The export's patients replace what the request registered on the way (a changelist page).
    log.patient_ids = {pid for pid in patient_ids if pid is not None}
    log.action, log.any_method = "export", True
    log.object_type, log.object_id = object_type, ""


def read_should_be_recorded(log: ReadLog, method: str, status_code: int) -> bool:
    if not log.patient_ids and log.action != "export":
        return False
    if method not in READ_METHODS and not log.any_method:
        return False
    return 200 <= status_code < 300
