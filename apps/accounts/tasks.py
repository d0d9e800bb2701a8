"""Security notices to a clinician (sent by the worker after the change committed)."""

from celery import shared_task
from django.conf import settings
from django.core.mail import send_mail

NOTICES = {
    "two_factor_enrolled": "Two-factor sign-in was turned on for your CareTeam account.",
    "two_factor_replaced": "The authenticator app of your CareTeam account was replaced.",
    "two_factor_reset": "An administrator reset two-factor sign-in of your CareTeam account. "
    "Set up your authenticator app again at your next sign-in.",
}


def send_security_notice(user_id: int, kind: str) -> None:
    from apps.accounts.models import Clinician

    user = Clinician.objects.filter(pk=user_id).first()
    if user is None or not user.email or kind not in NOTICES:
        return
    body = (
        f"{NOTICES[kind]}\n\n"
        "If this was not you, contact your CareTeam administrator now: someone may know your "
        f"password.\n\n{settings.SITE_URL}\n"
    )
    send_mail("CareTeam: two-factor sign-in changed", body, None, [user.email])


# One task per notice: tasks take ids only (tests/security/test_task_messages.py).
@shared_task(name="accounts.notify_two_factor_enrolled", ignore_result=True)
def notify_two_factor_enrolled(user_id: int) -> None:
    send_security_notice(user_id, "two_factor_enrolled")


@shared_task(name="accounts.notify_two_factor_replaced", ignore_result=True)
def notify_two_factor_replaced(user_id: int) -> None:
    send_security_notice(user_id, "two_factor_replaced")


@shared_task(name="accounts.notify_two_factor_reset", ignore_result=True)
def notify_two_factor_reset(user_id: int) -> None:
    send_security_notice(user_id, "two_factor_reset")
