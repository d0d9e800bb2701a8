"""Login protection: lockout after repeated failures (django-axes), strong passwords."""

import pytest
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError

pytestmark = pytest.mark.django_db

LOGIN = "/accounts/login/"


def _attempt(client, username, password):
    return client.post(LOGIN, {"username": username, "password": password}, REMOTE_ADDR="10.1.2.3")


def test_it_locks_the_account_after_five_failed_sign_ins(client, clinician_on_team, settings):
    for _ in range(settings.AXES_FAILURE_LIMIT - 1):
        response = _attempt(client, "dr_on_team", "wrong-password")
        assert response.status_code == 200
        assert "Please enter a correct username and password" in response.content.decode()

    response = _attempt(client, "dr_on_team", "wrong-password")
    assert response.status_code == 429
    assert "Too many failed sign-ins" in response.content.decode()

    # Even the right password is refused while locked.
    response = _attempt(client, "dr_on_team", "correct-horse-battery")
    assert response.status_code == 429
    assert "_auth_user_id" not in client.session


def test_a_successful_sign_in_before_the_limit_resets_the_count(
    client, clinician_on_team, settings
):
    for _ in range(settings.AXES_FAILURE_LIMIT - 1):
        _attempt(client, "dr_on_team", "wrong-password")
    assert _attempt(client, "dr_on_team", "correct-horse-battery").status_code == 302
    client.logout()
    for _ in range(settings.AXES_FAILURE_LIMIT - 1):
        assert _attempt(client, "dr_on_team", "wrong-password").status_code == 200


def test_the_lockout_also_protects_the_admin_login(client, admin, settings):
    for _ in range(settings.AXES_FAILURE_LIMIT):
        client.post(
            "/admin/login/", {"username": "admin", "password": "nope"}, REMOTE_ADDR="10.9.9.9"
        )
    response = client.post(
        "/admin/login/",
        {"username": "admin", "password": "correct-horse-battery"},
        REMOTE_ADDR="10.9.9.9",
    )
    assert response.status_code == 429


@pytest.mark.parametrize(
    "password, message",
    [
        ("short1!", "too short"),
        ("password123", "too common"),
        ("4815162342108", "entirely numeric"),
    ],
)
def test_weak_passwords_are_refused(password, message):
    with pytest.raises(ValidationError, match=message):
        validate_password(password)


PROXY = "10.0.0.1"


def _via(client, password, forwarded_for, remote=PROXY):
    return client.post(
        LOGIN,
        {"username": "dr_on_team", "password": password},
        REMOTE_ADDR=remote,
        HTTP_X_FORWARDED_FOR=forwarded_for,
    )


def test_behind_a_trusted_proxy_a_stranger_cannot_lock_a_clinician_out(
    client, clinician_on_team, settings
):
    settings.TRUSTED_PROXY_COUNT = 1
    for _ in range(settings.AXES_FAILURE_LIMIT + 1):
        _via(client, "wrong-password", "203.0.113.9")
    assert _via(client, "wrong-password", "203.0.113.9").status_code == 429

    # The clinician, from their own address through the same proxy, still signs in.
    assert _via(client, "correct-horse-battery", "198.51.100.7").status_code == 302


def test_behind_a_trusted_proxy_only_the_address_the_proxy_appended_counts(
    client, clinician_on_team, settings
):
    settings.TRUSTED_PROXY_COUNT = 1
    # The attacker rotates a spoofed first entry; the proxy appends the real address.
    for n in range(settings.AXES_FAILURE_LIMIT):
        _via(client, "wrong-password", f"192.0.2.{n}, 203.0.113.9")
    assert _via(client, "correct-horse-battery", "192.0.2.200, 203.0.113.9").status_code == 429


def test_without_a_trusted_proxy_a_spoofed_forwarded_for_does_not_change_the_lockout_key(
    client, clinician_on_team, settings
):
    assert settings.TRUSTED_PROXY_COUNT == 0
    for n in range(settings.AXES_FAILURE_LIMIT):
        _via(client, "wrong-password", f"192.0.2.{n}", remote="10.1.2.3")
    assert _via(client, "correct-horse-battery", "192.0.2.77", remote="10.1.2.3").status_code == 429


def test_the_audit_trail_records_the_client_address_behind_a_trusted_proxy(
    client, clinician_on_team, patient, settings
):
    from apps.audit.models import AuditEvent

    settings.TRUSTED_PROXY_COUNT = 1
    client.force_login(clinician_on_team)
    client.get(f"/patients/{patient.pk}/", REMOTE_ADDR=PROXY, HTTP_X_FORWARDED_FOR="198.51.100.7")
    assert AuditEvent.objects.filter(action="view").latest("at").ip_address == "198.51.100.7"
