"""Authentication: knox tokens for integrations (hashed, expiring, revocable), the session (with
CSRF) for the browser; nothing without one of them."""

import datetime as dt

import pytest
from django.test import Client
from django.utils import timezone
from django_otp.oath import TOTP
from django_otp.plugins.otp_totp.models import TOTPDevice
from knox.crypto import hash_token
from knox.models import AuthToken
from rest_framework.test import APIClient

from tests.factories import ClinicianFactory

pytestmark = pytest.mark.django_db

TOKEN_URL = "/api/v1/auth/token/"
PASSWORD = "correct-horse-battery"  # tests.factories.ClinicianFactory


def get_token(client, username, password=PASSWORD, **extra):
    return client.post(
        TOKEN_URL, {"username": username, "password": password, **extra}, format="json"
    )


def with_token(token):
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {token}")
    return client


def test_obtain_a_token_and_use_it(anon, clinician_on_team, patient):
    response = get_token(anon, clinician_on_team.username)

    assert response.status_code == 200, response.json()
    body = response.json()
    assert body["user"]["username"] == clinician_on_team.username
    expiry = dt.datetime.fromisoformat(body["expiry"])
    assert dt.timedelta(hours=9, minutes=59) < expiry - timezone.now() <= dt.timedelta(hours=10)
    listed = with_token(body["token"]).get("/api/v1/patients/")
    assert listed.status_code == 200 and listed.json()["count"] == 1


def test_the_token_is_stored_hashed(anon, clinician_on_team):
    token = get_token(anon, clinician_on_team.username).json()["token"]

    stored = AuthToken.objects.get(user=clinician_on_team)
    assert stored.digest != token and token not in stored.digest
    assert stored.digest == hash_token(token)
    assert stored.token_key == token[:15]


def test_an_expired_token_is_401(anon, clinician_on_team, check_error):
    token = get_token(anon, clinician_on_team.username).json()["token"]
    AuthToken.objects.filter(user=clinician_on_team).update(
        expiry=timezone.now() - dt.timedelta(seconds=1)
    )

    response = with_token(token).get("/api/v1/patients/")

    check_error(response, 401, "authentication_failed")
    assert response["WWW-Authenticate"] == "Token"
    assert not AuthToken.objects.filter(user=clinician_on_team).exists()  # knox deletes it


def test_using_a_token_does_not_extend_it(clinician_on_team, token_for):
    token = token_for(clinician_on_team)
    expiry = AuthToken.objects.get().expiry
    with_token(token).get("/api/v1/patients/")
    assert AuthToken.objects.get().expiry == expiry


def test_logout_revokes_this_token_and_logoutall_every_token(
    clinician_on_team, token_for, check_error
):
    first, second, third = (token_for(clinician_on_team) for _ in range(3))

    assert with_token(first).post("/api/v1/auth/logout/").status_code == 204
    check_error(with_token(first).get("/api/v1/patients/"), 401, "authentication_failed")
    assert with_token(second).get("/api/v1/patients/").status_code == 200

    assert with_token(second).post("/api/v1/auth/logoutall/").status_code == 204
    check_error(with_token(third).get("/api/v1/patients/"), 401, "authentication_failed")
    assert not AuthToken.objects.exists()


def test_a_token_revoked_in_admin_is_401(admin, clinician_on_team, token_for, check_error):
    token = token_for(clinician_on_team)
    site = Client()  # the admin's HTML forms
    site.force_login(admin)
    digest = AuthToken.objects.get().digest
    assert site.get("/admin/knox/authtoken/").status_code == 200
    response = site.post(f"/admin/knox/authtoken/{digest}/delete/", {"post": "yes"})
    assert response.status_code == 302
    assert not AuthToken.objects.exists()
    check_error(with_token(token).get("/api/v1/patients/"), 401, "authentication_failed")


def test_a_deactivated_user_loses_api_access(clinician_on_team, token_for, check_error):
    token = token_for(clinician_on_team)
    clinician_on_team.is_active = False
    clinician_on_team.save()
    check_error(with_token(token).get("/api/v1/patients/"), 401, "authentication_failed")


@pytest.mark.parametrize("header", ["Token", "Token a b", "Token not-a-real-token", "Token ÿÿ"])
def test_malformed_or_unknown_tokens_are_401(header, check_error):
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=header)
    check_error(client.get("/api/v1/patients/"), 401, "authentication_failed")


def test_without_credentials_everything_is_401(anon, check_error):
    response = anon.get("/api/v1/patients/")
    check_error(response, 401, "not_authenticated")
    assert response["WWW-Authenticate"] == "Token"


def test_bad_credentials_are_400(anon, clinician_on_team, check_error):
    check_error(
        get_token(anon, clinician_on_team.username, "wrong-password"),
        400,
        "invalid",
        fields=("non_field_errors",),
    )
    check_error(get_token(anon, "nobody"), 400, fields=("non_field_errors",))
    check_error(anon.post(TOKEN_URL, {}, format="json"), 400, fields=("username", "password"))
    check_error(anon.get(TOKEN_URL), 405, "method_not_allowed")
    inactive = ClinicianFactory(username="gone", is_active=False)
    check_error(get_token(anon, inactive.username), 400, fields=("non_field_errors",))
    assert not AuthToken.objects.exists()


def test_repeated_failures_lock_the_account(anon, clinician_on_team, settings, check_error):
    settings.AXES_FAILURE_LIMIT = 3
    for _ in range(2):
        check_error(get_token(anon, clinician_on_team.username, "wrong-password"), 400)
    check_error(get_token(anon, clinician_on_team.username, "wrong-password"), 429, "locked_out")
    # Locked: even the right password is refused, in the API's format.
    check_error(get_token(anon, clinician_on_team.username), 429, "locked_out")


def test_a_user_with_an_authenticator_app_must_send_the_code(
    anon, clinician_on_team, settings, check_error
):
    settings.OTP_TOTP_THROTTLE_FACTOR = 0  # django-otp slows down retries after a wrong code
    device = TOTPDevice.objects.create(user=clinician_on_team, name="phone", confirmed=True)
    check_error(get_token(anon, clinician_on_team.username), 400, fields=("otp",))
    check_error(get_token(anon, clinician_on_team.username, otp="000000"), 400, fields=("otp",))

    code = TOTP(device.bin_key, device.step, device.t0, device.digits, device.drift).token()
    response = get_token(anon, clinician_on_team.username, otp=f"{code:06d}")

    assert response.status_code == 200, response.json()


def test_a_browser_session_works_and_needs_csrf_for_writes(clinician_on_team, patient, check_error):
    browser = APIClient(enforce_csrf_checks=True)
    browser.force_login(clinician_on_team)
    assert browser.get("/api/v1/patients/").json()["count"] == 1

    body = {"patient": patient.pk, "onset": timezone.localdate().isoformat()}
    check_error(browser.post("/api/v1/episodes/", body, format="json"), 403, "permission_denied")

    browser.get("/accounts/login/")  # sets the CSRF cookie
    csrf = browser.cookies["csrftoken"].value
    response = browser.post("/api/v1/episodes/", body, format="json", HTTP_X_CSRFTOKEN=csrf)
    assert response.status_code == 201, response.json()
