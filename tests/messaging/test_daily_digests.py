"""plan_daily_digests: one email per clinician per day with their flags and tasks."""

import datetime as dt
import re

import pytest
from django.utils import timezone

from apps.core.choices import Discipline
from apps.messaging.models import MessageKind, OutboundMessage
from apps.messaging.services import plan_daily_digests
from tests.factories import (
    ClinicianFactory,
    FlagFactory,
    PatientFactory,
    TaskFactory,
    TeamMembershipFactory,
)

pytestmark = pytest.mark.django_db

H = dt.timedelta(hours=1)
D = dt.timedelta(days=1)


@pytest.fixture
def pt(team, other_team):
    """A physical therapist on ``team`` with a mix of things to report (and not to report)."""
    clinician = ClinicianFactory(username="pt", discipline=Discipline.PHYSICAL_THERAPIST)
    TeamMembershipFactory(team=team, clinician=clinician)
    return clinician


def test_it_lists_new_flags_tasks_due_today_and_overdue_tasks(clock, now, team, other_team, pt):
    today = timezone.localdate()
    mine = PatientFactory(team=team, first_name="Ada", last_name="Lovelace")
    theirs = PatientFactory(team=other_team, first_name="Bob", last_name="Other")
    FlagFactory(patient=mine, summary="No outcome measure in 14 days", raised_at=now - 3 * H)
    FlagFactory(patient=mine, rule_code="old", summary="Old news", raised_at=now - 30 * H)
    FlagFactory(patient=theirs, summary="Not my team", raised_at=now - H)
    TaskFactory(patient=mine, title="Review home programme", assignee=pt, due_on=today)
    TaskFactory(
        patient=mine,
        title="Book PT visit",
        discipline=Discipline.PHYSICAL_THERAPIST,
        due_on=today - 2 * D,
    )
    TaskFactory(
        patient=mine, title="Done already", assignee=pt, due_on=today - D, status="completed"
    )
    TaskFactory(
        patient=mine, title="Coordinator's call", discipline="care_coordinator", due_on=today - D
    )
    TaskFactory(patient=mine, title="Next week", assignee=pt, due_on=today + 7 * D)

    assert plan_daily_digests(today) == 1
    assert plan_daily_digests(today) == 0  # once per clinician per day

    digest = OutboundMessage.objects.get()
    assert digest.idempotency_key == f"digest:{pt.pk}:{today}"
    assert digest.kind == MessageKind.DIGEST
    assert digest.to_address == pt.email
    body = digest.body
    assert "New flags in the last 24 hours (1)" in body
    assert "Ada Lovelace: Outcome measure overdue: No outcome measure in 14 days" in body
    # Text a person reads: rule names, not codes; "10 May 2026", never ISO dates.
    assert "assessment_overdue" not in body
    assert not re.search(r"\b\d{4}-\d{2}-\d{2}\b", body.replace(digest.idempotency_key, ""))
    assert "Tasks due today (1)" in body and "Review home programme" in body
    assert "Overdue tasks (1)" in body and "Book PT visit" in body
    for absent in (
        "Old news",
        "Not my team",
        "Bob",
        "Done already",
        "Coordinator's call",
        "Next week",
    ):
        assert absent not in body


def test_clinicians_with_nothing_to_report_without_email_or_inactive_get_none(clock, now, team):
    quiet = ClinicianFactory(username="quiet")
    TeamMembershipFactory(team=team, clinician=quiet)
    no_email = ClinicianFactory(username="noemail", email="")
    inactive = ClinicianFactory(username="gone", is_active=False)
    for clinician in (no_email, inactive):
        TeamMembershipFactory(team=team, clinician=clinician)
        TaskFactory(
            patient=PatientFactory(team=team), assignee=clinician, due_on=timezone.localdate()
        )
    assert plan_daily_digests(timezone.localdate()) == 0


def test_the_next_day_gets_its_own_digest(clock, now, team, pt):
    TaskFactory(patient=PatientFactory(team=team), assignee=pt, due_on=timezone.localdate() - 5 * D)
    plan_daily_digests(timezone.localdate())
    clock.shift(D)
    assert plan_daily_digests(timezone.localdate()) == 1
    assert OutboundMessage.objects.filter(recipient_clinician=pt).count() == 2
