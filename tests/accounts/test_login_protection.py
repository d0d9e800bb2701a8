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
