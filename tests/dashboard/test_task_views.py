"""Tasks: create (a person or a discipline's queue), claim, complete — scoped to the team."""

import datetime as dt

import pytest
from django.urls import reverse

from apps.core.dates import clinic_today
from apps.worklist.models import Task
from tests.factories import EpisodeFactory, PatientFactory, TaskFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def patient(team):
    p = PatientFactory(team=team)
    EpisodeFactory(patient=p)
    return p


def data(**overrides):
    return {
        "title": "Call about the exercise programme",
        "reason": "Missed the last PT visit",
        "assignee": "",
        "discipline": "physical_therapist",
        "due_on": (clinic_today() + dt.timedelta(days=2)).isoformat(),
        "priority": "routine",
    } | overrides


def test_login_required(client, patient):
    assert client.post(reverse("dashboard:task_new", args=[patient.pk]), data()).status_code == 302
    assert not Task.objects.exists()


def test_create_for_a_discipline_queue_and_for_a_person(logged_in, patient, colleague):
    new = reverse("dashboard:task_new", args=[patient.pk])
    assert logged_in.post(new, data()).status_code == 302
    assert logged_in.post(new, data(assignee=str(colleague.pk), discipline="")).status_code == 302
    queue, person = Task.objects.order_by("pk")
    assert (queue.assignee, queue.discipline, queue.team) == (
        None,
        "physical_therapist",
        patient.team,
    )
    assert person.assignee == colleague


def test_a_task_needs_an_owner_and_a_future_due_date(logged_in, patient):
    response = logged_in.post(
        reverse("dashboard:task_new", args=[patient.pk]),
        data(discipline="", due_on=(clinic_today() - dt.timedelta(days=1)).isoformat()),
    )
    html = response.content.decode()
    assert response.status_code == 200
    assert 'id="id_assignee_error"' in html and "to a discipline" in html
    assert 'id="id_due_on_error"' in html
    assert 'value="Call about the exercise programme"' in html
    assert not Task.objects.exists()


def test_claim_then_complete(logged_in, patient, clinician_on_team):
    task = TaskFactory(patient=patient, discipline="physician")
    assert logged_in.post(reverse("dashboard:task_claim", args=[task.pk])).status_code == 302
    task.refresh_from_db()
    assert (task.assignee, task.status) == (clinician_on_team, "in_progress")
    response = logged_in.post(
        reverse("dashboard:task_complete", args=[task.pk]), {"next": "/worklist/"}
    )
    assert response["Location"] == "/worklist/"
    task.refresh_from_db()
    assert task.status == "completed" and task.completed_by == clinician_on_team
    # Completing it again is refused with a message, not a 500.
    again = logged_in.post(reverse("dashboard:task_complete", args=[task.pk]), follow=True)
    assert "already closed" in again.content.decode()


def test_claim_and_complete_are_post_only(logged_in, patient):
    task = TaskFactory(patient=patient)
    assert logged_in.get(reverse("dashboard:task_claim", args=[task.pk])).status_code == 405
    assert logged_in.get(reverse("dashboard:task_complete", args=[task.pk])).status_code == 405
    task.refresh_from_db()
    assert task.status == "open"


def test_an_offsite_next_is_ignored(logged_in, patient):
    task = TaskFactory(patient=patient)
    response = logged_in.post(
        reverse("dashboard:task_complete", args=[task.pk]), {"next": "https://evil.example/"}
    )
    assert response["Location"] == reverse("dashboard:worklist")


def test_another_teams_task_is_404(client, clinician_off_team, patient):
    task = TaskFactory(patient=patient)
    client.force_login(clinician_off_team)
    assert client.post(reverse("dashboard:task_claim", args=[task.pk])).status_code == 404
    assert client.post(reverse("dashboard:task_complete", args=[task.pk])).status_code == 404
    assert client.post(reverse("dashboard:task_new", args=[patient.pk]), data()).status_code == 404
    task.refresh_from_db()
    assert task.status == "open" and Task.objects.count() == 1
