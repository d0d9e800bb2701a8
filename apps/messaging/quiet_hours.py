"""A patient's quiet hours, read in the patient's own time zone.

Quiet hours may wrap midnight (21:00–08:00: quiet from 21:00 until 08:00 the next morning) or
sit inside one day (13:00–15:00). A start equal to the end means no quiet hours.
"""

import datetime as dt
import zoneinfo
from typing import Protocol

from django.conf import settings


class HasQuietHours(Protocol):
    quiet_hours_start: dt.time | None
    quiet_hours_end: dt.time | None
    timezone: str


def patient_zone(patient: HasQuietHours) -> zoneinfo.ZoneInfo:
    """The patient's zone; the clinic's if theirs is unknown (the model validates it anyway)."""
    try:
        return zoneinfo.ZoneInfo(patient.timezone)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        return zoneinfo.ZoneInfo(settings.TIME_ZONE)


def quiet_hours_end(
    *, start: dt.time | None, end: dt.time | None, zone: dt.tzinfo, when: dt.datetime
) -> dt.datetime | None:
    """If ``when`` (aware) falls inside the quiet hours, the aware moment they end; else None."""
    if start is None or end is None or start == end:
        return None
    local = when.astimezone(zone)
    now_t = local.time().replace(tzinfo=None)
    if start < end:  # same-day window, e.g. 13:00-15:00
        if not start <= now_t < end:
            return None
        end_day = local.date()
    else:  # wraps midnight, e.g. 21:00-08:00
        if end <= now_t < start:
            return None
        end_day = local.date() if now_t < end else local.date() + dt.timedelta(days=1)
    return dt.datetime.combine(end_day, end, tzinfo=zone).astimezone(dt.UTC)


def outside_quiet_hours(patient: HasQuietHours, when: dt.datetime) -> dt.datetime:
    """``when`` itself, or the end of the patient's quiet hours if ``when`` falls inside them."""
    moved = quiet_hours_end(
        start=patient.quiet_hours_start,
        end=patient.quiet_hours_end,
        zone=patient_zone(patient),
        when=when,
    )
    return when if moved is None else moved
