"""Quiet hours, read in the patient's time zone, wrapping midnight or not."""

import datetime as dt
import zoneinfo

import pytest

from apps.messaging.quiet_hours import outside_quiet_hours, quiet_hours_end
from apps.patients.models import Patient

NY = zoneinfo.ZoneInfo("America/New_York")


def at(y, m, d, h, minute=0, zone=NY):
    return dt.datetime(y, m, d, h, minute, tzinfo=zone)


@pytest.mark.parametrize(
    ("local", "expected"),
    [
        (at(2026, 5, 11, 20, 59), None),  # before the quiet hours
        (at(2026, 5, 11, 21, 0), at(2026, 5, 12, 8, 0)),  # from 21:00 ...
        (at(2026, 5, 11, 23, 30), at(2026, 5, 12, 8, 0)),  # ... through midnight ...
        (at(2026, 5, 12, 2, 0), at(2026, 5, 12, 8, 0)),  # ... until 08:00 the same morning
        (at(2026, 5, 12, 8, 0), None),  # 08:00 is allowed again
    ],
)
def test_quiet_hours_that_wrap_midnight(local, expected):
    result = quiet_hours_end(start=dt.time(21), end=dt.time(8), zone=NY, when=local)
    assert result == expected


def test_quiet_hours_inside_one_day():
    kwargs = {"start": dt.time(13), "end": dt.time(15), "zone": NY}
    assert quiet_hours_end(when=at(2026, 5, 12, 12, 59), **kwargs) is None
    assert quiet_hours_end(when=at(2026, 5, 12, 14), **kwargs) == at(2026, 5, 12, 15)
    assert quiet_hours_end(when=at(2026, 5, 12, 15), **kwargs) is None


def test_no_quiet_hours_or_an_empty_window_moves_nothing():
    when = at(2026, 5, 12, 3)
    assert quiet_hours_end(start=None, end=None, zone=NY, when=when) is None
    assert quiet_hours_end(start=dt.time(8), end=dt.time(8), zone=NY, when=when) is None


def test_it_reads_the_quiet_hours_in_the_patients_own_time_zone():
    patient = Patient(
        quiet_hours_start=dt.time(22), quiet_hours_end=dt.time(7), timezone="Europe/London"
    )
    # 17:30 in New York (the clinic) is 22:30 in London: quiet for this patient until 07:00 BST.
    when = dt.datetime(2026, 5, 12, 21, 30, tzinfo=dt.UTC)
    assert outside_quiet_hours(patient, when) == dt.datetime(2026, 5, 13, 6, 0, tzinfo=dt.UTC)
    patient.timezone = "America/New_York"
    assert outside_quiet_hours(patient, when) == when
