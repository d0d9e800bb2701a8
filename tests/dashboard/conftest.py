"""Builders for the dashboard tests: a patient with a whole record (episode, care team, plan,
medications, outcome measures, appointments, tasks, notes, flags with evidence), written with the
factories and the domain services."""

import datetime as dt
from decimal import Decimal
from typing import Any

import pytest
from django.utils import timezone

from apps.assessments.services import assessment_record
from apps.core.choices import Discipline
from apps.core.dates import clinic_today
from apps.medications.services import medication_order_create
from apps.messaging.models import Notification, OutboundMessage
from apps.patients.services import note_add
from tests.factories import (
    AppointmentFactory,
    CarePlanFactory,
    CareTeamMemberFactory,
    ClinicianFactory,
    EpisodeFactory,
    FlagFactory,
    GoalFactory,
    InterventionFactory,
    PatientFactory,
    TaskFactory,
    TeamMembershipFactory,
)

STALLED_EVIDENCE = {
    "rule": "stalled_recovery",
    "checked_on": "2026-04-01",
    "episode_day": 70,
    "phase": "subacute",
    "thresholds": {
        "stalled_plan_weeks": "4",
        "mcid_nrs_points": "2",
        "mcid_odi_points": "10",
        "mcid_percent": "30",
    },
    "reason": "No meaningful improvement in NRS, PEG since the plan's baseline.",
    "plan_started_on": "2026-02-20",
    "comparisons": [
        {
            "instrument": "nrs",
            "baseline": {
                "assessment_id": 1,
                "instrument": "nrs",
                "value": "7",
                "taken_on": "2026-02-20",
            },
            "latest": {
                "assessment_id": 2,
                "instrument": "nrs",
                "value": "6",
                "taken_on": "2026-03-30",
            },
            "change": "-1",
            "change_percent": "-14.2857",
            "meaningful_if": "a change of 2 points or 30% of baseline",
            "improved": False,
        }
    ],
}


def at_days_ago(days: int, hour: int = 10) -> dt.datetime:
    day = clinic_today() - dt.timedelta(days=days)
    return timezone.make_aware(dt.datetime.combine(day, dt.time(hour, 0)))


def make_patient(
    team: Any,
    clinician: Any,
    *,
    measures: int = 3,
    flags: int = 1,
    onset_days: int = 60,
    extras: bool = True,
    last_name: str | None = None,
) -> Any:
    """A patient on ``team`` with an active subacute episode, ``clinician`` as the physician on
    its care team, ``measures`` NRS, PEG and ODI each (a week apart, ending yesterday),
    ``flags`` open flags (the first a stalled-recovery warning with evidence), and — with
    ``extras`` — a plan with a goal and interventions, an opioid order, appointments, a task, a
    note and a message."""
    kwargs = {"last_name": last_name} if last_name else {}
    patient = PatientFactory(team=team, **kwargs)
    episode = EpisodeFactory(patient=patient, onset=clinic_today() - dt.timedelta(days=onset_days))
    CareTeamMemberFactory(
        episode=episode, clinician=clinician, role=Discipline.PHYSICIAN, is_lead=True
    )
    plan_start = episode.onset + dt.timedelta(days=2)
    if extras:
        plan = CarePlanFactory(episode=episode, started_on=plan_start, title="Chronic programme")
        GoalFactory(plan=plan, measure="nrs", baseline=Decimal("7"), target=Decimal("3"))
        InterventionFactory(plan=plan)
        InterventionFactory(
            plan=plan,
            kind="psychological_therapy",
            discipline=Discipline.PSYCHOLOGIST,
            description="CBT for pain",
        )
        medication_order_create(
            actor=clinician,
            episode=episode,
            drug="oxycodone ER",
            drug_class="opioid_long",
            opioid="oxycodone",
            dose=Decimal("10"),
            frequency="twice daily",
            daily_dose=Decimal("20"),
            start_date=episode.onset + dt.timedelta(days=5),
        )
    for i in range(measures):
        days_ago = 1 + 7 * (measures - 1 - i)
        days_ago = min(days_ago, onset_days - 1)
        when = at_days_ago(days_ago, hour=9 + (i % 8))
        assessment_record(
            actor=clinician,
            patient=patient,
            instrument="nrs",
            answers={"value": 7 - (i % 2)},
            taken_at=when,
        )
        assessment_record(
            actor=clinician,
            patient=patient,
            instrument="peg",
            answers={"pain": 7, "enjoyment": 6, "activity": 6 - (i % 2)},
            taken_at=when,
        )
        assessment_record(
            actor=clinician,
            patient=patient,
            instrument="odi",
            answers={"sections": [2, 2, 3, 2, 2, 2, 1, None, 2, 2]},
            taken_at=when,
        )
    rules = [
        "stalled_recovery",
        "opioid_review_due",
        "team_gap",
        "worsening",
        "sleep_disruption",
        "work_absence",
        "passive_only_care",
        "followup_overdue",
        "assessment_overdue",
    ]
    for i in range(flags):
        code = rules[i % len(rules)] if i < len(rules) else f"{rules[i % len(rules)]}_{i}"
        FlagFactory(
            patient=patient,
            episode=episode,
            rule_code=code,
            severity="warning",
            summary="No meaningful improvement in NRS after 8 weeks on the plan"
            if i == 0
            else f"Finding {i}",
            evidence=STALLED_EVIDENCE if i == 0 else {"reason": f"Reason {i}", "days_since": i},
        )
    if extras:
        AppointmentFactory(
            episode=episode,
            patient=patient,
            clinician=clinician,
            starts_at=timezone.now() + dt.timedelta(days=3),
        )
        AppointmentFactory(
            episode=episode,
            patient=patient,
            clinician=clinician,
            starts_at=timezone.now() - dt.timedelta(days=10),
            status="fulfilled",
        )
        TaskFactory(
            patient=patient,
            team=team,
            episode=episode,
            due_on=clinic_today() - dt.timedelta(days=4),
            title="Call about sleep",
        )
        note_add(
            actor=clinician,
            patient=patient,
            body="Discussed pacing and graded activity.",
            episode=episode,
        )
        OutboundMessage.objects.create(
            idempotency_key=f"test-msg-{patient.pk}",
            kind="appointment_reminder",
            channel="email",
            patient=patient,
            to_address=patient.email,
            body="Reminder",
        )
    return patient


@pytest.fixture
def make():
    return make_patient


@pytest.fixture
def colleague(team):
    pt = ClinicianFactory(
        username="pt_on_team",
        discipline=Discipline.PHYSICAL_THERAPIST,
        first_name="Pat",
        last_name="Therapist",
    )
    TeamMembershipFactory(team=team, clinician=pt)
    return pt


@pytest.fixture
def full_patient(team, clinician_on_team):
    return make_patient(team, clinician_on_team, measures=4, flags=2)


@pytest.fixture
def off_team_patient(other_team, clinician_off_team):
    return make_patient(other_team, clinician_off_team, measures=2, flags=1)


@pytest.fixture
def notification_for():
    def build(
        user: Any, patient: Any = None, *, read: bool = False, title: str = "Urgent: red flag"
    ) -> Notification:
        n = Notification.objects.count()
        return Notification.objects.create(
            recipient=user,
            patient=patient,
            kind="urgent_flag",
            title=title,
            body="Open the patient",
            url=patient.get_absolute_url() if patient else "",
            idempotency_key=f"test-note-{user.pk}-{n}",
            read_at=timezone.now() if read else None,
        )

    return build


@pytest.fixture
def logged_in(client, clinician_on_team):
    client.force_login(clinician_on_team)
    return client
