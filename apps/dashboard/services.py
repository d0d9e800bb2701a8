"""Writes the dashboard owns: marking in-app notifications read.

Notifications are created by apps.messaging; reading them is the clinician's own business, so
these only ever touch the actor's own rows (recipient = actor), with a conditional UPDATE that
keeps the first read time.
"""

from typing import Any

from django.utils import timezone

from apps.messaging.models import Notification


def notification_mark_read(*, actor: Any, notification: Notification) -> Notification:
    if notification.recipient_id != actor.pk:
        raise PermissionError("Only the recipient can mark a notification read.")
    now = timezone.now()
    Notification.objects.filter(pk=notification.pk, read_at__isnull=True).update(
        read_at=now, updated_at=now
    )
    notification.refresh_from_db(fields=["read_at", "updated_at"])
    return notification


def notifications_mark_all_read(*, actor: Any) -> int:
    now = timezone.now()
    return Notification.objects.filter(recipient_id=actor.pk, read_at__isnull=True).update(
        read_at=now, updated_at=now
    )
