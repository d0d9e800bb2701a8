"""Reads for messaging: due messages, check-in links, a clinician's notifications."""

import datetime as dt
from typing import Any

from django.db.models import QuerySet

from .models import CheckIn, MessageStatus, Notification, OutboundMessage
from .tokens import InvalidToken, read_checkin_token


def due_message_ids(now: dt.datetime, *, limit: int) -> list[int]:
    """Ids of pending messages whose ``send_after`` has come, oldest first."""
    return list(
        OutboundMessage.objects.filter(status=MessageStatus.PENDING, send_after__lte=now)
        .order_by("send_after", "pk")
        .values_list("pk", flat=True)[:limit]
    )


def checkin_from_token(token: str) -> CheckIn:
    """The check-in a signed token points at; ``InvalidToken`` if it was altered or is unknown.

    Expiry and use are not checked here: the view shows a different page for each.
    """
    data = read_checkin_token(token)
    checkin = (
        CheckIn.objects.select_related("patient", "episode")
        .filter(pk=data.checkin_id, nonce=data.nonce)
        .first()
    )
    if checkin is None:
        raise InvalidToken("unknown check-in")
    return checkin


def notifications_for(user: Any, *, unread_only: bool = False) -> QuerySet[Notification]:
    qs = Notification.objects.filter(recipient_id=user.pk).select_related("patient")
    if unread_only:
        qs = qs.filter(read_at__isnull=True)
    return qs
