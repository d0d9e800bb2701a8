"""Clinician pages. Every patient lookup goes through apps.patients.selectors."""

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from apps.patients.selectors import patient_get_for_user, patients_visible_to


@login_required
def caseload(request: HttpRequest) -> HttpResponse:
    patients = patients_visible_to(request.user).select_related("team")[:200]
    return render(request, "dashboard/caseload.html", {"patients": patients})


@login_required
def patient_detail(request: HttpRequest, patient_id: int) -> HttpResponse:
    patient = patient_get_for_user(request.user, patient_id)
    return render(request, "dashboard/patient.html", {"patient": patient})
