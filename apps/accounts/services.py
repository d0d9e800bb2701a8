"""Account security writes: enrolling, replacing and resetting the two-factor authenticator.

The rules (SECURITY.md, "Two-factor sign-in"):

- A first authenticator may be enrolled right after the password (onboarding).
- An existing confirmed authenticator is replaced only from a session that has already
  entered a code of it; a session with the password alone never deletes a confirmed device.
- A lost authenticator is removed by an admin (``two_factor_reset``), after which the clinician
  enrols again.
- Each change is written to the audit trail and the clinician is told by email.
"""

from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django_otp import devices_for_user
from django_otp.plugins.otp_totp.models import TOTPDevice

from apps.audit.models import AuditAction
from apps.audit.services import audit_record
from apps.core.enqueue import enqueue_on_commit

INVALID_CODE = "That code is not valid. Check the time on your phone and try the current code."


def two_factor_pending_device(*, user: Any) -> TOTPDevice:
    """The unconfirmed device whose secret the set-up page shows (created on first visit)."""
    device, _ = TOTPDevice.objects.get_or_create(
        user=user, confirmed=False, defaults={"name": "Authenticator app"}
    )
    return device


def two_factor_may_enrol(*, user: Any, session_verified: bool) -> bool:
    """A session may enrol when the user has no confirmed device yet, or has proved one."""
    return session_verified or not TOTPDevice.objects.filter(user=user, confirmed=True).exists()


def two_factor_confirm(*, user: Any, device: TOTPDevice, token: str, session_verified: bool) -> str:
    """Confirm ``device`` with one of its codes; it replaces any confirmed device.

    Returns "two_factor_enrolled" or "two_factor_replaced". Raises ``PermissionDenied`` when
    a confirmed device exists and the session has not entered its code, ``ValidationError`` on
    ``token`` when the code is wrong.
    """
    with transaction.atomic():
        # Lock the user's devices so two concurrent confirmations cannot both pass the check.
        existing = list(
            TOTPDevice.objects.select_for_update().filter(user=user).exclude(pk=device.pk)
        )
        confirmed = [d for d in existing if d.confirmed]
        if confirmed and not session_verified:
            raise PermissionDenied("Enter a code of your current authenticator first.")
        if device.user_id != user.pk or device.confirmed:
            raise PermissionDenied("This authenticator cannot be confirmed.")
        if not device.verify_token(token):
            raise ValidationError({"token": INVALID_CODE})
        for old in confirmed:
            audit_record(
                actor=user, action=AuditAction.DELETE, obj=old, changed_fields=["confirmed"]
            )
            old.delete()
        device.confirmed = True
        device.full_clean()
        device.save(update_fields=["confirmed"])
        audit_record(
            actor=user, action=AuditAction.CREATE, obj=device, changed_fields=["confirmed"]
        )
        kind = "two_factor_replaced" if confirmed else "two_factor_enrolled"
        enqueue_on_commit(f"accounts.notify_{kind}", user.pk)
    return kind


def two_factor_reset(*, actor: Any, user: Any) -> int:
    """Admin-issued reset (lost phone): remove every second-factor device of ``user``.

    The clinician then signs in with the password and enrols a new authenticator. Returns the
    number of confirmed devices removed.
    """
    if not getattr(actor, "is_superuser", False):
        raise PermissionDenied("Only an administrator can reset two-factor sign-in.")
    with transaction.atomic():
        removed = 0
        for device in devices_for_user(user, confirmed=None):
            if device.confirmed:
                removed += 1
                audit_record(
                    actor=actor, action=AuditAction.DELETE, obj=device, changed_fields=["confirmed"]
                )
            device.delete()
        enqueue_on_commit("accounts.notify_two_factor_reset", user.pk)
    return removed
