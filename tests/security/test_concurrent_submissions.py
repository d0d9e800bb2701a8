"""Concurrent duplicate submissions against a real server create exactly one row.

Eight threads send the same request at the same moment to pytest-django's live server (one
database connection per request thread): an API task and an API opioid order with one
``Idempotency-Key``, and the browser's forms (opioid order, note, task, appointment, pain NRS)
with one ``submission_key``. The unique (user, key) INSERT makes every duplicate wait for the first request and then replay its result,
so the patient's total daily MME is not doubled (apps/core/idempotency.py).

PostgreSQL only (SQLite serialises writers and its test database is in memory). CI runs on
PostgreSQL, so there (``CI`` set) these tests fail instead of skipping.
"""

import datetime as dt
import json
import os
import re
import threading
import urllib.error
import urllib.parse
import urllib.request
import uuid
from collections import Counter
from decimal import Decimal
from typing import Any

import pytest
from django.conf import settings
from django.db import connection
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from knox.models import AuthToken

from apps.assessments.models import Assessment
from apps.core.choices import Discipline
from apps.core.dates import clinic_today
from apps.core.models import IdempotencyKey
from apps.medications.models import MedicationOrder
from apps.patients.models import ClinicalNote
from apps.patients.services import episode_open
from apps.scheduling.models import Appointment
from apps.worklist.models import Task
from tests.factories import (
    ClinicianFactory,
    PatientFactory,
    TeamFactory,
    TeamMembershipFactory,
)

pytestmark = pytest.mark.django_db(transaction=True)

N = 8


@pytest.fixture
def postgresql():
    if connection.vendor != "postgresql":
        if os.environ.get("CI"):
            pytest.fail("CI must run the concurrency tests on PostgreSQL (DATABASE_URL)")
        pytest.skip("PostgreSQL only (set DATABASE_URL)")


@pytest.fixture(autouse=True)
def _no_broker(monkeypatch):
    """Services enqueue rule evaluation on commit; these tests need no broker traffic."""
    monkeypatch.setattr("apps.core.enqueue.send_task_now", lambda *args, **kwargs: True)


@pytest.fixture
def ward(postgresql):
    team = TeamFactory(name="North spine team")
    physician = ClinicianFactory(username="dr_concurrent", discipline=Discipline.PHYSICIAN)
    TeamMembershipFactory(team=team, clinician=physician)
    patient = PatientFactory(team=team)
    episode = episode_open(actor=physician, patient=patient, onset=clinic_today())
    return team, physician, patient, episode


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args: Any, **kwargs: Any) -> None:
        return None  # a 302 comes back as the response (HTTPError), not followed


def _send(opener: Any, request: urllib.request.Request) -> tuple[int, Any, bytes]:
    try:
        with opener.open(request, timeout=30) as response:
            return response.status, response.headers, response.read()
    except urllib.error.HTTPError as error:
        return error.code, error.headers, error.read()


def all_at_once(send: Any) -> list[tuple[int, Any, bytes]]:
    """Run ``send()`` in N threads released together; their results."""
    barrier = threading.Barrier(N)
    results: list[Any] = [None] * N

    def worker(i: int) -> None:
        barrier.wait()
        results[i] = send()

    threads = [threading.Thread(target=worker, args=(i,)) for i in range(N)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert all(r is not None for r in results), results
    return results


def api_post(url: str, token: str, body: dict[str, Any], key: str) -> Any:
    opener = urllib.request.build_opener(_NoRedirect)

    def send() -> tuple[int, Any, bytes]:
        request = urllib.request.Request(
            url,
            data=json.dumps(body).encode(),
            method="POST",
            headers={
                "Authorization": f"Token {token}",
                "Content-Type": "application/json",
                "Accept": "application/json",
                "Idempotency-Key": key,
            },
        )
        return _send(opener, request)

    return send


def test_eight_simultaneous_api_task_posts_with_one_key_create_one_task(live_server, ward):
    team, physician, patient, _ = ward
    _, token = AuthToken.objects.create(user=physician)
    body = {
        "team": team.pk,
        "patient": patient.pk,
        "title": "Call the patient",
        "reason": "No-show",
        "due_on": clinic_today().isoformat(),
        "discipline": "care_coordinator",
    }
    results = all_at_once(
        api_post(f"{live_server.url}/api/v1/tasks/", token, body, str(uuid.uuid4()))
    )

    assert [status for status, _, _ in results] == [201] * N, results
    assert Task.objects.count() == 1
    ids = {json.loads(content)["id"] for _, _, content in results}
    assert ids == {Task.objects.get().pk}
    replayed = Counter(headers.get("Idempotent-Replayed") for _, headers, _ in results)
    assert replayed == {"true": N - 1, None: 1}


def test_eight_simultaneous_api_opioid_orders_with_one_key_do_not_double_the_mme(live_server, ward):
    _, physician, _, episode = ward
    _, token = AuthToken.objects.create(user=physician)
    body = {
        "episode": episode.pk,
        "drug": "oxycodone",
        "drug_class": "opioid_short",
        "opioid": "oxycodone",
        "dose": "10",
        "frequency": "every 6 hours",
        "daily_dose": "40",
    }
    results = all_at_once(
        api_post(f"{live_server.url}/api/v1/medications/", token, body, str(uuid.uuid4()))
    )

    assert [status for status, _, _ in results] == [201] * N, results
    orders = MedicationOrder.objects.filter(episode=episode)
    assert orders.count() == 1
    assert sum(o.daily_mme for o in orders) == Decimal("60")  # 40 mg oxycodone × 1.5


def submit_form_all_at_once(live_server: Any, user: Any, path: str, data: dict[str, str]) -> Any:
    """Open the form page as ``user`` (a real session), then send it N times at once."""
    browser = Client()
    browser.force_login(user)  # a real session row; its cookie goes to the live server
    name = settings.SESSION_COOKIE_NAME
    session = f"{name}={browser.cookies[name].value}"
    opener = urllib.request.build_opener(_NoRedirect)
    url = f"{live_server.url}{path}"
    status, headers, page = _send(opener, urllib.request.Request(url, headers={"Cookie": session}))
    assert status == 200, headers
    csrf_cookie = re.search(
        rf"{settings.CSRF_COOKIE_NAME}=([^;]+)", " ".join(headers.get_all("Set-Cookie") or [])
    )
    assert csrf_cookie
    cookies = f"{session}; {settings.CSRF_COOKIE_NAME}={csrf_cookie.group(1)}"
    html = page.decode()
    csrf = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', html)
    key = re.search(r'name="submission_key" value="([^"]+)"', html)
    assert csrf and key, "the form page renders its CSRF token and its one-time key"
    form = urllib.parse.urlencode(
        {"csrfmiddlewaretoken": csrf.group(1), "submission_key": key.group(1), **data}
    ).encode()

    def send() -> tuple[int, Any, bytes]:
        request = urllib.request.Request(url, data=form, method="POST")
        request.add_header("Content-Type", "application/x-www-form-urlencoded")
        request.add_header("Cookie", cookies)
        return _send(opener, request)

    results = all_at_once(send)
    assert [status for status, _, _ in results] == [302] * N, [r[:2] for r in results]
    assert len({headers["Location"] for _, headers, _ in results}) == 1  # all see the one result
    assert IdempotencyKey.objects.filter(user=user, surface="form").count() == 1
    return results


def test_eight_simultaneous_submits_of_the_opioid_form_create_one_order(live_server, ward):
    _, physician, patient, episode = ward
    submit_form_all_at_once(
        live_server,
        physician,
        reverse("dashboard:medication_new", args=[patient.pk]),
        {
            "drug": "oxycodone ER",
            "drug_class": "opioid_long",
            "opioid": "oxycodone",
            "dose": "20",
            "dose_unit": "mg",
            "frequency": "twice daily",
            "daily_dose": "40",
            "start_date": clinic_today().isoformat(),
            "stop_date": "",
            "indication": "chronic low back pain",
        },
    )
    orders = MedicationOrder.objects.filter(episode=episode)
    assert orders.count() == 1
    assert sum(o.daily_mme for o in orders) == Decimal("60")  # not 120


def _in(days: int) -> str:
    return (timezone.localtime() + dt.timedelta(days=days)).strftime("%Y-%m-%dT%H:%M")


FORMS = {
    "note": ("note_new", ClinicalNote, lambda: {"body": "Discussed pacing."}),
    "task": (
        "task_new",
        Task,
        lambda: {
            "title": "Call about the exercise programme",
            "reason": "Missed the last PT visit",
            "discipline": "physical_therapist",
            "due_on": (clinic_today() + dt.timedelta(days=2)).isoformat(),
            "priority": "routine",
        },
    ),
    "appointment": (
        "appointment_new",
        Appointment,
        lambda: {
            "kind": "pt_visit",
            "discipline": "physical_therapist",
            "starts_at": _in(3),
            "duration_minutes": "45",
        },
    ),
    "nrs": (
        "assessment_new",
        Assessment,
        lambda: {"taken_at": _in(0), "reported_by": "clinician", "value": "6"},
    ),
}


@pytest.mark.parametrize("form", list(FORMS))
def test_eight_simultaneous_submits_of_a_record_form_create_one_row(live_server, ward, form):
    _, physician, patient, _ = ward
    route, model, data = FORMS[form]
    args = [patient.pk, "nrs"] if route == "assessment_new" else [patient.pk]
    before = model.objects.count()
    submit_form_all_at_once(
        live_server, physician, reverse(f"dashboard:{route}", args=args), data()
    )
    assert model.objects.count() == before + 1


def test_a_duplicate_that_waits_too_long_gets_a_409_not_a_second_row(ward, monkeypatch):
    """While the first request with a key is still saving (its transaction open) past the wait
    limit, the duplicate is refused with 409 and writes nothing."""
    from rest_framework.test import APIClient

    from apps.core import idempotency

    team, physician, patient, _ = ward
    monkeypatch.setattr(idempotency, "WAIT_SECONDS", 0.3)
    claimed, release = threading.Event(), threading.Event()

    def first_request_still_saving() -> None:
        from django.db import connection as thread_connection
        from django.db import transaction

        try:
            with transaction.atomic():
                IdempotencyKey.objects.create(
                    user=physician,
                    key="slow-key",
                    surface="api",
                    scope="POST /api/v1/tasks/",
                    fingerprint="f",
                    response_status=0,
                )
                claimed.set()
                release.wait(10)
                transaction.set_rollback(True)
        finally:
            thread_connection.close()

    holder = threading.Thread(target=first_request_still_saving)
    holder.start()
    try:
        assert claimed.wait(10)
        api = APIClient()
        api.force_authenticate(physician)
        body = {
            "team": team.pk,
            "patient": patient.pk,
            "title": "Call the patient",
            "reason": "No-show",
            "due_on": clinic_today().isoformat(),
            "discipline": "care_coordinator",
        }
        response = api.post("/api/v1/tasks/", body, format="json", HTTP_IDEMPOTENCY_KEY="slow-key")
    finally:
        release.set()
        holder.join(10)
    assert response.status_code == 409, response.content
    assert response.json()["error"]["code"] == "idempotency_key_in_progress"
    assert not Task.objects.exists()
