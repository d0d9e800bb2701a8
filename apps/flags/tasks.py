"""Celery jobs for the rules. Thin: they take ids, and the engine re-reads everything."""

import logging
from typing import Any

from celery import shared_task
from django.conf import settings
from django.db import InterfaceError, OperationalError

from apps.audit.context import RequestMeta, audit_context
from apps.core.enqueue import send_task_now

from . import engine

logger = logging.getLogger(__name__)

TRANSIENT = (OperationalError, InterfaceError)


@shared_task(
    name="flags.evaluate_all",
    ignore_result=True,
    autoretry_for=TRANSIENT,
    retry_backoff=True,
    retry_backoff_max=300,
    max_retries=5,
)
def evaluate_all(batch_size: int | None = None) -> int:
    """Split every active episode into batches and enqueue one job per batch, so the work
    spreads across all workers. Also resolves flags of patients with no active episode.

    Retried like the batches when the database connection is lost: otherwise the whole run
    would be lost until the next schedule. A retry is safe: every database read happens before
    the first batch is enqueued, and the resolving step is idempotent."""
    size = batch_size or settings.RULES_BATCH_SIZE
    with audit_context(RequestMeta(surface="job")):
        engine.resolve_flags_without_active_episode()
    ids = engine.active_episode_ids()
    batches = [ids[i : i + size] for i in range(0, len(ids), size)]
    for batch in batches:
        send_task_now("flags.evaluate_batch", batch)
    return len(batches)


@shared_task(
    name="flags.evaluate_batch",
    ignore_result=True,
    autoretry_for=TRANSIENT,
    retry_backoff=True,
    retry_backoff_max=300,
    max_retries=5,
)
def evaluate_batch(episode_ids: list[int]) -> dict[str, Any]:
    """Evaluate the rules for these episodes. Idempotent: a retry after a lost database
    connection re-reads state and creates no duplicate flags (one open flag per patient and
    rule is a database constraint)."""
    with audit_context(RequestMeta(surface="job")):
        return engine.evaluate_episodes(episode_ids).as_dict()


@shared_task(
    name="flags.evaluate_patient",
    ignore_result=True,
    autoretry_for=TRANSIENT,
    retry_backoff=True,
    max_retries=5,
)
def evaluate_patient(patient_id: int) -> dict[str, Any]:
    with audit_context(RequestMeta(surface="job")):
        return engine.evaluate_patient(patient_id).as_dict()
