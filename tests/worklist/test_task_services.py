"""Worklist tasks (apps.worklist.services).

A task is owned by a person or waits in a discipline's queue on a team; only that team's
members can be given it, claim it or complete it.
"""

import datetime as dt

import pytest
from django.core.exceptions import NON_FIELD_ERRORS, ValidationError
from django.utils import timezone

from apps.audit.models import AuditEvent
from apps.core.choices import Discipline
from apps.core.dates import clinic_today
from apps.worklist.models import Task
from apps.worklist.services import task_claim, task_complete, task_create
from tests.factories import EpisodeFactory, PatientFactory, TaskFactory

pytestmark = pytest.mark.django_db


def _queue_task(actor, team, patient, **extra):
    fields = {
        "title": "Book the first PT visit",
        "reason": "First follow-up of the plan",
        "due_on": clinic_today() + dt.timedelta(days=7),
        "patient": patient,
        "discipline": Discipline.PHYSICAL_THERAPIST,
        **extra,
    }
    return task_create(actor=actor, team=team, **fields)


# --- task_create -------------------------------------------------------------------------------


def test_a_task_waits_in_its_disciplines_queue(clinician_on_team, team, patient):
    task = _queue_task(clinician_on_team, team, patient)

    assert task.status == "open"
    assert task.assignee is None
    assert task.discipline == Discipline.PHYSICAL_THERAPIST
    assert task.created_by == clinician_on_team
    event = AuditEvent.objects.get(action="create")
    assert (event.object_type, event.patient) == ("worklist.task", patient)


def test_a_task_can_be_given_to_a_team_member(clinician_on_team, team, patient):
    task = _queue_task(clinician_on_team, team, patient, assignee=clinician_on_team, discipline="")

    assert task.assignee == clinician_on_team


def test_it_refuses_an_assignee_from_outside_the_team(
    clinician_on_team, clinician_off_team, team, patient
):
    with pytest.raises(ValidationError) as caught:
        _queue_task(clinician_on_team, team, patient, assignee=clinician_off_team)

    assert caught.value.message_dict == {
        "assignee": ["Assign the task to a member of the patient's team."]
    }
    assert not Task.objects.exists()


def test_it_refuses_a_task_about_a_patient_on_another_teams_worklist(
    clinician_off_team, other_team, patient
):
    # Otherwise the other team's worklist would show a patient they may not see.
    with pytest.raises(ValidationError) as caught:
        _queue_task(clinician_off_team, other_team, patient)

    assert caught.value.message_dict == {
        "patient": ["The task must belong to the patient's own team."]
    }
    assert not Task.objects.exists()


def test_it_refuses_an_episode_of_another_patient(clinician_on_team, team, patient):
    someone_elses = EpisodeFactory(patient=PatientFactory(team=team))

    with pytest.raises(ValidationError) as caught:
        _queue_task(clinician_on_team, team, patient, episode=someone_elses)

    assert caught.value.message_dict == {"episode": ["That episode belongs to another patient."]}


def test_a_team_task_need_not_be_about_a_patient(clinician_on_team, team):
    task = _queue_task(clinician_on_team, team, None, title="Prepare the case conference")

    assert task.patient is None
    assert task.team == team


# --- task_claim --------------------------------------------------------------------------------


def test_a_team_member_claims_a_queued_task(clinician_on_team, team, patient):
    task = _queue_task(clinician_on_team, team, patient)

    task_claim(actor=clinician_on_team, task=task)

    task.refresh_from_db()
    assert task.assignee == clinician_on_team
    assert task.status == "in_progress"
    event = AuditEvent.objects.get(action="update")
    assert event.changed_fields == ["assignee", "status"]
    assert event.actor == clinician_on_team


def test_a_clinician_off_the_team_cannot_claim(clinician_off_team, team, patient):
    task = TaskFactory(patient=patient)

    with pytest.raises(ValidationError) as caught:
        task_claim(actor=clinician_off_team, task=task)

    assert caught.value.message_dict == {
        "assignee": ["Only a member of the task's team can claim it."]
    }
    task.refresh_from_db()
    assert task.assignee is None
    assert task.status == "open"


def test_a_completed_task_cannot_be_claimed(clinician_on_team, patient):
    task = TaskFactory(patient=patient)
    task_complete(actor=clinician_on_team, task=task)

    with pytest.raises(ValidationError) as caught:
        task_claim(actor=clinician_on_team, task=task)

    assert caught.value.message_dict == {"status": ["Only an open task can be claimed."]}


# --- task_complete -----------------------------------------------------------------------------


def test_completing_a_task_records_when_and_by_whom(clinician_on_team, patient):
    task = TaskFactory(patient=patient)
    before = timezone.now()

    task_complete(actor=clinician_on_team, task=task)

    task.refresh_from_db()
    assert task.status == "completed"
    assert task.completed_by == clinician_on_team
    assert before <= task.completed_at <= timezone.now()


def test_completing_a_task_twice_is_refused(clinician_on_team, patient):
    task = TaskFactory(patient=patient)
    task_complete(actor=clinician_on_team, task=task)
    first = task.completed_at

    with pytest.raises(ValidationError) as caught:
        task_complete(actor=clinician_on_team, task=task)

    assert caught.value.message_dict == {"status": ["This task is already closed."]}
    task.refresh_from_db()
    assert task.completed_at == first


def test_a_cancelled_task_cannot_be_completed(clinician_on_team, patient):
    task = TaskFactory(patient=patient, status="cancelled")

    with pytest.raises(ValidationError):
        task_complete(actor=clinician_on_team, task=task)


def test_a_clinician_off_the_team_cannot_complete_its_task(clinician_off_team, patient):
    task = TaskFactory(patient=patient)

    with pytest.raises(ValidationError) as caught:
        task_complete(actor=clinician_off_team, task=task)

    assert caught.value.message_dict == {
        NON_FIELD_ERRORS: ["Only a member of the task's team can complete it."]
    }
    task.refresh_from_db()
    assert task.status == "open"


def test_a_job_may_complete_a_task(patient):
    task = TaskFactory(patient=patient)

    task_complete(actor=None, task=task)

    task.refresh_from_db()
    assert task.status == "completed"
    assert task.completed_by is None
    assert AuditEvent.objects.get(action="update").surface == "job"


# --- completing an urgent task -------------------------------------------------------------------


@pytest.mark.parametrize("priority", ["urgent", "asap", "stat"])
def test_it_refuses_to_complete_an_urgent_task_without_an_outcome_note(
    clinician_on_team, team, patient, priority
):
    task = TaskFactory(patient=patient, priority=priority, assignee=clinician_on_team)

    with pytest.raises(ValidationError) as exc:
        task_complete(actor=clinician_on_team, task=task, note="  ")

    assert "outcome_note" in exc.value.message_dict
    task.refresh_from_db()
    assert task.status == "open"


def test_an_urgent_task_is_completed_with_its_outcome_note(clinician_on_team, team, patient):
    task = TaskFactory(patient=patient, priority="stat", assignee=clinician_on_team)

    task_complete(actor=clinician_on_team, task=task, note="Seen in ED, MRI booked today.")

    task.refresh_from_db()
    assert (task.status, task.outcome_note) == ("completed", "Seen in ED, MRI booked today.")


def test_a_routine_task_completes_without_a_note(clinician_on_team, team, patient):
    task = TaskFactory(patient=patient, priority="routine", assignee=clinician_on_team)

    task_complete(actor=clinician_on_team, task=task)

    task.refresh_from_db()
    assert task.status == "completed"
