"""Token clients are rate limited (REST_FRAMEWORK DEFAULT_THROTTLE_RATES "token"); browser
sessions are not; the token endpoint limits attempts per address ("login")."""

import pytest
from rest_framework.settings import api_settings
from rest_framework.test import APIClient

pytestmark = pytest.mark.django_db


@pytest.fixture
def rates(settings):
    def set_rates(**rates):
        settings.REST_FRAMEWORK = {
            **settings.REST_FRAMEWORK,
            "DEFAULT_THROTTLE_RATES": {**api_settings.DEFAULT_THROTTLE_RATES, **rates},
        }

    return set_rates


def test_a_token_client_over_its_rate_gets_429_with_retry_after(
    rates, clinician_on_team, token_for, check_error
):
    rates(token="3/minute")
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {token_for(clinician_on_team)}")

    assert [client.get("/api/v1/teams/").status_code for _ in range(3)] == [200, 200, 200]
    response = client.get("/api/v1/teams/")

    check_error(response, 429, "throttled")
    assert 1 <= int(response["Retry-After"]) <= 60


def test_the_rate_is_per_user_not_per_token(rates, clinician_on_team, token_for, check_error):
    rates(token="2/minute")
    clients = []
    for _ in range(2):
        client = APIClient()
        client.credentials(HTTP_AUTHORIZATION=f"Token {token_for(clinician_on_team)}")
        clients.append(client)
    assert clients[0].get("/api/v1/teams/").status_code == 200
    assert clients[1].get("/api/v1/teams/").status_code == 200
    check_error(clients[0].get("/api/v1/teams/"), 429, "throttled")


def test_a_browser_session_is_not_throttled(rates, clinician_on_team):
    rates(token="1/minute")
    browser = APIClient()
    browser.force_login(clinician_on_team)
    assert {browser.get("/api/v1/teams/").status_code for _ in range(5)} == {200}


def test_token_requests_are_limited_per_address(rates, anon, clinician_on_team, check_error):
    rates(login="2/minute")
    body = {"username": clinician_on_team.username, "password": "correct-horse-battery"}
    assert anon.post("/api/v1/auth/token/", body, format="json").status_code == 200
    assert anon.post("/api/v1/auth/token/", body, format="json").status_code == 200
    check_error(anon.post("/api/v1/auth/token/", body, format="json"), 429, "throttled")


def test_a_spoofed_forwarded_for_does_not_escape_the_login_limit(
    rates, anon, clinician_on_team, check_error
):
    rates(login="2/minute")
    body = {"username": clinician_on_team.username, "password": "wrong"}
    for n in range(2):
        anon.post("/api/v1/auth/token/", body, format="json", HTTP_X_FORWARDED_FOR=f"10.0.0.{n}")
    response = anon.post(
        "/api/v1/auth/token/", body, format="json", HTTP_X_FORWARDED_FOR="10.0.0.99"
    )
    check_error(response, 429, "throttled")
