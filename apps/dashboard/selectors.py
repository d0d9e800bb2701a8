"""Reads for the clinician pages: caseload, patient page, worklist, inbox, team overview.

Every patient comes through apps.patients.selectors (``patients_visible_to`` /
``patient_get_for_user``), so a page shows only the user's teams' patients. Each read is planned:
a fixed number of queries whatever the number of patients, assessments or flags (annotations,
subqueries and one query per related table), and the tests in tests/dashboard pin those numbers.
The patients a page shows are registered with ``apps.audit.reads`` (the page's rows only), so the
request writes one audit row naming them.
"""

import datetime as dt
import json
import statistics
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from fractions import Fraction
from typing import Any

from django.core.paginator import Page, Paginator
from django.db.models import (
    Case,
    CharField,
    Count,
    Exists,
    F,
    FilteredRelation,
    IntegerField,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    Value,
    When,
    Window,
)
from django.db.models.functions import Coalesce, NullIf, RowNumber
from django.http import Http404
from django.urls import reverse
from django.utils import timezone
from django.utils.safestring import SafeString

from apps.accounts.models import Clinician
from apps.assessments.models import Assessment, Instrument
from apps.audit.models import AuditEvent
from apps.audit.reads import patients_shown, rows_shown
from apps.careplans.models import (
    CarePlan,
    Goal,
    GoalMeasure,
    InterventionKind,
    PlanTemplate,
)
from apps.careplans.progress import NOT_MEASURED, GoalStatus, status_of_goal
from apps.clinical import scoring
from apps.clinical.selectors import thresholds as clinical_thresholds
from apps.core.choices import SEVERITY_RANK, Discipline, Severity
from apps.core.dates import clinic_today
from apps.core.text import format_date
from apps.flags.models import OPEN_FLAG_STATUSES, Flag, FlagStatus
from apps.flags.rules import rule_label, without_title
from apps.flags.rules.base import baseline_for_plan, change_thresholds, improved, worsened
from apps.flags.snapshot import Measure, exact_value, fast_timestamptz
from apps.medications.models import MedicationOrder
from apps.messaging.models import Notification, OutboundMessage
from apps.patients.models import (
    ACUTE_MAX_DAYS,
    SUBACUTE_MAX_DAYS,
    CareTeamMember,
    ClinicalNote,
    Episode,
    EpisodeStatus,
    Patient,
    Phase,
    RedFlagFinding,
    WorkStatus,
    phase_for,
)
from apps.patients.selectors import patient_get_for_user, patients_visible_to, teams_of
from apps.scheduling.models import Appointment, AppointmentKind, AppointmentStatus
from apps.teams.models import Team, TeamMembership
from apps.worklist.models import OPEN_TASK_STATUSES, Task
from apps.worklist.selectors import by_urgency, tasks_visible_to

from . import charts
from .evidence import INSTRUMENT_LABELS, EvidenceView, evidence_view

OUTCOMES = ("nrs", "odi", "peg")
OUTCOME_RANGE = {"nrs": (0.0, 10.0), "odi": (0.0, 100.0), "peg": (0.0, 10.0)}
OUTCOME_TITLES = {"nrs": "Pain NRS (0–10)", "odi": "ODI (% disability)", "peg": "PEG (0–10)"}
RISK_RANK = {"low": 1, "medium": 2, "high": 3}
CASELOAD_PAGE_SIZE = 25
SPARK_POINTS = 8
ATTENDED = (AppointmentStatus.FULFILLED, AppointmentStatus.ARRIVED)
LOWER_IS_BETTER = {"nrs", "peg", "odi", "phq9", "gad7"}


def _local_date(value: dt.datetime) -> dt.date:
    return timezone.localdate(value)


def _start_of_day(day: dt.date) -> dt.datetime:
    return timezone.make_aware(dt.datetime.combine(day, dt.time.min))


def active_flag_q(today: dt.date, prefix: str = "") -> Q:
    """Flags that need attention now: open or acknowledged, or snoozed until a day that came."""
    return Q(**{f"{prefix}status__in": [FlagStatus.OPEN, FlagStatus.ACKNOWLEDGED]}) | Q(
        **{f"{prefix}status": FlagStatus.SNOOZED, f"{prefix}snoozed_until__lte": today}
    )


def _count(qs: QuerySet[Any]) -> Coalesce:
    """A correlated COUNT(*) of ``qs`` (already filtered on OuterRef), 0 when there is none."""
    counted = qs.order_by().values("patient_id").annotate(n=Count("pk")).values("n")
    return Coalesce(Subquery(counted, output_field=IntegerField()), Value(0))


def rule_title(code: str) -> str:
    """The rule's name a person reads, never its code (apps.flags.rules.rule_label)."""
    return rule_label(code)


# --------------------------------------------------------------------------------------------
# Caseload
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class CaseloadFilters:
    team: int | None = None
    role: str = ""  # "" any, "any" = I am on the care team, or a discipline
    phase: str = ""  # acute | subacute | chronic | none
    rule: str = ""
    severity: str = ""
    risk: str = ""
    q: str = ""
    sort: str = ""  # column key, "-key" for descending; "" = urgency
    page: int = 1


SORT_KEYS = (
    "name",
    "mrn",
    "age",
    "phase",
    "risk",
    "pain",
    "odi",
    "peg",
    "flags",
    "next",
    "overdue",
    "contact",
)


@dataclass(frozen=True)
class FlagBadge:
    rule: str
    title: str
    severity: str
    summary: str


@dataclass
class CaseloadRow:
    patient_id: int
    first_name: str
    last_name: str
    mrn: str
    url: str
    team_name: str
    date_of_birth: dt.date
    age: int
    phase: str | None
    phase_label: str
    day: int | None
    risk: str
    pain: float | None
    odi: float | None
    peg: float | None
    urgent: int
    warning: int
    info: int
    next_appointment: dt.datetime | None
    next_appointment_kind: str
    overdue_days: int | None
    overdue_what: str
    overdue_tasks: int
    last_contact: dt.datetime | None
    last_contact_kind: str
    flags: list[FlagBadge] = field(default_factory=list)
    sparks: dict[str, SafeString] = field(default_factory=dict)
    goals: list["GoalView"] = field(default_factory=list)  # the active plan's, with status

    @property
    def name(self) -> str:
        return f"{self.last_name}, {self.first_name}"

    @property
    def flag_count(self) -> int:
        return self.urgent + self.warning + self.info


@dataclass
class Caseload:
    page: Page
    rows: list[CaseloadRow]
    total: int
    urgent_patients: int
    overdue_patients: int
    today: dt.date


# The columns every row of the list needs: the default order (urgency: urgent flags, then the
# most overdue, then warnings) and the totals (patients with urgent flags, with something
# overdue). Sorting by another column adds that column; the page's rows get every column.
_URGENCY_COLUMNS = (
    "urgent_flags",
    "warning_flags",
    "oldest_task_due",
    "last_nrs_at",
    "last_odi_at",
    "last_peg_at",
)
_SORT_COLUMNS = {
    "pain": ("latest_nrs",),
    "odi": ("latest_odi",),
    "peg": ("latest_peg",),
    "risk": ("risk",),
    "flags": ("info_flags",),
    "next": ("next_visit_at",),
    "contact": ("last_visit_at", "last_assessment_at", "last_note_at"),
}  # name, MRN, age, phase and overdue come from the patient, the onset and the urgency columns


def _list_columns(f: CaseloadFilters) -> list[str]:
    columns = [*_URGENCY_COLUMNS, *_SORT_COLUMNS.get(f.sort.lstrip("-"), ())]
    if f.risk:
        columns.append("risk")
    return columns


def _caseload_queryset(
    user: Any,
    f: CaseloadFilters,
    today: dt.date,
    now: dt.datetime,
    columns: Sequence[str] | None = None,
) -> QuerySet[Patient]:
    """The user's patients, filtered, with the caseload's columns as annotations: all of them,
    or only ``columns`` (plus the team's name and the active episode's onset)."""
    active_episode = Episode.objects.filter(
        patient=OuterRef("pk"), status=EpisodeStatus.ACTIVE, archived_at__isnull=True
    ).order_by("-onset")

    # This episode's measures only (as the rules read them): taken on or after its onset.
    # The latest measure since the onset is the patient's latest measure if that one was taken
    # on or after the onset, and there is none otherwise; so each subquery reads one row from
    # the index (newest first) and checks its date, instead of converting the date of every
    # measure the patient ever had.
    def if_since_onset(column: str) -> Case:
        return Case(
            When(taken_at__date__gte=OuterRef("episode_onset"), then=F(column)), default=None
        )

    def last_measured(instrument: str) -> Subquery:
        return Subquery(
            Assessment.objects.filter(
                patient=OuterRef("pk"), instrument=instrument, score__isnull=False
            )
            .order_by("-taken_at")
            .values("taken_at")[:1]
        )

    def latest(instrument: str, column: str = "score") -> Subquery:
        return Subquery(
            Assessment.objects.filter(
                patient=OuterRef("pk"), instrument=instrument, score__isnull=False
            )
            .order_by("-taken_at", "-pk")
            .annotate(value=if_since_onset(column))
            .values("value")[:1]
        )

    flags = Flag.objects.filter(patient=OuterRef("pk")).filter(active_flag_q(today))
    next_visit = Appointment.objects.filter(
        patient=OuterRef("pk"), status=AppointmentStatus.BOOKED, starts_at__gte=now
    ).order_by("starts_at", "pk")
    overdue_tasks = Task.objects.filter(
        patient=OuterRef("pk"), status__in=OPEN_TASK_STATUSES, due_on__lt=today
    )
    every_column = dict(
        latest_nrs=latest("nrs"),
        latest_odi=latest("odi"),
        latest_peg=latest("peg"),
        risk=latest("start_back", "band"),
        # When each outcome was last measured (any episode; ``_row`` reads the latest
        # against the onset): one index probe per instrument.
        last_nrs_at=last_measured("nrs"),
        last_odi_at=last_measured("odi"),
        last_peg_at=last_measured("peg"),
        urgent_flags=_count(flags.filter(severity=Severity.URGENT)),
        warning_flags=_count(flags.filter(severity=Severity.WARNING)),
        info_flags=_count(flags.filter(severity=Severity.INFO)),
        next_visit_at=Subquery(next_visit.values("starts_at")[:1]),
        next_visit_kind=Subquery(next_visit.values("kind")[:1]),
        oldest_task_due=Subquery(overdue_tasks.order_by("due_on").values("due_on")[:1]),
        overdue_task_count=_count(overdue_tasks),
        last_visit_at=Subquery(
            Appointment.objects.filter(
                patient=OuterRef("pk"), status__in=ATTENDED, starts_at__lte=now
            )
            .order_by("-starts_at")
            .values("starts_at")[:1]
        ),
        last_assessment_at=Subquery(
            Assessment.objects.filter(patient=OuterRef("pk"))
            .order_by("-taken_at")
            .values("taken_at")[:1]
        ),
        last_note_at=Subquery(
            ClinicalNote.objects.filter(patient=OuterRef("pk"))
            .order_by("-created_at")
            .values("created_at")[:1]
        ),
    )
    wanted = every_column if columns is None else {c: every_column[c] for c in columns}
    qs = (
        patients_visible_to(user)
        .only("pk", "first_name", "last_name", "mrn", "date_of_birth")
        .annotate(
            team_name=F("team__name"),
            episode_onset=Subquery(active_episode.values("onset")[:1]),
        )
        .annotate(**wanted)
    )
    if f.team:
        qs = qs.filter(team_id=f.team)
    acute_after = today - dt.timedelta(days=ACUTE_MAX_DAYS)
    chronic_before = today - dt.timedelta(days=SUBACUTE_MAX_DAYS)
    if f.phase == Phase.ACUTE:
        qs = qs.filter(episode_onset__gt=acute_after)
    elif f.phase == Phase.SUBACUTE:
        qs = qs.filter(episode_onset__lte=acute_after, episode_onset__gte=chronic_before)
    elif f.phase == Phase.CHRONIC:
        qs = qs.filter(episode_onset__lt=chronic_before)
    elif f.phase == "none":
        qs = qs.filter(episode_onset__isnull=True)
    if f.role:
        mine = CareTeamMember.objects.filter(
            episode__patient=OuterRef("pk"),
            episode__status=EpisodeStatus.ACTIVE,
            episode__archived_at__isnull=True,
            clinician_id=user.pk,
            start__lte=today,
        ).filter(Q(end__isnull=True) | Q(end__gte=today))
        if f.role != "any":
            mine = mine.filter(role=f.role)
        qs = qs.filter(Exists(mine))
    if f.rule:
        qs = qs.filter(Exists(flags.filter(rule_code=f.rule)))
    if f.severity:
        qs = qs.filter(Exists(flags.filter(severity=f.severity)))
    if f.risk:
        qs = qs.filter(**{"risk": f.risk})  # an annotation of this query (see _list_columns)
    for word in f.q.split()[:5]:
        qs = qs.filter(
            Q(first_name__icontains=word) | Q(last_name__icontains=word) | Q(mrn__icontains=word)
        )
    return qs


def _float(value: Any) -> float | None:
    return None if value is None else float(value)


@dataclass(frozen=True)
class _RowLabels:
    """Display labels read once per request (in its language), not once per row."""

    phases: dict[str, str]
    appointment_kinds: dict[str, str]
    zone: dt.tzinfo

    @classmethod
    def current(cls) -> "_RowLabels":
        return cls(
            phases={value: str(label) for value, label in Phase.choices},
            appointment_kinds={value: str(label) for value, label in AppointmentKind.choices},
            zone=timezone.get_current_timezone(),
        )


def _row(
    p: Any, today: dt.date, t: dict[str, Decimal], labels: _RowLabels | None = None
) -> CaseloadRow:
    """One caseload row from a patient with the caseload's columns. A row of the whole list
    carries only the columns that sort and count it (``_list_columns``; the others are empty);
    ``caseload`` builds the page's rows again with every column, and their ``url``."""
    labels = labels or _RowLabels.current()

    def column(name: str, default: Any = None) -> Any:
        return getattr(p, name, default)

    onset: dt.date | None = p.episode_onset
    phase = str(phase_for(onset, today)) if onset else None
    overdue: list[tuple[int, str]] = []
    if p.oldest_task_due:
        n = column("overdue_task_count", 0)
        overdue.append(((today - p.oldest_task_due).days, f"{n} task{'s' if n != 1 else ''}"))
    if onset is not None:
        interval = int(
            t["assessment_interval_acute_days"]
            if phase == Phase.ACUTE
            else t["assessment_interval_days"]
        )
        # The last outcome measure of this episode (taken on or after the onset), else onset:
        # the latest of all if it was taken since the onset, and there is none otherwise.
        measured = [getattr(p, f"last_{i}_at") for i in OUTCOMES]
        latest = max((m for m in measured if m is not None), default=None)
        since = max(onset, latest.astimezone(labels.zone).date()) if latest else onset
        late = (today - (since + dt.timedelta(days=interval))).days
        if late > 0:
            overdue.append((late, "outcome measure"))
    overdue.sort(reverse=True)
    contacts = [
        (column("last_visit_at"), "visit"),
        (column("last_assessment_at"), "assessment"),
        (column("last_note_at"), "note"),
    ]
    contact = max((c for c in contacts if c[0] is not None), default=(None, ""))
    return CaseloadRow(
        patient_id=p.pk,
        first_name=p.first_name,
        last_name=p.last_name,
        mrn=p.mrn,
        url="",
        team_name=p.team_name,
        date_of_birth=p.date_of_birth,
        age=p.age_on(today),
        phase=phase,
        phase_label=labels.phases[phase] if phase else "No active episode",
        day=(today - onset).days if onset else None,
        risk=column("risk") or "",
        pain=_float(column("latest_nrs")),
        odi=_float(column("latest_odi")),
        peg=_float(column("latest_peg")),
        urgent=p.urgent_flags,
        warning=p.warning_flags,
        info=column("info_flags", 0),
        next_appointment=column("next_visit_at"),
        next_appointment_kind=labels.appointment_kinds.get(column("next_visit_kind"), ""),
        overdue_days=overdue[0][0] if overdue else None,
        overdue_what=", ".join(what for _, what in overdue),
        overdue_tasks=column("overdue_task_count", 0),
        last_contact=contact[0],
        last_contact_kind=contact[1],
    )


def _sort_value(row: CaseloadRow, key: str) -> Any:
    return {
        "name": (row.last_name.lower(), row.first_name.lower()),
        "mrn": row.mrn,
        "age": row.age,
        "phase": row.day,
        "risk": RISK_RANK.get(row.risk),
        "pain": row.pain,
        "odi": row.odi,
        "peg": row.peg,
        "flags": (row.urgent, row.warning, row.info) if row.flag_count else None,
        "next": row.next_appointment,
        "overdue": row.overdue_days,
        "contact": row.last_contact,
    }[key]


def sort_rows(rows: list[CaseloadRow], sort: str) -> list[CaseloadRow]:
    """Sort by a column (``-`` prefix: descending); empty values always last. The default is
    urgency: urgent flags first, then the most overdue, then warnings, then name."""
    key = sort.lstrip("-")
    if key not in SORT_KEYS:
        return sorted(
            rows,
            key=lambda r: (
                -r.urgent,
                -(r.overdue_days if r.overdue_days is not None else -1),
                -r.warning,
                r.last_name.lower(),
                r.first_name.lower(),
            ),
        )
    by_name = sorted(rows, key=lambda r: (r.last_name.lower(), r.first_name.lower()))
    present = [r for r in by_name if _sort_value(r, key) is not None]
    empty = [r for r in by_name if _sort_value(r, key) is None]
    present.sort(key=lambda r: _sort_value(r, key), reverse=sort.startswith("-"))
    return present + empty


def caseload(user: Any, f: CaseloadFilters, *, per_page: int = CASELOAD_PAGE_SIZE) -> Caseload:
    """The user's caseload, one row per patient, filtered, sorted and paginated.

    Queries: (1) clinical thresholds; (2) every patient of the list with the columns that sort
    and count it (``_list_columns``); for the page's patients only: (3) every column, with
    their open flags (one row per flag, joined), (4) the last few outcome measures for the
    sparklines and (5) their active plan's goals with each goal's latest measure (the status,
    as on the patient page). Five, whatever the number of patients, measures, flags or goals;
    and the columns nobody sees are not computed for the patients off the page.
    """
    today, now = clinic_today(), timezone.now()
    t = clinical_thresholds()
    labels = _RowLabels.current()
    listed = _caseload_queryset(user, f, today, now, columns=_list_columns(f))
    with fast_timestamptz():  # several timestamps a patient: parse them in C (same values)
        rows = [_row(p, today, t, labels) for p in listed]
    rows = sort_rows(rows, f.sort)
    page = Paginator(rows, per_page).get_page(f.page)
    page_rows = _page_rows(user, [r.patient_id for r in page.object_list], today, now, t, labels)
    page.object_list = page_rows
    _attach_sparks(page_rows, today, t)
    goals = goals_of_patients([r.patient_id for r in page_rows], today)
    for row in page_rows:
        row.goals = goals.get(row.patient_id, [])
    patients_shown([r.patient_id for r in page_rows])  # the page's rows only (audit read row)
    return Caseload(
        page=page,
        rows=page_rows,
        total=len(rows),
        urgent_patients=sum(1 for r in rows if r.urgent),
        overdue_patients=sum(1 for r in rows if r.overdue_days),
        today=today,
    )


def _page_rows(
    user: Any,
    ids: list[int],
    today: dt.date,
    now: dt.datetime,
    t: dict[str, Decimal],
    labels: _RowLabels,
) -> list[CaseloadRow]:
    """The page's rows with every column and their open flags (badges), in the page's order:
    one query, the patients joined to their active flags (oldest first; at least one row per
    patient). A patient archived since the list was read is left out."""
    if not ids:
        return []
    details = (
        _caseload_queryset(user, CaseloadFilters(), today, now)
        .filter(pk__in=ids)
        .annotate(badge=FilteredRelation("flags", condition=active_flag_q(today, "flags__")))
        .annotate(
            badge_rule=F("badge__rule_code"),
            badge_severity=F("badge__severity"),
            badge_summary=F("badge__summary"),
        )
        .order_by("pk", "badge__raised_at")
    )
    by_id: dict[int, CaseloadRow] = {}
    with fast_timestamptz():
        for p in details:
            row = by_id.get(p.pk)
            if row is None:
                row = by_id[p.pk] = _row(p, today, t, labels)
                row.url = reverse("dashboard:patient", args=[p.pk])
            if p.badge_rule is not None:
                badge = FlagBadge(
                    p.badge_rule,
                    rule_title(p.badge_rule),
                    p.badge_severity,
                    without_title(p.badge_rule, p.badge_summary),
                )
                row.flags.append(badge)
    for row in by_id.values():
        row.flags.sort(key=lambda b: -SEVERITY_RANK.get(Severity(b.severity), 0))
    return [by_id[pid] for pid in ids if pid in by_id]


def _attach_sparks(rows: list[CaseloadRow], today: dt.date, t: Any) -> None:
    """Each page row's sparklines: the last ``SPARK_POINTS`` scores of this episode, with its
    baseline (the episode's first score) drawn as a dashed line and the direction of change
    from baseline to latest by the meaningful-change rule (CLINICAL.md "Meaningful change")."""
    if not rows:
        return
    by_id = {r.patient_id: r for r in rows}
    onsets = {r.patient_id: today - dt.timedelta(days=r.day) for r in rows if r.day is not None}
    series: dict[tuple[int, str], list[float]] = defaultdict(list)
    baselines: dict[tuple[int, str], float] = {}
    if onsets:
        since_onset = Q()
        for pid, onset in onsets.items():
            since_onset |= Q(patient_id=pid, taken_at__gte=_start_of_day(onset))
        recent = (
            Assessment.objects.filter(since_onset, instrument__in=OUTCOMES, score__isnull=False)
            .annotate(
                rn=Window(
                    RowNumber(),
                    partition_by=[F("patient_id"), F("instrument")],
                    order_by=[F("taken_at").desc(), F("pk").desc()],
                ),
                first=Window(
                    RowNumber(),
                    partition_by=[F("patient_id"), F("instrument")],
                    order_by=[F("taken_at").asc(), F("pk").asc()],
                ),
            )
            .filter(Q(rn__lte=SPARK_POINTS) | Q(first=1))
            .order_by("patient_id", "instrument", "taken_at", "pk")
            .values_list("patient_id", "instrument", "taken_at", "score", "rn", "first")
        )
        for pid, instrument, taken_at, score, rn, first in recent:
            if _local_date(taken_at) < onsets[pid]:
                continue  # same calendar day in UTC, the day before the onset locally
            if first == 1:
                baselines[(pid, instrument)] = float(score or 0)
            if rn <= SPARK_POINTS:
                series[(pid, instrument)].append(float(score or 0))
    for (pid, instrument), values in series.items():
        low, high = OUTCOME_RANGE[instrument]
        baseline = baselines.get((pid, instrument))
        by_id[pid].sparks[instrument] = charts.sparkline(
            values,
            low=low,
            high=high,
            label=INSTRUMENT_LABELS[instrument],
            baseline=baseline,
            direction=_direction(instrument, baseline, values[-1], t),
        )


def _direction(instrument: str, baseline: float | None, latest: float, t: Any) -> str | None:
    """ "better" / "worse" / "same" from baseline to latest (lower is better), or None."""
    if baseline is None:
        return None
    rule = change_thresholds(instrument, t)
    try:
        if scoring.is_meaningful_improvement(instrument, baseline, latest, **rule):
            return "better"
        if scoring.is_meaningful_worsening(instrument, baseline, latest, **rule):
            return "worse"
    except ValueError:
        return None
    return "same"


# --------------------------------------------------------------------------------------------
# Outcome charts (patient page and case conference)
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class ChartRow:
    taken_on: dt.date
    value: str
    reported_by: str


@dataclass
class OutcomeChart:
    instrument: str
    label: str
    svg: SafeString
    summary: str
    status: str  # improved | no-change | worse | insufficient
    status_label: str
    latest: float | None
    baseline: float | None
    improve_at: float | None
    rows: list[ChartRow]


def improvement_line(instrument: str, baseline: Fraction, t: dict[str, Decimal]) -> Fraction | None:
    """The score at or below which the drop from ``baseline`` is meaningful (CLINICAL.md
    "Meaningful change": a drop of at least the absolute threshold *or* at least 30% of baseline,
    so the smaller of the two is enough: NRS 2 points or 30%, ODI 10 points or 30%, PEG 30%).
    Baseline 0: not applicable."""
    if baseline <= 0:
        return None
    th = change_thresholds(instrument, t)
    drops = [baseline * Fraction(th["percent"]) / 100]
    if th["absolute"] is not None:
        drops.append(Fraction(th["absolute"]))
    return max(baseline - min(drops), Fraction(0))


def outcome_chart(
    *,
    chart_id: str,
    instrument: str,
    series: Sequence[Measure],
    reporters: dict[int, str],
    plan_started_on: dt.date | None,
    start: dt.date | None,
    end: dt.date,
    t: dict[str, Decimal],
    width: int = 440,
    height: int = 200,
) -> OutcomeChart:
    label = INSTRUMENT_LABELS[instrument]
    low, high = OUTCOME_RANGE[instrument]
    points = [m for m in series if m.value is not None]
    baseline = (
        baseline_for_plan(points, plan_started_on) if plan_started_on and points else None
    ) or (points[0] if points else None)
    line = (
        improvement_line(instrument, Fraction(baseline.value), t)
        if baseline and baseline.value
        else None
    )
    latest = points[-1] if points else None
    if not points or baseline is None or latest is None or latest.taken_on <= baseline.taken_on:
        status, status_label = "insufficient", "Not enough measures yet"
        if latest is None:
            status_label = "No measure yet"
        if latest is not None:
            summary = f"{label}: one measure since baseline, {latest.display} on {format_date(latest.taken_on)}."
        else:
            summary = f"{label}: no measure in this episode."
    else:
        assert baseline.value is not None and latest.value is not None
        change = latest.value - baseline.value
        pct = f" ({float(change * 100 / baseline.value):+.0f}%)" if baseline.value else ""
        if improved(instrument, baseline, latest, t):
            status, status_label = "improved", "Meaningfully improved"
        elif worsened(instrument, baseline, latest, t):
            status, status_label = "worse", "Meaningfully worse"
        else:
            status, status_label = "no-change", "No meaningful change"
        needed = (
            f" Meaningful improvement means {charts.fmt(float(line))} or lower."
            if line is not None
            else ""
        )
        summary = (
            f"{label}: baseline {baseline.display} on {format_date(baseline.taken_on)}, latest "
            f"{latest.display} on {format_date(latest.taken_on)}, change "
            f"{charts.fmt(float(change))}{pct}.{needed} {status_label}."
        )
    svg = charts.outcome_chart(
        chart_id=chart_id,
        title=f"{OUTCOME_TITLES[instrument]} over time",
        description=summary,
        points=[
            charts.ChartPoint(
                m.taken_on, float(m.value or 0), f"{label} {m.display} on {format_date(m.taken_on)}"
            )
            for m in points
        ],
        low=low,
        high=high,
        baseline=float(baseline.value) if baseline and baseline.value is not None else None,
        improve_at=float(line) if line is not None else None,
        start=_chart_start(points, plan_started_on, start or end),
        end=end,
        width=width,
        height=height,
    )
    return OutcomeChart(
        instrument=instrument,
        label=label,
        svg=svg,
        summary=summary,
        status=status,
        status_label=status_label,
        latest=float(latest.value) if latest and latest.value is not None else None,
        baseline=float(baseline.value) if baseline and baseline.value is not None else None,
        improve_at=float(line) if line is not None else None,
        rows=[ChartRow(m.taken_on, m.display, reporters.get(m.id, "")) for m in points],
    )


def _chart_start(
    points: Sequence[Measure], plan_started_on: dt.date | None, fallback: dt.date
) -> dt.date:
    """The x-axis starts at the first measure (or the plan's start, if earlier), with a little
    room before it; with no measure, at ``fallback`` (the episode's onset)."""
    if not points:
        return fallback
    first = points[0].taken_on
    if plan_started_on and plan_started_on < first:
        first = plan_started_on
    return first - dt.timedelta(days=2)


def measures_from(assessments: Iterable[Any]) -> dict[str, list[Measure]]:
    """Assessments (oldest first) as exact measures by instrument."""
    out: dict[str, list[Measure]] = defaultdict(list)
    for a in assessments:
        out[a.instrument].append(
            Measure(
                id=a.pk,
                instrument=a.instrument,
                value=exact_value(a.instrument, a.score, a.answers),
                taken_at=a.taken_at,
                taken_on=_local_date(a.taken_at),
                self_harm=a.self_harm,
            )
        )
    return out


# --------------------------------------------------------------------------------------------
# Patient page
# --------------------------------------------------------------------------------------------


@dataclass
class FlagView:
    flag: Flag
    title: str
    evidence: EvidenceView

    @property
    def detail(self) -> str:
        """The summary under the rule's title, without the title again ("Red flag: X" -> "X")."""
        return without_title(self.flag.rule_code, self.flag.summary)


@dataclass
class GoalView:
    goal: Any
    current: str
    progress: int | None  # percent of the way from baseline to target
    note: str
    status: GoalStatus = NOT_MEASURED  # derived from the measures (apps.careplans.progress)


@dataclass(frozen=True)
class TimelineEvent:
    at: dt.datetime
    kind: str  # assessment | appointment | note | flag | message
    kind_label: str
    title: str
    detail: str = ""
    url: str = ""
    severity: str = ""


@dataclass
class PatientPage:
    patient: Patient
    team: Team
    today: dt.date
    episode: Episode | None
    episodes: list[Episode]
    phase_label: str
    day: int | None
    red_flags: list[RedFlagFinding]
    care_team: list[CareTeamMember]
    members: list[Clinician]
    plan: CarePlan | None
    goals: list[GoalView]
    interventions: list[tuple[str, list[Any]]]
    medications: list[MedicationOrder]
    stopped_medications: list[MedicationOrder]
    total_mme: Decimal
    charts: list[OutcomeChart]
    risk: Assessment | None
    latest_other: list[Assessment]
    open_flags: list[FlagView]
    tasks: list[Task]
    upcoming: list[Appointment]
    unrecorded: list[Appointment]
    timeline: list[TimelineEvent]
    timeline_total: int
    templates: list[PlanTemplate]
    # "Who viewed this record": shown to the episode's care-team lead only (None otherwise).
    viewers: list[AuditEvent] | None = None


def _goal_view(
    goal: Any,
    measures: dict[str, list[Measure]],
    patient: Patient,
    *,
    started_on: dt.date,
    today: dt.date,
) -> GoalView:
    """A goal on the patient page: its latest measure in the episode (``measures``)."""
    series = [m for m in measures.get(goal.measure, []) if m.value is not None]
    latest = series[-1] if series else None
    return goal_view(
        goal,
        latest=Fraction(latest.value) if latest and latest.value is not None else None,
        latest_on=latest.taken_on if latest else None,
        work_status=patient.work_status,
        work_status_label=patient.get_work_status_display(),
        started_on=started_on,
        today=today,
    )


def goal_view(
    goal: Any,
    *,
    latest: Fraction | None,
    latest_on: dt.date | None,
    work_status: str,
    work_status_label: str,
    started_on: dt.date,
    today: dt.date,
) -> GoalView:
    """A goal as every screen shows it (patient page, caseload, conference): the latest
    measure, the progress bar and the status derived from the measures
    (``apps.careplans.progress.status_of_goal``)."""
    working = work_status in (WorkStatus.WORKING, WorkStatus.MODIFIED_DUTY)
    status = status_of_goal(
        goal, latest=latest, working=working, started_on=started_on, today=today
    )
    if goal.measure == GoalMeasure.WORK:
        return GoalView(goal, work_status_label, 100 if working else 0, "", status)
    if latest is None or latest_on is None:
        return GoalView(goal, "—", None, "No measure yet.", status)
    progress = None
    if goal.baseline is not None and goal.target is not None:
        base, target = Fraction(goal.baseline), Fraction(goal.target)
        gap = (base - target) if goal.measure in LOWER_IS_BETTER else (target - base)
        if gap > 0:
            done = (base - latest) if goal.measure in LOWER_IS_BETTER else (latest - base)
            progress = int(max(0, min(100, round(done * 100 / gap))))
        else:
            progress = 100
    return GoalView(
        goal, f"{charts.fmt(float(latest))} on {format_date(latest_on)}", progress, "", status
    )


def goals_of_patients(patient_ids: Sequence[int], today: dt.date) -> dict[int, list[GoalView]]:
    """The goals of each patient's active episode's care plan, with their status derived from
    the measures as on the patient page: one query, whatever the number of patients or goals
    (each goal carries its latest measure of this episode as subqueries)."""
    if not patient_ids:
        return {}
    latest = Assessment.objects.filter(
        patient_id=OuterRef("plan__episode__patient_id"),
        instrument=OuterRef("measure"),
        score__isnull=False,
        taken_at__date__gte=OuterRef("plan__episode__onset"),
    ).order_by("-taken_at", "-pk")
    goals = (
        Goal.objects.filter(
            plan__episode__patient_id__in=list(patient_ids),
            plan__episode__status=EpisodeStatus.ACTIVE,
            plan__episode__archived_at__isnull=True,
        )
        .annotate(
            patient_id=F("plan__episode__patient_id"),
            plan_started_on=F("plan__started_on"),
            work_status=F("plan__episode__patient__work_status"),
            latest_score=Subquery(latest.values("score")[:1]),
            latest_answers=Subquery(latest.values("answers")[:1]),
            latest_taken_at=Subquery(latest.values("taken_at")[:1]),
        )
        .order_by("due_on", "pk")
    )
    work_labels = {value: str(label) for value, label in WorkStatus.choices}
    out: dict[int, list[GoalView]] = defaultdict(list)
    for g in goals:
        answers = g.latest_answers
        if isinstance(answers, str):  # JSON text from a subquery on some backends
            answers = json.loads(answers)
        value = exact_value(g.measure, g.latest_score, answers)
        out[g.patient_id].append(
            goal_view(
                g,
                latest=None if value is None else Fraction(value),
                latest_on=_local_date(g.latest_taken_at) if g.latest_taken_at else None,
                work_status=g.work_status,
                work_status_label=work_labels.get(g.work_status, ""),
                started_on=g.plan_started_on,
                today=today,
            )
        )
    return out


def _group_interventions(items: Iterable[Any]) -> list[tuple[str, list[Any]]]:
    order = {kind: i for i, kind in enumerate(InterventionKind.values)}
    groups: dict[str, list[Any]] = defaultdict(list)
    for item in items:
        groups[item.kind].append(item)
    out = []
    for kind in sorted(groups, key=lambda k: order.get(k, 99)):
        label = str(InterventionKind(kind).label) if kind in InterventionKind.values else kind
        out.append((label, sorted(groups[kind], key=lambda i: (i.discipline, i.start_date))))
    return out


VIEWERS_SHOWN = 25


def patient_page(user: Any, patient_id: Any, *, timeline_limit: int | None = 40) -> PatientPage:
    """Everything the patient page shows, in a fixed number of queries (see the test).

    ``patient_get_for_user`` registers the read; the audit middleware writes it (one INSERT).
    """
    patient = patient_get_for_user(user, patient_id)  # 404 for missing and forbidden alike
    today, now = clinic_today(), timezone.now()
    t = clinical_thresholds()
    episodes = list(patient.episodes.filter(archived_at__isnull=True).order_by("-onset"))
    episode = next((e for e in episodes if e.status == EpisodeStatus.ACTIVE), None)
    shown = episode or (episodes[0] if episodes else None)
    memberships = list(
        TeamMembership.objects.filter(team_id=patient.team_id)
        .select_related("clinician", "team")
        .order_by("clinician__last_name", "clinician__first_name")
    )
    members = [m.clinician for m in memberships]
    if memberships:  # the team came with the memberships: no extra query for patient.team
        patient.team = memberships[0].team
    team = patient.team
    red_flags: list[RedFlagFinding] = []
    care_team: list[CareTeamMember] = []
    plan: CarePlan | None = None
    medications: list[MedicationOrder] = []
    if shown is not None:
        red_flags = list(
            RedFlagFinding.objects.filter(episode=shown, cleared_on__isnull=True).order_by(
                "noted_on"
            )
        )
        care_team = [
            m
            for m in CareTeamMember.objects.filter(episode=shown)
            .select_related("clinician")
            .order_by("-is_lead", "role", "start")
            if m.end is None or m.end >= today
        ]
        plan = (
            CarePlan.objects.filter(episode=shown)
            .select_related("template")
            .prefetch_related("goals", "interventions")
            .first()
        )
        medications = list(
            MedicationOrder.objects.filter(episode=shown)
            .select_related("prescriber")
            .order_by("-start_date", "-pk")
        )
    assessments = list(
        Assessment.objects.filter(patient=patient)
        .select_related("recorded_by")
        .order_by("taken_at", "pk")
    )
    onset = shown.onset if shown else None
    this_episode = [a for a in assessments if onset is None or _local_date(a.taken_at) >= onset]
    measures = measures_from(this_episode)
    reporters = {a.pk: a.get_reported_by_display() for a in this_episode}
    chart_list = [
        outcome_chart(
            chart_id=f"chart-{instrument}",
            instrument=instrument,
            series=measures.get(instrument, []),
            reporters=reporters,
            plan_started_on=plan.started_on if plan else None,
            start=onset,
            end=today,
            t=t,
        )
        for instrument in OUTCOMES
    ]
    latest_by_instrument: dict[str, Assessment] = {}
    for a in this_episode:
        latest_by_instrument[a.instrument] = a
    risk = latest_by_instrument.get(Instrument.START_BACK)
    latest_other = [
        latest_by_instrument[i]
        for i in (Instrument.PHQ9, Instrument.GAD7, Instrument.SLEEP)
        if i in latest_by_instrument
    ]
    flags = list(
        Flag.objects.filter(patient=patient)
        .select_related("acknowledged_by", "resolved_by")
        .order_by("-raised_at")
    )
    open_flags = sorted(
        (
            FlagView(f, rule_title(f.rule_code), evidence_view(f.evidence))
            for f in flags
            if f.status in OPEN_FLAG_STATUSES
        ),
        key=lambda v: (-SEVERITY_RANK.get(Severity(v.flag.severity), 0), v.flag.raised_at),
    )
    tasks = list(
        by_urgency(
            Task.objects.filter(patient=patient, status__in=OPEN_TASK_STATUSES)
        ).select_related("assignee")
    )
    appointments = list(
        Appointment.objects.filter(patient=patient)
        .select_related("clinician")
        .order_by("starts_at", "pk")
    )
    notes = list(
        ClinicalNote.objects.filter(patient=patient)
        .select_related("author")
        .order_by("-created_at")
    )
    messages = list(
        OutboundMessage.objects.filter(patient=patient)
        .exclude(recipient_clinician__isnull=False)
        .order_by("-send_after")[:100]
    )
    templates = (
        list(PlanTemplate.objects.filter(is_active=True).order_by("name"))
        if episode is not None and plan is None
        else []
    )
    timeline = _timeline(
        this_episode if onset else assessments, appointments, notes, flags, messages
    )
    viewers = None
    if any(m.is_lead and m.clinician_id == user.pk for m in care_team):
        # One extra query, for the care-team lead only: the latest reads of this record.
        viewers = list(
            AuditEvent.objects.filter(patient=patient, action="view")
            .select_related("actor")
            .order_by("-at")[:VIEWERS_SHOWN]
        )
    active_meds = [m for m in medications if m.is_active_on(today)]
    return PatientPage(
        patient=patient,
        team=team,
        today=today,
        episode=episode,
        episodes=episodes,
        phase_label=(str(Phase(episode.phase_on(today)).label) if episode else "No active episode"),
        day=episode.day_on(today) if episode else None,
        red_flags=red_flags,
        care_team=care_team,
        members=members,
        plan=plan,
        goals=(
            [
                _goal_view(g, measures, patient, started_on=plan.started_on, today=today)
                for g in plan.goals.all()
            ]
            if plan
            else []
        ),
        interventions=_group_interventions(plan.interventions.all()) if plan else [],
        medications=active_meds,
        stopped_medications=[m for m in medications if not m.is_active_on(today)],
        total_mme=sum((m.daily_mme or Decimal(0) for m in active_meds if m.is_opioid), Decimal(0)),
        charts=chart_list,
        risk=risk,
        latest_other=latest_other,
        open_flags=open_flags,
        tasks=tasks,
        upcoming=[
            a for a in appointments if a.status == AppointmentStatus.BOOKED and a.starts_at >= now
        ],
        unrecorded=[
            a for a in appointments if a.status == AppointmentStatus.BOOKED and a.starts_at < now
        ],
        timeline=timeline[:timeline_limit] if timeline_limit else timeline,
        timeline_total=len(timeline),
        templates=templates,
        viewers=viewers,
    )


def _timeline(
    assessments: Sequence[Assessment],
    appointments: Sequence[Appointment],
    notes: Sequence[ClinicalNote],
    flags: Sequence[Flag],
    messages: Sequence[OutboundMessage],
) -> list[TimelineEvent]:
    events: list[TimelineEvent] = []
    for a in assessments:
        score = "" if a.score is None else f" {charts.fmt(float(a.score))}"
        band = f" ({a.band.replace('-', ' ').replace('_', ' ')})" if a.band else ""
        events.append(
            TimelineEvent(
                at=a.taken_at,
                kind="assessment",
                kind_label="Assessment",
                title=f"{a.get_instrument_display()}{score}{band}",
                detail=f"Reported by {a.get_reported_by_display().lower()}"
                + (f", recorded by {a.recorded_by.display_name}" if a.recorded_by else ""),
                url=reverse("dashboard:assessment", args=[a.pk]),
            )
        )
    now = timezone.now()
    for ap in appointments:
        if ap.starts_at > now and ap.status == AppointmentStatus.BOOKED:
            continue  # upcoming visits are listed under Appointments, not in the history
        who = f" with {ap.clinician.display_name}" if ap.clinician else ""
        events.append(
            TimelineEvent(
                at=ap.starts_at,
                kind="appointment",
                kind_label="Appointment",
                title=f"{ap.get_kind_display()}{who}",
                detail=ap.get_status_display() + (f" · {ap.location}" if ap.location else ""),
            )
        )
    for n in notes:
        events.append(
            TimelineEvent(
                at=n.created_at,
                kind="note",
                kind_label="Note",
                title=f"Note by {n.author.display_name}",
                detail=n.body,
            )
        )
    for f in flags:
        title = rule_title(f.rule_code)
        events.append(
            TimelineEvent(
                f.raised_at,
                "flag",
                "Flag raised",
                title,
                without_title(f.rule_code, f.summary),
                "",
                f.severity,
            )
        )
        if f.acknowledged_at and f.acknowledged_by:
            events.append(
                TimelineEvent(
                    f.acknowledged_at,
                    "flag",
                    "Flag acknowledged",
                    title,
                    f"by {f.acknowledged_by.display_name}",
                )
            )
        if f.resolved_at:
            by = (
                "automatically"
                if f.auto_resolved or not f.resolved_by
                else f"by {f.resolved_by.display_name}"
            )
            note = f": {f.resolution_note}" if f.resolution_note else ""
            events.append(
                TimelineEvent(f.resolved_at, "flag", "Flag resolved", title, f"{by}{note}")
            )
    for m in messages:
        events.append(
            TimelineEvent(
                at=m.sent_at or m.send_after,
                kind="message",
                kind_label="Message",
                title=f"{m.get_kind_display()} by {m.get_channel_display()}",
                detail=m.get_status_display(),
            )
        )
    events.sort(key=lambda e: e.at, reverse=True)
    return events


# --------------------------------------------------------------------------------------------
# Worklist and inbox
# --------------------------------------------------------------------------------------------


@dataclass
class Worklist:
    mine: Sequence[Task]
    queue: Sequence[Task]
    queue_label: str
    today: dt.date


def worklist(user: Any) -> Worklist:
    """My open tasks and my discipline's unclaimed queue in my teams, most urgent first, then
    the earliest due (``apps.worklist.selectors.by_urgency``, as in the API).

    Queries: (1) my tasks, (2) the queue — each with its patient and team joined.
    """
    base = (
        tasks_visible_to(user)
        .filter(status__in=OPEN_TASK_STATUSES)
        .select_related("patient", "team", "assignee")
    )
    base = by_urgency(base)
    mine = list(base.filter(assignee_id=user.pk))
    queue: Sequence[Task] = []
    label = ""
    if getattr(user, "discipline", ""):
        queue = list(base.filter(assignee__isnull=True, discipline=user.discipline))
        label = str(Discipline(user.discipline).label)
    rows_shown([*mine, *queue])
    return Worklist(mine=mine, queue=queue, queue_label=label, today=clinic_today())


def inbox(user: Any, *, limit: int = 100) -> list[Notification]:
    """The user's notifications, newest first (only their own: recipient = user)."""
    notes = list(
        Notification.objects.filter(recipient_id=user.pk)
        .select_related("patient")
        .order_by("-created_at", "-pk")[:limit]
    )
    rows_shown(notes)
    return notes


def notification_get_for_user(user: Any, notification_id: Any) -> Notification:
    try:
        return Notification.objects.get(pk=int(notification_id), recipient_id=user.pk)
    except (TypeError, ValueError, Notification.DoesNotExist):
        raise Http404("No such notification.") from None


def unread_count(user: Any) -> int:
    """One cheap query (indexed on recipient, read_at)."""
    if not getattr(user, "is_authenticated", False):
        return 0
    return Notification.objects.filter(recipient_id=user.pk, read_at__isnull=True).count()


# --------------------------------------------------------------------------------------------
# Team overview
# --------------------------------------------------------------------------------------------


@dataclass
class TeamOverview:
    team: Team
    teams: list[Team]
    today: dt.date
    by_phase: list[tuple[str, int]]
    patients: int
    improving: int
    stalled: int
    worse: int
    other: int
    flags_by_rule: list[tuple[str, str, int, int, int]]  # code, title, urgent, warning, info
    median_ack_hours: float | None
    urgent_acknowledged: int
    urgent_waiting: int
    overdue_by_discipline: list[tuple[str, int]]


def team_get_for_user(user: Any, team_id: Any) -> Team:
    try:
        return teams_of(user).get(pk=int(team_id))
    except (TypeError, ValueError, Team.DoesNotExist):
        raise Http404("No such team.") from None


def team_overview(user: Any, team: Team, *, window_days: int = 90) -> TeamOverview:
    """The team's numbers, in a fixed number of queries:
    (1) the user's teams, (2) patients by phase, (3) thresholds, (4) active episodes with their
    plans, (5) their outcome measures, (6) open stalled/worsening flags, (7) open flags by rule,
    (8) urgent flags' acknowledgement times, (9) overdue tasks by discipline."""
    today = clinic_today()
    teams = list(teams_of(user).order_by("name"))
    acute_after = today - dt.timedelta(days=ACUTE_MAX_DAYS)
    chronic_before = today - dt.timedelta(days=SUBACUTE_MAX_DAYS)
    episodes = Episode.objects.active().filter(patient__team=team)
    counts = episodes.aggregate(
        acute=Count("pk", filter=Q(onset__gt=acute_after)),
        subacute=Count("pk", filter=Q(onset__lte=acute_after, onset__gte=chronic_before)),
        chronic=Count("pk", filter=Q(onset__lt=chronic_before)),
    )
    by_phase = [(str(Phase(p).label), counts[p] or 0) for p in ("acute", "subacute", "chronic")]
    t = clinical_thresholds()
    active = list(episodes.values_list("id", "patient_id", "onset", "care_plan__started_on"))
    onset_of = {pid: onset for _, pid, onset, _ in active}
    plan_of = {pid: started for _, pid, _, started in active}
    series: dict[int, list[Assessment]] = defaultdict(list)
    for a in Assessment.objects.filter(
        patient_id__in=list(onset_of), instrument__in=OUTCOMES, score__isnull=False
    ).order_by("taken_at", "pk"):
        if _local_date(a.taken_at) >= onset_of[a.patient_id]:
            series[a.patient_id].append(a)
    flagged = set(
        Flag.objects.filter(
            patient_id__in=list(onset_of),
            rule_code__in=["stalled_recovery", "worsening"],
            status__in=OPEN_FLAG_STATUSES,
        ).values_list("patient_id", "rule_code")
    )
    improving = stalled = worse = 0
    for pid in onset_of:
        measures = measures_from(series.get(pid, []))
        if (pid, "worsening") in flagged:
            worse += 1
        elif (pid, "stalled_recovery") in flagged:
            stalled += 1
        elif _any_improved(measures, plan_of.get(pid), t):
            improving += 1
    flags_by_rule = [
        (
            row["rule_code"],
            rule_title(row["rule_code"]),
            row["urgent"],
            row["warning"],
            row["info"],
        )
        for row in Flag.objects.filter(patient__team=team, patient__archived_at__isnull=True)
        .filter(status__in=OPEN_FLAG_STATUSES)
        .values("rule_code")
        .annotate(
            urgent=Count("pk", filter=Q(severity=Severity.URGENT)),
            warning=Count("pk", filter=Q(severity=Severity.WARNING)),
            info=Count("pk", filter=Q(severity=Severity.INFO)),
        )
        .order_by("-urgent", "-warning", "rule_code")
    ]
    since = timezone.now() - dt.timedelta(days=window_days)
    urgent = list(
        Flag.objects.filter(
            patient__team=team, severity=Severity.URGENT, raised_at__gte=since
        ).values_list("raised_at", "acknowledged_at", "status")
    )
    waits = [(ack - raised).total_seconds() / 3600 for raised, ack, _ in urgent if ack is not None]
    overdue = (
        Task.objects.filter(team=team, status__in=OPEN_TASK_STATUSES, due_on__lt=today)
        .filter(Q(patient__isnull=True) | Q(patient__archived_at__isnull=True))
        .annotate(
            queue=Coalesce(
                NullIf(F("discipline"), Value("")),
                F("assignee__discipline"),
                output_field=CharField(),
            )
        )
        .values("queue")
        .annotate(n=Count("pk"))
        .order_by("-n", "queue")
    )
    return TeamOverview(
        team=team,
        teams=teams,
        today=today,
        by_phase=by_phase,
        patients=len(onset_of),
        improving=improving,
        stalled=stalled,
        worse=worse,
        other=len(onset_of) - improving - stalled - worse,
        flags_by_rule=flags_by_rule,
        median_ack_hours=statistics.median(waits) if waits else None,
        urgent_acknowledged=len(waits),
        urgent_waiting=sum(
            1 for _, ack, status in urgent if ack is None and status != FlagStatus.RESOLVED
        ),
        overdue_by_discipline=[
            (
                str(Discipline(row["queue"]).label)
                if row["queue"] in Discipline.values
                else "Unassigned",
                row["n"],
            )
            for row in overdue
        ],
    )


def _any_improved(
    measures: dict[str, list[Measure]], plan_started_on: dt.date | None, t: dict[str, Decimal]
) -> bool:
    for instrument in OUTCOMES:
        points = [m for m in measures.get(instrument, []) if m.value is not None]
        if len(points) < 2:
            continue
        baseline = (
            baseline_for_plan(points, plan_started_on) if plan_started_on else None
        ) or points[0]
        latest = points[-1]
        if latest.taken_on > baseline.taken_on and improved(instrument, baseline, latest, t):
            return True
    return False


# Re-exported for views that only need the helpers.
__all__ = [
    "SORT_KEYS",
    "Caseload",
    "CaseloadFilters",
    "CaseloadRow",
    "OutcomeChart",
    "PatientPage",
    "TeamOverview",
    "Worklist",
    "active_flag_q",
    "caseload",
    "improvement_line",
    "inbox",
    "measures_from",
    "notification_get_for_user",
    "outcome_chart",
    "patient_page",
    "rule_title",
    "team_get_for_user",
    "team_overview",
    "unread_count",
    "worklist",
]


# --------------------------------------------------------------------------------------------
# Case conference
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class AgendaFlag:
    title: str
    severity: str
    summary: str
    evidence: EvidenceView
    status: str = ""


@dataclass
class AgendaView:
    item: Any
    phase_label: str
    day: int | None
    flags: list[AgendaFlag]
    other_flags: list[FlagBadge]
    charts: list[OutcomeChart]
    goals: list[GoalView] = field(default_factory=list)  # status as on the patient page
    input_form: Any = None  # set by the view
    decision_form: Any = None


@dataclass
class ConferencePage:
    conference: Any
    items: list[AgendaView]
    members: list[Clinician]
    candidates: list[Patient]


def conference_page(user: Any, conference: Any) -> ConferencePage:
    """The agenda with each patient's evidence and outcome charts, in a fixed number of queries:
    agenda, inputs, decisions, open flags, active episodes (with plan start), outcome measures,
    plan goals (with their latest measures), thresholds, team members and the team's other
    patients."""
    from apps.conferences.selectors import agenda_of

    today = clinic_today()
    t = clinical_thresholds()
    items = agenda_of(user, conference)
    patient_ids = [i.patient_id for i in items]
    flags_by_patient: dict[int, list[Flag]] = defaultdict(list)
    for f in Flag.objects.filter(
        patient_id__in=patient_ids, status__in=OPEN_FLAG_STATUSES
    ).order_by("raised_at"):
        flags_by_patient[f.patient_id].append(f)
    episodes = {
        pid: (onset, plan_start)
        for pid, onset, plan_start in Episode.objects.active()
        .filter(patient_id__in=patient_ids)
        .values_list("patient_id", "onset", "care_plan__started_on")
    }
    assessments: dict[int, list[Assessment]] = defaultdict(list)
    for a in Assessment.objects.filter(
        patient_id__in=patient_ids, instrument__in=OUTCOMES, score__isnull=False
    ).order_by("taken_at", "pk"):
        onset = episodes.get(a.patient_id, (None, None))[0]
        if onset is None or _local_date(a.taken_at) >= onset:
            assessments[a.patient_id].append(a)
    goals = goals_of_patients(patient_ids, today)
    views = []
    for item in items:
        onset, plan_start = episodes.get(item.patient_id, (None, None))
        live = flags_by_patient.get(item.patient_id, [])
        live_by_id = {f.pk: f for f in live}
        evidence = item.evidence if isinstance(item.evidence, dict) else {}
        shown: list[AgendaFlag] = []
        shown_ids: set[int] = set()
        for entry in evidence.get("flags") or []:
            current = live_by_id.get(entry.get("flag_id"))
            shown.append(
                AgendaFlag(
                    title=rule_title(entry.get("rule", "")) or entry.get("title", ""),
                    severity=entry.get("severity", "info"),
                    summary=without_title(entry.get("rule", ""), entry.get("summary", "")),
                    evidence=evidence_view(entry.get("evidence")),
                    status="open" if current else "resolved since",
                )
            )
            shown_ids.add(entry.get("flag_id"))
        if not shown and evidence.get("flag_id") in live_by_id:
            f = live_by_id[evidence["flag_id"]]
            shown.append(
                AgendaFlag(
                    rule_title(f.rule_code),
                    f.severity,
                    without_title(f.rule_code, f.summary),
                    evidence_view(f.evidence),
                    "open",
                )
            )
            shown_ids.add(f.pk)
        measures = measures_from(assessments.get(item.patient_id, []))
        views.append(
            AgendaView(
                item=item,
                phase_label=str(Phase(phase_for(onset, today)).label)
                if onset
                else "No active episode",
                day=(today - onset).days if onset else None,
                flags=shown,
                other_flags=[
                    FlagBadge(
                        f.rule_code,
                        rule_title(f.rule_code),
                        f.severity,
                        without_title(f.rule_code, f.summary),
                    )
                    for f in live
                    if f.pk not in shown_ids
                ],
                charts=[
                    outcome_chart(
                        chart_id=f"agenda-{item.pk}-{instrument}",
                        instrument=instrument,
                        series=measures.get(instrument, []),
                        reporters={},
                        plan_started_on=plan_start,
                        start=onset,
                        end=today,
                        t=t,
                        width=420,
                        height=180,
                    )
                    for instrument in OUTCOMES
                ],
                goals=goals.get(item.patient_id, []),
            )
        )
    members = [
        m.clinician
        for m in TeamMembership.objects.filter(team_id=conference.team_id)
        .select_related("clinician")
        .order_by("clinician__last_name", "clinician__first_name")
    ]
    candidates = list(
        patients_visible_to(user)
        .filter(team_id=conference.team_id)
        .exclude(pk__in=patient_ids)
        .order_by("last_name", "first_name")
    )
    # Shown: the agenda's patients and the others offered to add (names in the choice list).
    patients_shown([*patient_ids, *(p.pk for p in candidates)])
    return ConferencePage(
        conference=conference, items=views, members=members, candidates=candidates
    )
