"""Idle timeout (default 15 minutes, a setting) and logging out everywhere."""

import datetime as dt

import pytest
import time_machine
from django.test import Client

from apps.accounts.models import Clinician

pytestmark = pytest.mark.django_db

START = dt.datetime(2026, 5, 4, 9, 0, tzinfo=dt.UTC)


def test_an_idle_session_ends_after_fifteen_minutes(client, clinician_on_team, settings):
    assert settings.SESSION_IDLE_TIMEOUT == 15 * 60
    with time_machine.travel(START, tick=False) as clock:
        client.force_login(clinician_on_team)
        assert client.get("/").status_code == 200

        clock.shift(dt.timedelta(minutes=14, seconds=59))
        assert client.get("/").status_code == 200  # activity resets the timer

        clock.shift(dt.timedelta(minutes=15, seconds=1))
        response = client.get("/")
        assert response.status_code == 302
        assert response["Location"].startswith("/accounts/login/")
        follow = client.get(response["Location"])
        assert "signed out after 15 minutes without activity" in follow.content.decode()
        assert "_auth_user_id" not in client.session


def test_the_idle_timeout_is_a_setting(client, clinician_on_team, settings):
    settings.SESSION_IDLE_TIMEOUT = 60
    with time_machine.travel(START, tick=False) as clock:
        client.force_login(clinician_on_team)
        client.get("/")
        clock.shift(dt.timedelta(seconds=61))
        assert client.get("/").status_code == 302


def test_the_page_tells_the_browser_when_to_warn(client, clinician_on_team):
    client.force_login(clinician_on_team)
    html = client.get("/").content.decode()
    assert 'data-idle-timeout="900"' in html
    assert 'data-idle-warning="120"' in html
    assert "js/idle-timeout.js" in html


def test_stay_signed_in_resets_the_timer(client, clinician_on_team):
    with time_machine.travel(START, tick=False) as clock:
        client.force_login(clinician_on_team)
        client.get("/")
        clock.shift(dt.timedelta(minutes=14))
        assert client.post("/accounts/session/ping/").status_code == 204
        clock.shift(dt.timedelta(minutes=14))
        assert client.get("/").status_code == 200


def test_logging_out_everywhere_ends_every_session_and_token(clinician_on_team):
    from knox.models import AuthToken

    laptop, phone = Client(), Client()
    laptop.force_login(clinician_on_team)
    phone.force_login(clinician_on_team)
    AuthToken.objects.create(user=clinician_on_team)
    assert phone.get("/").status_code == 200

    response = laptop.post("/accounts/logout-everywhere/")
    assert response.status_code == 302

    assert phone.get("/").status_code == 302  # the other device is signed out too
    assert laptop.get("/").status_code == 302
    assert not AuthToken.objects.filter(user=clinician_on_team).exists()
    assert Clinician.objects.get(pk=clinician_on_team.pk).session_epoch == 1


def test_logging_out_everywhere_needs_a_post(client, clinician_on_team):
    client.force_login(clinician_on_team)
    assert client.get("/accounts/logout-everywhere/").status_code == 405
