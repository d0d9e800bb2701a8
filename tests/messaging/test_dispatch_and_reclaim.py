"""reclaim_stale_claims and dispatch_due."""

import datetime as dt

import pytest
from django.utils import timezone

from apps.messaging import tasks
from apps.messaging.models import MessageKind, MessageStatus, OutboundMessage
from apps.messaging.services import dispatch_due, reclaim_stale_claims

pytestmark = pytest.mark.django_db

S = dt.timedelta(seconds=1)


def make_message(key, **fields):
    defaults = {
        "kind": MessageKind.DIGEST,
        "channel": "email",
        "to_address": "someone@clinic.example",
        "body": "Body",
        "send_after": timezone.now(),
    }
    return OutboundMessage.objects.create(idempotency_key=key, **{**defaults, **fields})


def sending(key, claimed_ago, **fields):
    return make_message(
        key,
        status="sending",
        claimed_at=timezone.now() - claimed_ago,
        claimed_by="dead-worker",
        attempts=1,
        **fields,
    )


def test_it_reclaims_claims_older_than_the_timeout(clock):
    stale = sending("stale", 301 * S)
    fresh = sending("fresh", 299 * S)

    assert reclaim_stale_claims() == 1

    stale.refresh_from_db()
    fresh.refresh_from_db()
    assert stale.status == MessageStatus.PENDING
    assert "Reclaimed" in stale.last_error
    assert fresh.status == MessageStatus.SENDING


def test_a_stale_claim_without_attempts_left_fails_instead(clock):
    poison = sending("poison", 600 * S, max_attempts=1)
    reclaim_stale_claims()
    poison.refresh_from_db()
    assert poison.status == MessageStatus.FAILED


@pytest.fixture
def enqueued(monkeypatch):
    calls = []
    monkeypatch.setattr(
        tasks.send_message_task,
        "apply_async",
        lambda args, queue=None: calls.append((args[0], queue)),
    )
    return calls


def test_dispatch_enqueues_due_pending_rows_on_commit(
    clock, enqueued, django_capture_on_commit_callbacks
):
    due = make_message("due", send_after=timezone.now() - 5 * S)
    stale = sending("stale", 400 * S)
    make_message("later", send_after=timezone.now() + S)
    make_message("sent", status="sent", sent_at=timezone.now())

    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        ids = dispatch_due(queue="q1")
    assert enqueued == []  # nothing leaves before the transaction commits
    for callback in callbacks:
        callback()

    assert ids == [due.pk, stale.pk]  # the stale claim was reclaimed first
    assert enqueued == [(due.pk, "q1"), (stale.pk, "q1")]


def test_dispatch_takes_a_batch_oldest_first(clock, enqueued, django_capture_on_commit_callbacks):
    rows = [make_message(f"m{i}", send_after=timezone.now() - (10 - i) * S) for i in range(5)]
    with django_capture_on_commit_callbacks(execute=True):
        ids = dispatch_due(limit=3)
    assert ids == [r.pk for r in rows[:3]]


def test_a_broker_outage_while_dispatching_is_logged_not_raised(
    clock, monkeypatch, django_capture_on_commit_callbacks, caplog
):
    from kombu.exceptions import OperationalError

    def broker_down(*args, **kwargs):
        raise OperationalError("Connection refused")

    monkeypatch.setattr(tasks.send_message_task, "apply_async", broker_down)
    make_message("due")
    with django_capture_on_commit_callbacks(execute=True):
        dispatch_due()
    assert "dispatch will retry" in caplog.text
    assert OutboundMessage.objects.get().status == MessageStatus.PENDING
