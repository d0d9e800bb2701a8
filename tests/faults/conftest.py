"""Fixtures for the fault-injection suite (``make faults``): its own Redis, its own SMTP server,
Celery workers it can stop or kill, and the results table printed at the end.

The suite runs in its own pytest process with ``REDIS_URL`` pointing at the private Redis
(``FAULTS_REDIS_PORT``, default 6391), so that this process (the web app and the "beat" of the
scenarios) and the workers it starts use the broker the tests stop and start, never the Redis
other tests share. It needs PostgreSQL (``DATABASE_URL``): one scenario terminates the
workers' database connections with ``pg_terminate_backend``.
"""

import os
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from urllib.parse import urlparse

import pytest
from django.conf import settings
from django.db import connection

from faults import report
from faults.harness import RedisServer, SMTPServer, Worker, unique_queue, wait_for

_STARTED = time.monotonic()
FAULTS_REDIS_PORT = int(os.environ.get("FAULTS_REDIS_PORT", "6391"))


def _check_environment() -> None:
    if connection.vendor != "postgresql":
        pytest.fail(
            "The fault suite needs PostgreSQL: run it as "
            "`DATABASE_URL=postgres://USER@HOST:5432/NAME make faults`.",
            pytrace=False,
        )
    port = urlparse(settings.REDIS_URL).port if settings.REDIS_URL else None
    if port != FAULTS_REDIS_PORT:
        pytest.fail(
            f"REDIS_URL is {settings.REDIS_URL or 'unset'!r}, but the fault suite must use its "
            f"own Redis on port {FAULTS_REDIS_PORT} (it stops that server). Run `make faults`, "
            "which sets REDIS_URL for this pytest process.",
            pytrace=False,
        )


@pytest.fixture(scope="session")
def faults_log_dir() -> Path:
    path = Path(settings.VAR_DIR) / "faults"
    path.mkdir(parents=True, exist_ok=True)
    return path


@pytest.fixture(scope="session")
def _private_redis(django_db_setup, django_db_blocker, faults_log_dir) -> Iterator[RedisServer]:
    with django_db_blocker.unblock():
        _check_environment()
    server = RedisServer(FAULTS_REDIS_PORT, faults_log_dir)
    server.start()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture
def redis_server(_private_redis: RedisServer) -> Iterator[RedisServer]:
    """The private Redis, running; restarted after a test that left it stopped."""
    if not _private_redis.running:
        _private_redis.start()
    yield _private_redis
    if not _private_redis.running:
        _private_redis.start()


@pytest.fixture
def smtp() -> Iterator[SMTPServer]:
    server = SMTPServer()
    server.start()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture
def default_queue() -> Iterator[str]:
    """A queue unique to the test, made this process's default: tasks the code under test
    enqueues (``send_task_now``, ``apply_async`` without a queue) go to the test's workers."""
    from careteam.celery import app

    queue = unique_queue()
    old = app.conf.task_default_queue
    app.conf.task_default_queue = queue
    try:
        yield queue
    finally:
        app.conf.task_default_queue = old


WorkerFactory = Callable[..., Worker]


@pytest.fixture
def start_worker(
    redis_server: RedisServer, faults_log_dir: Path, transactional_db
) -> Iterator[WorkerFactory]:
    """``start_worker(name, queues=[...], default_queue=..., concurrency=1, env={...})``: a
    running worker on the private Redis and the test database; stopped when the test ends."""
    from tests.celery_worker import test_database_url

    started: list[Worker] = []

    def start(
        name: str,
        *,
        queues: list[str],
        default_queue: str | None = None,
        concurrency: int = 1,
        env: dict[str, str] | None = None,
    ) -> Worker:
        worker = Worker(
            name=f"{name}-{len(started)}-{os.getpid()}",
            queues=queues,
            default_queue=default_queue or queues[0],
            database_url=test_database_url(),
            log_dir=faults_log_dir,
            concurrency=concurrency,
            env={"REDIS_URL": redis_server.url, **(env or {})},
        )
        started.append(worker)
        return worker.start()

    yield start
    for worker in started:
        worker.stop()
    # The test database is flushed next: no worker may still hold a connection to it.
    wait_for(_no_other_backends, timeout=20, what="worker database connections to close")


def _no_other_backends() -> bool:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT count(*) FROM pg_stat_activity "
            "WHERE datname = current_database() AND pid <> pg_backend_pid()"
        )
        return cursor.fetchone()[0] == 0


def pytest_terminal_summary(terminalreporter, exitstatus, config) -> None:
    if not report.RESULTS:
        return
    runtime = time.monotonic() - _STARTED
    path = report.write_json(report.RESULTS, runtime_seconds=runtime)
    terminalreporter.section("fault scenarios")
    terminalreporter.write_line(report.table(report.RESULTS))
    terminalreporter.write_line("")
    terminalreporter.write_line(f"runtime {runtime:.0f}s; results written to {path}")
