"""Delivery against real components: a real SMTP server (aiosmtpd) on localhost and a real
Celery worker on the configured broker (Redis in CI, the filesystem broker locally).

The test process plans the reminders and dispatches them (``dispatch_due(queue=...)``); the
worker, a separate process with ``EMAIL_BACKEND`` = SMTP pointed at the test's server, claims
and sends them. Each email carries its idempotency key in ``X-CareTeam-Message-Key``.
"""

import datetime as dt
import email
import email.policy
import socket
import threading
import time
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager

import pytest
from aiosmtpd.controller import Controller
from django.utils import timezone

from apps.messaging.models import MessageStatus, OutboundMessage
from apps.messaging.services import MESSAGE_KEY_HEADER, dispatch_due, plan_appointment_reminders
from apps.messaging.tasks import send_message_task
from tests.celery_worker import celery_worker, wait_until
from tests.factories import AppointmentFactory, EpisodeFactory, PatientFactory

pytestmark = [pytest.mark.celery_worker, pytest.mark.django_db(transaction=True)]


class Collector:
    """An SMTP handler that keeps every message it accepts."""

    def __init__(self) -> None:
        self.messages: list[email.message.EmailMessage] = []
        self._lock = threading.Lock()

    async def handle_DATA(self, server, session, envelope) -> str:
        message = email.message_from_bytes(envelope.content, policy=email.policy.default)
        with self._lock:
            self.messages.append(message)  # type: ignore[arg-type]
        return "250 Message accepted for delivery"

    def keys(self) -> Counter[str]:
        with self._lock:
            return Counter(str(m[MESSAGE_KEY_HEADER]) for m in self.messages)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@contextmanager
def smtp_server(port: int) -> Iterator[Collector]:
    collector = Collector()
    controller = Controller(collector, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        yield collector
    finally:
        controller.stop()


def smtp_worker(port: int):
    return celery_worker(
        extra_env={
            "EMAIL_BACKEND": "django.core.mail.backends.smtp.EmailBackend",
            "EMAIL_HOST": "127.0.0.1",
            "EMAIL_PORT": str(port),
            "EMAIL_TIMEOUT": "5",
            "MESSAGE_RETRY_BASE_SECONDS": "1",
        }
    )


def plan_reminders_for(count: int) -> list[OutboundMessage]:
    for i in range(count):
        patient = PatientFactory(email=f"patient{i}@patient.example")
        AppointmentFactory(
            episode=EpisodeFactory(patient=patient),
            starts_at=timezone.now() + dt.timedelta(hours=20 + i),
        )
    assert plan_appointment_reminders() == count
    return list(OutboundMessage.objects.order_by("pk"))


def statuses() -> Counter[str]:
    return Counter(OutboundMessage.objects.values_list("status", flat=True))


def test_reminders_arrive_at_the_smtp_server_exactly_once_each():
    port = free_port()
    rows = plan_reminders_for(3)
    keys = {r.idempotency_key for r in rows}

    with smtp_server(port) as smtp, smtp_worker(port) as queue:
        assert len(dispatch_due(queue=queue)) == 3
        wait_until(lambda: statuses() == {"sent": 3}, timeout=30)
        wait_until(lambda: len(smtp.messages) == 3, timeout=10)

        # A second dispatch run finds nothing due; even a duplicate task for a sent row is a
        # no-op (the claim fails), so nothing more reaches the server.
        assert dispatch_due(queue=queue) == []
        send_message_task.apply_async(args=[rows[0].pk], queue=queue)
        time.sleep(2.5)
        assert smtp.keys() == Counter(dict.fromkeys(keys, 1))

    first = smtp.messages[0]
    assert first["To"].endswith("@patient.example")
    assert "reminder from your care team" in first.get_content()
    for row in OutboundMessage.objects.all():
        assert (row.status, row.attempts, row.last_error) == (MessageStatus.SENT, 1, "")
        assert row.sent_at is not None


def test_an_smtp_outage_is_retried_with_backoff_then_delivered_once():
    port = free_port()  # nothing listens on it yet: the SMTP server is down
    rows = plan_reminders_for(2)
    keys = {r.idempotency_key for r in rows}

    with smtp_worker(port) as queue:
        dispatch_due(queue=queue)

        def all_failed_once() -> bool:
            return all(
                r.status == MessageStatus.PENDING and r.attempts == 1 and r.last_error
                for r in OutboundMessage.objects.all()
            )

        wait_until(all_failed_once, timeout=30)
        for row in OutboundMessage.objects.all():
            assert (
                "Connection refused" in row.last_error or "ConnectionRefusedError" in row.last_error
            )
            assert row.send_after > row.claimed_at  # backoff: 1 s after the first attempt
            assert row.sent_at is None

        with smtp_server(port) as smtp:  # the server comes back on the same port
            latest = max(OutboundMessage.objects.values_list("send_after", flat=True))
            time.sleep(max(0.0, (latest - timezone.now()).total_seconds()) + 0.2)
            assert len(dispatch_due(queue=queue)) == 2
            wait_until(lambda: statuses() == {"sent": 2}, timeout=30)
            wait_until(lambda: len(smtp.messages) == 2, timeout=10)
            dispatch_due(queue=queue)
            time.sleep(1.5)
            assert smtp.keys() == Counter(dict.fromkeys(keys, 1))

    for row in OutboundMessage.objects.all():
        assert row.attempts == 2
