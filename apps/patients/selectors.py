"""The one access rule for patient data.

A clinician sees the patients on the caseloads of the teams they belong to; a superuser sees all.
Every page, API endpoint, export and job that touches patient data goes through these two
functions (Zulip's ``access_stream_by_id`` pattern). Missing and forbidden look the same: 404.

The record returned by ``patient_get_for_user`` and ``get_scoped_or_404`` is registered as shown
(``apps.audit.reads``): a successful GET that reached it writes the request's one read row.
"""

from typing import Any, TypeVar

from django.core.exceptions import ObjectDoesNotExist
from django.db.models import Model, QuerySet
from django.http import Http404

from apps.audit.reads import object_shown
from apps.core.ids import parse_id

from .models import Patient, PatientQuerySet

M = TypeVar("M", bound=Model)


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
    pk = parse_id(patient_id)
    if pk is None:
        raise Http404("No such patient.")
    try:
        patient = patients_visible_to(user, include_archived=include_archived).get(pk=pk)
    except Patient.DoesNotExist:
        raise Http404("No such patient.") from None
    object_shown(patient, "pk")
    return patient


def teams_of(user: Any) -> Any:
    """The teams whose caseloads ``user`` may see (all teams for a superuser)."""
    from apps.teams.models import Team

    if user is None or not getattr(user, "is_authenticated", False) or not user.is_active:
        return Team.objects.none()
    if user.is_superuser:
        return Team.objects.all()
    return Team.objects.filter(memberships__clinician_id=user.pk)


def scoped_to_patients(
    user: Any, queryset: QuerySet[M], patient_path: str = "patient"
) -> QuerySet[M]:
    """Rows of ``queryset`` whose patient (reached by ``patient_path``) ``user`` may see.

    Every object reached by id — assessment, medication, appointment, flag, message, plan —
    is scoped through its patient with this, so there is no IDOR.
    """
    return queryset.filter(**{f"{patient_path}__in": patients_visible_to(user)})


def get_scoped_or_404(
    user: Any, queryset: QuerySet[M], object_id: Any, patient_path: str = "patient"
) -> M:
    """One row by id, if its patient is visible; Http404 for missing and forbidden alike."""
    pk = parse_id(object_id)
    if pk is None:
        raise Http404("Not found.")
    try:
        obj = scoped_to_patients(user, queryset, patient_path).get(pk=pk)
    except ObjectDoesNotExist:
        raise Http404("Not found.") from None
    object_shown(obj, patient_path)
    return obj
