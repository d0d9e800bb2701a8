"""One date and number format for the texts people read."""

import datetime as dt
from decimal import Decimal

from apps.core.text import format_date, format_number, plural
from apps.flags.rules import headline, rule_label


def test_it_formats_dates_like_the_pages_do_never_iso():
    assert format_date(dt.date(2026, 12, 4)) == "4 Dec 2026"


def test_it_formats_numbers_with_one_decimal_and_no_trailing_zeros():
    assert format_number(Decimal("33.3333")) == "33.3"
    assert format_number(50.0) == "50"


def test_it_pluralises_counts():
    assert plural(1, "reading") == "1 reading"
    assert plural(3, "reading") == "3 readings"


def test_rule_codes_map_to_human_labels_and_titles_are_not_doubled():
    assert rule_label("sleep_disruption") != "sleep_disruption"
    assert headline("red_flag", "Red flag: Fever") == "Red flag: Fever"
    assert headline("opioid_review_due", "Opioid review due: oxycodone") == (
        "Opioid review due: oxycodone"
    )
