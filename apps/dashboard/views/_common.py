"""Shared pieces of the thin views: where to go back to, the patient's active episode, team
members for choice lists."""

from typing import Any

from django.http import HttpRequest
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme

from apps.accounts.models import Clinician
from apps.patients.models import Episode, Patient


def safe_next(request: HttpRequest, default: str) -> str:
    """The ``next`` URL from the form if it is on this site, else ``default``."""
    target = request.POST.get("next") or request.GET.get("next") or ""
    if target and url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return target
    return default


def patient_url(patient: Patient | int, anchor: str = "") -> str:
    pk = patient if isinstance(patient, int) else patient.pk
    url = reverse("dashboard:patient", args=[pk])
    return f"{url}#{anchor}" if anchor else url


def active_episode(patient: Patient) -> Episode | None:
    return Episode.objects.active().filter(patient=patient).order_by("-onset").first()


def team_members(team_id: int) -> list[Any]:
    return list(
        Clinician.objects.filter(team_memberships__team_id=team_id, is_active=True).order_by(
            "last_name", "first_name", "username"
        )
    )
