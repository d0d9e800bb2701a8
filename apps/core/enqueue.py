"""Enqueueing Celery tasks from request handlers and services, safely.

Tasks are sent only after the transaction commits (so a worker never reads data that is not
there yet), and a broker outage never breaks the request that asked: the failure is logged and
the periodic jobs catch up (every job re-reads state from the database).
"""

import logging
from typing import Any

from django.db import transaction

logger = logging.getLogger(__name__)

# Publishing gives up quickly when the broker is down; the periodic jobs catch up.
PUBLISH_RETRY_POLICY = {
    "max_retries": 1,
    "interval_start": 0,
    "interval_step": 0.2,
    "interval_max": 0.5,
}


def send_task_now(name: str, *args: Any, **options: Any) -> bool:
    from careteam.celery import app

    options.setdefault("queue", app.conf.task_default_queue)
    try:
        app.send_task(name, args=args, retry=True, retry_policy=PUBLISH_RETRY_POLICY, **options)
    except Exception as exc:  # noqa: BLE001 - any broker failure degrades, never raises
        logger.warning("Could not enqueue %s%r: %s", name, args, exc.__class__.__name__)
        return False
    return True


def enqueue_on_commit(name: str, *args: Any, **options: Any) -> None:
    """Send task ``name`` with ids ``args`` once the current transaction commits.

    The same task with the same arguments is sent once per transaction, however many changes
    inside it asked for it (recording five assessments re-evaluates the patient once).
    """
    key = (name, args, tuple(sorted(options.items())))
    connection = transaction.get_connection()
    if connection.in_atomic_block and any(
        getattr(func, "careteam_task_key", None) == key for _, func, _ in connection.run_on_commit
    ):
        return

    def send() -> None:
        send_task_now(name, *args, **options)

    send.careteam_task_key = key  # type: ignore[attr-defined]
    transaction.on_commit(send)
