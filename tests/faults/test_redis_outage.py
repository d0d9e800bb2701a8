"""Redis (broker and cache) stopped for 30 s while reminders are being delivered and the rules
evaluated, then started again — empty, as a broker without persistence comes back.

Shows: every due message is delivered exactly once (the database, not the broker, knows what is
due: dispatch enqueues pending rows again); no flag is lost (the next scheduled rule run
catches up, and the flags equal a clean run's); the web app keeps serving pages during the
outage — /healthz answers 503, the login, caseload and patient pages and the token API answer
200 — and recording an assessment (which enqueues a re-evaluation on commit) does not raise.
"""

import os
import re
import time
from collections import Counter

import pytest
from django.test import Client

from apps.assessments.services import assessment_record
from apps.core.enqueue import send_task_now
from apps.flags.engine import active_episode_ids
from apps.messaging.models import MessageStatus
from faults import report
from faults.scenario import (
    PASSWORD,
    Beat,
    chronic_episodes,
    clean_run_flags,
    duplicate_flag_tasks,
    duplicate_open_flags,
    email_keys,
    message_statuses,
    open_flags,
    plan_reminders,
    staffed_team,
    wait_sent,
)
from tests.factories import ClinicianFactory, TeamMembershipFactory

pytestmark = [pytest.mark.faults, pytest.mark.django_db(transaction=True)]

OUTAGE_SECONDS = float(os.environ.get("FAULTS_REDIS_OUTAGE_SECONDS", "30"))
REMINDERS = 30
EPISODES = 30
BATCH = 5
# PHQ-9 with thoughts of self-harm on some days: an urgent flag, and emails to the team.
PHQ9_SELF_HARM = {"items": [2, 2, 2, 1, 1, 1, 1, 0, 1]}


class PageChecks:
    """Requests made while the broker and cache are down, and how they were answered."""

    def __init__(self) -> None:
        self.status: Counter[str] = Counter()
        self.unexpected: list[str] = []
        self.slowest = 0.0

    def get(self, client: Client, name: str, url: str, want: int, **extra) -> None:
        self._check(name, want, lambda: client.get(url, **extra))

    def post(self, client: Client, name: str, url: str, want: int, data, **extra) -> None:
        self._check(name, want, lambda: client.post(url, data, **extra))

    def _check(self, name, want, call) -> None:
        started = time.monotonic()
        try:
            code = call().status_code
        except Exception as exc:  # a 500 in production: Client re-raises view exceptions
            code = f"raised {exc.__class__.__name__}"
        self.slowest = max(self.slowest, time.monotonic() - started)
        self.status[f"{name}:{code}"] += 1
        if code != want:
            self.unexpected.append(f"{name} answered {code}, wanted {want}")


def test_redis_stopped_for_30s_while_dispatching_and_evaluating(
    redis_server, smtp, start_worker, default_queue
):
    team = staffed_team("Redis outage team")
    keys = set(plan_reminders(team, REMINDERS, tag="redis"))
    episodes = chronic_episodes(team, EPISODES)
    nurse = ClinicianFactory(username="redis_outage_nurse", discipline="nurse")
    TeamMembershipFactory(team=team, clinician=nurse)

    smtp.handler.delay = 0.2  # the outage starts while the batch is still going out
    worker = start_worker(
        "redis",
        queues=[default_queue],
        concurrency=2,
        env={
            **smtp.env(),
            "MESSAGE_RETRY_BASE_SECONDS": "1",
            "MESSAGE_CLAIM_TIMEOUT_SECONDS": "10",
        },
    )
    browser = Client()
    browser.force_login(nurse)
    anonymous = Client()
    token = Client().post(
        "/api/v1/auth/token/",
        {"username": nurse.username, "password": PASSWORD},
        content_type="application/json",
    )
    assert token.status_code == 200, token.content
    api_auth = {"HTTP_AUTHORIZATION": f"Token {token.json()['token']}"}
    assert anonymous.get("/healthz").status_code == 200

    beat = Beat(queue=default_queue, dispatch_every=2.0, evaluate_every=10.0, batch_size=BATCH)
    beat.tick()  # the first dispatch and the first rule run go out now
    # Let part of the work happen, then pull the plug in the middle of it.
    assert beat.run_for(30, until=lambda: sum(smtp.handler.delivered().values()) >= 5)
    delivered_before = sum(smtp.handler.delivered().values())
    redis_server.stop()
    outage_started = time.monotonic()
    health = anonymous.get("/healthz")
    assert health.status_code == 503
    assert health.json()["broker"]["ok"] is False and health.json()["database"]["ok"] is True

    pages = PageChecks()
    assessments = 0
    enqueue_results: Counter[bool] = Counter()
    patients = [e.patient for e in episodes[:3]]
    while time.monotonic() - outage_started < OUTAGE_SECONDS:
        beat.tick()
        pages.get(anonymous, "healthz", "/healthz", 503)
        pages.get(anonymous, "login page", "/accounts/login/", 200)
        pages.get(browser, "caseload", "/", 200)
        pages.get(browser, "patient page", f"/patients/{patients[0].pk}/", 200)
        pages.get(browser, "worklist", "/worklist/", 200)
        pages.get(anonymous, "api patients (token)", "/api/v1/patients/", 200, **api_auth)
        pages.post(
            anonymous,
            "api token login",
            "/api/v1/auth/token/",
            200,
            {"username": nurse.username, "password": PASSWORD},
            content_type="application/json",
        )
        if assessments < len(patients):
            # Recording enqueues a re-evaluation on commit; the broker is down: must not raise.
            assessment_record(
                actor=nurse,
                patient=patients[assessments],
                instrument="phq9",
                answers=PHQ9_SELF_HARM,
            )
            assessments += 1
        enqueue_results[send_task_now("flags.evaluate_patient", patients[0].pk)] += 1
        time.sleep(1)
    outage = time.monotonic() - outage_started
    assert pages.unexpected == [], pages.status
    assert assessments == len(patients)
    assert enqueue_results[True] == 0  # nothing could be enqueued: the broker really was down

    redis_server.start()  # empty: every queued task message is gone
    recovered_at = time.monotonic()
    # Beat keeps ticking. The worker reconnects; dispatch enqueues the pending rows again and
    # the next rule run catches up (it also raises the urgent flags of the new PHQ-9s, whose
    # emails then go out too).
    assert beat.run_for(90, until=lambda: anonymous.get("/healthz").status_code == 200)
    log_at_restart = len(worker.log())
    batches = -(-len(active_episode_ids()) // BATCH)

    def full_run_since_restart() -> bool:
        done = worker.log()[log_at_restart:]
        return len(re.findall(r"Task flags\.evaluate_batch\[[^\]]+\] succeeded", done)) >= batches

    assert beat.run_for(120, until=full_run_since_restart)
    assert beat.run_for(
        60,
        until=lambda: wait_sent(email_keys()) and set(smtp.handler.delivered()) >= email_keys(),
    )
    recovery = time.monotonic() - recovered_at
    time.sleep(1.5)  # a late duplicate would show up here

    expected_keys = email_keys()
    urgent_emails = expected_keys - keys
    messages = report.message_row(
        "redis stopped 30s",
        expected_keys=expected_keys,
        received=smtp.handler.delivered(),
        details={
            "outage_s": round(outage),
            "recovery_s": round(recovery),
            "delivered_before_outage": delivered_before,
            "urgent_flag_emails": len(urgent_emails),
            "beat_ticks_failed": dict(beat.failed),
            "requests_during_outage": sum(pages.status.values()),
            "slowest_request_s": round(pages.slowest, 2),
        },
    )
    clean = clean_run_flags()
    flags = report.flag_row(
        "redis stopped 30s",
        expected=clean,
        present=open_flags(),
        details={"assessments_recorded_during_outage": assessments},
    )

    assert message_statuses() == {MessageStatus.SENT: len(expected_keys)}
    assert messages.lost == 0 and messages.duplicated == 0, messages
    assert len(urgent_emails) >= 1  # the assessments recorded during the outage were evaluated
    assert flags.lost == 0 and flags.duplicated == 0, flags
    assert flags.delivered == flags.expected
    assert duplicate_open_flags() == 0 and duplicate_flag_tasks() == 0
    assert {"self_harm_risk"} <= {code for _, code, *_ in open_flags()}
