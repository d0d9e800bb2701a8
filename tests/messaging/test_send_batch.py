"""send_messages / messaging.send_batch: a batch claimed with one conditional UPDATE, each row
re-checked, sent and recorded in turn over one email connection; dispatch_due(batch_size=…)."""

import datetime as dt
import smtplib

import pytest
from django.core import mail
from django.core.mail.backends.locmem import EmailBackend
from django.utils import timezone

from apps.messaging import services, tasks
from apps.messaging.models import MessageKind, MessageStatus, OutboundMessage
from apps.messaging.services import (
    MESSAGE_KEY_HEADER,
    SendResult,
    dispatch_due,
    send_message,
    send_messages,
)
from tests.factories import AppointmentFactory, EpisodeFactory, PatientFactory

pytestmark = pytest.mark.django_db

S = dt.timedelta(seconds=1)


def make_message(key, **fields):
    defaults = {
        "kind": MessageKind.DIGEST,
        "channel": "email",
        "to_address": f"{key}@clinic.example",
        "subject": "Hello",
        "body": "Body text",
        "send_after": timezone.now(),
    }
    return OutboundMessage.objects.create(idempotency_key=key, **{**defaults, **fields})


class CountingBackend(EmailBackend):
    """locmem, counting the connections opened and closed."""

    opened = 0
    closed = 0

    def open(self):
        if not getattr(self, "is_open", False):
            CountingBackend.opened += 1
            self.is_open = True
            return True
        return False

    def close(self):
        if getattr(self, "is_open", False):
            CountingBackend.closed += 1
        self.is_open = False


@pytest.fixture
def counting_backend(settings):
    settings.EMAIL_BACKEND = "tests.messaging.test_send_batch.CountingBackend"
    CountingBackend.opened = CountingBackend.closed = 0
    return CountingBackend


def statuses():
    return dict(OutboundMessage.objects.values_list("idempotency_key", "status"))


def test_a_batch_is_sent_over_one_connection_each_row_once(clock, counting_backend):
    rows = [make_message(f"m{i}") for i in range(5)]

    assert send_messages([r.pk for r in rows], worker="w1") == {"sent": 5}

    assert [m.extra_headers[MESSAGE_KEY_HEADER] for m in mail.outbox] == [
        r.idempotency_key for r in rows
    ]
    assert (counting_backend.opened, counting_backend.closed) == (1, 1)
    for row in OutboundMessage.objects.all():
        assert (row.status, row.attempts, row.sent_at) == (MessageStatus.SENT, 1, timezone.now())
        assert row.claimed_by.startswith("w1:")


def test_rows_not_due_done_or_held_by_another_worker_are_skipped(clock, mailoutbox):
    due = make_message("due")
    later = make_message("later", send_after=timezone.now() + S)
    done = make_message("done", status="sent", sent_at=timezone.now())
    held = make_message("held", status="sending", claimed_by="other", claimed_at=timezone.now())

    result = send_messages([due.pk, later.pk, done.pk, held.pk, due.pk])

    assert result == {"sent": 1, "skipped": 3}  # the repeated id counts once
    assert [m.to for m in mailoutbox] == [["due@clinic.example"]]
    assert statuses() == {"due": "sent", "later": "pending", "done": "sent", "held": "sending"}
    later.refresh_from_db()
    assert later.attempts == 0


def test_a_second_batch_with_the_same_ids_sends_nothing(clock, mailoutbox):
    rows = [make_message(f"m{i}") for i in range(3)]
    ids = [r.pk for r in rows]
    assert send_messages(ids) == {"sent": 3}
    assert send_messages(ids) == {"skipped": 3}  # a redelivered task: every claim fails
    assert send_message(ids[0]) == SendResult.SKIPPED
    assert len(mailoutbox) == 3


def test_rows_are_rechecked_after_the_claim_like_single_messages(clock, mailoutbox):
    patient = PatientFactory()
    archived = PatientFactory(archived_at=timezone.now())
    quiet = PatientFactory(quiet_hours_start=dt.time(9), quiet_hours_end=dt.time(12))
    episode = EpisodeFactory(patient=patient)
    in_30_hours = timezone.now() + dt.timedelta(hours=30)
    appointment = AppointmentFactory(episode=episode, starts_at=in_30_hours)
    cancelled = AppointmentFactory(episode=episode, starts_at=in_30_hours, status="cancelled")
    reminder = {"kind": MessageKind.APPOINTMENT_REMINDER, "patient": patient}
    ok = make_message("ok", appointment=appointment, **reminder)
    gone = make_message("gone", appointment=cancelled, **reminder)
    about_archived = make_message("archived", patient=archived)
    checkin, _ = services.checkin_create(patient=quiet, episode=None)
    deferred = make_message("quiet", kind=MessageKind.CHECKIN, patient=quiet, checkin=checkin)

    result = send_messages([ok.pk, gone.pk, about_archived.pk, deferred.pk])

    assert result == {"sent": 1, "cancelled": 2, "deferred": 1}
    assert [m.to for m in mailoutbox] == [["ok@clinic.example"]]
    gone.refresh_from_db()
    deferred.refresh_from_db()
    assert (gone.status, gone.attempts) == (MessageStatus.CANCELLED, 0)
    assert "cancelled" in gone.last_error
    assert (deferred.status, deferred.attempts) == (MessageStatus.PENDING, 0)
    assert deferred.send_after == dt.datetime(2026, 5, 12, 16, 0, tzinfo=dt.UTC)  # 12:00 EDT


def test_a_failure_is_recorded_on_its_row_and_the_next_email_reconnects(
    clock, monkeypatch, counting_backend, settings
):
    settings.MESSAGE_RETRY_BASE_SECONDS = 60
    rows = [make_message(f"m{i}") for i in range(4)]
    real_send = CountingBackend.send_messages
    failures = {
        "m1@clinic.example": smtplib.SMTPServerDisconnected("Connection unexpectedly closed"),
        "m2@clinic.example": smtplib.SMTPRecipientsRefused({"m2@clinic.example": (550, b"No")}),
    }

    def send_messages_or_fail(self, messages):
        exc = failures.get(messages[0].to[0])
        if exc is not None:
            raise exc
        return real_send(self, messages)

    monkeypatch.setattr(CountingBackend, "send_messages", send_messages_or_fail)

    assert send_messages([r.pk for r in rows]) == {"sent": 2, "retry": 1, "failed": 1}

    assert [m.to[0] for m in mail.outbox] == ["m0@clinic.example", "m3@clinic.example"]
    # Opened for m0; closed after each failure, so m2 and m3 each opened a fresh one.
    assert counting_backend.opened == 3
    by_key = {r.idempotency_key: r for r in OutboundMessage.objects.all()}
    assert by_key["m1"].status == MessageStatus.PENDING
    assert by_key["m1"].send_after == timezone.now() + 60 * S
    assert "SMTPServerDisconnected" in by_key["m1"].last_error
    assert (by_key["m2"].status, by_key["m2"].attempts) == (MessageStatus.FAILED, 1)
    assert {by_key["m0"].status, by_key["m3"].status} == {MessageStatus.SENT}


def test_sms_in_a_batch_use_the_sms_backend(clock, mailoutbox):
    from apps.messaging import sms

    text = make_message("text", channel="sms", to_address="+1 555 0100")
    email = make_message("email")
    assert send_messages([text.pk, email.pk]) == {"sent": 2}
    assert sms.outbox == [sms.SentSMS(to="+1 555 0100", body="Body text")]
    assert len(mailoutbox) == 1


def test_the_task_sends_the_batch_and_reports_the_outcomes(clock, mailoutbox):
    rows = [make_message(f"m{i}") for i in range(3)]
    assert tasks.send_batch_task([r.pk for r in rows]) == {"sent": 3}
    assert tasks.send_batch_task([r.pk for r in rows]) == {"skipped": 3}
    assert len(mailoutbox) == 3


@pytest.fixture
def enqueued(monkeypatch):
    calls = {"batch": [], "single": []}
    monkeypatch.setattr(
        tasks.send_batch_task,
        "apply_async",
        lambda args, queue=None: calls["batch"].append((args[0], queue)),
    )
    monkeypatch.setattr(
        tasks.send_message_task,
        "apply_async",
        lambda args, queue=None: calls["single"].append((args[0], queue)),
    )
    return calls


def test_dispatch_with_a_batch_size_enqueues_batches_on_commit(
    clock, enqueued, django_capture_on_commit_callbacks
):
    rows = [make_message(f"m{i}", send_after=timezone.now() - (10 - i) * S) for i in range(5)]
    make_message("later", send_after=timezone.now() + S)

    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        ids = dispatch_due(queue="q1", batch_size=2)
    assert enqueued == {"batch": [], "single": []}  # nothing leaves before the commit
    for callback in callbacks:
        callback()

    assert ids == [r.pk for r in rows]
    assert enqueued["batch"] == [
        ([rows[0].pk, rows[1].pk], "q1"),
        ([rows[2].pk, rows[3].pk], "q1"),
        ([rows[4].pk], "q1"),
    ]
    assert enqueued["single"] == []


def test_dispatch_batch_size_defaults_to_the_setting_else_one_task_per_message(
    clock, enqueued, django_capture_on_commit_callbacks, settings
):
    rows = [make_message(f"m{i}", send_after=timezone.now() - (10 - i) * S) for i in range(3)]
    with django_capture_on_commit_callbacks(execute=True):
        dispatch_due()
    assert enqueued["single"] == [(r.pk, None) for r in rows]

    OutboundMessage.objects.update(status="pending")
    enqueued["single"].clear()
    settings.MESSAGE_SEND_BATCH_SIZE = 50
    with django_capture_on_commit_callbacks(execute=True):
        dispatch_due()
    assert enqueued == {"batch": [([r.pk for r in rows], None)], "single": []}


def test_the_periodic_dispatch_task_passes_the_batch_size(
    clock, enqueued, django_capture_on_commit_callbacks
):
    row = make_message("m0")
    with django_capture_on_commit_callbacks(execute=True):
        assert tasks.dispatch_due(queue="q2", batch_size=10) == 1
    assert enqueued == {"batch": [([row.pk], "q2")], "single": []}
