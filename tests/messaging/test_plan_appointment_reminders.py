"""plan_appointment_reminders: 48 h and 2 h reminders, once, by channel, outside quiet hours."""

import datetime as dt

import pytest

from apps.messaging.models import MessageChannel, MessageKind, MessageStatus, OutboundMessage
from apps.messaging.services import SendResult, plan_appointment_reminders, send_message
from apps.scheduling.models import AppointmentStatus
from tests.factories import AppointmentFactory, EpisodeFactory, PatientFactory

pytestmark = pytest.mark.django_db

H = dt.timedelta(hours=1)


def appointment_for(patient=None, *, starts_at, **kwargs):
    patient = patient or PatientFactory()
    return AppointmentFactory(
        episode=EpisodeFactory(patient=patient), starts_at=starts_at, **kwargs
    )


def test_it_creates_the_48h_reminder_once(clock, now):
    appt = appointment_for(starts_at=now + 30 * H, location="Spine clinic, room 4")

    assert plan_appointment_reminders(now) == 1
    assert plan_appointment_reminders(now) == 0  # a second run creates nothing

    message = OutboundMessage.objects.get()
    assert message.idempotency_key == f"appt:{appt.pk}:48h"
    assert message.kind == MessageKind.APPOINTMENT_REMINDER
    assert message.channel == MessageChannel.EMAIL
    assert message.to_address == appt.patient.email
    assert message.appointment == appt
    assert message.status == MessageStatus.PENDING
    assert message.send_after == now
    assert appt.patient.first_name in message.body
    assert "Spine clinic, room 4" in message.body
    assert "Wed 13 May 2026, 16:00 EDT" in message.body  # in the patient's zone
    assert appt.patient.last_name not in message.body  # no more patient data than needed


def test_it_creates_the_2h_reminder_when_the_appointment_is_two_hours_away(clock, now):
    appt = appointment_for(starts_at=now + 30 * H)
    plan_appointment_reminders(now)

    clock.move_to(appt.starts_at - 2 * H)
    assert plan_appointment_reminders() == 1
    assert plan_appointment_reminders() == 0

    keys = set(OutboundMessage.objects.values_list("idempotency_key", flat=True))
    assert keys == {f"appt:{appt.pk}:48h", f"appt:{appt.pk}:2h"}


def test_an_appointment_booked_inside_the_late_window_gets_only_the_2h_reminder(clock, now):
    appt = appointment_for(starts_at=now + 90 * dt.timedelta(minutes=1))
    assert plan_appointment_reminders(now) == 1
    assert OutboundMessage.objects.get().idempotency_key == f"appt:{appt.pk}:2h"


def test_it_ignores_appointments_more_than_48h_away_and_in_the_past(clock, now):
    appointment_for(starts_at=now + 49 * H)
    appointment_for(starts_at=now - H)
    assert plan_appointment_reminders(now) == 0


def test_it_creates_no_row_for_channel_none_or_a_missing_address(clock, now):
    appointment_for(PatientFactory(preferred_channel="none"), starts_at=now + 5 * H)
    appointment_for(PatientFactory(preferred_channel="sms", phone=""), starts_at=now + 5 * H)
    appointment_for(PatientFactory(preferred_channel="email", email=""), starts_at=now + 5 * H)
    assert plan_appointment_reminders(now) == 0
    assert not OutboundMessage.objects.exists()


def test_sms_reminders_go_to_the_patients_phone(clock, now):
    patient = PatientFactory(preferred_channel="sms", phone="+1 555 0100")
    appointment_for(patient, starts_at=now + 5 * H)
    plan_appointment_reminders(now)
    message = OutboundMessage.objects.get()
    assert (message.channel, message.to_address) == (MessageChannel.SMS, "+1 555 0100")


def test_it_never_sends_inside_quiet_hours_that_wrap_midnight(clock):
    # 21:30 in New York, quiet 21:00-08:00: the reminder waits until 08:00 the next morning.
    now = dt.datetime(2026, 5, 12, 1, 30, tzinfo=dt.UTC)
    clock.move_to(now)
    patient = PatientFactory(
        timezone="America/New_York", quiet_hours_start=dt.time(21), quiet_hours_end=dt.time(8)
    )
    appointment_for(patient, starts_at=now + 20 * H)  # 17:30 the next day
    plan_appointment_reminders(now)
    message = OutboundMessage.objects.get()
    assert message.send_after == dt.datetime(2026, 5, 12, 12, 0, tzinfo=dt.UTC)  # 08:00 EDT


def test_quiet_hours_are_read_in_the_patients_time_zone_not_the_clinics(clock):
    # 17:30 at the clinic in New York, 22:30 for a patient in London (quiet 22:00-07:00).
    now = dt.datetime(2026, 5, 12, 21, 30, tzinfo=dt.UTC)
    clock.move_to(now)
    patient = PatientFactory(
        timezone="Europe/London", quiet_hours_start=dt.time(22), quiet_hours_end=dt.time(7)
    )
    appointment_for(patient, starts_at=now + 24 * H)
    plan_appointment_reminders(now)
    message = OutboundMessage.objects.get()
    assert message.send_after == dt.datetime(2026, 5, 13, 6, 0, tzinfo=dt.UTC)  # 07:00 BST


def test_it_skips_a_reminder_whose_quiet_hours_end_after_the_appointment(clock):
    now = dt.datetime(2026, 5, 12, 1, 30, tzinfo=dt.UTC)  # 21:30 EDT
    clock.move_to(now)
    patient = PatientFactory(quiet_hours_start=dt.time(21), quiet_hours_end=dt.time(8))
    appointment_for(patient, starts_at=dt.datetime(2026, 5, 12, 11, 30, tzinfo=dt.UTC))  # 07:30
    assert plan_appointment_reminders(now) == 0


def test_cancelled_appointments_and_archived_patients_get_no_reminder(clock, now):
    appointment_for(starts_at=now + 5 * H, status=AppointmentStatus.CANCELLED)
    appointment_for(PatientFactory(archived_at=now), starts_at=now + 5 * H)
    assert plan_appointment_reminders(now) == 0


def test_a_reminder_is_cancelled_at_send_time_if_the_appointment_was_cancelled(
    clock, now, mailoutbox
):
    appt = appointment_for(starts_at=now + 5 * H)
    plan_appointment_reminders(now)
    appt.status = AppointmentStatus.CANCELLED
    appt.save()

    message = OutboundMessage.objects.get()
    assert send_message(message.pk) == SendResult.CANCELLED
    message.refresh_from_db()
    assert message.status == MessageStatus.CANCELLED
    assert "cancelled" in message.last_error.lower()
    assert message.attempts == 0  # nothing was attempted
    assert mailoutbox == []
