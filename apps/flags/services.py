"""What clinicians do with a flag: acknowledge, resolve with a note, snooze until a date.

Every action is atomic, validated and audited; resolving a flag completes its open task.
Safety flags (``SAFETY_RULES``: red flags, self-harm risk) are never snoozed; acknowledging an
urgent flag needs a reason, and resolving any flag needs a note. These rules live here, so the
page, the API and admin all refuse the same things.
"""

import datetime as dt
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from apps.core.dates import clinic_today
from apps.core.services import model_update
from apps.worklist.models import OPEN_TASK_STATUSES, Task, TaskStatus

from .models import Flag, FlagStatus


def _lock(flag: Flag) -> Flag:
    return Flag.objects.select_for_update().get(pk=flag.pk)


@transaction.atomic
def flag_acknowledge(*, actor: Any, flag: Flag, note: str = "") -> Flag:
    note = (note or "").strip()
    current = _lock(flag)
    if current.status == FlagStatus.RESOLVED:
        raise ValidationError({"status": "This flag is already resolved."})
    if current.status == FlagStatus.ACKNOWLEDGED:
        return current
    if current.needs_reason_to_acknowledge and not note:
        raise ValidationError(
            {"note": "Say why you are acknowledging this urgent flag (what was done or planned)."}
        )
    model_update(
        actor=actor,
        instance=current,
        data={
            "status": FlagStatus.ACKNOWLEDGED,
            "acknowledged_at": timezone.now(),
            "acknowledged_by": actor,
            "acknowledgement_note": note,
            "snoozed_until": None,
        },
    )
    return current


@transaction.atomic
def flag_resolve(*, actor: Any, flag: Flag, note: str) -> Flag:
    note = (note or "").strip()
    if not note:
        raise ValidationError({"note": "Say how the flag was resolved."})
    current = _lock(flag)
    if current.status == FlagStatus.RESOLVED:
        raise ValidationError({"status": "This flag is already resolved."})
    now = timezone.now()
    data: dict[str, Any] = {
        "status": FlagStatus.RESOLVED,
        "resolved_at": now,
        "resolved_by": actor,
        "resolution_note": note,
        "auto_resolved": False,
    }
    if current.acknowledged_at is None:
        data.update(acknowledged_at=now, acknowledged_by=actor)
    model_update(actor=actor, instance=current, data=data)
    for task in Task.objects.filter(flag=current, status__in=OPEN_TASK_STATUSES):
        model_update(
            actor=actor,
            instance=task,
            data={"status": TaskStatus.COMPLETED, "completed_at": now, "completed_by": actor},
        )
    return current


@transaction.atomic
def flag_snooze(*, actor: Any, flag: Flag, until: dt.date) -> Flag:
    if flag.is_safety:
        raise ValidationError(
            {
                "snoozed_until": "A safety flag (red flag, self-harm risk) cannot be snoozed: "
                "acknowledge it with a reason, or resolve it with a note."
            }
        )
    if until is None or until <= clinic_today():
        raise ValidationError({"snoozed_until": "Snooze until a date after today."})
    if until > clinic_today() + dt.timedelta(days=90):
        raise ValidationError({"snoozed_until": "Snooze for at most 90 days."})
    current = _lock(flag)
    if current.status == FlagStatus.RESOLVED:
        raise ValidationError({"status": "This flag is already resolved."})
    data: dict[str, Any] = {"status": FlagStatus.SNOOZED, "snoozed_until": until}
    if current.acknowledged_at is None:
        data.update(acknowledged_at=timezone.now(), acknowledged_by=actor)
    model_update(actor=actor, instance=current, data=data)
    return current
