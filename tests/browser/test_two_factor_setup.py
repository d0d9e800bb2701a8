"""Setting up two-factor sign-in in a real browser; a password-only session cannot replace a
confirmed authenticator (issue 14.1)."""

import base64

import pytest
from playwright.sync_api import expect

from tests.browser.axe import assert_no_serious_violations, install_axe

pytestmark = pytest.mark.browser

PASSWORD = "correct-horse-battery"


def _clinician(username):
    from tests.factories import ClinicianFactory, TeamFactory, TeamMembershipFactory

    clinician = ClinicianFactory(username=username)
    TeamMembershipFactory(team=TeamFactory(), clinician=clinician)
    return clinician


def _code_for_key(secret: str) -> str:
    from django_otp.oath import totp

    key = base64.b32decode(secret + "=" * (-len(secret) % 8))
    return f"{totp(key):06d}"


def _log_in(page, base, username):
    install_axe(page, base)
    page.goto(f"{base}/accounts/login/")
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()


def test_a_clinician_turns_on_two_factor_sign_in(page, live_server, transactional_db):
    from django_otp.plugins.otp_totp.models import TOTPDevice

    clinician = _clinician("new_clinician")
    _log_in(page, live_server.url, "new_clinician")
    page.goto(f"{live_server.url}/accounts/otp/setup/")
    expect(page.get_by_role("heading", name="Set up two-factor sign-in")).to_be_visible()
    assert_no_serious_violations(page, live_server.url, "two-factor set-up")

    page.get_by_label("Authentication code").fill("000000")
    page.get_by_role("button", name="Turn on two-factor sign-in").click()
    expect(page.get_by_role("alert")).to_contain_text("That code is not valid")
    assert_no_serious_violations(page, live_server.url, "two-factor set-up, wrong code")

    # django-otp refuses any code for a second after a wrong one (throttling); wait it out.
    page.wait_for_timeout(1500)
    secret = page.locator("code").inner_text()
    page.get_by_label("Authentication code").fill(_code_for_key(secret))
    page.get_by_role("button", name="Turn on two-factor sign-in").click()
    expect(page.get_by_role("status")).to_contain_text("Two-factor sign-in is on")
    assert TOTPDevice.objects.filter(user=clinician, confirmed=True).count() == 1


def test_a_password_only_session_is_asked_for_the_code_instead_of_a_new_secret(
    page, live_server, transactional_db
):
    from django_otp.plugins.otp_totp.models import TOTPDevice

    clinician = _clinician("has_phone")
    TOTPDevice.objects.create(user=clinician, name="phone", confirmed=True)
    _log_in(page, live_server.url, "has_phone")
    page.goto(f"{live_server.url}/accounts/otp/setup/")

    expect(page.get_by_role("heading", name="Two-factor sign-in", exact=True)).to_be_visible()
    expect(page.locator("code")).to_have_count(0)
    assert_no_serious_violations(page, live_server.url, "code prompt before replacing")
    assert TOTPDevice.objects.filter(user=clinician).count() == 1


def test_an_admin_resets_a_clinicians_two_factor_from_the_clinician_list(
    page, live_server, transactional_db, monkeypatch
):
    from django_otp.plugins.otp_totp.models import TOTPDevice

    from tests.factories import ClinicianFactory

    monkeypatch.setattr("apps.core.enqueue.send_task_now", lambda *args, **kwargs: True)
    clinician = _clinician("lost_phone")
    TOTPDevice.objects.create(user=clinician, name="phone", confirmed=True)
    ClinicianFactory(username="site_admin", is_staff=True, is_superuser=True, discipline="")
    base = live_server.url
    install_axe(page, base)
    page.goto(f"{base}/admin/login/")
    page.get_by_label("Username").fill("site_admin")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()

    page.goto(f"{base}/admin/accounts/clinician/")
    page.get_by_role("row", name="lost_phone").get_by_role("checkbox").check()
    page.locator("select[name=action]").select_option("reset_two_factor")
    page.get_by_role("button", name="Go").click()

    expect(page.locator(".messagelist")).to_contain_text("Two-factor sign-in was reset for 1")
    assert_no_serious_violations(page, base, "clinician list after reset")
    assert not TOTPDevice.objects.filter(user=clinician).exists()
