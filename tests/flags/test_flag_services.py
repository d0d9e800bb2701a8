"""What clinicians do with a flag: acknowledge, resolve with a note, snooze until a date."""

import datetime as dt

import pytest
from django.core.exceptions import ValidationError
from django.http import Http404

from apps.audit.models import AuditEvent
from apps.core.dates import clinic_today
from apps.flags.selectors import flag_get_for_user
from apps.flags.services import flag_acknowledge, flag_resolve, flag_snooze
from apps.worklist.models import TaskStatus
from tests.factories import FlagFactory, TaskFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def flag(patient):
    return FlagFactory(patient=patient, rule_code="opioid_review_due")


def test_it_acknowledges_an_open_flag_and_records_who(flag, clinician_on_team):
    flag_acknowledge(actor=clinician_on_team, flag=flag)

    flag.refresh_from_db()
    assert flag.status == "acknowledged"
    assert flag.acknowledged_by == clinician_on_team
    assert flag.acknowledged_at is not None
    event = AuditEvent.objects.get(object_type="flags.flag", object_id=str(flag.pk))
    assert event.actor == clinician_on_team
    assert "status" in event.changed_fields


def test_it_resolves_with_a_note_and_completes_the_flags_task(flag, clinician_on_team):
    task = TaskFactory(patient=flag.patient, flag=flag, source="flag")

    flag_resolve(actor=clinician_on_team, flag=flag, note="Reviewed in clinic; dose appropriate")

    flag.refresh_from_db()
    task.refresh_from_db()
    assert flag.status == "resolved"
    assert flag.resolution_note == "Reviewed in clinic; dose appropriate"
    assert flag.resolved_by == clinician_on_team
    assert flag.auto_resolved is False
    assert task.status == TaskStatus.COMPLETED
    assert task.completed_by == clinician_on_team


def test_it_refuses_to_resolve_without_a_note(flag, clinician_on_team):
    with pytest.raises(ValidationError) as err:
        flag_resolve(actor=clinician_on_team, flag=flag, note="   ")
    assert err.value.message_dict == {"note": ["Say how the flag was resolved."]}
    flag.refresh_from_db()
    assert flag.status == "open"


def test_it_snoozes_until_a_future_date(flag, clinician_on_team):
    until = clinic_today() + dt.timedelta(days=7)
    flag_snooze(actor=clinician_on_team, flag=flag, until=until)
    flag.refresh_from_db()
    assert flag.status == "snoozed"
    assert flag.snoozed_until == until


@pytest.mark.parametrize("days", [0, -1, 91])
def test_it_refuses_a_snooze_date_that_is_not_tomorrow_to_90_days(flag, clinician_on_team, days):
    with pytest.raises(ValidationError) as err:
        flag_snooze(
            actor=clinician_on_team, flag=flag, until=clinic_today() + dt.timedelta(days=days)
        )
    assert "snoozed_until" in err.value.message_dict


def test_a_resolved_flag_cannot_be_acknowledged_or_snoozed(flag, clinician_on_team):
    flag_resolve(actor=clinician_on_team, flag=flag, note="done")
    with pytest.raises(ValidationError):
        flag_acknowledge(actor=clinician_on_team, flag=flag)
    with pytest.raises(ValidationError):
        flag_snooze(actor=clinician_on_team, flag=flag, until=clinic_today() + dt.timedelta(days=3))


def test_a_flag_is_reached_only_through_a_visible_patient(
    flag, clinician_on_team, clinician_off_team
):
    assert flag_get_for_user(clinician_on_team, flag.pk) == flag
    with pytest.raises(Http404) as forbidden:
        flag_get_for_user(clinician_off_team, flag.pk)
    with pytest.raises(Http404) as missing:
        flag_get_for_user(clinician_on_team, flag.pk + 1000)
    assert str(forbidden.value) == str(missing.value)


# --- Safety flags are never snoozed; an urgent flag is acknowledged with a reason -------------


@pytest.mark.parametrize("rule_code", ["self_harm_risk", "red_flag"])
def test_it_refuses_to_snooze_a_safety_flag(patient, clinician_on_team, rule_code):
    flag = FlagFactory(patient=patient, rule_code=rule_code, severity="urgent")

    with pytest.raises(ValidationError) as caught:
        flag_snooze(actor=clinician_on_team, flag=flag, until=clinic_today() + dt.timedelta(days=7))

    assert "cannot be snoozed" in caught.value.message_dict["snoozed_until"][0]
    flag.refresh_from_db()
    assert (flag.status, flag.snoozed_until) == ("open", None)


def test_the_database_refuses_a_snoozed_safety_flag_whatever_the_surface(patient):
    from django.db import IntegrityError, transaction

    flag = FlagFactory(patient=patient, rule_code="self_harm_risk", severity="urgent")
    with pytest.raises(IntegrityError), transaction.atomic():
        type(flag).objects.filter(pk=flag.pk).update(
            status="snoozed", snoozed_until=clinic_today() + dt.timedelta(days=3)
        )


def test_it_refuses_to_acknowledge_an_urgent_flag_without_a_reason(patient, clinician_on_team):
    flag = FlagFactory(patient=patient, rule_code="red_flag", severity="urgent")

    with pytest.raises(ValidationError) as caught:
        flag_acknowledge(actor=clinician_on_team, flag=flag, note="   ")

    assert "Say why" in caught.value.message_dict["note"][0]
    flag.refresh_from_db()
    assert flag.status == "open" and flag.acknowledged_at is None


def test_it_keeps_the_reason_an_urgent_flag_was_acknowledged(patient, clinician_on_team):
    flag = FlagFactory(patient=patient, rule_code="red_flag", severity="urgent")

    flag_acknowledge(actor=clinician_on_team, flag=flag, note="Same-day MRI booked")

    flag.refresh_from_db()
    assert (flag.status, flag.acknowledgement_note) == ("acknowledged", "Same-day MRI booked")
    event = AuditEvent.objects.filter(object_type="flags.flag", object_id=str(flag.pk)).latest("pk")
    assert "acknowledgement_note" in event.changed_fields
