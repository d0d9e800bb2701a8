"""One date and number format for every text a person reads (pages, emails, SMS, notifications).

Templates use the same formats (``j M Y``: "4 Dec 2026"); Python code formats through here.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal


def format_date(day: dt.date) -> str:
    """ "4 Dec 2026" (never ISO)."""
    return f"{day.day} {day:%b %Y}"


def format_number(value: float | Decimal | int, places: int = 1) -> str:
    """At most ``places`` decimals, trailing zeros dropped: 33.333 -> "33.3", 50.0 -> "50"."""
    text = f"{float(value):.{places}f}"
    return text.rstrip("0").rstrip(".") if "." in text else text


def plural(count: int, singular: str, plural_form: str | None = None) -> str:
    """ "1 reading", "2 readings"."""
    return f"{count} {singular if count == 1 else (plural_form or singular + 's')}"
