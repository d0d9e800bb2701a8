"""`make run`'s runner (careteam/devrun.py): web, worker and beat from Procfile.dev, and one
Ctrl-C stops all three calmly: no ERROR lines, no traceback, nothing killed, exit code 0."""

import os
import re
import signal
import socket
import subprocess
import sys
import time
import urllib.request
import uuid
from pathlib import Path

import pytest

from careteam.devrun import parse_procfile
from tests import celery_worker

ROOT = Path(__file__).resolve().parents[2]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _start(procfile: Path, **env: str) -> subprocess.Popen[str]:
    # Its own session, like a terminal's foreground job: Ctrl-C is SIGINT to the whole group.
    return subprocess.Popen(
        [sys.executable, "-m", "careteam.devrun", str(procfile)],
        cwd=ROOT,
        env={**os.environ, "PYTHONUNBUFFERED": "1", **env},
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        start_new_session=True,
    )


def _press_ctrl_c(proc: subprocess.Popen[str]) -> None:
    os.killpg(proc.pid, signal.SIGINT)


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return True


def test_it_reads_name_command_lines_and_skips_comments():
    processes = parse_procfile("# demo\n\nweb: python manage.py runserver\nworker: celery -A x\n")
    assert [(p.name, p.command) for p in processes] == [
        ("web", "python manage.py runserver"),
        ("worker", "celery -A x"),
    ]


def test_it_refuses_a_line_that_is_not_name_command():
    with pytest.raises(ValueError, match="line 2"):
        parse_procfile("web: ok\nno colon here\n")


def test_a_process_that_dies_stops_the_others_and_says_which(tmp_path):
    procfile = tmp_path / "Procfile"
    procfile.write_text("sleeper: sleep 60\nbroken: sh -c 'echo cannot bind; exit 3'\n")
    proc = _start(procfile)
    out, _ = proc.communicate(timeout=30)
    assert proc.returncode == 1
    assert re.search(r"broken +\| cannot bind", out)
    assert "broken exited with code 3: stopping the others." in out
    assert "sleeper stopped" in out


@pytest.mark.celery_worker
@pytest.mark.django_db(transaction=True)
def test_ctrl_c_stops_web_worker_and_beat_calmly():
    """The real Procfile.dev: runserver, a Celery worker (prefork, 2 processes) and beat."""
    port = _free_port()
    proc = _start(
        ROOT / "Procfile.dev",
        DJANGO_SETTINGS_MODULE="careteam.settings.test",
        DATABASE_URL=celery_worker.test_database_url(),
        CELERY_DEFAULT_QUEUE=f"test-devrun-{uuid.uuid4().hex[:8]}",
        HOST="127.0.0.1",
        PORT=str(port),
        PATH=f"{Path(sys.executable).parent}:{os.environ['PATH']}",
    )
    lines: list[str] = []
    try:
        assert proc.stdout is not None
        deadline = time.monotonic() + 90
        ready = {"worker": False, "beat": False, "web": False}
        while not all(ready.values()):
            assert time.monotonic() < deadline, "\n".join(lines[-40:])
            line = proc.stdout.readline()
            assert line, "the runner exited early:\n" + "\n".join(lines[-40:])
            lines.append(line.rstrip())
            ready["worker"] |= bool(re.search(r"worker \|.*ready\.", line))
            ready["beat"] |= "beat: Starting" in line
            if not ready["web"] and "Quit the server with" in line:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=10) as r:
                    ready["web"] = r.status in (200, 503)
        pids = [int(p) for p in re.findall(r"started \(pid (\d+)\)", "\n".join(lines))]
        assert len(pids) == 3

        _press_ctrl_c(proc)
        rest, _ = proc.communicate(timeout=60)
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
    output = "\n".join(lines) + "\n" + rest

    assert proc.returncode == 0, output
    assert "Stopping CareTeam: web server, worker and beat" in rest
    assert "CareTeam stopped." in rest
    assert not re.search(r"ERROR|CRITICAL|Traceback|killed|exited with", rest), rest
    assert not any(_alive(pid) for pid in pids)
    with socket.socket() as s:
        assert s.connect_ex(("127.0.0.1", port)) != 0, "runserver still listens"
