"""Batched delivery against real components: ``dispatch_due(batch_size=…)`` enqueues
``messaging.send_batch`` tasks; a real Celery worker (two processes) sends them to a real SMTP
server on localhost (aiosmtpd). Every reminder arrives exactly once, also when the same batch
is delivered to the worker again."""

import time
from collections import Counter

import pytest

from apps.messaging.models import MessageStatus, OutboundMessage
from apps.messaging.services import dispatch_due
from apps.messaging.tasks import send_batch_task
from tests.celery_worker import celery_worker, wait_until
from tests.messaging.test_delivery_integration import (
    free_port,
    plan_reminders_for,
    smtp_server,
    statuses,
)

pytestmark = [pytest.mark.celery_worker, pytest.mark.django_db(transaction=True)]


def test_batches_reach_the_smtp_server_exactly_once_each():
    port = free_port()
    rows = plan_reminders_for(7)
    keys = {r.idempotency_key for r in rows}
    worker = celery_worker(
        concurrency=2,
        extra_env={
            "EMAIL_BACKEND": "django.core.mail.backends.smtp.EmailBackend",
            "EMAIL_HOST": "127.0.0.1",
            "EMAIL_PORT": str(port),
            "EMAIL_TIMEOUT": "5",
        },
    )

    with smtp_server(port) as smtp, worker as queue:
        assert len(dispatch_due(queue=queue, batch_size=3)) == 7  # batches of 3, 3 and 1
        wait_until(lambda: statuses() == {"sent": 7}, timeout=30)
        wait_until(lambda: len(smtp.messages) == 7, timeout=10)

        # The same batch delivered again (a broker redelivery): every claim fails.
        send_batch_task.apply_async(args=[[r.pk for r in rows[:3]]], queue=queue)
        time.sleep(2.5)
        assert smtp.keys() == Counter(dict.fromkeys(keys, 1))

    for row in OutboundMessage.objects.all():
        assert (row.status, row.attempts, row.last_error) == (MessageStatus.SENT, 1, "")
