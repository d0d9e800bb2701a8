"""Real components the fault suite can break on purpose: its own Redis, its own SMTP server and
Celery worker processes that can be stopped, restarted or killed with SIGKILL.

Nothing here touches the services other tests use: the Redis server listens on its own port
(``FAULTS_REDIS_PORT``), the SMTP server on a free port, and every worker consumes queues whose
names are unique to the test.
"""

from __future__ import annotations

import asyncio
import contextlib
import email
import email.policy
import os
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
import uuid
from collections import Counter
from collections.abc import Callable, Iterable, Mapping
from pathlib import Path
from typing import Any

from aiosmtpd.controller import Controller

ROOT = Path(__file__).resolve().parent.parent
MESSAGE_KEY_HEADER = "X-CareTeam-Message-Key"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def port_is_open(port: int, host: str = "127.0.0.1") -> bool:
    with socket.socket() as s:
        s.settimeout(0.5)
        return s.connect_ex((host, port)) == 0


def wait_for(
    check: Callable[[], bool], *, timeout: float, what: str, interval: float = 0.2
) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if check():
            return
        time.sleep(interval)
    raise TimeoutError(f"Timed out after {timeout:.0f}s waiting for {what}")


# --- Redis ----------------------------------------------------------------------------------------


class RedisServer:
    """A private ``redis-server`` (no persistence) that a test can stop and start again.

    Without persistence a restart empties it, as a crashed or replaced broker would: every task
    message that was waiting in a queue is gone, so recovery must come from the database.
    """

    def __init__(self, port: int, log_dir: Path) -> None:
        self.port = port
        self.log_path = log_dir / f"redis-{port}.log"
        self.proc: subprocess.Popen[bytes] | None = None
        self.binary = shutil.which("redis-server")
        if self.binary is None:
            raise RuntimeError("redis-server is not on PATH (Debian: apt-get install redis-server)")

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def ping(self) -> bool:
        try:
            with socket.create_connection(("127.0.0.1", self.port), timeout=0.5) as s:
                s.sendall(b"PING\r\n")
                return s.recv(16).startswith(b"+PONG")
        except OSError:
            return False

    def start(self) -> None:
        if port_is_open(self.port):
            raise RuntimeError(
                f"Port {self.port} is already in use: the fault suite needs its own Redis there "
                "(set FAULTS_REDIS_PORT to a free port)."
            )
        assert self.binary is not None
        with self.log_path.open("ab") as log:
            self.proc = subprocess.Popen(  # noqa: S603 - fixed arguments
                [
                    self.binary,
                    "--port",
                    str(self.port),
                    "--bind",
                    "127.0.0.1",
                    "--save",
                    "",
                    "--appendonly",
                    "no",
                    "--daemonize",
                    "no",
                ],
                stdout=log,
                stderr=subprocess.STDOUT,
            )
        wait_for(self.ping, timeout=15, what=f"redis-server on port {self.port}")

    def stop(self) -> None:
        if self.proc is None:
            return
        self.proc.terminate()
        try:
            self.proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
        self.proc = None
        wait_for(lambda: not port_is_open(self.port), timeout=10, what="redis-server to stop")

    @property
    def running(self) -> bool:
        return self.proc is not None and self.proc.poll() is None


# --- SMTP -----------------------------------------------------------------------------------------


class RecordingHandler:
    """Accepts every message and records its ``X-CareTeam-Message-Key``.

    ``delay`` seconds pass between the end of DATA and the "250 accepted" reply (a slow mail
    server). A message counts as delivered only if the reply could be sent: a client that died
    during the delay never got its 250, and SMTP does not deliver such a message.
    """

    def __init__(self) -> None:
        self.delay = 0.0
        self.keys: Counter[str] = Counter()
        self.aborted: Counter[str] = Counter()
        self.in_flight: dict[int, float] = {}
        self._lock = threading.Lock()
        self._seq = 0

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        message = email.message_from_bytes(envelope.content, policy=email.policy.default)
        key = str(message[MESSAGE_KEY_HEADER])
        with self._lock:
            self._seq += 1
            token = self._seq
            self.in_flight[token] = time.monotonic()
        try:
            if self.delay:
                await asyncio.sleep(self.delay)
            if server.transport is None or server.transport.is_closing():
                with self._lock:
                    self.aborted[key] += 1
                return "451 Client went away"
            with self._lock:
                self.keys[key] += 1
            return "250 Message accepted for delivery"
        except asyncio.CancelledError:
            with self._lock:
                self.aborted[key] += 1
            raise
        finally:
            with self._lock:
                self.in_flight.pop(token, None)

    def delivered(self) -> Counter[str]:
        with self._lock:
            return Counter(self.keys)

    def in_flight_ages(self) -> list[float]:
        now = time.monotonic()
        with self._lock:
            return [now - started for started in self.in_flight.values()]


class SMTPServer:
    """An aiosmtpd server on a fixed local port, which a test can stop (connections are then
    refused) and start again on the same port."""

    def __init__(self, port: int | None = None) -> None:
        self.port = port or free_port()
        self.handler = RecordingHandler()
        self._controller: Controller | None = None

    def start(self) -> None:
        self._controller = Controller(self.handler, hostname="127.0.0.1", port=self.port)
        self._controller.start()

    def stop(self) -> None:
        if self._controller is not None:
            self._controller.stop()
            self._controller = None

    @property
    def running(self) -> bool:
        return self._controller is not None

    def env(self) -> dict[str, str]:
        """Worker settings that send email to this server."""
        return {
            "EMAIL_BACKEND": "django.core.mail.backends.smtp.EmailBackend",
            "EMAIL_HOST": "127.0.0.1",
            "EMAIL_PORT": str(self.port),
            "EMAIL_TIMEOUT": "5",
        }


# --- Celery workers -------------------------------------------------------------------------------


class Worker:
    """A ``celery worker`` process (with its pool children) in its own process group.

    ``stop()`` is a warm shutdown (SIGTERM); ``kill()`` sends SIGKILL to the whole group, as when
    a machine or a container dies: nothing is acknowledged, nothing is written on the way out.
    """

    def __init__(
        self,
        *,
        name: str,
        queues: Iterable[str],
        default_queue: str,
        database_url: str,
        log_dir: Path,
        concurrency: int = 1,
        env: Mapping[str, str] | None = None,
    ) -> None:
        self.name = name
        self.queues = list(queues)
        self.concurrency = concurrency
        self.hostname = f"{name}@faults"
        self.log_path = log_dir / f"worker-{name}.log"
        self.env = {
            **os.environ,
            "DJANGO_SETTINGS_MODULE": "careteam.settings.test",
            "DATABASE_URL": database_url,
            "CELERY_DEFAULT_QUEUE": default_queue,
            "PYTHONUNBUFFERED": "1",
            **(env or {}),
        }
        self.proc: subprocess.Popen[bytes] | None = None
        self._log_offset = 0

    def start(self, timeout: float = 60) -> Worker:
        self._log_offset = self.log_path.stat().st_size if self.log_path.exists() else 0
        with self.log_path.open("ab") as log:
            self.proc = subprocess.Popen(  # noqa: S603 - fixed arguments
                [
                    sys.executable,
                    "-m",
                    "celery",
                    "-A",
                    "careteam",
                    "worker",
                    "-Q",
                    ",".join(self.queues),
                    "-c",
                    str(self.concurrency),
                    "-n",
                    self.hostname,
                    "--without-gossip",
                    "--without-mingle",
                    "-l",
                    "INFO",
                ],
                cwd=ROOT,
                env=self.env,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        deadline = time.monotonic() + timeout
        while "ready." not in self.log(since_start=True):
            if self.proc.poll() is not None:
                raise RuntimeError(f"Celery worker {self.name} exited early:\n{self.log()[-4000:]}")
            if time.monotonic() > deadline:
                raise TimeoutError(f"Worker {self.name} not ready:\n{self.log()[-4000:]}")
            time.sleep(0.2)
        return self

    def log(self, *, since_start: bool = False) -> str:
        if not self.log_path.exists():
            return ""
        text = self.log_path.read_bytes()
        if since_start:
            text = text[self._log_offset :]
        return text.decode(errors="replace")

    def _signal_group(self, sig: int) -> None:
        assert self.proc is not None
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.proc.pid, sig)

    def kill(self) -> None:
        """SIGKILL the worker and its pool processes at once."""
        if self.proc is None:
            return
        self._signal_group(signal.SIGKILL)
        self.proc.wait()
        self.proc = None

    def stop(self) -> None:
        if self.proc is None:
            return
        self._signal_group(signal.SIGTERM)
        try:
            self.proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            self._signal_group(signal.SIGKILL)
            self.proc.wait()
        # Pool children that outlived their parent (they should not) go too.
        self._signal_group(signal.SIGKILL)
        self.proc = None

    @property
    def running(self) -> bool:
        return self.proc is not None and self.proc.poll() is None

    def succeeded(self, task_name: str) -> int:
        """How many ``task_name`` runs this worker logged as succeeded."""
        return sum(
            1
            for line in self.log().splitlines()
            if f"Task {task_name}[" in line and "succeeded in" in line
        )


def unique_queue(prefix: str = "faults") -> str:
    return f"{prefix}-{uuid.uuid4().hex[:10]}"
