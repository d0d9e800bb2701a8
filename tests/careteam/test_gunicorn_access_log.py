"""A real gunicorn, started as the Procfile starts it, logs no check-in token and no search term;
its access-log and Django's log lines keep their timestamps (issue 14.5)."""

import os
import re
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest

from apps.messaging.tokens import make_checkin_token
from tests.celery_worker import test_database_url as database_url_for_subprocess

pytestmark = pytest.mark.django_db(transaction=True)

ROOT = Path(__file__).resolve().parents[2]


def _web_command() -> str:
    line = next(ln for ln in (ROOT / "Procfile").read_text().splitlines() if ln.startswith("web:"))
    return line.removeprefix("web:").strip()


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _get(url: str, **headers: str) -> int:
    request = urllib.request.Request(url, headers=headers)
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return int(response.status)
    except urllib.error.HTTPError as exc:
        return exc.code


def test_gunicorn_logs_no_check_in_token_and_no_search_term(tmp_path):
    port = _free_port()
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "careteam.settings.test",
        "DATABASE_URL": database_url_for_subprocess(),
        "PORT": str(port),
        "WEB_CONCURRENCY": "1",
        "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ.get('PATH', '')}",
        "PYTHONUNBUFFERED": "1",
    }
    command = _web_command().replace("0.0.0.0", "127.0.0.1")  # noqa: S104
    log_path = tmp_path / "gunicorn.log"
    with log_path.open("w") as log:
        proc = subprocess.Popen(
            ["bash", "-c", f"exec {command}"],
            cwd=ROOT,
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    try:
        base = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + 30
        while True:
            try:
                _get(f"{base}/healthz")
                break
            except OSError:
                if time.monotonic() > deadline or proc.poll() is not None:
                    pytest.fail(log_path.read_text())
                time.sleep(0.2)
        token = make_checkin_token(checkin_id=987654, nonce="n0nce")
        assert _get(f"{base}/checkin/{token}/", Referer=f"{base}/checkin/{token}/") >= 400
        _get(f"{base}/?q=Garcia")  # redirected to the sign-in page
        time.sleep(0.5)
    finally:
        proc.terminate()
        proc.wait(timeout=20)

    text = log_path.read_text()
    assert token.split(":")[0] not in text
    assert "Garcia" not in text
    access = [ln for ln in text.splitlines() if '"GET /' in ln]
    assert any('"GET /checkin/[token]/ HTTP/1.1" 400' in ln for ln in access), text
    assert any('"GET /?q=[redacted] HTTP/1.1" 302' in ln for ln in access), text
    stamp = re.compile(r"\[\d{2}/\w{3}/\d{4}:\d{2}:\d{2}:\d{2} [+-]\d{4}\]")
    assert all(stamp.search(ln) for ln in access), access
    assert re.search(
        r"^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2},\d{3} WARNING django.request Bad Request: "
        r"/checkin/\[token\]/$",
        text,
        re.MULTILINE,
    ), text
