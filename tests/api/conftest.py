"""Fixtures for the API tests: clients, tokens, the error-body check and a rich patient."""

import datetime as dt
import uuid
from typing import Any

import pytest
from django.core.cache.backends.locmem import LocMemCache
from knox.models import AuthToken
from rest_framework.test import APIClient

from apps.api.throttling import LoginRateThrottle, TokenRateThrottle
from apps.core.choices import Discipline
from apps.core.dates import clinic_today
from apps.patients.services import episode_open
from tests.api.builders import build_rich_patient
from tests.factories import ClinicianFactory, TeamMembershipFactory


@pytest.fixture(autouse=True)
def _no_broker(monkeypatch):
    """Services enqueue rule evaluation on commit; API tests need no broker traffic."""
    monkeypatch.setattr("apps.core.enqueue.send_task_now", lambda *args, **kwargs: True)


@pytest.fixture(autouse=True)
def _fresh_throttle_history(monkeypatch):
    """Each test starts with no throttle history (the default cache may be a shared Redis)."""
    cache = LocMemCache(f"api-throttle-{uuid.uuid4()}", {})
    monkeypatch.setattr(TokenRateThrottle, "cache", cache)
    monkeypatch.setattr(LoginRateThrottle, "cache", cache)


@pytest.fixture
def anon():
    return APIClient()


def client_for(user: Any) -> APIClient:
    client = APIClient()
    client.force_authenticate(user=user)
    return client


@pytest.fixture
def on_team(clinician_on_team):
    """A clinician of the patient's team, signed in."""
    return client_for(clinician_on_team)


@pytest.fixture
def off_team(clinician_off_team):
    """A clinician of another team, signed in."""
    return client_for(clinician_off_team)


@pytest.fixture
def token_for():
    def make(user: Any) -> str:
        _, token = AuthToken.objects.create(user=user)
        return token

    return make


def assert_error(
    response: Any, status: int, code: str | None = None, fields: tuple[str, ...] = ()
) -> dict[str, Any]:
    """The one error body: {"error": {"status", "code", "message"[, "fields"]}}."""
    assert response.status_code == status, (
        response.status_code,
        getattr(response, "content", b"")[:500],
    )
    assert response["Content-Type"].startswith("application/json")
    body = response.json()
    assert set(body) == {"error"}
    error = body["error"]
    assert error["status"] == status
    assert isinstance(error["message"], str) and error["message"]
    if code is not None:
        assert error["code"] == code, error
    for name in fields:
        assert name in error.get("fields", {}), error
        assert all(isinstance(m, str) for m in error["fields"][name])
    return error


@pytest.fixture
def check_error():
    return assert_error


NOT_FOUND = {"error": {"status": 404, "code": "not_found", "message": "Not found."}}


@pytest.fixture
def not_found_body():
    return NOT_FOUND


@pytest.fixture
def colleagues(team, clinician_on_team):
    """A clinician of every discipline on ``team`` (the physician is clinician_on_team)."""
    people = {Discipline.PHYSICIAN: clinician_on_team}
    for discipline in (
        Discipline.PHYSICAL_THERAPIST,
        Discipline.PSYCHOLOGIST,
        Discipline.PAIN_SPECIALIST,
        Discipline.CARE_COORDINATOR,
        Discipline.NURSE,
    ):
        clinician = ClinicianFactory(username=f"{discipline}_{team.pk}", discipline=discipline)
        TeamMembershipFactory(team=team, clinician=clinician)
        people[discipline] = clinician
    return people


@pytest.fixture
def episode(patient, clinician_on_team):
    return episode_open(
        actor=clinician_on_team, patient=patient, onset=clinic_today() - dt.timedelta(days=10)
    )


@pytest.fixture
def rich(team, colleagues):
    return build_rich_patient(team, colleagues)


@pytest.fixture
def make_rich():
    return build_rich_patient


@pytest.fixture
def pinned_list_queries(django_assert_num_queries):
    """List ``url`` with n rows, then 3n rows: the number of queries must be ``expected`` both
    times (it does not grow with the rows)."""

    def check(client: APIClient, url: str, make_rows: Any, expected: int, n: int = 2) -> None:
        make_rows(n)
        with django_assert_num_queries(expected):
            first = client.get(url)
        assert first.status_code == 200, first.content[:300]
        make_rows(2 * n)
        with django_assert_num_queries(expected):
            second = client.get(url)
        assert second.status_code == 200
        assert second.json()["count"] == first.json()["count"] + 2 * n
        assert len(second.json()["results"]) == min(second.json()["count"], 25)

    return check


@pytest.fixture
def signed_in():
    """A client signed in as any user (force_authenticate: no auth queries)."""
    return client_for
