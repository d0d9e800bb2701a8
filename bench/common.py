"""Shared helpers for the benchmark and the load test: paths, databases, processes, memory."""

from __future__ import annotations

import math
import os
import socket
import subprocess
import sys
import time
import uuid
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

ROOT = Path(__file__).resolve().parent.parent
TMP = ROOT / "bench" / "tmp"  # logs and scratch files (git-ignored)
PYTHON = sys.executable

# The PostgreSQL server (no database name) and the Redis database the benchmark may use.
PG_SERVER = os.environ.get("BENCH_PG", "postgres://postgres@127.0.0.1:5432")
REDIS_URL = os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379/11")


def log(message: str) -> None:
    print(f"[bench {time.strftime('%H:%M:%S')}] {message}", flush=True)


def database_url(name: str) -> str:
    parts = urlsplit(PG_SERVER)
    return urlunsplit((parts.scheme, parts.netloc, f"/{name}", "", ""))


def admin_connection() -> Any:
    import psycopg

    return psycopg.connect(database_url("postgres"), autocommit=True)


def recreate_database(name: str) -> None:
    """Drop and create an empty database (``WITH (FORCE)`` ends leftover sessions)."""
    from psycopg import sql

    with admin_connection() as conn:
        conn.execute(
            sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name))
        )
        conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))


def database_exists(name: str) -> bool:
    with admin_connection() as conn:
        row = conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone()
    return row is not None


def run_sql(name: str, statement: str) -> None:
    import psycopg

    with psycopg.connect(database_url(name), autocommit=True) as conn:
        conn.execute(statement)


def django_env(db_name: str, **extra: str) -> dict[str, str]:
    """Environment for a Django process on the benchmark database (production-like settings)."""
    return {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "bench.settings",
        "DATABASE_URL": database_url(db_name),
        "REDIS_URL": REDIS_URL,
        # Tasks the app enqueues go to a queue of this run only, never to a shared one.
        "CELERY_DEFAULT_QUEUE": f"bench-{uuid.uuid4().hex[:10]}",
        "PYTHONPATH": str(ROOT),
        "PYTHONUNBUFFERED": "1",
        **extra,
    }


def manage(db_name: str, *args: str, env: dict[str, str] | None = None) -> None:
    subprocess.run(  # noqa: S603 - our own interpreter and manage.py
        [PYTHON, "manage.py", *args], cwd=ROOT, env=env or django_env(db_name), check=True
    )


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def wait_for(check: Callable[[], bool], *, timeout: float, what: str, proc: Any = None) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if check():
            return
        if proc is not None and proc.poll() is not None:
            raise RuntimeError(f"{what}: the process exited (code {proc.returncode})")
        time.sleep(0.1)
    raise TimeoutError(f"{what}: not ready after {timeout:.0f} s")


def stop(proc: subprocess.Popen[Any], timeout: float = 20) -> None:
    """Stop a process we started (SIGTERM, then SIGKILL), by its own id."""
    if proc.poll() is not None:
        return
    proc.terminate()
    try:
        proc.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()


# --- memory -------------------------------------------------------------------------------------


def _status_kib(pid: int, field: str) -> int:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith(field + ":"):
                return int(line.split()[1])
    except (FileNotFoundError, ProcessLookupError, ValueError):
        pass
    return 0


def peak_rss_mib(pid: int) -> float:
    """VmHWM (peak resident set size) of one process, in MiB."""
    return _status_kib(pid, "VmHWM") / 1024


def children(pid: int) -> list[int]:
    found: list[int] = []
    for task in Path(f"/proc/{pid}/task").glob("*"):
        try:
            found += [int(c) for c in (task / "children").read_text().split()]
        except (FileNotFoundError, ProcessLookupError):
            continue
    return found


def tree_peak_rss_mib(pid: int) -> dict[str, float]:
    """Peak RSS of a process and of each of its children (e.g. Celery's prefork pool)."""
    peaks = {"parent": peak_rss_mib(pid)}
    for i, child in enumerate(children(pid)):
        peaks[f"child{i + 1}"] = peak_rss_mib(child)
    return peaks


# --- statistics ---------------------------------------------------------------------------------


def percentile(values: Sequence[float], q: float) -> float:
    """The q-th percentile (0-100), linear interpolation between closest ranks."""
    ordered = sorted(values)
    if not ordered:
        return math.nan
    k = (len(ordered) - 1) * q / 100
    lo, hi = math.floor(k), math.ceil(k)
    return ordered[lo] + (ordered[hi] - ordered[lo]) * (k - lo)


def summary_ms(values: Sequence[float]) -> dict[str, float]:
    """Median, p95, min and max of durations given in seconds, in milliseconds."""
    return {
        "median_ms": round(percentile(values, 50) * 1000, 1),
        "p95_ms": round(percentile(values, 95) * 1000, 1),
        "min_ms": round(min(values) * 1000, 1),
        "max_ms": round(max(values) * 1000, 1),
        "n": len(values),
    }


def machine() -> dict[str, Any]:
    info: dict[str, Any] = {"cpus": os.cpu_count(), "python": sys.version.split()[0]}
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                info["cpu"] = line.split(":", 1)[1].strip()
                break
        mem = _meminfo_kib("MemTotal")
        info["memory_gib"] = round(mem / 1024 / 1024, 1)
        info["load_average"] = [round(x, 2) for x in os.getloadavg()]
    except OSError:
        pass
    try:
        with admin_connection() as conn:
            row = conn.execute("SHOW server_version").fetchone()
            info["postgresql"] = row[0] if row else ""
    except Exception:  # noqa: BLE001 - informational only
        info["postgresql"] = "unknown"
    return info


def _meminfo_kib(field: str) -> int:
    for line in Path("/proc/meminfo").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1])
    return 0


def delete_queue(queue: str) -> None:
    """Remove a Celery queue of this run from Redis (and kombu's binding keys)."""
    import redis

    client = redis.Redis.from_url(REDIS_URL)
    client.delete(queue, f"_kombu.binding.{queue}", f"_kombu.binding_permanent.{queue}")
    client.close()
