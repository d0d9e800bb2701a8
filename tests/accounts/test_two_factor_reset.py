"""An admin resets a clinician's two-factor (lost phone): audited, notified, enrol again."""

import pytest
from django_otp.oath import totp
from django_otp.plugins.otp_totp.models import TOTPDevice

from apps.accounts.services import two_factor_reset
from apps.audit.models import AuditEvent

pytestmark = pytest.mark.django_db


def _code(device):
    return f"{totp(device.bin_key, device.step, device.t0, device.digits, device.drift):06d}"


@pytest.fixture
def sent_tasks(monkeypatch):
    sent = []
    monkeypatch.setattr(
        "apps.core.enqueue.send_task_now", lambda name, *args, **kw: sent.append((name, args))
    )
    return sent


def test_an_admin_reset_removes_the_devices_audited_and_notified(
    admin, clinician_on_team, sent_tasks, django_capture_on_commit_callbacks
):
    device = TOTPDevice.objects.create(user=clinician_on_team, name="phone", confirmed=True)

    with django_capture_on_commit_callbacks(execute=True):
        removed = two_factor_reset(actor=admin, user=clinician_on_team)

    assert removed == 1
    assert not TOTPDevice.objects.filter(user=clinician_on_team).exists()
    assert AuditEvent.objects.filter(
        actor=admin, action="delete", object_type="otp_totp.totpdevice", object_id=str(device.pk)
    ).exists()
    assert sent_tasks == [("accounts.notify_two_factor_reset", (clinician_on_team.pk,))]


def test_after_a_reset_the_clinician_enrols_again_with_the_password(
    client, admin, clinician_on_team, sent_tasks
):
    TOTPDevice.objects.create(user=clinician_on_team, name="lost phone", confirmed=True)
    two_factor_reset(actor=admin, user=clinician_on_team)

    client.post("/accounts/login/", {"username": "dr_on_team", "password": "correct-horse-battery"})
    assert client.get("/accounts/otp/setup/").status_code == 200
    device = TOTPDevice.objects.get(user=clinician_on_team, confirmed=False)
    assert client.post("/accounts/otp/setup/", {"token": _code(device)}).status_code == 302
    device.refresh_from_db()
    assert device.confirmed


def test_the_admin_action_resets_two_factor_of_the_selected_clinicians(
    client, admin, clinician_on_team, sent_tasks
):
    TOTPDevice.objects.create(user=clinician_on_team, name="phone", confirmed=True)
    client.force_login(admin)

    response = client.post(
        "/admin/accounts/clinician/",
        {"action": "reset_two_factor", "_selected_action": [clinician_on_team.pk]},
        follow=True,
    )

    assert response.status_code == 200
    assert "Two-factor sign-in was reset for 1 clinician" in response.content.decode()
    assert not TOTPDevice.objects.filter(user=clinician_on_team).exists()
