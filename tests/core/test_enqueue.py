"""Tasks are enqueued after commit, once per transaction, and never break the caller."""

import pytest
from django.db import transaction

from apps.core import enqueue

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def sent(monkeypatch):
    calls = []
    monkeypatch.setattr(
        enqueue, "send_task_now", lambda name, *args, **options: calls.append((name, args))
    )
    return calls


def test_nothing_is_sent_before_the_commit_and_nothing_after_a_rollback(sent):
    with transaction.atomic():
        enqueue.enqueue_on_commit("flags.evaluate_patient", 1)
        assert sent == []
    assert sent == [("flags.evaluate_patient", (1,))]

    with pytest.raises(RuntimeError), transaction.atomic():
        enqueue.enqueue_on_commit("flags.evaluate_patient", 2)
        raise RuntimeError("rolled back")
    assert sent == [("flags.evaluate_patient", (1,))]


def test_the_same_task_is_sent_once_per_transaction(sent):
    with transaction.atomic():
        for _ in range(5):
            enqueue.enqueue_on_commit("flags.evaluate_patient", 7)
        enqueue.enqueue_on_commit("flags.evaluate_patient", 8)
    assert sent == [("flags.evaluate_patient", (7,)), ("flags.evaluate_patient", (8,))]


def _reset_pools(app):
    # Celery caches the connection and producer pools on first use.
    app._pool = None
    app.amqp._producer_pool = None


def test_a_broker_outage_does_not_reach_the_caller():
    from careteam.celery import app

    old = app.conf.broker_url
    _reset_pools(app)
    app.conf.broker_url = "redis://127.0.0.1:1/0"  # nothing listens on port 1
    try:
        assert enqueue.send_task_now("flags.evaluate_patient", 1) is False
    finally:
        app.conf.broker_url = old
        _reset_pools(app)
