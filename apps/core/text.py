"""One date and number format for every text a person reads (pages, emails, SMS, notifications).

Dates read "4 Dec 2026" (with the weekday where a day of the week helps: "Fri 4 Dec 2026"),
times "14:05" on a 24-hour clock, numbers with at most one decimal and no trailing zeros
("33.3", "50"), counts with the noun in the right number ("1 reading", "3 readings"). Templates
use the same functions through the ``day``/``when``/``score``/``plural`` filters
(apps/dashboard/templatetags/dashboard.py). Machine formats (API, FHIR, JSON evidence, keys)
stay ISO 8601 and are not made here.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from fractions import Fraction

from django.utils import timezone

EMPTY = "—"


def _local(when: dt.datetime, zone: dt.tzinfo | None = None) -> dt.datetime:
    if timezone.is_naive(when):
        return when
    return when.astimezone(zone or timezone.get_current_timezone())


def format_date(day: dt.date | dt.datetime, *, weekday: bool = False) -> str:
    """ "4 Dec 2026" (never ISO); "Fri 4 Dec 2026" with ``weekday``. A datetime gives its day
    in the clinic's time zone."""
    if isinstance(day, dt.datetime):
        day = _local(day).date()
    text = f"{day.day} {day:%b %Y}"
    return f"{day:%a} {text}" if weekday else text


def format_time(when: dt.datetime | dt.time, zone: dt.tzinfo | None = None) -> str:
    """ "14:05" (24-hour clock, local time)."""
    if isinstance(when, dt.datetime):
        when = _local(when, zone).time()
    return f"{when:%H:%M}"


def format_datetime(
    when: dt.datetime,
    zone: dt.tzinfo | None = None,
    *,
    weekday: bool = False,
    zone_name: bool = False,
) -> str:
    """ "4 Dec 2026, 14:05" in the clinic's time zone (or ``zone``); "Fri 4 Dec 2026, 14:05 EST"
    with ``weekday`` and ``zone_name``."""
    local = _local(when, zone)
    text = f"{format_date(local.date(), weekday=weekday)}, {format_time(local.time())}"
    if zone_name and local.tzinfo is not None:
        text += f" {local.tzname()}"
    return text


def format_number(value: float | Decimal | Fraction | int | str, places: int = 1) -> str:
    """At most ``places`` decimals, trailing zeros dropped: 33.333 -> "33.3", 50.0 -> "50"."""
    text = f"{float(value):.{places}f}"
    if "." in text:
        text = text.rstrip("0").rstrip(".")
    return "0" if text in ("", "-0") else text


def format_score(value: float | Decimal | Fraction | int | str | None, places: int = 1) -> str:
    """A score, percentage or dose as people read it; "—" when there is none."""
    if value is None or value == "":
        return EMPTY
    return format_number(value, places)


def plural(count: int, singular: str, plural_form: str | None = None) -> str:
    """ "1 reading", "2 readings"."""
    return f"{count} {singular if count == 1 else (plural_form or singular + 's')}"
