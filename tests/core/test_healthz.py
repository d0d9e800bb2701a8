"""/healthz reports database and broker status: 200 when both answer, 503 otherwise."""

import pytest
from django.db import OperationalError

from careteam.celery import app

pytestmark = pytest.mark.django_db


def test_it_reports_ok_when_database_and_broker_answer(client):
    response = client.get("/healthz")
    assert response.status_code == 200
    body = response.json()
    assert body["status"] == "ok"
    assert body["database"]["ok"] is True
    assert body["broker"]["ok"] is True
    assert body["worker"] == {"last_heartbeat": None}


def test_it_needs_no_login(client):
    assert client.get("/healthz").status_code == 200


def test_it_returns_503_when_the_broker_is_unreachable(client, monkeypatch):
    # Nothing listens on port 1: a real connection failure, not a mock.
    monkeypatch.setattr(app.conf, "broker_url", "redis://127.0.0.1:1/0")
    response = client.get("/healthz")
    assert response.status_code == 503
    body = response.json()
    assert body["status"] == "unavailable"
    assert body["broker"]["ok"] is False
    assert body["database"]["ok"] is True


def test_it_returns_503_when_the_database_is_unreachable(client, monkeypatch):
    class BrokenConnection:
        vendor = "broken"

        def cursor(self):
            raise OperationalError("connection refused")

    monkeypatch.setattr("apps.core.views.connection", BrokenConnection())
    response = client.get("/healthz")
    assert response.status_code == 503
    assert response.json()["database"] == {"ok": False, "error": "OperationalError"}
