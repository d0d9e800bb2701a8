"""A goal's status is derived from its measures (met / on track / off track / overdue) and the
patient page, the caseload and the case conference show the same label with the same badge.

The issue's example: the latest pain score reaches the target (a 100% bar) after the due date
passed, and the stored status still says "in-progress": every screen says "Met".
"""

import datetime as dt
import re
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone

from apps.assessments.services import assessment_record
from apps.careplans.models import CarePlan
from apps.conferences.services import conference_create
from apps.core.dates import clinic_today
from tests.factories import GoalFactory

pytestmark = pytest.mark.django_db

MET = "Pain at or below 3"  # latest NRS 3, due yesterday
OVERDUE = "PEG at or below 2"  # latest PEG about 6, due yesterday
ON_TRACK = "Pain at or below 2 by the summer"  # 7 -> 3 of 7 -> 2, a tenth of the way in time
OFF_TRACK = "PEG at or below 1 soon"  # barely moved, nearly due
EXPECTED = {MET: "met", OVERDUE: "overdue", ON_TRACK: "on_track", OFF_TRACK: "off_track"}
LABELS = {"met": "Met", "overdue": "Overdue", "on_track": "On track", "off_track": "Off track"}


@pytest.fixture
def patient(team, clinician_on_team, make):
    patient = make(team, clinician_on_team, measures=3, flags=1, last_name="Goalpatient")
    plan = CarePlan.objects.get(episode__patient=patient)
    plan.goals.all().delete()
    today = clinic_today()
    started = plan.started_on
    yesterday = today - dt.timedelta(days=1)
    for description, measure, target, due in (
        (MET, "nrs", 3, yesterday),
        (OVERDUE, "peg", 2, yesterday),
        (ON_TRACK, "nrs", 2, today + (today - started) * 9),
        (OFF_TRACK, "peg", 1, today + dt.timedelta(days=2)),
    ):
        GoalFactory(
            plan=plan,
            measure=measure,
            description=description,
            baseline=Decimal("7"),
            target=Decimal(target),
            due_on=due,
            achievement_status="in-progress",  # what a clinician left stored
        )
    assessment_record(
        actor=clinician_on_team,
        patient=patient,
        instrument="nrs",
        answers={"value": 3},
        taken_at=timezone.now() - dt.timedelta(hours=1),
    )
    return patient


def _goal_list_statuses(html):
    return {
        desc: code
        for desc, code in re.findall(
            r'<div class="goal-head"><span>([^<]+)</span><span class="badge goal-(\w+)">', html
        )
    }


def _assert_same_badges(html):
    for code, label in LABELS.items():
        assert f'<span class="badge goal-{code}">{label}</span>' in html
    assert "In progress" not in html


def test_the_patient_page_shows_met_for_a_reached_target_after_the_due_date(logged_in, patient):
    html = logged_in.get(reverse("dashboard:patient", args=[patient.pk])).content.decode()

    assert _goal_list_statuses(html) == EXPECTED
    _assert_same_badges(html)


def test_the_caseload_shows_each_patients_goal_statuses_as_the_patient_page(logged_in, patient):
    html = logged_in.get(reverse("dashboard:caseload")).content.decode()

    shown = {
        desc: code
        for code, desc in re.findall(
            r'<li><span class="badge goal-(\w+)">[^<]+</span> <span class="sub">([^<]+)</span>',
            html,
        )
    }
    assert shown == EXPECTED
    _assert_same_badges(html)


def test_the_conference_agenda_shows_the_goal_statuses_as_the_patient_page(
    logged_in, team, clinician_on_team, patient
):
    conference = conference_create(
        actor=clinician_on_team, team=team, scheduled_for=timezone.now() + dt.timedelta(hours=3)
    )
    html = logged_in.get(reverse("dashboard:conference", args=[conference.pk])).content.decode()

    assert "Goalpatient" in html  # on the agenda (stalled recovery)
    assert _goal_list_statuses(html) == EXPECTED
    _assert_same_badges(html)
