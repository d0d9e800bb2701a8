"""Fixtures for messaging tests: a fixed clock and the outboxes cleared."""

import datetime as dt

import pytest
import time_machine

from apps.messaging import sms

# A Tuesday in May, away from DST changes: 10:00 in New York (the clinic), 15:00 in London.
NOW = dt.datetime(2026, 5, 12, 14, 0, tzinfo=dt.UTC)


@pytest.fixture(autouse=True)
def _clear_sms_outbox():
    sms.outbox.clear()
    yield
    sms.outbox.clear()


@pytest.fixture
def clock():
    """Time frozen at NOW; ``clock.shift(timedelta)`` / ``clock.move_to(datetime)`` move it."""
    with time_machine.travel(NOW, tick=False) as traveller:
        yield traveller


@pytest.fixture
def now():
    return NOW
