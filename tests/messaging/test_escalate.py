"""escalate: urgent flags unacknowledged 4 h to the lead physician; tasks 3 days overdue to
care coordinators; each exactly once."""

import datetime as dt

import pytest
from django.utils import timezone

from apps.core.choices import Discipline
from apps.flags.models import Flag
from apps.flags.rules import rule_label
from apps.messaging import services
from apps.messaging.models import MessageKind, Notification, OutboundMessage
from apps.messaging.services import escalate
from apps.worklist.models import Task
from tests.factories import (
    ClinicianFactory,
    FlagFactory,
    PatientFactory,
    TaskFactory,
    TeamMembershipFactory,
)

pytestmark = pytest.mark.django_db

D = dt.timedelta(days=1)


def member(team, username, discipline, **kwargs):
    clinician = ClinicianFactory(username=username, discipline=discipline)
    TeamMembershipFactory(team=team, clinician=clinician, **kwargs)
    return clinician


@pytest.fixture
def lead(team):
    return member(team, "lead", Discipline.PHYSICIAN, is_lead=True)


@pytest.fixture
def urgent_flag(team, now):
    return FlagFactory(
        patient=PatientFactory(team=team),
        severity="urgent",
        summary="Bladder control lost",
        rule_code="red_flag_cauda_equina",
        raised_at=now,
    )


def test_an_urgent_flag_is_not_escalated_at_3h59(clock, now, lead, urgent_flag):
    clock.move_to(now + dt.timedelta(hours=3, minutes=59))
    assert escalate().flags == []
    assert not Notification.objects.exists()


def test_an_urgent_flag_escalates_to_the_lead_physician_after_4h_exactly_once(
    clock, now, team, lead, urgent_flag
):
    other_physician = member(team, "other", Discipline.PHYSICIAN)
    clock.move_to(now + dt.timedelta(hours=4))

    assert escalate().flags == [urgent_flag.pk]
    assert escalate().flags == []  # a second run escalates nothing

    urgent_flag.refresh_from_db()
    assert urgent_flag.escalated_at == timezone.now()
    notification = Notification.objects.get()
    assert notification.recipient == lead
    assert notification.kind == MessageKind.ESCALATION
    message = OutboundMessage.objects.get()
    assert message.idempotency_key == f"escalate-flag:{urgent_flag.pk}:{lead.pk}"
    assert message.to_address == lead.email
    assert "Bladder control lost" in message.body
    assert f"Rule: {rule_label(urgent_flag.rule_code)}" in message.body
    assert "red_flag_cauda_equina" not in message.body  # the rule's name, never its code
    assert not Notification.objects.filter(recipient=other_physician).exists()


def test_without_a_lead_the_teams_physicians_are_told(clock, now, team, urgent_flag):
    a = member(team, "a", Discipline.PHYSICIAN)
    b = member(team, "b", Discipline.PHYSICIAN)
    member(team, "c", Discipline.PSYCHOLOGIST)
    clock.move_to(now + dt.timedelta(hours=5))
    escalate()
    assert set(Notification.objects.values_list("recipient", flat=True)) == {a.pk, b.pk}


def test_acknowledged_or_non_urgent_flags_do_not_escalate(clock, now, team, lead, urgent_flag):
    urgent_flag.status = "acknowledged"
    urgent_flag.save()
    FlagFactory(patient=PatientFactory(team=team), severity="warning", raised_at=now)
    clock.move_to(now + D)
    assert escalate().flags == []


def test_two_workers_never_escalate_the_same_flag_twice(clock, now, lead, urgent_flag):
    clock.move_to(now + dt.timedelta(hours=4))
    stale = Flag.objects.get(pk=urgent_flag.pk)  # both workers read it before either claimed
    assert services._escalate_flag(stale, [lead], timezone.now()) is True
    assert services._escalate_flag(stale, [lead], timezone.now()) is False
    assert Notification.objects.count() == 1
    assert OutboundMessage.objects.count() == 1


def test_a_task_3_days_overdue_escalates_to_the_care_coordinators_once(clock, team):
    coordinator = member(team, "coord", Discipline.CARE_COORDINATOR)
    assignee = member(team, "pt", Discipline.PHYSICAL_THERAPIST)
    today = timezone.localdate()
    overdue = TaskFactory(
        patient=PatientFactory(team=team),
        assignee=assignee,
        title="Call about missed visit",
        due_on=today - 3 * D,
    )
    TaskFactory(patient=PatientFactory(team=team), assignee=assignee, due_on=today - 2 * D)
    TaskFactory(patient=PatientFactory(team=team), due_on=today - 9 * D, status="completed")

    assert escalate().tasks == [overdue.pk]
    assert escalate().tasks == []

    assert Task.objects.get(pk=overdue.pk).escalated_at == timezone.now()
    notification = Notification.objects.get()
    assert notification.recipient == coordinator
    message = OutboundMessage.objects.get()
    assert message.idempotency_key == f"escalate-task:{overdue.pk}:{coordinator.pk}"
    assert "Call about missed visit" in message.body
    assert "3 days overdue" in message.body
    assert not Notification.objects.filter(recipient=assignee).exists()
