"""apps.conferences.services: the agenda builds itself from stalled and urgent patients; each
discipline's input; decisions become owned tasks; closing makes the record final."""

import datetime as dt

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from apps.conferences.models import AgendaItem, CaseConference
from apps.conferences.services import (
    conference_add_input,
    conference_add_patient,
    conference_close,
    conference_create,
    conference_record_decision,
)
from apps.core.dates import clinic_today
from tests.factories import EpisodeFactory, FlagFactory, PatientFactory

pytestmark = pytest.mark.django_db


def soon():
    return timezone.now() + dt.timedelta(days=1)


@pytest.fixture
def flagged(team, other_team):
    stalled = PatientFactory(team=team, last_name="Stalled")
    EpisodeFactory(patient=stalled)
    FlagFactory(
        patient=stalled,
        rule_code="stalled_recovery",
        severity="warning",
        evidence={"reason": "No change"},
    )
    urgent = PatientFactory(team=team, last_name="Urgent")
    EpisodeFactory(patient=urgent)
    FlagFactory(patient=urgent, rule_code="red_flag", severity="urgent", summary="Red flag: fever")
    FlagFactory(patient=urgent, rule_code="stalled_recovery", severity="warning")
    quiet = PatientFactory(team=team, last_name="Quiet")
    FlagFactory(patient=quiet, rule_code="assessment_overdue", severity="warning")
    resolved = PatientFactory(team=team, last_name="Resolved")
    FlagFactory(
        patient=resolved,
        rule_code="red_flag",
        severity="urgent",
        status="resolved",
        resolved_at=timezone.now(),
    )
    elsewhere = PatientFactory(team=other_team, last_name="Elsewhere")
    FlagFactory(patient=elsewhere, rule_code="red_flag", severity="urgent")
    return {"stalled": stalled, "urgent": urgent}


def test_create_builds_the_agenda_urgent_first(clinician_on_team, team, flagged):
    conference = conference_create(actor=clinician_on_team, team=team, scheduled_for=soon())

    items = list(conference.agenda_items.order_by("order"))
    assert [i.patient.last_name for i in items] == ["Urgent", "Stalled"]
    assert [i.reason for i in items] == ["urgent_flag", "stalled_recovery"]
    urgent = items[0].evidence
    assert urgent["rule"] == "red_flag" and urgent["summary"] == "Red flag: fever"
    assert [f["rule"] for f in urgent["flags"]] == ["red_flag", "stalled_recovery"]
    assert items[1].evidence["flags"][0]["evidence"] == {"reason": "No change"}
    assert conference.chair == clinician_on_team and conference.status == "planned"


def test_only_team_members_plan_and_not_in_the_past(clinician_off_team, clinician_on_team, team):
    with pytest.raises(ValidationError) as caught:
        conference_create(actor=clinician_off_team, team=team, scheduled_for=soon())
    assert "team" in caught.value.error_dict
    with pytest.raises(ValidationError) as caught:
        conference_create(
            actor=clinician_on_team, team=team, scheduled_for=timezone.now() - dt.timedelta(days=2)
        )
    assert "scheduled_for" in caught.value.error_dict
    assert not CaseConference.objects.exists()


def test_inputs_decisions_and_close(clinician_on_team, colleague, team, flagged):
    conference = conference_create(actor=clinician_on_team, team=team, scheduled_for=soon())
    item = conference.agenda_items.get(patient=flagged["stalled"])

    note = conference_add_input(
        actor=colleague, agenda_item=item, text="Programme progressed twice; plateau."
    )
    assert note.discipline == "physical_therapist" and note.author == colleague
    with pytest.raises(ValidationError) as caught:
        conference_add_input(actor=colleague, agenda_item=item, text="  ")
    assert "text" in caught.value.error_dict

    due = clinic_today() + dt.timedelta(days=7)
    task = conference_record_decision(
        actor=clinician_on_team,
        agenda_item=item,
        title="Refer to pain psychology",
        due_on=due,
        assignee=colleague,
    )
    assert (task.source, task.agenda_item, task.assignee, task.due_on) == (
        "conference",
        item,
        colleague,
        due,
    )
    assert task.patient == flagged["stalled"] and task.episode == flagged["stalled"].episodes.get()
    item.refresh_from_db()
    assert item.discussed
    with pytest.raises(ValidationError) as caught:
        conference_record_decision(
            actor=clinician_on_team, agenda_item=item, title="Nobody owns this", due_on=due
        )
    assert "assignee" in caught.value.error_dict

    conference_close(actor=clinician_on_team, conference=conference, notes="Two patients reviewed.")
    conference.refresh_from_db()
    assert (conference.status, conference.notes) == ("held", "Two patients reviewed.")
    with pytest.raises(ValidationError):
        conference_add_input(actor=colleague, agenda_item=item, text="Too late")
    with pytest.raises(ValidationError):
        conference_close(actor=clinician_on_team, conference=conference)


def test_add_a_patient_by_hand_once(clinician_on_team, team, other_team, flagged):
    conference = conference_create(actor=clinician_on_team, team=team, scheduled_for=soon())
    extra = PatientFactory(team=team)
    item = conference_add_patient(
        actor=clinician_on_team, conference=conference, patient=extra, note="Family concerns"
    )
    assert item.reason == "manual" and item.evidence == {"note": "Family concerns"}
    with pytest.raises(ValidationError):
        conference_add_patient(actor=clinician_on_team, conference=conference, patient=extra)
    with pytest.raises(ValidationError):
        conference_add_patient(
            actor=clinician_on_team, conference=conference, patient=PatientFactory(team=other_team)
        )
    assert AgendaItem.objects.filter(conference=conference).count() == 3


def test_the_rule_engine_adds_new_stalled_patients_to_the_next_planned_conference(
    clinician_on_team, team
):
    from apps.flags.engine import _add_to_agendas

    conference = conference_create(actor=clinician_on_team, team=team, scheduled_for=soon())
    patient = PatientFactory(team=team)
    flag = FlagFactory(patient=patient, rule_code="stalled_recovery")

    class Snap:
        team_id = team.pk
        patient_id = patient.pk

    _add_to_agendas([(Snap(), flag)], timezone.now())
    assert conference.agenda_items.filter(patient=patient, reason="stalled_recovery").exists()


def test_it_refuses_a_chair_from_outside_the_team(clinician_on_team, clinician_off_team, team):
    with pytest.raises(ValidationError) as caught:
        conference_create(
            actor=clinician_on_team, team=team, scheduled_for=soon(), chair=clinician_off_team
        )

    assert caught.value.message_dict == {"chair": ["The chair must be a member of the team."]}
    assert not CaseConference.objects.exists()
