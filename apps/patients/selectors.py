"""The one access rule for patient data.

A clinician sees the patients on the caseloads of the teams they belong to; a superuser sees all.
Every page, API endpoint, export and job that touches patient data goes through these two
functions (Zulip's ``access_stream_by_id`` pattern). Missing and forbidden look the same: 404.
"""

from typing import Any

from django.http import Http404

from .models import Patient, PatientQuerySet


def patients_visible_to(user: Any, *, include_archived: bool = False) -> PatientQuerySet:
    qs: PatientQuerySet = Patient.objects.all()
    if not include_archived:
        qs = qs.active()
    if user is None or not getattr(user, "is_authenticated", False) or not user.is_active:
        return qs.none()
    if user.is_superuser:
        return qs
    return qs.filter(team__memberships__clinician_id=user.pk)


def patient_get_for_user(user: Any, patient_id: Any, *, include_archived: bool = False) -> Patient:
    """The patient, if ``user`` may see it; ``Http404`` for missing and forbidden alike."""
    pk = _parse_id(patient_id)
    if pk is None:
        raise Http404("No such patient.")
    try:
        return patients_visible_to(user, include_archived=include_archived).get(pk=pk)
    except Patient.DoesNotExist:
        raise Http404("No such patient.") from None


def _parse_id(value: Any) -> int | None:
    """A whole-number id from an int or its decimal text; None for anything else.

    Stricter than ``int()``: ``3.7`` or ``True`` is not patient 3 or 1.
    """
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, str):
        text = value.strip()
        if text.isascii() and text.isdigit():
            return int(text)
    return None
