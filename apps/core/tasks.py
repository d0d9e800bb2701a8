"""Operational Celery tasks."""

from celery import shared_task
from django.db.models import F
from django.utils import timezone

from .models import WorkerHeartbeat


@shared_task(name="core.worker_heartbeat", ignore_result=True)
def worker_heartbeat() -> None:
    """Record that a worker is alive and consuming the queue (idempotent upsert)."""
    name = worker_heartbeat.request.hostname or "unknown"
    now = timezone.now()
    updated = WorkerHeartbeat.objects.filter(worker=name).update(
        last_seen=now, beats=F("beats") + 1
    )
    if not updated:
        WorkerHeartbeat.objects.get_or_create(worker=name, defaults={"last_seen": now, "beats": 1})


@shared_task(name="core.purge_idempotency_keys", ignore_result=True)
def purge_idempotency_keys() -> int:
    """Forget one-time submission keys past their retention (apps/core/idempotency.py)."""
    from .idempotency import idempotency_keys_purge

    return idempotency_keys_purge()
