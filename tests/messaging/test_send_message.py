"""send_message: claim with a conditional UPDATE, re-check, send, record; retries with backoff."""

import datetime as dt
import smtplib

import pytest
from django.core.mail.backends.locmem import EmailBackend
from django.utils import timezone

from apps.messaging import services, sms
from apps.messaging.models import MessageKind, MessageStatus, OutboundMessage
from apps.messaging.services import MESSAGE_KEY_HEADER, SendResult, send_message
from tests.factories import PatientFactory

pytestmark = pytest.mark.django_db

S = dt.timedelta(seconds=1)


def make_message(**fields):
    defaults = {
        "idempotency_key": "test:1",
        "kind": MessageKind.DIGEST,
        "channel": "email",
        "to_address": "someone@clinic.example",
        "subject": "Hello",
        "body": "Body text",
        "send_after": timezone.now(),
    }
    return OutboundMessage.objects.create(**{**defaults, **fields})


def fail_with(monkeypatch, exc):
    def send_messages(self, messages):
        raise exc

    monkeypatch.setattr(EmailBackend, "send_messages", send_messages)


def test_it_sends_a_due_email_and_records_it(clock, mailoutbox):
    message = make_message()
    assert send_message(message.pk, worker="w1") == SendResult.SENT
    message.refresh_from_db()
    assert message.status == MessageStatus.SENT
    assert message.sent_at == timezone.now()
    assert message.attempts == 1
    assert message.claimed_by.startswith("w1:")
    [email] = mailoutbox
    assert (email.subject, email.body, email.to) == (
        "Hello",
        "Body text",
        ["someone@clinic.example"],
    )
    assert email.extra_headers[MESSAGE_KEY_HEADER] == "test:1"


def test_it_sends_sms_with_the_configured_backend(clock):
    message = make_message(channel="sms", to_address="+1 555 0100")
    assert send_message(message.pk) == SendResult.SENT
    assert sms.outbox == [sms.SentSMS(to="+1 555 0100", body="Body text")]


def test_a_message_not_yet_due_or_already_sent_is_not_claimed(clock, mailoutbox):
    later = make_message(idempotency_key="later", send_after=timezone.now() + S)
    done = make_message(idempotency_key="done", status="sent", sent_at=timezone.now())
    assert send_message(later.pk) == SendResult.SKIPPED
    assert send_message(done.pk) == SendResult.SKIPPED
    assert mailoutbox == []
    later.refresh_from_db()
    assert (later.status, later.attempts) == (MessageStatus.PENDING, 0)


def test_two_workers_claim_with_a_conditional_update_and_only_one_sends(
    clock, monkeypatch, mailoutbox
):
    message = make_message()
    second_worker = []
    real_deliver = services._deliver

    def deliver_while_another_worker_tries(msg):
        # While worker 1 holds the claim, worker 2 gets the same id from the queue.
        second_worker.append(send_message(msg.pk, worker="w2"))
        real_deliver(msg)

    monkeypatch.setattr(services, "_deliver", deliver_while_another_worker_tries)
    assert send_message(message.pk, worker="w1") == SendResult.SENT
    assert second_worker == [SendResult.SKIPPED]
    assert len(mailoutbox) == 1
    message.refresh_from_db()
    assert message.attempts == 1


def test_a_transient_failure_retries_with_exponential_backoff_then_fails(
    clock, monkeypatch, settings, mailoutbox
):
    settings.MESSAGE_RETRY_BASE_SECONDS = 60
    fail_with(monkeypatch, smtplib.SMTPServerDisconnected("Connection unexpectedly closed"))
    message = make_message(max_attempts=3)

    for attempt, backoff in ((1, 60), (2, 120)):
        assert send_message(message.pk) == SendResult.RETRY
        message.refresh_from_db()
        assert message.status == MessageStatus.PENDING
        assert message.attempts == attempt
        assert message.send_after == timezone.now() + backoff * S
        assert "SMTPServerDisconnected" in message.last_error
        assert send_message(message.pk) == SendResult.SKIPPED  # not due during the backoff
        clock.shift(backoff * S)

    assert send_message(message.pk) == SendResult.FAILED
    message.refresh_from_db()
    assert (message.status, message.attempts) == (MessageStatus.FAILED, 3)
    assert "Connection unexpectedly closed" in message.last_error
    assert mailoutbox == []


@pytest.mark.parametrize(
    "exc",
    [
        ConnectionRefusedError(111, "Connection refused"),
        TimeoutError("timed out"),
        OSError("net down"),
    ],
)
def test_network_errors_are_transient(clock, monkeypatch, exc):
    fail_with(monkeypatch, exc)
    message = make_message()
    assert send_message(message.pk) == SendResult.RETRY


@pytest.mark.parametrize(
    "exc",
    [
        ValueError("Invalid address"),
        smtplib.SMTPRecipientsRefused({"x@y": (550, b"No such user")}),
    ],
)
def test_a_non_transient_error_fails_at_once(clock, monkeypatch, exc):
    fail_with(monkeypatch, exc)
    message = make_message()
    assert send_message(message.pk) == SendResult.FAILED
    message.refresh_from_db()
    assert (message.status, message.attempts) == (MessageStatus.FAILED, 1)
    assert type(exc).__name__ in message.last_error


def test_a_malformed_address_fails_at_once_without_sending(clock, mailoutbox):
    message = make_message(to_address="someone@clinic.example\nBcc: everyone@clinic.example")
    assert send_message(message.pk) == SendResult.FAILED
    assert mailoutbox == []


def test_a_patient_message_inside_quiet_hours_waits_without_using_an_attempt(clock):
    # 10:00 in New York: the patient has since set quiet hours 09:00-12:00.
    patient = PatientFactory(quiet_hours_start=dt.time(9), quiet_hours_end=dt.time(12))
    message = make_message(kind=MessageKind.CHECKIN, patient=patient)
    message.checkin = services.checkin_create(patient=patient, episode=None)[0]
    message.save()

    assert send_message(message.pk) == SendResult.DEFERRED
    message.refresh_from_db()
    assert (message.status, message.attempts) == (MessageStatus.PENDING, 0)
    assert message.send_after == dt.datetime(2026, 5, 12, 16, 0, tzinfo=dt.UTC)  # 12:00 EDT


def test_messages_about_an_archived_patient_are_cancelled(clock, mailoutbox):
    patient = PatientFactory(archived_at=timezone.now())
    message = make_message(patient=patient)
    assert send_message(message.pk) == SendResult.CANCELLED
    assert mailoutbox == []


def test_a_check_in_invitation_already_used_is_cancelled(clock, mailoutbox):
    patient = PatientFactory()
    checkin, _ = services.checkin_create(patient=patient, episode=None)
    checkin.used_at = timezone.now()
    checkin.save()
    message = make_message(kind=MessageKind.CHECKIN, patient=patient, checkin=checkin)
    assert send_message(message.pk) == SendResult.CANCELLED
    assert mailoutbox == []
