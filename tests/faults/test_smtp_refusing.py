"""The SMTP server refuses connections for a minute (``FAULTS_SMTP_OUTAGE_SECONDS``, 60 by
default — CI runs the full minute; shorten it for a local run).

Shows: every attempt during the outage fails with "connection refused" and puts the row back to
``pending`` after an exponentially growing delay (``MESSAGE_RETRY_BASE_SECONDS`` × 2^(n-1));
when the server is back the messages are delivered, once each, by the default retry budget
(5 attempts). Messages whose budget is smaller than the outage (``max_attempts`` = 2 here) end
``failed``, with the error in ``last_error``, listed in the admin's delivery log under
"Status: Failed" — and are not sent when the server comes back.
"""

import datetime as dt
import itertools
import math
import os
import re
import time
from collections import defaultdict

import pytest
from django.test import Client

from apps.messaging.models import MessageStatus, OutboundMessage
from faults import report
from faults.scenario import Beat, message_statuses, plan_reminders, staffed_team, wait_sent
from tests.factories import ClinicianFactory

pytestmark = [pytest.mark.faults, pytest.mark.django_db(transaction=True)]

OUTAGE_SECONDS = float(os.environ.get("FAULTS_SMTP_OUTAGE_SECONDS", "60"))
# Five attempts (the default budget) span 15 × BASE seconds: longer than the outage.
BASE = max(1, math.ceil(OUTAGE_SECONDS / 12))
RETRIED = 6
SMALL_BUDGET = 3
ATTEMPT_LINE = re.compile(
    r"\[(?P<at>[\d-]+ [\d:,]+): WARNING/[^\]]+\] Message (?P<id>\d+): attempt (?P<n>\d+) failed"
)


def _attempt_times(log: str) -> dict[int, list[dt.datetime]]:
    times: dict[int, list[dt.datetime]] = defaultdict(list)
    for m in ATTEMPT_LINE.finditer(log):
        times[int(m["id"])].append(dt.datetime.strptime(m["at"], "%Y-%m-%d %H:%M:%S,%f"))
    return times


def test_smtp_refusing_connections_for_a_minute(redis_server, smtp, start_worker, default_queue):
    team = staffed_team("SMTP team")
    retried = set(plan_reminders(team, RETRIED, tag="smtp"))
    small = set(plan_reminders(team, SMALL_BUDGET, tag="smtpsmall"))
    OutboundMessage.objects.filter(idempotency_key__in=small).update(max_attempts=2)

    smtp.stop()  # connections to its port are refused from now on
    worker = start_worker(
        "smtp",
        queues=[default_queue],
        concurrency=2,
        env={
            **smtp.env(),
            "MESSAGE_RETRY_BASE_SECONDS": str(BASE),
            "MESSAGE_RETRY_MAX_SECONDS": "3600",
            "MESSAGE_CLAIM_TIMEOUT_SECONDS": "30",
        },
    )
    beat = Beat(queue=default_queue, dispatch_every=1.0)
    outage_started = time.monotonic()
    beat.run_for(OUTAGE_SECONDS)

    during = {m.idempotency_key: m for m in OutboundMessage.objects.all()}
    for key in retried:
        row = during[key]
        assert row.status == MessageStatus.PENDING and row.sent_at is None, row.status
        assert "Connection refused" in row.last_error or "ConnectionRefused" in row.last_error
        assert 2 <= row.attempts < row.max_attempts
    failed_rows = [during[k] for k in small]
    assert all(r.status == MessageStatus.FAILED for r in failed_rows), message_statuses()

    smtp.start()  # the server is back on the same port
    outage = time.monotonic() - outage_started
    assert beat.run_for(15 * BASE + 30, until=lambda: wait_sent(retried))
    time.sleep(2 * BASE + 2)  # a failed row that went out anyway would show up here
    beat.run_for(2)

    rows = {m.idempotency_key: m for m in OutboundMessage.objects.all()}
    received = smtp.handler.delivered()
    # Backoff, from the worker's log: the n-th wait is at least BASE × 2^(n-1) seconds.
    failures = _attempt_times(worker.log())
    gaps = {
        pk: [round((b - a).total_seconds(), 1) for a, b in itertools.pairwise(times)]
        for pk, times in failures.items()
    }
    sample = gaps[rows[min(retried)].pk]
    attempts = sorted(rows[k].attempts for k in retried)
    delivered = report.message_row(
        f"smtp refusing {OUTAGE_SECONDS:.0f}s",
        expected_keys=retried,
        received={k: n for k, n in received.items() if k not in small},
        details={
            "outage_s": round(outage),
            "retry_base_s": BASE,
            "attempts_until_delivered": f"{attempts[0]}-{attempts[-1]}",
            "waits_between_attempts_s": sample,
        },
    )
    # Failed rows: "delivered" here means marked failed with its error (visible to admins).
    admin = ClinicianFactory(username="smtp_admin", is_staff=True, is_superuser=True)
    client = Client()
    client.force_login(admin)
    page = client.get("/admin/messaging/outboundmessage/", {"status__exact": "failed"})
    visible = [
        k
        for k in small
        if rows[k].status == MessageStatus.FAILED
        and rows[k].last_error
        and rows[k].to_address in page.content.decode()
    ]
    failed = report.record(
        report.Row(
            scenario=f"smtp refusing {OUTAGE_SECONDS:.0f}s",
            what="failed (budget spent)",
            expected=len(small),
            delivered=len(visible),
            duplicated=sum(received[k] for k in small),
            lost=len(small) - len(visible),
            details={"max_attempts": 2, "shown_in_admin_failed_filter": page.status_code == 200},
        )
    )

    assert delivered.lost == 0 and delivered.duplicated == 0, delivered
    assert failed.ok, failed
    for key in retried:
        assert (rows[key].status, rows[key].last_error) == (MessageStatus.SENT, "")
        assert rows[key].attempts <= rows[key].max_attempts
        waits = gaps[rows[key].pk]
        assert len(waits) == rows[key].attempts - 2  # every failed attempt but the last waited
        for n, wait in enumerate(waits):
            assert wait >= BASE * 2**n - 0.5, (key, waits)
    for key in small:
        row = rows[key]
        assert (row.status, row.attempts, row.sent_at) == (MessageStatus.FAILED, 2, None)
        assert "Connection refused" in row.last_error or "ConnectionRefused" in row.last_error
