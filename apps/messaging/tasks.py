"""Celery entry points for messaging: thin wrappers that take ids (or nothing) and call services.

Schedules (apps/core/schedules.py, editable in admin): plan_reminders every 5 minutes,
dispatch_due every minute, escalate every 5 minutes, send_daily_digests at 07:00 clinic time.
"""

import os
from typing import Any

from celery import shared_task
from django.utils import timezone

from . import services


@shared_task(name="messaging.plan_reminders", ignore_result=True)
def plan_reminders() -> dict[str, int]:
    """Plan appointment reminders and check-in invitations (idempotent)."""
    now = timezone.now()
    return {
        "appointment_reminders": services.plan_appointment_reminders(now),
        "checkins": services.plan_checkins(now),
    }


@shared_task(name="messaging.dispatch_due", ignore_result=True)
def dispatch_due(queue: str | None = None, batch_size: int | None = None) -> int:
    """Reclaim stale claims and enqueue ``messaging.send_message`` for every due row (or
    ``messaging.send_batch`` per ``batch_size`` rows: set ``{"batch_size": 50}`` in the
    schedule's keyword arguments in admin)."""
    return len(services.dispatch_due(queue=queue, batch_size=batch_size))


@shared_task(name="messaging.send_message", bind=True, acks_late=True, ignore_result=True)
def send_message_task(self: Any, message_id: int) -> str:
    """Send one message (claim, re-check, send, record).

    No Celery autoretry: the ``OutboundMessage`` row is the source of truth. A transient
    failure puts the row back to ``pending`` with a backoff ``send_after``, and the next
    ``dispatch_due`` enqueues it again; a Celery retry would keep a second, invisible schedule
    in the broker (lost on a broker flush, duplicated by a redelivery). ``acks_late``: if the
    worker dies, the broker redelivers the task; the claim makes that redelivery a no-op while
    the row is ``sending``, and ``reclaim_stale_claims`` releases the row after the timeout.
    """
    worker = f"{self.request.hostname or services.default_worker_name()}:{os.getpid()}"
    return services.send_message(message_id, worker=worker).value


@shared_task(name="messaging.send_batch", bind=True, acks_late=True, ignore_result=True)
def send_batch_task(self: Any, message_ids: list[int]) -> dict[str, int]:
    """Send a batch of messages over one email connection (``services.send_messages``): the
    batch claimed with one conditional UPDATE, then each row re-checked, sent and recorded in
    turn.

    ``acks_late``: if the worker dies, the broker redelivers the batch; its rows are still
    claimed, so the redelivery sends none of them twice, and ``reclaim_stale_claims`` puts
    the rows the dead worker had not sent back to pending.
    """
    worker = f"{self.request.hostname or services.default_worker_name()}:{os.getpid()}"
    return services.send_messages(message_ids, worker=worker)


@shared_task(name="messaging.send_daily_digests", ignore_result=True)
def send_daily_digests() -> int:
    """Plan today's digests; ``dispatch_due`` sends them within a minute."""
    return services.plan_daily_digests(timezone.localdate())


@shared_task(name="messaging.escalate", ignore_result=True)
def escalate() -> dict[str, int]:
    result = services.escalate()
    return {"flags": len(result.flags), "tasks": len(result.tasks)}
