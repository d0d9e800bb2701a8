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


# --- Enrolment and replacement of the authenticator (issue 14.1) ----------------------------------


@pytest.fixture
def sent_tasks(monkeypatch):
    sent = []
    monkeypatch.setattr(
        "apps.core.enqueue.send_task_now", lambda name, *args, **kw: sent.append((name, args))
    )
    return sent


def _verified_client(client, user, device):
    _sign_in(client, user)
    device.refresh_from_db()
    assert (
        client.post("/accounts/otp/verify/", {"token": _code(device), "next": "/"}).status_code
        == 302
    )


def test_it_refuses_to_show_a_new_secret_to_a_session_that_has_only_the_password(
    client, clinician_on_team
):
    TOTPDevice.objects.create(user=clinician_on_team, name="phone", confirmed=True)
    _sign_in(client, clinician_on_team)

    response = client.get("/accounts/otp/setup/")

    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/otp/verify/")
    assert not TOTPDevice.objects.filter(user=clinician_on_team, confirmed=False).exists()


def test_it_refuses_to_replace_the_authenticator_with_the_password_alone(
    client, clinician_on_team, settings
):
    settings.OTP_REQUIRED_FOR_SUPERUSERS = True
    original = TOTPDevice.objects.create(user=clinician_on_team, name="phone", confirmed=True)
    # An attacker's pending device (e.g. from an earlier set-up page) with a valid code.
    pending = TOTPDevice.objects.create(user=clinician_on_team, name="attacker", confirmed=False)
    _sign_in(client, clinician_on_team)

    response = client.post("/accounts/otp/setup/", {"token": _code(pending)})

    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/otp/verify/")
    assert TOTPDevice.objects.filter(pk=original.pk, confirmed=True).exists()
    pending.refresh_from_db()
    assert not pending.confirmed
    # The session is still not verified: every page still asks for the code.
    assert client.get("/")["Location"].startswith("/accounts/otp/verify/")


def test_a_verified_clinician_can_replace_the_authenticator_audited_and_notified(
    client, clinician_on_team, sent_tasks, django_capture_on_commit_callbacks
):
    from apps.audit.models import AuditEvent

    old = TOTPDevice.objects.create(user=clinician_on_team, name="phone", confirmed=True)
    with time_machine.travel(dt.datetime(2026, 6, 1, 9, 0, tzinfo=dt.UTC)) as clock:
        _verified_client(client, clinician_on_team, old)
        assert client.get("/accounts/otp/setup/").status_code == 200
        new = TOTPDevice.objects.get(user=clinician_on_team, confirmed=False)
        clock.shift(dt.timedelta(seconds=31))
        with django_capture_on_commit_callbacks(execute=True):
            with_new = client.post("/accounts/otp/setup/", {"token": _code(new)})

    assert with_new.status_code == 302
    assert list(
        TOTPDevice.objects.filter(user=clinician_on_team).values_list("pk", "confirmed")
    ) == [(new.pk, True)]
    events = AuditEvent.objects.filter(actor=clinician_on_team, object_type="otp_totp.totpdevice")
    assert {(e.action, e.object_id) for e in events} == {
        ("delete", str(old.pk)),
        ("create", str(new.pk)),
    }
    assert ("accounts.notify_two_factor_replaced", (clinician_on_team.pk,)) in (sent_tasks)


def test_first_enrolment_after_the_password_is_possible_audited_and_notified(
    client, clinician_on_team, sent_tasks, django_capture_on_commit_callbacks
):
    from apps.audit.models import AuditEvent

    _sign_in(client, clinician_on_team)
    assert client.get("/accounts/otp/setup/").status_code == 200
    device = TOTPDevice.objects.get(user=clinician_on_team, confirmed=False)

    with django_capture_on_commit_callbacks(execute=True):
        response = client.post("/accounts/otp/setup/", {"token": _code(device)})

    assert response.status_code == 302
    device.refresh_from_db()
    assert device.confirmed
    assert AuditEvent.objects.filter(
        actor=clinician_on_team, action="create", object_id=str(device.pk)
    ).exists()
    assert sent_tasks == [("accounts.notify_two_factor_enrolled", (clinician_on_team.pk,))]


def test_the_security_notice_emails_the_clinician(clinician_on_team, mailoutbox):
    from apps.accounts.tasks import notify_two_factor_replaced

    notify_two_factor_replaced(clinician_on_team.pk)

    assert [m.to for m in mailoutbox] == [[clinician_on_team.email]]
    assert "two-factor" in mailoutbox[0].subject.lower()
    assert "not you" in mailoutbox[0].body


@pytest.mark.parametrize(
    "path", ["/accounts/password_change/", "/admin/", "/accounts/logout-everywhere/"]
)
def test_a_password_only_session_reaches_no_account_page_but_the_code_prompt(client, admin, path):
    TOTPDevice.objects.create(user=admin, name="phone", confirmed=True)
    _sign_in(client, admin)
    response = client.get(path)
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/otp/verify/")
