"""Everything the rules need about a batch of episodes, read in a fixed number of queries.

Rules are pure functions of an ``EpisodeSnapshot`` (no database access), so evaluating a batch
costs the same ~9 queries whether it holds 1 episode or 1,000, and each rule can be tested on a
hand-built snapshot.

Loading is the bulk of the engine's time (a snapshot of 1,000 episodes is ~65,000 rows), so the
two large reads (assessments, appointments) skip the ORM's per-row machinery: the SQL is still
built by the ORM, but the rows are fetched as plain tuples with psycopg's C timestamp loader
(``_fetch``), and the exact score of identical answers is computed once (docs/performance.md).
"""

import datetime as dt
import json
from collections import defaultdict
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from decimal import Decimal
from fractions import Fraction
from functools import lru_cache
from typing import Any

from django.db import connection
from django.db.models import F, Lookup, Q, QuerySet
from django.utils import timezone

from apps.assessments.models import Assessment
from apps.careplans.models import CarePlan, Intervention
from apps.core.text import format_score
from apps.medications.models import MedicationOrder
from apps.patients.models import CareTeamMember, Episode, RedFlagFinding
from apps.scheduling.models import Appointment

RULE_INSTRUMENTS = ("nrs", "peg", "odi", "phq9", "sleep")
WHOLE_INSTRUMENTS = ("nrs", "phq9", "sleep")
EXACT_INSTRUMENTS = ("peg", "odi")


@dataclass(frozen=True)
class Measure:
    id: int
    instrument: str
    value: Fraction | int | None  # exact score (PEG and ODI recomputed from their answers)
    taken_at: dt.datetime
    taken_on: dt.date
    self_harm: str = ""

    @property
    def display(self) -> str:
        return format_score(self.value)  # "33.3", never "33.33"


@dataclass(frozen=True)
class TeamRole:
    clinician_id: int
    role: str
    is_lead: bool


@dataclass(frozen=True)
class PlanItem:
    kind: str
    status: str
    start_date: dt.date
    end_date: dt.date | None
    discipline: str

    def is_current(self, day: dt.date) -> bool:
        return (
            self.status in ("active", "planned")
            and self.start_date <= day
            and (self.end_date is None or self.end_date >= day)
        )


@dataclass(frozen=True)
class Visit:
    id: int
    kind: str
    discipline: str
    status: str
    starts_at: dt.datetime
    starts_on: dt.date


@dataclass(frozen=True)
class Medication:
    id: int
    drug: str
    drug_class: str
    daily_mme: Decimal | None
    start_date: dt.date
    stop_date: dt.date | None
    dose_changed_on: dt.date | None
    last_reviewed_on: dt.date | None
    naloxone_offered_on: dt.date | None
    prescriber_id: int | None


@dataclass
class EpisodeSnapshot:
    episode_id: int
    patient_id: int
    team_id: int
    onset: dt.date
    today: dt.date
    work_status: str
    work_status_since: dt.date | None
    plan_id: int | None = None
    plan_started_on: dt.date | None = None
    plan_status: str | None = None
    care_team: list[TeamRole] = field(default_factory=list)
    interventions: list[PlanItem] = field(default_factory=list)
    measures: dict[str, list[Measure]] = field(default_factory=dict)  # oldest first
    visits: list[Visit] = field(default_factory=list)
    medications: list[Medication] = field(default_factory=list)
    red_flags: list[dict[str, Any]] = field(default_factory=list)

    @property
    def day(self) -> int:
        return (self.today - self.onset).days

    @property
    def phase(self) -> str:
        from apps.patients.models import phase_for

        return str(phase_for(self.onset, self.today))

    def series(self, instrument: str) -> list[Measure]:
        return self.measures.get(instrument, [])

    def role_holders(self, *roles: str) -> list[TeamRole]:
        return [m for m in self.care_team if m.role in roles]

    def active_medications(self) -> list[Medication]:
        return [
            m
            for m in self.medications
            if m.start_date <= self.today and (m.stop_date is None or m.stop_date >= self.today)
        ]


def exact_value(instrument: str, score: Decimal | None, answers: Any) -> Fraction | None:
    """The exact score. PEG and ODI are stored rounded to 4 decimals; recompute them exactly
    from the answers so that "exactly 30%" is decided in exact arithmetic (CLINICAL.md)."""
    if score is None:
        return None
    try:
        if instrument == "peg":
            return Fraction(
                int(answers["pain"]) + int(answers["enjoyment"]) + int(answers["activity"]), 3
            )
        if instrument == "odi":
            answered = [int(s) for s in answers["sections"] if s is not None]
            return Fraction(sum(answered) * 100, 5 * len(answered))
    except (KeyError, TypeError, ValueError, ZeroDivisionError):
        pass
    return Fraction(score)


_MISSING = object()


def _measure_value(
    instrument: str, score: Decimal | None, answers: Any, *, exact: bool
) -> Fraction | int | None:
    if exact:
        if isinstance(answers, str):  # JSON text from _fetch
            answers = json.loads(answers)
        return exact_value(instrument, score, answers)
    return None if score is None else int(score) if score == int(score) else Fraction(score)


class _AnyOf(Lookup):  # type: ignore[type-arg]
    """``column = ANY(%s)`` with the ids as one array parameter (PostgreSQL)."""

    lookup_name = "any_of"
    prepare_rhs = False

    def as_sql(self, compiler: Any, connection: Any) -> tuple[str, list[Any]]:
        lhs, lhs_params = self.process_lhs(compiler, connection)
        return f"{lhs} = ANY(%s::bigint[])", [*lhs_params, list(self.rhs)]


def among(column: str, ids: Iterable[int]) -> Any:
    """A filter ``column IN ids`` for a batch of ids.

    A batch holds hundreds of ids; as ``IN (%s, %s, …)`` every query pays for compiling,
    merging and parsing one parameter per id, several milliseconds each time. On PostgreSQL
    the ids travel as one array instead (same rows, same plans: an index scan on ``= ANY``).
    """
    ids = list(ids)
    if connection.vendor == "postgresql":
        return _AnyOf(F(column), ids)
    return Q(**{f"{column}__in": ids})


def _c_timestamptz_loader() -> tuple[int, Any] | None:
    """psycopg's C text loader for ``timestamptz`` and the type's oid, if available."""
    try:
        from psycopg import adapters
        from psycopg.pq import Format
    except ImportError:  # pragma: no cover - another driver
        return None
    info = adapters.types.get("timestamptz")
    if info is None:  # pragma: no cover
        return None
    loader = adapters.get_loader(info.oid, Format.TEXT)
    return (info.oid, loader) if loader.__module__.endswith("._psycopg") else None


_C_TIMESTAMPTZ = _c_timestamptz_loader()


@lru_cache
def _timestamptz_loader_class(tz: dt.tzinfo) -> type:
    from psycopg.adapt import Loader

    assert _C_TIMESTAMPTZ is not None
    c_loader = _C_TIMESTAMPTZ[1]

    class TimestamptzLoader(Loader):
        """psycopg's C loader behind the interface Django's backend expects (``timezone``)."""

        timezone = tz

        def __init__(self, oid: int, context: Any = None) -> None:
            super().__init__(oid, context)
            self._load = c_loader(oid, context).load

        def load(self, data: Any) -> dt.datetime:
            return self._load(data)  # type: ignore[no-any-return]

    return TimestamptzLoader


@contextmanager
def fast_timestamptz() -> Iterator[bool]:
    """Within the block, this thread's connection parses ``timestamptz`` values in C.

    On PostgreSQL with psycopg 3, Django loads every ``timestamptz`` with a pure-Python loader
    that parses the text and re-attaches the connection's time zone (several microseconds a
    value: a third of a large read). The session time zone *is* that zone (Django sets it), so
    psycopg's C loader returns the very same aware datetimes; it is used only when the zones
    agree, and Django's loader is put back when the block ends. No-op on other backends.
    Yields whether the C loader is in use.
    """
    if _C_TIMESTAMPTZ is None or connection.vendor != "postgresql":
        yield False
        return
    from psycopg.pq import Format

    oid = _C_TIMESTAMPTZ[0]
    connection.ensure_connection()
    raw = connection.connection
    previous = raw.adapters.get_loader(oid, Format.TEXT)
    tz = connection.timezone
    if tz is None or raw.info.timezone != tz or getattr(previous, "timezone", None) != tz:
        yield False
        return
    raw.adapters.register_loader(oid, _timestamptz_loader_class(tz))
    try:
        yield True
    finally:
        raw.adapters.register_loader(oid, previous)


def _fetch(qs: QuerySet[Any]) -> list[tuple[Any, ...]]:
    """The rows of a ``values_list`` queryset as plain tuples, without the ORM's per-row work
    (and with ``fast_timestamptz``). Same SQL and values as iterating the queryset, except that
    on PostgreSQL JSON columns come back as text (the caller decodes what it needs)."""
    if connection.vendor != "postgresql":
        return list(qs)  # other backends convert values in Python: keep the ORM's path
    sql, params = qs.query.sql_with_params()
    with fast_timestamptz() as fast, connection.cursor() as cursor:
        if fast and _C_TIMESTAMPTZ is not None:  # this cursor only: the C loader itself
            cursor.cursor.adapters.register_loader(*_C_TIMESTAMPTZ)
        cursor.execute(sql, params)
        return cursor.fetchall()


def load_snapshots(episode_ids: Iterable[int], today: dt.date) -> list[EpisodeSnapshot]:
    """Snapshots of the given *active* episodes, in a fixed number of queries."""
    # Query 1: the episodes with their patients.
    episodes = list(
        Episode.objects.active()
        .filter(among("id", episode_ids))
        .values(
            "id",
            "onset",
            "patient_id",
            "patient__team_id",
            "patient__work_status",
            "patient__work_status_since",
        )
    )
    snaps = {
        e["id"]: EpisodeSnapshot(
            episode_id=e["id"],
            patient_id=e["patient_id"],
            team_id=e["patient__team_id"],
            onset=e["onset"],
            today=today,
            work_status=e["patient__work_status"],
            work_status_since=e["patient__work_status_since"],
        )
        for e in episodes
    }
    if not snaps:
        return []
    ids = list(snaps)
    by_patient = {s.patient_id: s for s in snaps.values()}
    patient_ids = list(by_patient)

    # Query 2: current care-team roles.
    for ct_row in (
        CareTeamMember.objects.filter(among("episode_id", ids), start__lte=today)
        .filter(Q(end__isnull=True) | Q(end__gte=today))
        .values_list("episode_id", "clinician_id", "role", "is_lead")
    ):
        snaps[ct_row[0]].care_team.append(TeamRole(ct_row[1], ct_row[2], ct_row[3]))

    # Query 3: care plans.
    plan_of: dict[int, int] = {}
    for plan_id, episode_id, started_on, status in CarePlan.objects.filter(
        among("episode_id", ids)
    ).values_list("id", "episode_id", "started_on", "status"):
        snap = snaps[episode_id]
        snap.plan_id, snap.plan_started_on, snap.plan_status = plan_id, started_on, status
        plan_of[plan_id] = episode_id

    # Query 4: interventions of those plans.
    if plan_of:
        for iv_row in Intervention.objects.filter(among("plan_id", plan_of)).values_list(
            "plan_id", "kind", "status", "start_date", "end_date", "discipline"
        ):
            snaps[plan_of[iv_row[0]]].interventions.append(PlanItem(*iv_row[1:]))

    # Queries 5 and 6: the measures the rules read, oldest first. Whole-number instruments
    # (NRS, sleep, PHQ-9) without their answers; PEG and ODI with them, to score them exactly.
    series: dict[int, dict[str, list[Measure]]] = defaultdict(lambda: defaultdict(list))
    tz = timezone.get_current_timezone()
    # Exact values are pure functions of (instrument, score, answers): many rows share them.
    values: dict[tuple[Any, ...], Any] = {}
    for exact, instruments in ((False, WHOLE_INSTRUMENTS), (True, EXACT_INSTRUMENTS)):
        fields = ["id", "patient_id", "instrument", "score", "taken_at", "self_harm"]
        rows = _fetch(
            Assessment.objects.filter(among("patient_id", patient_ids), instrument__in=instruments)
            .order_by("taken_at", "id")
            .values_list(*fields, *(["answers"] if exact else []))
        )
        for a_row in rows:
            aid, pid, instrument, score, taken_at, self_harm = a_row[:6]
            answers = a_row[6] if exact else None
            key = (
                (instrument, score, answers)
                if answers is None or isinstance(answers, str)
                else None
            )
            value: Any = values.get(key, _MISSING) if key else _MISSING
            if value is _MISSING:
                value = _measure_value(instrument, score, answers, exact=exact)
                if key:
                    values[key] = value
            series[pid][instrument].append(
                Measure(
                    id=aid,
                    instrument=instrument,
                    value=value,
                    taken_at=taken_at,
                    taken_on=taken_at.astimezone(tz).date(),
                    self_harm=self_harm,
                )
            )
    for pid, snap in by_patient.items():
        snap.measures = dict(series.get(pid, {}))

    # Query 7: appointments since onset (and future ones).
    earliest = min(s.onset for s in snaps.values())
    for v_row in _fetch(
        Appointment.objects.filter(
            among("patient_id", patient_ids),
            starts_at__date__gte=earliest - dt.timedelta(days=1),
        )
        .order_by("starts_at")
        .values_list("id", "patient_id", "kind", "discipline", "status", "starts_at")
    ):
        snap = by_patient[v_row[1]]
        starts_on = v_row[5].astimezone(tz).date()
        if starts_on >= snap.onset:
            snap.visits.append(Visit(v_row[0], v_row[2], v_row[3], v_row[4], v_row[5], starts_on))

    # Query 8: medication orders of the episodes.
    for m_row in MedicationOrder.objects.filter(among("episode_id", ids)).values_list(
        "episode_id",
        "id",
        "drug",
        "drug_class",
        "daily_mme",
        "start_date",
        "stop_date",
        "dose_changed_on",
        "last_reviewed_on",
        "naloxone_offered_on",
        "prescriber_id",
    ):
        snaps[m_row[0]].medications.append(Medication(*m_row[1:]))

    # Query 9: red flags not cleared.
    for rf in (
        RedFlagFinding.objects.filter(among("episode_id", ids), cleared_on__isnull=True)
        .order_by("noted_on", "id")  # the flag's summary lists the signs in the order noted
        .values("id", "episode_id", "sign", "noted_on")
    ):
        snaps[rf["episode_id"]].red_flags.append(dict(rf))
    return list(snaps.values())
