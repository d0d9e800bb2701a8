"""Scheduling a follow-up and recording what happened to it (appointment_book,
appointment_set_status)."""

import datetime as dt

import pytest
from django.urls import reverse
from django.utils import timezone

from apps.scheduling.models import Appointment
from tests.factories import AppointmentFactory, EpisodeFactory, PatientFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def patient(team):
    p = PatientFactory(team=team)
    EpisodeFactory(patient=p)
    return p


def when(days: int) -> str:
    return (timezone.localtime() + dt.timedelta(days=days)).strftime("%Y-%m-%dT%H:%M")


def data(clinician, **overrides):
    return {
        "kind": "pt_visit",
        "discipline": "physical_therapist",
        "clinician": str(clinician.pk),
        "starts_at": when(3),
        "duration_minutes": "45",
        "location": "Room 2",
        "notes": "",
    } | overrides


def test_login_required(client, patient):
    response = client.get(reverse("dashboard:appointment_new", args=[patient.pk]))
    assert response.status_code == 302


def test_book_a_follow_up(logged_in, patient, colleague):
    response = logged_in.post(
        reverse("dashboard:appointment_new", args=[patient.pk]), data(colleague)
    )
    assert response.status_code == 302
    appt = Appointment.objects.get()
    assert (appt.clinician, appt.duration_minutes, appt.episode) == (
        colleague,
        45,
        patient.episodes.get(),
    )


def test_a_follow_up_in_the_past_is_refused(logged_in, patient, colleague):
    response = logged_in.post(
        reverse("dashboard:appointment_new", args=[patient.pk]),
        data(colleague, starts_at=when(-1), location="Gym"),
    )
    html = response.content.decode()
    assert response.status_code == 200
    assert 'id="id_starts_at_error"' in html and 'value="Gym"' in html
    assert not Appointment.objects.exists()


def test_only_team_members_can_be_chosen(logged_in, patient, clinician_off_team):
    response = logged_in.post(
        reverse("dashboard:appointment_new", args=[patient.pk]), data(clinician_off_team)
    )
    assert response.status_code == 200
    assert 'id="id_clinician_error"' in response.content.decode()
    assert not Appointment.objects.exists()


def test_record_attended_and_refuse_a_future_attendance(logged_in, patient):
    past = AppointmentFactory(
        patient=patient,
        episode=patient.episodes.get(),
        starts_at=timezone.now() - dt.timedelta(hours=2),
    )
    future = AppointmentFactory(
        patient=patient,
        episode=patient.episodes.get(),
        starts_at=timezone.now() + dt.timedelta(days=2),
    )

    assert (
        logged_in.post(
            reverse("dashboard:appointment_status", args=[past.pk]), {"status": "fulfilled"}
        ).status_code
        == 302
    )
    response = logged_in.post(
        reverse("dashboard:appointment_status", args=[future.pk]), {"status": "fulfilled"}
    )
    assert (
        response.status_code == 200
        and "once the appointment has started" in response.content.decode()
    )
    assert (
        logged_in.post(
            reverse("dashboard:appointment_status", args=[future.pk]), {"status": "cancelled"}
        ).status_code
        == 302
    )
    past.refresh_from_db()
    future.refresh_from_db()
    assert (past.status, future.status) == ("fulfilled", "cancelled")


def test_another_teams_appointment_is_404(client, clinician_off_team, patient):
    appt = AppointmentFactory(patient=patient, episode=patient.episodes.get())
    client.force_login(clinician_off_team)
    assert (
        client.post(
            reverse("dashboard:appointment_status", args=[appt.pk]), {"status": "cancelled"}
        ).status_code
        == 404
    )
    assert client.get(reverse("dashboard:appointment_new", args=[patient.pk])).status_code == 404
    appt.refresh_from_db()
    assert appt.status == "booked"
