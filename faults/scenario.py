"""Data and observations shared by the fault scenarios (import only once Django is set up).

- builders: a team with clinicians, reminders planned for N patients, chronic episodes whose
  evaluation raises flags;
- observations: message statuses, open flags, and the flags a *clean run* of the rule engine
  raises on the same data (evaluated in a transaction that is rolled back, so the database is
  left as the scenario made it);
- ``Beat``: what the one beat process does, compressed in time — enqueue ``dispatch_due`` and
  ``evaluate_all`` on a schedule, through the same code paths (a broker outage makes a tick fail
  quietly, as it makes beat's publish fail).
"""

from __future__ import annotations

import datetime as dt
import time
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from django.db import transaction
from django.db.models import Count
from django.utils import timezone

from apps.core.choices import Discipline
from apps.core.dates import clinic_today
from apps.core.enqueue import send_task_now
from apps.flags.engine import evaluate_all_now
from apps.flags.models import OPEN_FLAG_STATUSES, Flag
from apps.messaging.models import MessageChannel, MessageStatus, OutboundMessage
from apps.messaging.services import plan_appointment_reminders
from apps.worklist.models import Task
from tests.factories import (
    AppointmentFactory,
    ClinicianFactory,
    EpisodeFactory,
    PatientFactory,
    TeamFactory,
    TeamMembershipFactory,
)

PASSWORD = "correct-horse-battery"  # noqa: S105 - tests.factories.ClinicianFactory's

FlagKey = tuple[int, str, str, str]  # (patient_id, rule_code, severity, fingerprint)


def staffed_team(name: str) -> Any:
    """A team with a physician (lead), a physical therapist, a psychologist and a coordinator."""
    team = TeamFactory(name=name)
    for username, discipline in [
        ("physician", Discipline.PHYSICIAN),
        ("pt", Discipline.PHYSICAL_THERAPIST),
        ("psychologist", Discipline.PSYCHOLOGIST),
        ("coordinator", Discipline.CARE_COORDINATOR),
    ]:
        clinician = ClinicianFactory(
            username=f"{name.lower().replace(' ', '_')}_{username}", discipline=discipline
        )
        TeamMembershipFactory(
            team=team, clinician=clinician, is_lead=discipline == Discipline.PHYSICIAN
        )
    return team


def plan_reminders(team: Any, count: int, *, tag: str) -> list[str]:
    """``count`` patients with an appointment tomorrow; plans their reminder emails and
    returns the new rows' idempotency keys."""
    before = set(OutboundMessage.objects.values_list("idempotency_key", flat=True))
    for i in range(count):
        patient = PatientFactory(team=team, email=f"{tag}{i}@patient.example")
        AppointmentFactory(
            episode=EpisodeFactory(patient=patient),
            starts_at=timezone.now() + dt.timedelta(hours=20, minutes=i),
        )
    plan_appointment_reminders()
    keys = set(OutboundMessage.objects.values_list("idempotency_key", flat=True)) - before
    assert len(keys) == count, f"planned {len(keys)} reminders, wanted {count}"
    return sorted(keys)


def chronic_episodes(team: Any, count: int) -> list[Any]:
    """Chronic episodes (onset 100-200 days ago) with nobody on the care team and no outcome
    measure: each raises flags (team gap, overdue assessment…) on evaluation."""
    today = clinic_today()
    return [
        EpisodeFactory(patient=PatientFactory(team=team), onset=today - dt.timedelta(days=100 + i))
        for i in range(count)
    ]


def email_keys(*, statuses: tuple[str, ...] | None = None) -> set[str]:
    rows = OutboundMessage.objects.filter(channel=MessageChannel.EMAIL)
    if statuses is not None:
        rows = rows.filter(status__in=statuses)
    return set(rows.values_list("idempotency_key", flat=True))


def message_statuses() -> Counter[str]:
    return Counter(OutboundMessage.objects.values_list("status", flat=True))


def open_flags() -> list[FlagKey]:
    return list(
        Flag.objects.filter(status__in=OPEN_FLAG_STATUSES).values_list(
            "patient_id", "rule_code", "severity", "fingerprint"
        )
    )


def duplicate_open_flags() -> int:
    """(patient, rule) pairs with more than one open flag (the database forbids it)."""
    return (
        Flag.objects.filter(status__in=OPEN_FLAG_STATUSES)
        .values("patient_id", "rule_code")
        .annotate(n=Count("id"))
        .filter(n__gt=1)
        .count()
    )


def duplicate_flag_tasks() -> int:
    """Flags with more than one task raised for them (each new flag creates exactly one)."""
    return (
        Task.objects.filter(flag__isnull=False)
        .values("flag_id")
        .annotate(n=Count("id"))
        .filter(n__gt=1)
        .count()
    )


class _Rollback(Exception):
    pass


def clean_run_flags() -> list[FlagKey]:
    """The open flags a clean run of the rule engine raises on the current data.

    In one transaction that is rolled back: delete every flag, evaluate every active episode
    in this process (``evaluate_all_now``, the same engine the workers run), read the flags.
    """
    result: list[FlagKey] = []
    try:
        with transaction.atomic():
            Flag.objects.all().delete()
            evaluate_all_now(batch_size=50)
            result = open_flags()
            raise _Rollback
    except _Rollback:
        pass
    return result


@dataclass
class Beat:
    """The beat process, compressed: ``tick()`` enqueues the periodic jobs that are due.

    ``dispatch_due`` every ``dispatch_every`` seconds and ``flags.evaluate_all`` every
    ``evaluate_every`` seconds (in production: every minute and every hour). Each enqueue goes
    through ``apps.core.enqueue.send_task_now``: during a broker outage it fails, is logged and
    returns False, exactly as beat's own publish would fail.
    """

    queue: str
    dispatch_every: float = 2.0
    evaluate_every: float | None = None
    batch_size: int = 5
    sent: Counter[str] = field(default_factory=Counter)
    failed: Counter[str] = field(default_factory=Counter)
    _last: dict[str, float] = field(default_factory=dict)

    def _due(self, name: str, every: float | None) -> bool:
        if every is None:
            return False
        now = time.monotonic()
        if now - self._last.get(name, -1e9) >= every:
            self._last[name] = now
            return True
        return False

    def _send(self, name: str, *args: Any) -> bool:
        ok = send_task_now(name, *args, queue=self.queue)
        (self.sent if ok else self.failed)[name] += 1
        return ok

    def tick(self) -> None:
        if self._due("dispatch", self.dispatch_every):
            self._send("messaging.dispatch_due", self.queue)
        if self._due("evaluate", self.evaluate_every):
            self._send("flags.evaluate_all", self.batch_size)

    def run_for(self, seconds: float, *, until: Any = None, step: float = 0.25) -> bool:
        """Tick for ``seconds``, or until ``until()`` is true (returns whether it became true)."""
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            self.tick()
            if until is not None and until():
                return True
            time.sleep(step)
        return until() if until is not None else True


def wait_sent(keys: set[str]) -> bool:
    return not (
        OutboundMessage.objects.filter(idempotency_key__in=keys)
        .exclude(status=MessageStatus.SENT)
        .exists()
    )
