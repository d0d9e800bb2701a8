"""Start a real Celery worker process for a test, on the configured broker.

The worker runs the test settings against the *test* database (PostgreSQL in CI, the SQLite
test file otherwise), so tests that use it need ``transactional_db``: data they create is
committed and visible to the worker, and the worker's writes are visible to them.

Each worker consumes its own queue, so a stale message from another run can never reach it.
"""

import os
import subprocess
import sys
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from django.conf import settings
from django.db import connection

ROOT = Path(__file__).resolve().parent.parent


def test_database_url() -> str:
    db = connection.settings_dict
    if db["ENGINE"] == "django.db.backends.sqlite3":
        return f"sqlite:///{db['NAME']}"
    if db["ENGINE"] == "django.db.backends.postgresql":
        auth = db["USER"] or ""
        if db.get("PASSWORD"):
            auth += f":{db['PASSWORD']}"
        host = db["HOST"] or "localhost"
        port = db["PORT"] or 5432
        return f"postgres://{auth}@{host}:{port}/{db['NAME']}"
    raise RuntimeError(f"No worker database URL for {db['ENGINE']}")


@contextmanager
def celery_worker(
    *, queue: str | None = None, concurrency: int = 1, extra_env: dict[str, str] | None = None
) -> Iterator[str]:
    """Run ``celery worker`` consuming ``queue`` until the block ends; yields the queue name."""
    queue = queue or f"test-{uuid.uuid4().hex[:12]}"
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "careteam.settings.test",
        "DATABASE_URL": test_database_url(),
        "CELERY_DEFAULT_QUEUE": queue,
        "PYTHONUNBUFFERED": "1",
        **(extra_env or {}),
    }
    Path(settings.VAR_DIR).mkdir(parents=True, exist_ok=True)
    log_path = Path(settings.VAR_DIR) / f"worker-{queue}.log"
    log = log_path.open("w")
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "celery",
            "-A",
            "careteam",
            "worker",
            "-Q",
            queue,
            "-c",
            str(concurrency),
            "-n",
            f"{queue}@%h",
            "--without-gossip",
            "--without-mingle",
            "-l",
            "INFO",
        ],
        cwd=ROOT,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    try:
        _wait_for(lambda: "ready." in log_path.read_text(), timeout=60, proc=proc, log=log_path)
        yield queue
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
        log.close()


def _wait_for(
    check: Callable[[], bool], *, timeout: float, proc: Any = None, log: Path | None = None
) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if check():
            return
        if proc is not None and proc.poll() is not None:
            raise RuntimeError(f"Celery worker exited early:\n{log.read_text() if log else ''}")
        time.sleep(0.2)
    raise TimeoutError(f"Timed out after {timeout}s:\n{log.read_text()[-4000:] if log else ''}")


def wait_until(check: Callable[[], bool], *, timeout: float = 30) -> None:
    """Poll ``check`` until it is true (the worker is a separate process)."""
    _wait_for(check, timeout=timeout)
