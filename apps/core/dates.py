"""Clinic-local dates. "Day 7 of the episode" and "due today" are read in the clinic's zone."""

import datetime as dt

from django.utils import timezone


def clinic_today() -> dt.date:
    return timezone.localdate()


def days_between(start: dt.date, end: dt.date) -> int:
    return (end - start).days
