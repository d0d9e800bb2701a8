"""The worker's database connections are terminated in the middle of a rule run.

From this process: ``SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname =
current_database() AND pid <> pg_backend_pid()`` — every connection to the test database but
ours, i.e. the workers'. To make the kill land at a known point, this process first takes an
``ACCESS EXCLUSIVE`` lock on a table the job is about to use, waits until a worker's query is
blocked on it, terminates, then releases the lock:

1. while ``flags.evaluate_all`` (the job that splits the run into batches) reads the flags;
2. in the middle of a batch's transaction, after it has inserted its new flags and their tasks,
   as it writes the audit events — the transaction is rolled back by the server.

Shows: the job and the batch are retried (``autoretry_for`` OperationalError/InterfaceError),
the run completes, no (patient, rule) has more than one open flag, no flag has two tasks, and
the flags equal those of a clean run on the same data.
"""

import re
import time
from contextlib import contextmanager

import pytest
from django.db import connection, transaction

from apps.assessments.services import assessment_record
from apps.audit.models import AuditEvent
from apps.core.enqueue import send_task_now
from apps.flags.models import Flag
from careteam.celery import app
from faults import report
from faults.harness import unique_queue, wait_for
from faults.scenario import (
    chronic_episodes,
    clean_run_flags,
    duplicate_flag_tasks,
    duplicate_open_flags,
    open_flags,
    staffed_team,
)
from tests.factories import ClinicianFactory

pytestmark = [pytest.mark.faults, pytest.mark.django_db(transaction=True)]

EPISODES = 160
BATCH = 10
SELF_HARM = 8  # patients whose PHQ-9 raises an urgent flag (and emails to the team)
TERMINATE = (
    "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
    "WHERE datname = current_database() AND pid <> pg_backend_pid()"
)


def _blocked_queries() -> list[str]:
    with connection.cursor() as cursor:
        # Statistics views are read once per transaction unless the snapshot is cleared.
        cursor.execute("SELECT pg_stat_clear_snapshot()")
        cursor.execute(
            "SELECT query FROM pg_stat_activity WHERE datname = current_database() "
            "AND pid <> pg_backend_pid() AND wait_event_type = 'Lock'"
        )
        return [row[0] for row in cursor.fetchall()]


@contextmanager
def table_locked(model):
    """Hold an ACCESS EXCLUSIVE lock on ``model``'s table (everyone else's use of it waits)."""
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(f'LOCK TABLE "{model._meta.db_table}" IN ACCESS EXCLUSIVE MODE')
        yield cursor


def _terminate_when_blocked(cursor, what: str, match: str) -> int:
    wait_for(
        lambda: any(match in q for q in _blocked_queries()), timeout=60, what=what, interval=0.05
    )
    cursor.execute(TERMINATE)
    return len(cursor.fetchall())


def _batches_succeeded(log: str) -> set[str]:
    return set(re.findall(r"Task flags\.evaluate_batch\[([0-9a-f-]+)\] succeeded", log))


def test_worker_db_connections_terminated_during_a_rule_run(
    redis_server, start_worker, default_queue
):
    team = staffed_team("Terminate team")
    episodes = chronic_episodes(team, EPISODES)
    nurse = ClinicianFactory(username="terminate_nurse", discipline="nurse")
    # Recording enqueues a re-evaluation of the patient; send those to a queue nobody
    # consumes, so that the rule run below is the only evaluation.
    app.conf.task_default_queue = unique_queue("unused")
    try:
        for episode in episodes[:SELF_HARM]:
            assessment_record(
                actor=nurse,
                patient=episode.patient,
                instrument="phq9",
                answers={"items": [2, 2, 2, 1, 1, 1, 1, 0, 1]},
            )
    finally:
        app.conf.task_default_queue = default_queue
    assert not Flag.objects.exists()
    batches = -(-EPISODES // BATCH)

    worker = start_worker("db", queues=[default_queue], concurrency=2)
    terminated = 0

    # 1. Kill the connection of the job that splits the run, while it reads the flags.
    with table_locked(Flag) as cursor:
        assert send_task_now("flags.evaluate_all", BATCH)
        terminated += _terminate_when_blocked(cursor, "evaluate_all to block", "flags_flag")

    # 2. Once part of the run is done, kill connections in the middle of a batch transaction
    #    (its flags and tasks are written; the audit events are next).
    wait_for(
        lambda: len(_batches_succeeded(worker.log())) >= 3, timeout=90, what="the first batches"
    )
    with table_locked(AuditEvent) as cursor:
        done_before = len(_batches_succeeded(worker.log()))
        terminated += _terminate_when_blocked(
            cursor, "a batch to block on its audit insert", AuditEvent._meta.db_table
        )
    assert done_before < batches, "the run finished before the fault: make it longer"

    wait_for(
        lambda: len(_batches_succeeded(worker.log())) == batches,
        timeout=120,
        what=f"all {batches} batches to succeed",
    )
    time.sleep(1)
    log = worker.log()
    retries = len(re.findall(r"flags\.evaluate_(?:all|batch)\[[^\]]+\] retry: Retry in", log))
    all_retried = bool(re.search(r"flags\.evaluate_all\[[^\]]+\] retry: Retry in", log))

    present = open_flags()
    result = report.flag_row(
        "worker DB connections terminated",
        expected=clean_run_flags(),
        present=present,
        details={
            "episodes": EPISODES,
            "batches": batches,
            "connections_terminated": terminated,
            "task_retries": retries,
            "evaluate_all_retried": all_retried,
            "batches_done_before_2nd_kill": done_before,
        },
    )
    assert all_retried and retries >= 2, log[-3000:]
    assert result.lost == 0 and result.duplicated == 0, result
    assert result.delivered == result.expected
    assert duplicate_open_flags() == 0
    assert duplicate_flag_tasks() == 0
    assert {"team_gap", "self_harm_risk"} <= {code for _, code, *_ in present}
