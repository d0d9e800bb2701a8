"""Logs redact patient identifiers."""

import logging
import re

from apps.core.logging import RedactPatientIdentifiers, redact


def test_it_masks_emails_phones_and_mrns():
    text = redact(
        "SMTP refused jane.doe@example.org, call +1 (555) 123-4567 about MRN 000123 / DEMO-0042"
    )
    assert (
        "jane.doe" not in text
        and "555" not in text
        and "000123" not in text
        and "DEMO-0042" not in text
    )
    assert "[email]" in text and "[phone]" in text


def test_it_keeps_ids_and_ordinary_text():
    assert (
        redact("Evaluated 120 episodes in 0.52 s (flag 17)")
        == "Evaluated 120 episodes in 0.52 s (flag 17)"
    )


def test_the_logging_filter_rewrites_records_and_exceptions(caplog):
    logger = logging.getLogger("careteam.test.redaction")
    logger.addFilter(RedactPatientIdentifiers())
    try:
        with caplog.at_level(logging.WARNING, logger="careteam.test.redaction"):
            logger.warning("Could not reach %s", "patient@example.org")
            try:
                raise ValueError("bad address bob@example.org")
            except ValueError:
                logger.exception("send failed")
    finally:
        logger.filters.clear()
    assert "patient@example.org" not in caplog.text
    assert "bob@example.org" not in caplog.text
    assert "[email]" in caplog.text


# --- Real log lines: timestamps and ids survive; tokens and searches do not (issues 10.9, 14.5) ---

import io  # noqa: E402
from contextlib import contextmanager  # noqa: E402

import pytest  # noqa: E402
from celery.app.trace import LOG_SUCCESS  # noqa: E402

TASK_ID = "8f3c2a1e-1234-4abc-9def-0123456789ab"
REAL_LINES = [
    # Celery's own success line for a task id (a UUID)
    LOG_SUCCESS
    % {"name": "messaging.send_message", "id": TASK_ID, "runtime": 0.012, "return_value": None},
    "Reclaimed 2 stale message claim(s) older than 2026-12-05 12:46:20; 0 failed",
    "Skipping digest for 2026-12-05T12:46:20.123456+00:00 (team 12, run 20261205)",
    '127.0.0.1 - - [05/Dec/2026:22:56:02 -0500] "GET /patients/1234/ HTTP/1.1" 200 4064 "-" "curl/7.88.1"',
    "Evaluated 120 episodes in 0.52 s (flag 17)",
]


@pytest.mark.parametrize("line", REAL_LINES)
def test_it_keeps_dates_times_and_ids_in_real_log_lines(line):
    assert redact(line) == line


@pytest.mark.parametrize(
    "phone", ["+1-212-555-0123", "+1 (555) 123-4567", "(555) 123-4567", "+15551234567"]
)
def test_it_still_masks_phone_numbers(phone):
    assert redact(f"SMS to {phone} failed") == "SMS to [phone] failed"


@pytest.mark.parametrize(
    "line, secret",
    [
        ('"GET /checkin/eyJjIjo0Mn0:1xa3M1:j7gFRfQ8jXfp_9Tk-g/ HTTP/1.1" 400', "eyJjIjo0Mn0"),
        ('"GET /?q=Garcia HTTP/1.1" 302', "Garcia"),
        ('"GET /admin/accounts/clinician/?o=1&q=Maria+Garcia HTTP/1.1" 200', "Maria"),
        ('"GET /api/v1/patients/?search=DEMO%200042&page=2 HTTP/1.1" 200', "DEMO"),
        ('"GET /accounts/login/?next=/%3Fq%3DGarcia HTTP/1.1" 200', "Garcia"),
        ('"GET /accounts/reset/MQ/cz8abc-1a2b3c4d5e6f/ HTTP/1.1" 302', "cz8abc"),
    ],
)
def test_it_masks_check_in_tokens_and_search_terms_in_urls(line, secret):
    assert secret not in redact(line)


@contextmanager
def _configured_output(logger_name):
    """The text the settings' LOGGING handlers of ``logger_name`` write (stream swapped)."""
    logger: logging.Logger | None = logging.getLogger(logger_name)
    handlers = []
    while logger is not None:
        handlers += [
            h
            for h in logger.handlers
            if type(h) is logging.StreamHandler  # not pytest's capture handlers
        ]
        logger = logger.parent if logger.propagate else None
    assert handlers, f"no configured stream handler for {logger_name}"
    buffer = io.StringIO()
    old = [h.setStream(buffer) for h in handlers]
    try:
        yield buffer
    finally:
        for handler, stream in zip(handlers, old, strict=True):
            handler.setStream(stream)


@pytest.mark.django_db
def test_a_django_request_warning_for_a_check_in_link_logs_no_token(client):
    from apps.messaging.tokens import make_checkin_token

    token = make_checkin_token(checkin_id=987654, nonce="n0nce")
    with _configured_output("django.request") as out:
        response = client.get(f"/checkin/{token}/")
    assert response.status_code >= 400
    text = out.getvalue()
    assert "django.request" in text and "/checkin/[token]/" in text
    assert token not in text and token.split(":")[0] not in text
    # The line keeps its timestamp.
    assert re.match(r"\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2},\d{3} WARNING django.request ", text)


def test_the_development_server_log_masks_searches_and_keeps_its_timestamp():
    # What django.core.servers.basehttp.WSGIRequestHandler.log_message logs for a request.
    with _configured_output("django.server") as out:
        logging.getLogger("django.server").info(
            '"%s" %s %s',
            "GET /?q=Garcia HTTP/1.1",
            "302",
            "0",
            extra={"status_code": 302, "server_time": "06/Dec/2026 03:41:15"},
        )
    text = out.getvalue()
    assert "Garcia" not in text and "?q=[redacted]" in text
    assert "06/Dec/2026 03:41:15" in text
