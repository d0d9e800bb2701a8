"""Optional TOTP two-factor sign-in; required for superusers in production settings."""

import datetime as dt

import pytest
import time_machine
from django_otp.oath import totp
from django_otp.plugins.otp_totp.models import TOTPDevice

pytestmark = pytest.mark.django_db


def _code(device):
    return f"{totp(device.bin_key, device.step, device.t0, device.digits, device.drift):06d}"


def _sign_in(client, user):
    return client.post(
        "/accounts/login/", {"username": user.username, "password": "correct-horse-battery"}
    )


def test_a_clinician_with_an_authenticator_must_enter_a_code(client, clinician_on_team):
    device = TOTPDevice.objects.create(user=clinician_on_team, name="phone", confirmed=True)
    with time_machine.travel(dt.datetime(2026, 6, 1, 9, 0, tzinfo=dt.UTC)) as clock:
        _sign_in(client, clinician_on_team)

        response = client.get("/")
        assert response.status_code == 302
        assert response["Location"].startswith("/accounts/otp/verify/")

        bad = client.post("/accounts/otp/verify/", {"token": "000000", "next": "/"})
        assert bad.status_code == 400
        assert "That code is not valid" in bad.content.decode()

        # A wrong code throttles the device briefly (django-otp); wait it out.
        clock.shift(dt.timedelta(seconds=2))
        device.refresh_from_db()
        good = client.post("/accounts/otp/verify/", {"token": _code(device), "next": "/"})
        assert good.status_code == 302
        assert client.get("/").status_code == 200


def test_a_clinician_without_an_authenticator_signs_in_with_a_password(client, clinician_on_team):
    _sign_in(client, clinician_on_team)
    assert client.get("/").status_code == 200


def test_production_requires_superusers_to_set_up_two_factor(client, admin, settings):
    settings.OTP_REQUIRED_FOR_SUPERUSERS = True
    _sign_in(client, admin)

    response = client.get("/admin/")
    assert response.status_code == 302
    assert response["Location"] == "/accounts/otp/setup/"

    page = client.get("/accounts/otp/setup/")
    assert page.status_code == 200
    assert "data:image/svg+xml;base64," in page.content.decode()
    device = TOTPDevice.objects.get(user=admin, confirmed=False)

    assert client.post("/accounts/otp/setup/", {"token": _code(device)}).status_code == 302
    device.refresh_from_db()
    assert device.confirmed
    assert client.get("/admin/").status_code == 200


def test_production_settings_turn_the_superuser_requirement_on():
    import importlib
    import os

    os.environ.setdefault("SECRET_KEY", "x" * 60)
    os.environ.setdefault("ALLOWED_HOSTS", "careteam.example.org")
    production = importlib.import_module("careteam.settings.production")
    assert production.OTP_REQUIRED_FOR_SUPERUSERS is True


def test_an_api_session_call_without_the_second_factor_gets_a_json_401(client, clinician_on_team):
    TOTPDevice.objects.create(user=clinician_on_team, name="phone", confirmed=True)
    _sign_in(client, clinician_on_team)
    response = client.get("/api/v1/patients/")
    assert response.status_code == 401
    assert response.json()["error"]["code"] == "second_factor_required"
