"""A real gunicorn serving the benchmark database, and timed requests against it."""

from __future__ import annotations

import re
import subprocess
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import requests

from bench.common import PYTHON, ROOT, TMP, children, free_port, stop, wait_for

CSRF_INPUT = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')
SERVER_TIMING = re.compile(r"app;dur=([0-9.]+)")


@contextmanager
def gunicorn(
    env: dict[str, str],
    *,
    workers: int = 1,
    worker_class: str = "sync",
    threads: int = 1,
    keep_alive: int = 2,
) -> Iterator[tuple[str, subprocess.Popen[Any]]]:
    """Start ``gunicorn careteam.wsgi`` on a free port; yields (base URL, master process).

    ``keep_alive``: seconds an idle connection stays open (gunicorn's default is 2)."""
    port = free_port()
    TMP.mkdir(parents=True, exist_ok=True)
    log_path = TMP / f"gunicorn-{port}.log"
    with log_path.open("w") as log:
        proc = subprocess.Popen(  # noqa: S603 - our own interpreter and arguments
            [
                PYTHON,
                "-m",
                "gunicorn",
                "careteam.wsgi",
                "--bind",
                f"127.0.0.1:{port}",
                "--workers",
                str(workers),
                "--worker-class",
                worker_class,
                "--threads",
                str(threads),
                "--timeout",
                "300",
                "--keep-alive",
                str(keep_alive),
                "--log-level",
                "warning",
            ],
            cwd=ROOT,
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        base = f"http://127.0.0.1:{port}"
        try:
            wait_for(lambda: _answers(base), timeout=60, what="gunicorn", proc=proc)
            yield base, proc
        finally:
            stop(proc)


def _answers(base: str) -> bool:
    try:
        return requests.get(f"{base}/accounts/login/", timeout=5).status_code == 200
    except requests.RequestException:
        return False


def login(base: str, username: str, password: str) -> requests.Session:
    """Sign in through the login form (CSRF token from the page, session cookie kept)."""
    session = requests.Session()
    page = session.get(f"{base}/accounts/login/", timeout=30)
    match = CSRF_INPUT.search(page.text)
    if match is None:
        raise RuntimeError("No CSRF token on the login page")
    response = session.post(
        f"{base}/accounts/login/",
        data={"username": username, "password": password, "csrfmiddlewaretoken": match[1]},
        headers={"Referer": f"{base}/accounts/login/"},
        allow_redirects=False,
        timeout=30,
    )
    if response.status_code != 302:
        raise RuntimeError(f"Login as {username} failed: HTTP {response.status_code}")
    return session


def timed_get(session: requests.Session, url: str) -> dict[str, Any]:
    """One GET: the server's own time (Server-Timing), the client's, SQL statements, size."""
    start = time.perf_counter()
    response = session.get(url, timeout=300)
    size = len(response.content)
    client = time.perf_counter() - start
    if response.status_code != 200:
        raise RuntimeError(f"GET {url}: HTTP {response.status_code}")
    match = SERVER_TIMING.search(response.headers.get("Server-Timing", ""))
    return {
        "server": float(match[1]) / 1000 if match else None,
        "client": client,
        "queries": int(response.headers.get("X-Bench-Queries", "0") or 0),
        "bytes": size,
    }


def worker_pids(master: subprocess.Popen[Any]) -> list[int]:
    return children(master.pid)
