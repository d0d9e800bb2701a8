"""A realistic synthetic caseload for demos and manual testing (``manage.py seed_demo``).

Two steps, so that the randomness can be checked without a database:

1. :func:`build_specs` turns ``(count, seed)`` into plain :class:`PatientSpec` values. Pure: no
   database, no clock. Every date in a spec is a day offset from "today" (negative = past), so
   episode phases and "overdue" situations are right whenever the demo is seeded. The same seed
   gives the same specs, and the specs for ``count=N`` are the first N specs of any larger count
   (patient *i* depends only on the seed and *i*), so ``--patients 100`` extends a 60-patient demo.
2. :func:`seed_demo` writes teams, clinicians and the specs through the services (full_clean,
   audit), one transaction per patient. It is idempotent: teams are keyed on name, clinicians on
   username, patients on MRN (``DEMO-0001``...); a demo patient that already exists is skipped
   with its history.

The caseload is built so that every monitoring rule has at least one patient that shows it
(``PatientSpec.situations``; the first team has most of them), while most patients are ordinary:
acute and settling, or on a programme and improving.
"""

from __future__ import annotations

import datetime as dt
import math
import random
import unicodedata
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.contrib.auth.hashers import make_password
from django.db import transaction
from django.utils import timezone

from apps.accounts.models import Clinician
from apps.assessments.models import Assessment, Instrument, Reporter
from apps.assessments.services import assessment_record
from apps.careplans.models import (
    CarePlan,
    InterventionKind,
    InterventionStatus,
    PlanTemplate,
    PlanTemplateFollowUp,
)
from apps.careplans.services import (
    goal_add,
    intervention_add,
    intervention_update,
    plan_template_apply,
)
from apps.core.choices import Discipline
from apps.core.dates import clinic_today
from apps.core.enqueue import enqueue_on_commit
from apps.core.services import model_create, model_update
from apps.medications.models import DrugClass, OpioidDrug
from apps.medications.services import medication_order_create, medication_review
from apps.patients.models import Channel, Episode, Patient, RedFlagSign, Sex, WorkStatus
from apps.patients.services import (
    care_team_assign,
    episode_close,
    episode_open,
    note_add,
    patient_create,
    red_flag_record,
)
from apps.scheduling.models import AppointmentKind, AppointmentStatus
from apps.scheduling.services import appointment_book
from apps.teams.models import Team, TeamMembership
from apps.worklist.models import OPEN_TASK_STATUSES, Task, TaskPriority, TaskSource
from apps.worklist.services import task_complete, task_create

#: The documented demo password of every demo login (``--password`` overrides it).
DEMO_PASSWORD = "careteam-demo"  # noqa: S105 - a published demo password, not a secret
DEFAULT_SEED = 42
DEFAULT_PATIENTS = 60
MRN_PREFIX = "DEMO-"
ADMIN_USERNAME = "admin"
DEMO_URL = "http://127.0.0.1:8000/"

ACUTE_TEMPLATE = "acute-conservative-care"
CHRONIC_TEMPLATE = "chronic-multidisciplinary-programme"

D = Discipline

# ------------------------------------------------------------------------------------------------
# Teams and clinicians (fixed)
# ------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class TeamSpec:
    name: str
    description: str


@dataclass(frozen=True)
class ClinicianSpec:
    username: str
    first_name: str
    last_name: str
    title: str
    discipline: str
    team: int
    is_lead: bool = False
    also_on: tuple[int, ...] = ()


TEAMS: tuple[TeamSpec, ...] = (
    TeamSpec(
        "Northside Spine Team",
        "Primary-care back pain team: acute triage and conservative care, and the chronic "
        "multidisciplinary programme.",
    ),
    TeamSpec(
        "Riverside Pain Rehabilitation",
        "Community pain-rehabilitation team for persistent, disabling back pain.",
    ),
    TeamSpec(
        "Westgate Back Care",
        "Hospital outpatient back-care team: complex and high-risk back pain.",
    ),
)

CLINICIANS: tuple[ClinicianSpec, ...] = (
    # First team: the usernames are the disciplines, so a demo user can pick a point of view.
    ClinicianSpec("physician", "Maya", "Chen", "Dr", D.PHYSICIAN, 0, is_lead=True),
    ClinicianSpec("physical_therapist", "Daniel", "Brooks", "PT", D.PHYSICAL_THERAPIST, 0),
    ClinicianSpec("psychologist", "Hannah", "Weiss", "Dr", D.PSYCHOLOGIST, 0),
    # A consultant psychiatrist who also sits on the Westgate team (one clinician, two teams).
    ClinicianSpec("psychiatrist", "Rafael", "Ortiz", "Dr", D.PSYCHIATRIST, 0, also_on=(2,)),
    ClinicianSpec("pain_specialist", "Priya", "Raman", "Dr", D.PAIN_SPECIALIST, 0),
    ClinicianSpec("care_coordinator", "Lucy", "Fernandez", "", D.CARE_COORDINATOR, 0),
    ClinicianSpec("nurse", "Tom", "Gallagher", "RN", D.NURSE, 0),
    ClinicianSpec("dr_okafor", "Chidi", "Okafor", "Dr", D.PHYSICIAN, 1, is_lead=True),
    ClinicianSpec("pt_nguyen", "Linh", "Nguyen", "PT", D.PHYSICAL_THERAPIST, 1),
    ClinicianSpec("dr_haddad", "Samir", "Haddad", "Dr", D.PSYCHOLOGIST, 1),
    ClinicianSpec("dr_kowalski", "Anna", "Kowalski", "Dr", D.PSYCHIATRIST, 1),
    ClinicianSpec("dr_mensah", "Kwame", "Mensah", "Dr", D.PAIN_SPECIALIST, 1),
    ClinicianSpec("cc_murphy", "Siobhan", "Murphy", "", D.CARE_COORDINATOR, 1),
    ClinicianSpec("rn_silva", "Ana", "Silva", "RN", D.NURSE, 1),
    ClinicianSpec("dr_bauer", "Lena", "Bauer", "Dr", D.PHYSICIAN, 2, is_lead=True),
    ClinicianSpec("pt_adeyemi", "Tunde", "Adeyemi", "PT", D.PHYSICAL_THERAPIST, 2),
    ClinicianSpec("dr_kim", "Soo-jin", "Kim", "Dr", D.PSYCHOLOGIST, 2),
    ClinicianSpec("dr_novak", "Petr", "Novak", "Dr", D.PSYCHIATRIST, 2),
    ClinicianSpec("dr_iyer", "Arjun", "Iyer", "Dr", D.PAIN_SPECIALIST, 2),
    ClinicianSpec("cc_rossi", "Giulia", "Rossi", "", D.CARE_COORDINATOR, 2),
    ClinicianSpec("rn_walsh", "Erin", "Walsh", "RN", D.NURSE, 2),
)

# ------------------------------------------------------------------------------------------------
# Patient specs (plain values; dates are day offsets from today, negative = past)
# ------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class AssessmentSpec:
    day: int
    instrument: str
    answers: dict[str, Any]
    recorder: str = ""  # discipline of the clinician who recorded it; "" = patient-reported
    hour: int = 10
    minute: int = 0


@dataclass(frozen=True)
class MedicationSpec:
    drug: str
    drug_class: str
    dose: str
    frequency: str
    daily_dose: str
    start: int
    opioid: str = ""
    dose_unit: str = "mg"
    stop: int | None = None
    reviews: tuple[int, ...] = ()
    naloxone_at: int | None = None  # the review at which naloxone was offered
    indication: str = ""
    prescriber: str = D.PHYSICIAN


@dataclass(frozen=True)
class AppointmentSpec:
    day: int
    kind: str
    discipline: str
    status: str
    hour: int
    minute: int = 0
    duration: int = 30


@dataclass(frozen=True)
class InterventionSpec:
    kind: str
    discipline: str
    description: str
    start: int
    end: int | None = None
    status: str = InterventionStatus.ACTIVE


@dataclass(frozen=True)
class GoalSpec:
    measure: str
    description: str
    due: int
    target: str | None = None


@dataclass(frozen=True)
class PlanSpec:
    start: int
    template: str = ""  # a PlanTemplate slug; empty: a hand-made plan of ``interventions``
    title: str = ""
    interventions: tuple[InterventionSpec, ...] = ()
    goals: tuple[GoalSpec, ...] = ()


@dataclass(frozen=True)
class RedFlagSpec:
    sign: str
    day: int
    note: str
    cleared: int | None = None


@dataclass(frozen=True)
class TaskSpec:
    title: str
    reason: str
    due: int
    discipline: str = ""  # a discipline's queue...
    assignee: str = ""  # ...or the team's clinician of this discipline
    priority: str = TaskPriority.ROUTINE


@dataclass(frozen=True)
class PreviousEpisodeSpec:
    onset: int
    closed: int
    summary: str


@dataclass(frozen=True)
class PatientSpec:
    index: int
    mrn: str
    team: int
    kind: str
    situations: tuple[str, ...]
    first_name: str
    last_name: str
    sex: str
    age_days: int
    email: str
    phone: str
    channel: str
    quiet_hours: tuple[str, str] | None
    work_status: str
    work_status_since: int | None
    onset: int
    intake: int
    summary: str
    care_team: tuple[tuple[str, bool], ...]
    plan: PlanSpec | None
    assessments: tuple[AssessmentSpec, ...]
    medications: tuple[MedicationSpec, ...]
    appointments: tuple[AppointmentSpec, ...]
    red_flags: tuple[RedFlagSpec, ...]
    tasks: tuple[TaskSpec, ...]
    notes: tuple[str, ...]
    previous_episode: PreviousEpisodeSpec | None

    @property
    def full_name(self) -> str:
        return f"{self.first_name} {self.last_name}"


# ------------------------------------------------------------------------------------------------
# Names (fixed lists: reproducible whatever the Faker version)
# ------------------------------------------------------------------------------------------------

FEMALE_NAMES = (
    "Olivia", "Emma", "Ava", "Sophia", "Isabella", "Mia", "Amelia", "Harper", "Evelyn", "Abigail",
    "Grace", "Chloe", "Camila", "Aaliyah", "Nora", "Lily", "Zoe", "Hannah", "Layla", "Priya",
    "Fatima", "Mei", "Yesenia", "Deborah", "Margaret", "Patricia", "Linda", "Barbara", "Susan",
    "Karen", "Nancy", "Lisa", "Rosa", "Keisha", "Ingrid", "Aisha", "Leah", "Naomi", "Gloria",
    "Tamara",
)  # fmt: skip
MALE_NAMES = (
    "Liam", "Noah", "Oliver", "Elijah", "James", "William", "Benjamin", "Lucas", "Henry", "Theodore",
    "Mateo", "Jack", "Samuel", "David", "Joseph", "Carlos", "Andre", "Malik", "Hiroshi", "Ravi",
    "Omar", "Wei", "Diego", "Robert", "Michael", "Richard", "Thomas", "Charles", "Kevin", "Brian",
    "George", "Edward", "Ronald", "Anthony", "Marcus", "Tyrone", "Ivan", "Luis", "Patrick",
    "Gregory",
)  # fmt: skip
LAST_NAMES = (
    "Smith", "Johnson", "Williams", "Brown", "Jones", "Garcia", "Miller", "Davis", "Rodriguez",
    "Martinez", "Hernandez", "Lopez", "Gonzalez", "Wilson", "Anderson", "Thomas", "Taylor", "Moore",
    "Jackson", "Martin", "Lee", "Perez", "Thompson", "White", "Harris", "Sanchez", "Clark",
    "Ramirez", "Lewis", "Robinson", "Walker", "Young", "Allen", "King", "Wright", "Scott", "Torres",
    "Nguyen", "Hill", "Flores", "Green", "Adams", "Nelson", "Baker", "Hall", "Rivera", "Campbell",
    "Mitchell", "Carter", "Roberts", "Patel", "Kim", "O'Connor", "Cohen", "Schmidt", "Novak",
    "Okafor", "Haddad", "Yamamoto", "Kowalczyk", "Rossi", "Dubois", "Singh", "Murphy", "Sullivan",
    "Bennett", "Fischer", "Abdullah", "Chowdhury", "Mendoza", "Castillo", "Ortiz", "Reyes",
    "Morales", "Gutierrez", "Wang", "Zhang", "Ivanova", "Larsen", "Byrne",
)  # fmt: skip
AREA_CODES = ("212", "347", "516", "631", "646", "718", "845", "914", "917", "929")

ACUTE_SUMMARIES = (
    "Acute mechanical low back pain after lifting",
    "Acute low back pain after gardening",
    "Acute low back pain, no radiation",
    "Acute low back pain with right buttock pain",
    "Acute low back pain after a long drive",
    "Acute lumbar strain at work",
)
SUBACUTE_SUMMARIES = (
    "Subacute low back pain, slow recovery",
    "Low back pain with right leg pain (L5 distribution)",
    "Subacute mechanical low back pain",
    "Low back pain with left buttock and thigh pain",
)
CHRONIC_SUMMARIES = (
    "Chronic mechanical low back pain",
    "Chronic low back pain with left sciatica",
    "Chronic low back pain, lumbar degenerative disc disease",
    "Persistent low back pain after L4/5 discectomy",
    "Chronic low back pain with widespread pain",
    "Chronic low back pain with right leg paraesthesia",
)

# ------------------------------------------------------------------------------------------------
# Small helpers
# ------------------------------------------------------------------------------------------------


def _rnd(value: float) -> int:
    """Round half up (not banker's rounding): 4.5 -> 5."""
    return math.floor(value + 0.5)


def _clamp(value: int, low: int, high: int) -> int:
    return max(low, min(high, value))


def _progress(day: int, start: int, end: int, k: float = 2.5) -> float:
    """0 at ``start``, 1 at ``end``, most of the change early (recovery is fastest at first)."""
    if end <= start or day >= end:
        return 1.0 if day >= start else 0.0
    if day <= start:
        return 0.0
    x = (day - start) / (end - start)
    return (1 - math.exp(-k * x)) / (1 - math.exp(-k))


def _spread(total: int, order: Sequence[int], cap: int, size: int) -> list[int]:
    """Distribute ``total`` over ``size`` items (each at most ``cap``), filling the items in
    ``order`` level by level: items only grow as the total grows (monotone answers)."""
    items = [0] * size
    remaining = _clamp(total, 0, cap * size)
    for _level in range(cap):
        for i in order:
            if remaining == 0:
                return items
            items[i] += 1
            remaining -= 1
    return items


def _days(start: int, last: int, step: int, rng: random.Random) -> list[int]:
    """Measurement days from ``start`` to ``last`` (both included), about ``step`` days apart."""
    if last <= start:
        return [start]
    days = [start]
    day = start
    while True:
        day += step + rng.randint(-1, 1)
        if day >= last - max(2, step // 3):
            break
        days.append(day)
    days.append(last)
    return days


def _ascii(text: str) -> str:
    return "".join(
        c for c in unicodedata.normalize("NFKD", text) if c.isascii() and c.isalnum()
    ).lower()


# ------------------------------------------------------------------------------------------------
# The chart builder: one patient's history, then frozen into a PatientSpec
# ------------------------------------------------------------------------------------------------

Pair = tuple[float, float]


class _Chart:
    def __init__(self, rng: random.Random, index: int, team: int, kind: str) -> None:
        self.rng = rng
        self.index = index
        self.team = team
        self.kind = kind
        self.situations: list[str] = []
        self.onset = -30
        self.intake = -30
        self.summary = ""
        self.age_years = rng.randint(24, 74)
        self.work_status: str = WorkStatus.WORKING
        self.work_since: int | None = None
        self.care_team: list[tuple[str, bool]] = []
        self.plan: PlanSpec | None = None
        self.assessments: list[AssessmentSpec] = []
        self.medications: list[MedicationSpec] = []
        self.appointments: list[AppointmentSpec] = []
        self.red_flags: list[RedFlagSpec] = []
        self.tasks: list[TaskSpec] = []
        self.notes: list[str] = []
        self.previous: PreviousEpisodeSpec | None = None
        # How this patient tends to answer (fixed per patient, so series stay monotone).
        self.odi_order = rng.sample(range(10), 10)
        self.odi_skips_sex_life = rng.random() < 0.3
        self.phq_order = rng.sample(range(8), 8)
        self.gad_order = rng.sample(range(7), 7)
        self.peg_offsets = (rng.choice((-1, 0, 0, 1)), rng.choice((-1, 0, 1, 1)))

    # --- identity and episode ---------------------------------------------------------------

    def episode(self, *, onset: int, intake: int, summary: str) -> None:
        assert onset <= intake <= -1, (onset, intake)
        self.onset, self.intake, self.summary = onset, intake, summary

    def work(self, status: str, since: int | None = None) -> None:
        """Work status (call before ``course``, which records it); since intake by default."""
        self.work_status = status
        self.work_since = since

    def team_roles(self, *roles: str, lead: str = D.PHYSICIAN) -> None:
        self.care_team = [(role, role == lead) for role in roles]

    def has_role(self, *roles: str) -> bool:
        return any(role in roles for role, _ in self.care_team)

    # --- assessments ------------------------------------------------------------------------

    def add(self, day: int, instrument: str, answers: dict[str, Any], recorder: str = "") -> None:
        assert day <= -1, f"assessments are in the past, got day {day}"
        assert day >= self.onset, f"assessment before onset ({day} < {self.onset})"
        if recorder:
            hour, minute = self.rng.randint(8, 16), self.rng.choice((0, 15, 30, 45))
        else:  # patient check-ins arrive in the evening
            hour, minute = self.rng.randint(18, 21), self.rng.randint(0, 59)
        self.assessments.append(AssessmentSpec(day, instrument, answers, recorder, hour, minute))

    def _by(self, day: int, default: str = D.PHYSICIAN) -> str:
        """Recorded at a visit on intake day, otherwise usually reported by the patient."""
        if day == self.intake:
            return default
        return "" if self.rng.random() < 0.7 else default

    def nrs(self, day: int, value: float) -> None:
        self.add(day, Instrument.NRS, {"value": _clamp(_rnd(value), 0, 10)}, self._by(day))

    def peg(self, day: int, level: float) -> None:
        off_e, off_a = self.peg_offsets
        self.add(
            day,
            Instrument.PEG,
            {
                "pain": _clamp(_rnd(level), 0, 10),
                "enjoyment": _clamp(_rnd(level + off_e), 0, 10),
                "activity": _clamp(_rnd(level + off_a), 0, 10),
            },
            self._by(day),
        )

    def odi(self, day: int, percent: float) -> None:
        answered = 9 if self.odi_skips_sex_life else 10
        total = _clamp(_rnd(percent / 100 * 5 * answered), 0, 5 * answered)
        order = [i for i in self.odi_order if not (self.odi_skips_sex_life and i == 7)]
        sections: list[int | None] = list(_spread(total, order, 5, 10))
        if self.odi_skips_sex_life:
            sections[7] = None
        self.add(day, Instrument.ODI, {"sections": sections}, D.PHYSICAL_THERAPIST)

    def phq9(self, day: int, total: float, item9: int | None = 0) -> None:
        items: list[int | None] = list(_spread(_rnd(total), self.phq_order, 3, 8))
        items.append(item9)
        recorder = D.PSYCHOLOGIST if self.has_role(D.PSYCHOLOGIST) else D.PHYSICIAN
        self.add(day, Instrument.PHQ9, {"items": items}, recorder)

    def gad7(self, day: int, total: float) -> None:
        recorder = D.PSYCHOLOGIST if self.has_role(D.PSYCHOLOGIST) else D.PHYSICIAN
        self.add(
            day, Instrument.GAD7, {"items": _spread(_rnd(total), self.gad_order, 3, 7)}, recorder
        )

    def sleep(self, day: int, value: float) -> None:
        self.add(day, Instrument.SLEEP, {"value": _clamp(_rnd(value), 0, 10)}, self._by(day))

    def start_back(self, day: int, risk: str) -> None:
        if risk == "low":
            agree = [True, False, True, False, False, False, False, False]
            bother = "slightly"
        elif risk == "medium":
            agree = [True, True, True, False, True, False, False, False]
            bother = "moderately"
        else:
            agree = [True, True, False, True, True, True, True, False]
            bother = "very_much"
        self.add(
            day, Instrument.START_BACK, {"agree": agree, "bothersomeness": bother}, D.PHYSICIAN
        )

    def work_assessment(self, day: int) -> None:
        self.add(day, Instrument.WORK_STATUS, {"status": self.work_status}, D.CARE_COORDINATOR)

    def replace_last(self, instrument: str, answers: dict[str, Any]) -> None:
        for i in range(len(self.assessments) - 1, -1, -1):
            if self.assessments[i].instrument == instrument:
                old = self.assessments[i]
                self.assessments[i] = AssessmentSpec(
                    old.day, instrument, answers, old.recorder or D.PHYSICIAN, old.hour, old.minute
                )
                return
        raise ValueError(f"no {instrument} to replace")

    def course(
        self,
        *,
        last: int,
        mode: str,
        nrs: Pair,
        odi: Pair | None = None,
        phq: Pair | None = None,
        gad: Pair | None = None,
        sleep: Pair | None = None,
        sleep_values: Sequence[int] = (),
        start_back: str = "medium",
        nrs_every: int = 7,
    ) -> None:
        """Months of outcome measures from intake to ``last``.

        ``mode`` "improve"/"worsen": each measure moves monotonically from the first value of
        its pair to the second (no blips that could read as worsening). "flat": it wobbles by
        at most one step around the first value, never a meaningful change either way.
        """
        start, rng = self.intake, self.rng
        reach = start + max(1, _rnd((last - start) * 0.85))

        def level(pair: Pair, day: int, wobble: float) -> float:
            if mode == "flat":
                return pair[0] + rng.choice((0.0, 0.0, wobble))
            return pair[0] + (pair[1] - pair[0]) * _progress(day, start, reach)

        # Pain weekly for the first month (when most recovery happens), then every 2 weeks.
        early = _days(start, min(last, start + 28), nrs_every, rng)
        for day in sorted(set(early[:-1] + _days(early[-1], last, 2 * nrs_every, rng))):
            self.nrs(day, level(nrs, day, 1))
        for day in _days(start, last, 28, rng):
            self.peg(day, level(nrs, day, 0.5))
        if odi:
            for day in _days(start, last, 28, rng):
                self.odi(day, level(odi, day, 4))
        if phq:
            for day in _days(start, last, 42, rng):
                self.phq9(day, level(phq, day, 1))
        if gad:
            for day in _days(start, last, 42, rng):
                self.gad7(day, level(gad, day, 1))
        if sleep or sleep_values:
            days = _days(start, last, 28, rng)
            for i, day in enumerate(days):
                if sleep_values:
                    j = i - (len(days) - len(sleep_values))
                    self.sleep(day, sleep_values[max(j, 0)])
                elif sleep:
                    self.sleep(day, level(sleep, day, 0))
        self.start_back(start, start_back)
        self.work_assessment(start)

    # --- medication, visits, plan, tasks ----------------------------------------------------

    def med(self, *args: Any, **kwargs: Any) -> None:
        self.medications.append(MedicationSpec(*args, **kwargs))

    def appt(self, day: int, kind: str, status: str = "", duration: int = 30) -> None:
        if day == 0:
            day = 1
        if not status:
            status = AppointmentStatus.FULFILLED if day < 0 else AppointmentStatus.BOOKED
        discipline = DISCIPLINE_OF_KIND.get(kind)
        if kind == AppointmentKind.PSYCHOLOGY_SESSION:
            discipline = D.PSYCHOLOGIST if self.has_role(D.PSYCHOLOGIST) else D.PSYCHIATRIST
        assert discipline is not None, kind
        hour = self.rng.randint(8, 16)
        minute = self.rng.choice((0, 30))
        if kind == AppointmentKind.COORDINATOR_CALL:
            duration = 15
        elif kind in (AppointmentKind.PSYCHOLOGY_SESSION, AppointmentKind.PAIN_CLINIC):
            duration = 50 if kind == AppointmentKind.PSYCHOLOGY_SESSION else 40
        self.appointments.append(
            AppointmentSpec(day, kind, discipline, status, hour, minute, duration)
        )

    def pt_visits(self, mode: str = "regular") -> None:
        """PT follow-up visits from a week after intake.

        regular: weekly for 3 weeks, then every 2 weeks; the last one within the past 2 weeks and
            the next one booked. lapsed: stopped about a month ago, nothing booked.
        noshow: attended until ~17 days ago, missed the visit 10 days ago, nothing rebooked.
        """
        rng = self.rng
        first = self.intake + 7
        stop = {"regular": -3, "lapsed": -26 - rng.randint(0, 6), "noshow": -24}[mode]
        days: list[int] = []
        day, n = first, 0
        while day <= stop:
            days.append(day)
            day += 7 if n < 2 else 14
            n += 1
        if mode == "noshow":
            days.append(-17)
        missed = -1
        if mode == "regular" and len(days) >= 4 and rng.random() < 0.35:
            missed = rng.randrange(1, len(days) - 2)
        for i, d in enumerate(days):
            if i == missed:
                self.appt(d, AppointmentKind.PT_VISIT, AppointmentStatus.NOSHOW)
                self.appt(d + rng.randint(3, 4), AppointmentKind.PT_VISIT)  # rebooked, attended
            else:
                self.appt(d, AppointmentKind.PT_VISIT)
        if mode == "noshow":
            self.appt(-10, AppointmentKind.PT_VISIT, AppointmentStatus.NOSHOW)
        if mode == "regular":
            self.appt(max(day, rng.randint(2, 9)), AppointmentKind.PT_VISIT)

    def programme_visits(self, *, pt: str = "regular") -> None:
        """Appointments of a multidisciplinary programme started at intake."""
        rng = self.rng
        self.appt(self.intake, AppointmentKind.PHYSICIAN_VISIT, duration=40)
        if self.intake + 3 <= -1:
            self.appt(self.intake + 3, AppointmentKind.COORDINATOR_CALL)
        day = self.intake + 42
        while day <= -3:
            self.appt(day, AppointmentKind.PHYSICIAN_VISIT)
            day += 42
        self.appt(max(day, rng.randint(4, 30)), AppointmentKind.PHYSICIAN_VISIT)
        if self.has_role(D.PHYSICAL_THERAPIST) and pt != "none":
            self.pt_visits(pt)
        if self.has_role(D.PSYCHOLOGIST, D.PSYCHIATRIST):
            day = self.intake + 14
            while day <= -2:
                self.appt(day, AppointmentKind.PSYCHOLOGY_SESSION)
                day += 21
            self.appt(max(day, 2), AppointmentKind.PSYCHOLOGY_SESSION)
        if self.has_role(D.PAIN_SPECIALIST):
            day = self.intake + 21
            while day <= -2:
                self.appt(day, AppointmentKind.PAIN_CLINIC)
                day += 56
            if day <= 30:
                self.appt(max(day, 3), AppointmentKind.PAIN_CLINIC)
        if self.has_role(D.NURSE) and self.intake + 1 <= -1:
            self.appt(self.intake + 1, AppointmentKind.NURSE_VISIT)

    def acute_visits(self, *, day7_status: str = "") -> None:
        self.appt(self.intake, AppointmentKind.PHYSICIAN_VISIT)
        self.appt(self.intake + 3, AppointmentKind.COORDINATOR_CALL)
        self.appt(self.onset + 7, AppointmentKind.PHYSICIAN_VISIT, day7_status)
        if self.has_role(D.NURSE) and self.intake + 1 <= -1:
            self.appt(self.intake + 1, AppointmentKind.NURSE_VISIT)

    def template_plan(self, slug: str) -> None:
        self.plan = PlanSpec(start=self.intake, template=slug)

    def custom_plan(
        self,
        title: str,
        interventions: Sequence[InterventionSpec],
        goals: Sequence[GoalSpec] = (),
    ) -> None:
        self.plan = PlanSpec(
            start=self.intake, title=title, interventions=tuple(interventions), goals=tuple(goals)
        )

    def task(self, title: str, reason: str, due: int, **kwargs: Any) -> None:
        self.tasks.append(TaskSpec(title, reason, due, **kwargs))

    def flag(self, sign: str, day: int, note: str, cleared: int | None = None) -> None:
        self.red_flags.append(RedFlagSpec(sign, day, note, cleared))

    def note(self, text: str) -> None:
        self.notes.append(text)

    # --- common medication sets -------------------------------------------------------------

    def acute_meds(self) -> None:
        self.med(
            "acetaminophen", DrugClass.ACETAMINOPHEN, "1000", "every 8 hours as needed", "3000",
            self.intake, stop=self.intake + 14, indication="Acute low back pain",
        )  # fmt: skip
        if self.rng.random() < 0.7:
            drug, dose, freq, daily = self.rng.choice(
                (
                    ("ibuprofen", "400", "three times daily with food", "1200"),
                    ("naproxen", "500", "twice daily with food", "1000"),
                )
            )
            self.med(
                drug, DrugClass.NSAID, dose, freq, daily, self.intake, stop=self.intake + 10,
                indication="Acute low back pain",
            )  # fmt: skip

    def chronic_meds(self, *, sleep_aid: bool = False, nerve_pain: bool = False) -> None:
        self.med(
            "celecoxib", DrugClass.COX2, "200", "once daily", "200", self.intake,
            indication="Chronic low back pain (fewer GI side effects)",
        )  # fmt: skip
        if nerve_pain:
            self.med(
                "gabapentin", DrugClass.ANTICONVULSANT, "300", "three times daily", "900",
                self.intake, indication="Burning leg pain and numbness (nerve irritation)",
            )  # fmt: skip
        if sleep_aid:
            self.med(
                "doxepin", DrugClass.TCA, "10", "at night", "10", self.intake,
                indication="Chronic pain disrupting sleep (low dose)",
            )  # fmt: skip

    # --- freeze -------------------------------------------------------------------------------

    def freeze(self, *, seed_names: tuple[str, str, str], contact: dict[str, Any]) -> PatientSpec:
        first, last, sex = seed_names
        age_days = self.age_years * 365 + self.rng.randint(0, 364)
        return PatientSpec(
            index=self.index,
            mrn=f"{MRN_PREFIX}{self.index + 1:04d}",
            team=self.team,
            kind=self.kind,
            situations=tuple(self.situations),
            first_name=first,
            last_name=last,
            sex=sex,
            age_days=age_days,
            email=contact["email"],
            phone=contact["phone"],
            channel=contact["channel"],
            quiet_hours=contact["quiet_hours"],
            work_status=self.work_status,
            work_status_since=self.work_since if self.work_since is not None else self.intake,
            onset=self.onset,
            intake=self.intake,
            summary=self.summary,
            care_team=tuple(self.care_team),
            plan=self.plan,
            assessments=tuple(sorted(self.assessments, key=lambda a: (a.day, a.hour, a.minute))),
            medications=tuple(self.medications),
            appointments=tuple(sorted(self.appointments, key=lambda a: (a.day, a.hour))),
            red_flags=tuple(self.red_flags),
            tasks=tuple(self.tasks),
            notes=tuple(self.notes),
            previous_episode=self.previous,
        )


DISCIPLINE_OF_KIND: dict[str, str] = {
    AppointmentKind.PT_VISIT: D.PHYSICAL_THERAPIST,
    AppointmentKind.PHYSICIAN_VISIT: D.PHYSICIAN,
    AppointmentKind.PAIN_CLINIC: D.PAIN_SPECIALIST,
    AppointmentKind.COORDINATOR_CALL: D.CARE_COORDINATOR,
    AppointmentKind.NURSE_VISIT: D.NURSE,
}

FULL_TEAM = (
    D.PHYSICIAN,
    D.PHYSICAL_THERAPIST,
    D.PSYCHOLOGIST,
    D.PAIN_SPECIALIST,
    D.CARE_COORDINATOR,
)


def _chronic_team(c: _Chart, *, without: Sequence[str] = ()) -> None:
    roles = list(FULL_TEAM)
    if c.rng.random() < 0.2:
        roles[2] = D.PSYCHIATRIST
    if c.rng.random() < 0.25:
        roles.append(D.NURSE)
    c.team_roles(*[r for r in roles if r not in without])


def _acute_team(c: _Chart) -> None:
    roles = [D.PHYSICIAN, D.CARE_COORDINATOR]
    if c.rng.random() < 0.5:
        roles.append(D.NURSE)
    c.team_roles(*roles)


# ------------------------------------------------------------------------------------------------
# Scenario patients: each shows one or more monitoring-rule situations
# ------------------------------------------------------------------------------------------------


def _acute_no_improvement(
    c: _Chart, days: int, values: Sequence[tuple[int, int]], work: str = WorkStatus.MODIFIED_DUTY
) -> None:
    c.situations.append("acute_no_improvement")
    c.episode(onset=-days, intake=-days + 1, summary=c.rng.choice(ACUTE_SUMMARIES))
    c.work(work)
    _acute_team(c)
    for day, value in values:
        c.nrs(day, value)
    c.start_back(c.intake, "medium")
    c.work_assessment(c.intake)
    c.template_plan(ACUTE_TEMPLATE)
    c.acute_meds()
    c.acute_visits()
    c.note(
        "Day-7 review: pain unchanged despite regular acetaminophen/NSAID and staying active. "
        "No red flags on re-screening. Discussed expected course."
    )


def s_acute_no_improvement_1(c: _Chart) -> None:
    _acute_no_improvement(c, 10, [(-9, 7), (-6, 7), (-3, 6), (-1, 7)])


def s_acute_no_improvement_2(c: _Chart) -> None:
    _acute_no_improvement(c, 13, [(-12, 6), (-9, 6), (-6, 5), (-2, 5)], WorkStatus.OFF_WORK)


def s_acute_no_improvement_3(c: _Chart) -> None:
    _acute_no_improvement(c, 9, [(-8, 8), (-5, 8), (-2, 7)])


def s_acute_assessment_overdue(c: _Chart) -> None:
    """Acute, improved in the first week, then no pain measure for 10 days (7 allowed)."""
    c.situations.append("assessment_overdue")
    c.episode(onset=-16, intake=-15, summary=c.rng.choice(ACUTE_SUMMARIES))
    _acute_team(c)
    for day, value in ((-15, 7), (-13, 6), (-10, 4)):
        c.nrs(day, value)
    c.start_back(c.intake, "low")
    c.work_assessment(c.intake)
    c.template_plan(ACUTE_TEMPLATE)
    c.acute_meds()
    c.acute_visits(day7_status=AppointmentStatus.NOSHOW)
    c.task(
        "Call the patient: missed the day-7 pain review",
        "No-show at the day-7 review; no pain score since.",
        -6,
        discipline=D.CARE_COORDINATOR,
    )


def s_red_flag_acute(c: _Chart) -> None:
    c.situations.append("red_flag")
    c.age_years = c.rng.randint(38, 60)
    c.episode(onset=-4, intake=-3, summary="Acute low back pain with bilateral leg symptoms")
    c.work(WorkStatus.OFF_WORK)
    c.team_roles(D.PHYSICIAN, D.CARE_COORDINATOR, D.NURSE)
    c.nrs(-3, 8)
    c.nrs(-1, 8)
    c.start_back(c.intake, "high")
    c.work_assessment(c.intake)
    c.template_plan(ACUTE_TEMPLATE)
    c.acute_meds()
    c.appt(-3, AppointmentKind.PHYSICIAN_VISIT)
    c.appt(1, AppointmentKind.PHYSICIAN_VISIT, duration=40)
    c.flag(
        RedFlagSign.SADDLE_ANAESTHESIA,
        -1,
        "Phoned the nurse line: numbness around the buttocks and inner thighs since yesterday.",
    )
    # No hand-made task: the red-flag rule raises the one "Immediately" task for this flag.


def s_red_flag_cancer(c: _Chart) -> None:
    c.situations.append("red_flag")
    c.age_years = c.rng.randint(56, 68)
    c.episode(onset=-45, intake=-12, summary="Subacute low back pain with night pain")
    c.work(WorkStatus.MODIFIED_DUTY, since=-30)
    _chronic_team(c)
    c.course(last=-2, mode="flat", nrs=(6, 6), odi=(38, 38), phq=(6, 6), sleep=(5, 5))
    c.template_plan(CHRONIC_TEMPLATE)
    c.chronic_meds()
    c.programme_visits()
    c.flag(RedFlagSign.CANCER_HISTORY, -12, "Breast cancer treated in 2019, in remission.")
    c.flag(RedFlagSign.WEIGHT_LOSS, -5, "Reports 5 kg weight loss over 2 months, not trying.")
    c.flag(RedFlagSign.NIGHT_PAIN, -5, "Constant pain at night, not eased by position.")
    # No hand-made task: the red-flag rule raises the one urgent work-up task for these flags.


def _stalled(
    c: _Chart, *, onset: int, intake: int, nrs: int, odi: int, phase: str = "chronic"
) -> None:
    c.situations.append("stalled_recovery")
    summaries = SUBACUTE_SUMMARIES if phase == "subacute" else CHRONIC_SUMMARIES
    c.episode(onset=onset, intake=intake, summary=c.rng.choice(summaries))
    c.work(c.rng.choice((WorkStatus.MODIFIED_DUTY, WorkStatus.WORKING, WorkStatus.NOT_EMPLOYED)))
    _chronic_team(c)
    c.course(
        last=-c.rng.randint(1, 5),
        mode="flat",
        nrs=(nrs, nrs),
        odi=(odi, odi),
        phq=(9, 9),
        gad=(7, 7),
        sleep=(5, 5),
        start_back="high",
    )
    c.template_plan(CHRONIC_TEMPLATE)
    c.programme_visits()


def s_stalled_opioid_unreviewed(c: _Chart) -> None:
    _stalled(c, onset=-240, intake=-70, nrs=6, odi=42)
    c.situations.append("opioid_review_due")
    c.chronic_meds(nerve_pain=True)
    c.med(
        "oxycodone ER", DrugClass.OPIOID_LONG, "10", "every 12 hours", "20", -40,
        opioid=OpioidDrug.OXYCODONE, prescriber=D.PAIN_SPECIALIST,
        indication="Severe chronic pain limiting rehabilitation (trial)",
    )  # fmt: skip
    c.task(
        "Opioid review: oxycodone ER started 40 days ago",
        "Long-acting opioid trial without a documented review of benefit and harm.",
        -12,
        assignee=D.PHYSICIAN,
        priority=TaskPriority.URGENT,
    )


def s_stalled_subacute(c: _Chart) -> None:
    _stalled(c, onset=-62, intake=-40, nrs=5, odi=34, phase="subacute")
    c.chronic_meds()
    c.task(
        "Add to the next case conference: no progress after 6 weeks",
        "Pain and function unchanged since the programme started.",
        3,
        discipline=D.CARE_COORDINATOR,
    )


def s_stalled_morphine_120(c: _Chart) -> None:
    _stalled(c, onset=-600, intake=-150, nrs=7, odi=48)
    c.situations += ["opioid_high_dose", "naloxone_not_offered"]
    c.chronic_meds(sleep_aid=True)
    c.med(
        "morphine sulfate ER", DrugClass.OPIOID_LONG, "60", "every 12 hours", "120", -200,
        opioid=OpioidDrug.MORPHINE, reviews=(-186, -110, -20), prescriber=D.PAIN_SPECIALIST,
        indication="Chronic low back pain (started before referral)",
    )  # fmt: skip


def s_stalled_hydrocodone_60(c: _Chart) -> None:
    _stalled(c, onset=-400, intake=-84, nrs=6, odi=40)
    c.situations += ["opioid_high_dose", "naloxone_not_offered"]
    c.chronic_meds()
    c.med(
        "hydrocodone ER", DrugClass.OPIOID_LONG, "30", "every 12 hours", "60", -120,
        opioid=OpioidDrug.HYDROCODONE, reviews=(-105, -30), prescriber=D.PHYSICIAN,
        indication="Chronic low back pain",
    )  # fmt: skip
    c.task(
        "Medication review: discuss an opioid tapering plan",
        "No functional gain on hydrocodone ER after 4 months.",
        -1,
        assignee=D.PHYSICIAN,
    )


def s_stalled_plain(c: _Chart) -> None:
    _stalled(c, onset=-300, intake=-56, nrs=5, odi=30)
    c.chronic_meds(nerve_pain=True)


def _improving(
    c: _Chart,
    *,
    onset: int,
    intake: int,
    nrs: Pair = (7, 4),
    odi: Pair = (46, 26),
    last: int | None = None,
    pt: str = "regular",
    without: Sequence[str] = (),
    summary: str = "",
) -> None:
    c.episode(onset=onset, intake=intake, summary=summary or c.rng.choice(CHRONIC_SUMMARIES))
    _chronic_team(c, without=without)
    c.course(
        last=last if last is not None else -c.rng.randint(1, 6),
        mode="improve",
        nrs=nrs,
        odi=odi,
        phq=(c.rng.randint(6, 11), c.rng.randint(2, 5)),
        gad=(c.rng.randint(5, 9), c.rng.randint(1, 4)),
        sleep=(c.rng.choice((5, 6)), c.rng.choice((7, 8))),
    )
    c.template_plan(CHRONIC_TEMPLATE)
    c.programme_visits(pt=pt)


def s_improving_contrast(c: _Chart) -> None:
    c.situations.append("improving")
    _improving(c, onset=-365, intake=-84, nrs=(8, 4), odi=(52, 28))
    c.chronic_meds(sleep_aid=True)
    c.task(
        "Progress the home exercise programme (phase 2)",
        "Pain 8 → 4 and ODI down by 24 points: ready for loaded exercises.",
        5,
        assignee=D.PHYSICAL_THERAPIST,
    )
    c.note("Excellent engagement with the home exercise programme; back at full duties.")


def s_worsening_nrs(c: _Chart) -> None:
    c.situations.append("worsening")
    c.episode(onset=-50, intake=-20, summary="Subacute low back pain, flare after a fall")
    _chronic_team(c)
    c.course(last=-2, mode="worsen", nrs=(4, 7), odi=(28, 40), phq=(6, 7), gad=(5, 6), sleep=(6, 5))
    c.template_plan(CHRONIC_TEMPLATE)
    c.med(
        "naproxen", DrugClass.NSAID, "500", "twice daily with food", "1000", c.intake,
        indication="Low back pain",
    )  # fmt: skip
    c.programme_visits()


def s_worsening_odi(c: _Chart) -> None:
    c.situations += ["worsening", "stalled_recovery"]
    c.episode(onset=-250, intake=-56, summary=c.rng.choice(CHRONIC_SUMMARIES))
    c.work(WorkStatus.MODIFIED_DUTY)
    _chronic_team(c)
    c.course(last=-3, mode="worsen", nrs=(5, 6), odi=(30, 44), phq=(7, 8), gad=(5, 6), sleep=(6, 6))
    c.template_plan(CHRONIC_TEMPLATE)
    c.chronic_meds()
    c.programme_visits()


def s_overdue_team_gap(c: _Chart) -> None:
    """Improving, but nothing measured for 19 days; no psychologist or psychiatrist."""
    c.situations += ["assessment_overdue", "team_gap"]
    _improving(c, onset=-420, intake=-77, last=-19, without=(D.PSYCHOLOGIST, D.PSYCHIATRIST))
    c.chronic_meds()


def s_overdue_subacute(c: _Chart) -> None:
    c.situations.append("assessment_overdue")
    _improving(
        c, onset=-70, intake=-50, nrs=(7, 5), odi=(36, 24), last=-25,
        summary=c.rng.choice(SUBACUTE_SUMMARIES),
    )  # fmt: skip
    c.chronic_meds()
    c.task(
        "Chase the overdue questionnaires",
        "No pain or function measure for over 3 weeks.",
        2,
        discipline=D.CARE_COORDINATOR,
    )


def s_followup_lapsed(c: _Chart) -> None:
    c.situations.append("followup_overdue")
    _improving(c, onset=-300, intake=-90, pt="lapsed")
    c.chronic_meds()


def s_followup_noshow_opioid_90(c: _Chart) -> None:
    c.situations += ["followup_overdue", "opioid_review_due"]
    _improving(c, onset=-500, intake=-120, nrs=(6, 3), odi=(40, 22), pt="noshow")
    c.chronic_meds()
    c.med(
        "tramadol ER", DrugClass.OPIOID_LONG, "100", "once daily", "100", -220,
        opioid=OpioidDrug.TRAMADOL, reviews=(-200, -110), prescriber=D.PHYSICIAN,
        indication="Chronic low back pain",
    )  # fmt: skip


def s_opioid_60_naloxone(c: _Chart) -> None:
    c.situations.append("opioid_high_dose")
    _improving(c, onset=-400, intake=-100)
    c.chronic_meds()
    c.med(
        "oxycodone ER", DrugClass.OPIOID_LONG, "20", "every 12 hours", "40", -160,
        opioid=OpioidDrug.OXYCODONE, reviews=(-140, -80, -25), naloxone_at=-140,
        prescriber=D.PAIN_SPECIALIST, indication="Chronic low back pain",
    )  # fmt: skip


def s_opioid_benzodiazepine(c: _Chart) -> None:
    c.situations.append("naloxone_not_offered")
    _improving(c, onset=-330, intake=-95, nrs=(7, 5), odi=(44, 32))
    c.chronic_meds()
    c.med(
        "tapentadol ER", DrugClass.OPIOID_LONG, "50", "every 12 hours", "100", -130,
        opioid=OpioidDrug.TAPENTADOL, reviews=(-115, -50), prescriber=D.PAIN_SPECIALIST,
        indication="Chronic low back pain",
    )  # fmt: skip
    c.med(
        "diazepam", DrugClass.BENZODIAZEPINE, "5", "at night", "5", -90,
        indication="Muscle spasm and anxiety (prescribed elsewhere)",
    )  # fmt: skip


def s_team_gap_no_pt(c: _Chart) -> None:
    c.situations += ["team_gap", "followup_overdue"]
    _improving(c, onset=-380, intake=-60, nrs=(7, 5), odi=(42, 32), without=(D.PHYSICAL_THERAPIST,))
    c.chronic_meds()


def s_team_gap_no_pain_fentanyl(c: _Chart) -> None:
    c.situations += ["team_gap", "opioid_high_dose"]
    _improving(c, onset=-700, intake=-110, nrs=(8, 6), odi=(50, 38), without=(D.PAIN_SPECIALIST,))
    c.chronic_meds(nerve_pain=True)
    c.med(
        "fentanyl transdermal", DrugClass.OPIOID_LONG, "50", "patch changed every 72 hours",
        "50", -180, opioid=OpioidDrug.FENTANYL_PATCH, dose_unit="mcg/hr",
        reviews=(-170, -100, -40), naloxone_at=-170, indication="Chronic low back pain",
    )  # fmt: skip


PASSIVE_INTERVENTIONS = (
    (InterventionKind.PASSIVE_MODALITY, D.PHYSICAL_THERAPIST, "Massage and therapeutic ultrasound twice weekly"),
    (InterventionKind.COLD_HEAT, D.NURSE, "Heat packs at home, 20 minutes three times a day"),
)  # fmt: skip


def s_passive_only_subacute(c: _Chart) -> None:
    c.situations.append("passive_only_care")
    c.episode(onset=-40, intake=-20, summary=c.rng.choice(SUBACUTE_SUMMARIES))
    c.team_roles(D.PHYSICIAN, D.PHYSICAL_THERAPIST, D.CARE_COORDINATOR, D.NURSE)
    c.course(last=-2, mode="flat", nrs=(6, 6), odi=(36, 36), sleep=(6, 6))
    c.custom_plan(
        "Symptom relief",
        [InterventionSpec(k, d, text, c.intake) for k, d, text in PASSIVE_INTERVENTIONS],
        [GoalSpec("nrs", "Pain at or below 3/10", 42, "3")],
    )
    c.appt(c.intake, AppointmentKind.PHYSICIAN_VISIT)
    for day in range(c.intake + 2, 0, 4):
        c.appt(day, AppointmentKind.PT_VISIT)
    c.appt(2, AppointmentKind.PT_VISIT)
    c.med(
        "ibuprofen", DrugClass.NSAID, "400", "three times daily with food", "1200", c.intake,
        indication="Low back pain",
    )  # fmt: skip


def s_passive_only_chronic(c: _Chart) -> None:
    c.situations += ["passive_only_care", "stalled_recovery"]
    c.episode(onset=-200, intake=-70, summary=c.rng.choice(CHRONIC_SUMMARIES))
    _chronic_team(c)
    c.course(last=-4, mode="flat", nrs=(6, 6), odi=(40, 40), phq=(8, 8), sleep=(6, 6))
    c.custom_plan(
        "Pain relief and education",
        [
            *(InterventionSpec(k, d, text, c.intake) for k, d, text in PASSIVE_INTERVENTIONS),
            InterventionSpec(
                InterventionKind.EDUCATION, D.PAIN_SPECIALIST, "Pain education session",
                c.intake, c.intake + 10, InterventionStatus.COMPLETED,
            ),
        ],
        [GoalSpec("nrs", "Pain at or below 4/10", 60, "4")],
    )  # fmt: skip
    c.appt(c.intake, AppointmentKind.PHYSICIAN_VISIT)
    for day in range(c.intake + 3, -1, 7):
        c.appt(day, AppointmentKind.PT_VISIT)
    c.appt(3, AppointmentKind.PT_VISIT)
    c.chronic_meds()


def _off_work_no_rtw_poor_sleep(c: _Chart, *, onset: int, intake: int, off_since: int) -> None:
    c.situations += ["work_absence", "sleep_disruption"]
    c.episode(onset=onset, intake=intake, summary=c.rng.choice(CHRONIC_SUMMARIES))
    c.work(WorkStatus.OFF_WORK, since=off_since)
    _chronic_team(c)
    c.course(
        last=-2,
        mode="improve",
        nrs=(7, 5),
        odi=(48, 36),
        phq=(9, 8),
        gad=(7, 6),
        sleep_values=(6, 5, 4, 4, 3),
    )
    start = c.intake
    c.custom_plan(
        "Rehabilitation plan",
        [
            InterventionSpec(InterventionKind.EXERCISE_PROGRAMME, D.PHYSICAL_THERAPIST, "Home exercise programme", start),
            InterventionSpec(InterventionKind.PT_VISITS, D.PHYSICAL_THERAPIST, "PT visits to progress the programme", start + 7, start + 91),
            InterventionSpec(InterventionKind.PSYCHOLOGICAL_THERAPY, D.PSYCHOLOGIST, "Pain-focused CBT", start + 14, start + 98),
            InterventionSpec(InterventionKind.MEDICATION, D.PHYSICIAN, "Celecoxib for symptom relief", start),
            InterventionSpec(InterventionKind.EDUCATION, D.PAIN_SPECIALIST, "Pain education and pacing", start),
        ],
        [
            GoalSpec("peg", "PEG improved by 30% or more", 84),
            GoalSpec("odi", "ODI down by 10 points or 30%", 84),
        ],
    )  # fmt: skip
    c.chronic_meds()
    c.programme_visits()
    c.task(
        "Contact the employer about modified duties",
        "Off work for two months; the plan has no return-to-work component yet.",
        -3,
        discipline=D.CARE_COORDINATOR,
    )


def s_work_sleep_1(c: _Chart) -> None:
    _off_work_no_rtw_poor_sleep(c, onset=-180, intake=-63, off_since=-60)


def s_work_sleep_2(c: _Chart) -> None:
    _off_work_no_rtw_poor_sleep(c, onset=-150, intake=-49, off_since=-90)


def s_self_harm(c: _Chart) -> None:
    c.situations.append("self_harm_risk")
    _improving(c, onset=-270, intake=-98, nrs=(7, 5), odi=(44, 32))
    if not c.has_role(D.PSYCHIATRIST):
        c.care_team.append((D.PSYCHIATRIST, False))
    # The latest PHQ-9 (moderately severe) answers item 9 "several days".
    c.replace_last(Instrument.PHQ9, {"items": [2, 2, 2, 2, 2, 2, 1, 1, 1]})
    c.chronic_meds(sleep_aid=True)
    c.task(
        "Safety follow-up call: PHQ-9 item 9 positive",
        "Thoughts of self-harm reported on the latest PHQ-9.",
        0,
        assignee=D.PSYCHOLOGIST,
        priority=TaskPriority.ASAP,
    )


def s_self_harm_unknown(c: _Chart) -> None:
    c.situations.append("self_harm_unknown")
    _improving(c, onset=-230, intake=-70, nrs=(7, 4), odi=(40, 28))
    c.replace_last(Instrument.PHQ9, {"items": [2, 1, 2, 1, 1, 1, 1, 0, None]})
    c.chronic_meds()
    c.task(
        "Ask the patient PHQ-9 item 9 (left blank)",
        "The latest PHQ-9 has item 9 missing: self-harm risk unknown.",
        1,
        discipline=D.PSYCHOLOGIST,
    )


def s_improving_after_safety_plan(c: _Chart) -> None:
    """Item 9 was positive at intake (safety plan made); every PHQ-9 since answers 0."""
    c.situations.append("improving")
    _improving(c, onset=-500, intake=-140, nrs=(8, 4), odi=(50, 24))
    first = next(a for a in c.assessments if a.instrument == Instrument.PHQ9)
    c.assessments[c.assessments.index(first)] = AssessmentSpec(
        first.day, Instrument.PHQ9, {"items": [2, 2, 2, 1, 2, 1, 1, 1, 1]}, D.PSYCHOLOGIST, 10, 30
    )
    c.chronic_meds(sleep_aid=True)
    c.note("Safety plan agreed at intake; PHQ-9 item 9 has been 0 at every review since.")


# (builder, team) in the order they are laid out; scenario k is patient 2k (interleaved with
# ordinary patients), so even a small --patients shows a few situations.
SCENARIOS: tuple[tuple[Callable[[_Chart], None], int], ...] = (
    (s_stalled_opioid_unreviewed, 0),
    (s_acute_no_improvement_1, 0),
    (s_self_harm, 0),
    (s_red_flag_acute, 0),
    (s_improving_contrast, 0),
    (s_stalled_hydrocodone_60, 1),
    (s_work_sleep_1, 0),
    (s_passive_only_subacute, 0),
    (s_followup_noshow_opioid_90, 0),
    (s_team_gap_no_pain_fentanyl, 2),
    (s_stalled_morphine_120, 0),
    (s_worsening_nrs, 0),
    (s_overdue_team_gap, 0),
    (s_acute_no_improvement_3, 1),
    (s_self_harm_unknown, 1),
    (s_opioid_60_naloxone, 0),
    (s_opioid_benzodiazepine, 0),
    (s_followup_lapsed, 0),
    (s_acute_assessment_overdue, 0),
    (s_worsening_odi, 2),
    (s_stalled_subacute, 0),
    (s_red_flag_cancer, 2),
    (s_team_gap_no_pt, 1),
    (s_passive_only_chronic, 1),
    (s_acute_no_improvement_2, 0),
    (s_stalled_plain, 2),
    (s_overdue_subacute, 2),
    (s_work_sleep_2, 2),
    (s_followup_lapsed, 1),
    (s_improving_after_safety_plan, 1),
)

# ------------------------------------------------------------------------------------------------
# Ordinary patients: acute and settling, or on a programme and improving
# ------------------------------------------------------------------------------------------------


def o_acute_early(c: _Chart) -> None:
    days = c.rng.randint(1, 7)
    c.episode(
        onset=-days,
        intake=-max(1, days - c.rng.randint(0, 2)),
        summary=c.rng.choice(ACUTE_SUMMARIES),
    )
    c.work(
        c.rng.choice(
            (WorkStatus.WORKING, WorkStatus.MODIFIED_DUTY, WorkStatus.OFF_WORK, WorkStatus.RETIRED)
        )
    )
    _acute_team(c)
    first = c.rng.randint(5, 8)
    c.nrs(c.intake, first)
    if c.intake <= -4:
        c.nrs(-1, first - c.rng.randint(0, 2))
    c.start_back(c.intake, c.rng.choice(("low", "low", "medium")))
    c.work_assessment(c.intake)
    c.template_plan(ACUTE_TEMPLATE)
    c.acute_meds()
    c.acute_visits()


def o_acute_recovering(c: _Chart) -> None:
    days = c.rng.randint(8, 24)
    c.episode(
        onset=-days, intake=-days + c.rng.randint(0, 2), summary=c.rng.choice(ACUTE_SUMMARIES)
    )
    c.work(
        c.rng.choice(
            (
                WorkStatus.WORKING,
                WorkStatus.WORKING,
                WorkStatus.MODIFIED_DUTY,
                WorkStatus.RETIRED,
                WorkStatus.STUDENT,
            )
        )
    )
    _acute_team(c)
    first = c.rng.randint(6, 8)
    end = c.rng.randint(1, 3)
    last = -c.rng.randint(1, 4)
    reach = min(last, c.intake + 10)
    for day in _days(c.intake, last, 3, c.rng):
        c.nrs(day, first + (end - first) * _progress(day, c.intake, reach))
    c.start_back(c.intake, c.rng.choice(("low", "medium")))
    c.work_assessment(c.intake)
    c.template_plan(ACUTE_TEMPLATE)
    c.acute_meds()
    c.acute_visits()


def o_subacute_improving(c: _Chart) -> None:
    onset = -c.rng.randint(32, 78)
    intake = onset + c.rng.randint(14, min(40, -onset - 8))
    a = c.rng.randint(6, 8)
    c.work(c.rng.choice((WorkStatus.WORKING, WorkStatus.MODIFIED_DUTY, WorkStatus.OFF_WORK)))
    _improving(
        c, onset=onset, intake=intake, nrs=(a, a - c.rng.randint(3, 4)),
        odi=(c.rng.randint(30, 44), c.rng.randint(12, 18)),
        summary=c.rng.choice(SUBACUTE_SUMMARIES),
    )  # fmt: skip
    c.chronic_meds(nerve_pain="leg" in c.summary)


def o_chronic_improving(c: _Chart) -> None:
    onset = -c.rng.randint(100, 900)
    intake = -c.rng.randint(35, min(120, -onset - 10))
    a = c.rng.randint(6, 8)
    c.work(
        c.rng.choice(
            (WorkStatus.WORKING, WorkStatus.MODIFIED_DUTY, WorkStatus.RETIRED, WorkStatus.OFF_WORK, WorkStatus.NOT_EMPLOYED)
        ),
        since=max(onset, intake - c.rng.randint(0, 60)),
    )  # fmt: skip
    _improving(
        c, onset=onset, intake=intake, nrs=(a, a - c.rng.randint(3, 4)),
        odi=(c.rng.randint(34, 56), c.rng.randint(14, 24)),
    )  # fmt: skip
    c.chronic_meds(sleep_aid=c.rng.random() < 0.3, nerve_pain="sciatica" in c.summary)
    if c.rng.random() < 0.2:
        start = c.intake + 7
        c.med(
            "tramadol", DrugClass.OPIOID_SHORT, "50", "twice daily as needed", "100", start,
            opioid=OpioidDrug.TRAMADOL, reviews=tuple(range(start + 14, 0, 60)),
            indication="Flare-ups", stop=None,
        )  # fmt: skip


def o_chronic_new(c: _Chart) -> None:
    """Chronic pain, referred to the programme in the last few weeks: too early to judge."""
    onset = -c.rng.randint(120, 1200)
    intake = -c.rng.randint(6, 20)
    a = c.rng.randint(6, 8)
    c.work(c.rng.choice((WorkStatus.WORKING, WorkStatus.MODIFIED_DUTY, WorkStatus.RETIRED)))
    _improving(c, onset=onset, intake=intake, nrs=(a, a - 1), odi=(c.rng.randint(30, 50), 28))
    c.chronic_meds(nerve_pain=c.rng.random() < 0.4)


ORDINARY: tuple[tuple[Callable[[_Chart], None], float], ...] = (
    (o_acute_early, 0.25),
    (o_acute_recovering, 0.25),
    (o_subacute_improving, 0.15),
    (o_chronic_improving, 0.25),
    (o_chronic_new, 0.1),
)


def _ordinary_extras(c: _Chart) -> None:
    """Realistic extras for ordinary patients, none of which should raise a flag."""
    rng = c.rng
    if rng.random() < 0.2:
        onset = c.onset - rng.randint(500, 2500)
        c.previous = PreviousEpisodeSpec(
            onset,
            onset + rng.randint(14, 60),
            "Acute low back pain, resolved with conservative care",
        )
    if rng.random() < 0.08:
        c.flag(
            RedFlagSign.NIGHT_PAIN, c.intake, "Pain at night when turning over.", cleared=c.intake
        )
        c.note(
            "Night pain assessed at intake: mechanical, eased by changing position. Red flag cleared."
        )
    if rng.random() < 0.3:
        due = rng.randint(-3, 10)
        owner = rng.choice(list(dict(c.care_team)))
        title, reason = rng.choice(
            (
                ("Send the home exercise videos", "Asked for the videos at the last visit."),
                ("Update the fit note", "Employer asked for updated work guidance."),
                ("Check the pharmacy received the prescription", "Patient phoned the clinic."),
                ("Confirm the next appointment by phone", "No answer to the reminder."),
            )
        )
        if rng.random() < 0.5:
            c.task(title, reason, due, assignee=owner)
        else:
            c.task(title, reason, due, discipline=owner)
    if not c.notes:
        c.note(
            rng.choice(
                (
                    "Advised to stay as active as tolerated; no bed rest. Patient keen to keep working.",
                    "Reviewed progress and questions about pain medicines; plan unchanged.",
                    "Patient doing the home exercises most days; happy with progress.",
                )
            )
        )


# ------------------------------------------------------------------------------------------------
# build_specs: pure and reproducible
# ------------------------------------------------------------------------------------------------


def _name_pool(seed: int) -> list[tuple[str, str, str]]:
    pool: list[tuple[str, str, str]] = [
        (f, last, Sex.FEMALE.value) for f in FEMALE_NAMES for last in LAST_NAMES
    ] + [(m, last, Sex.MALE.value) for m in MALE_NAMES for last in LAST_NAMES]
    random.Random(f"careteam-demo:{seed}:names").shuffle(pool)
    return pool


# Of the three patients whose follow-up check-in is due, two prefer SMS, so the first planning run of `make run`
# puts a text in var/sms/ at any hour on any day (appointment reminders depend on the weekday:
# clinics are closed at weekends). One of them has quiet hours, which defer it at night.
# Index -> (channel, quiet hours). Applied after the random draws, so nothing else changes.
CHANNEL_SHOWCASE: dict[int, tuple[Channel, tuple[str, str] | None]] = {
    24: (Channel.SMS, None),
    36: (Channel.SMS, ("21:00", "08:00")),
    52: (Channel.EMAIL, None),
}


def _contact(
    rng: random.Random, index: int, first: str, last: str, pool_size: int
) -> dict[str, Any]:
    suffix = "" if index < pool_size else str(index // pool_size)
    domain = rng.choice(("example.com", "example.org", "example.net"))
    roll = rng.random()
    channel = Channel.EMAIL if roll < 0.7 else Channel.SMS if roll < 0.92 else Channel.NONE
    quiet = rng.choice((("21:00", "08:00"), ("22:00", "07:00"), ("20:30", "08:30")))
    quiet_hours = quiet if rng.random() < 0.3 else None
    if index in CHANNEL_SHOWCASE:
        channel, quiet_hours = CHANNEL_SHOWCASE[index]
    return {
        "email": f"{_ascii(first)}.{_ascii(last)}{suffix}@{domain}",
        "phone": f"+1-{rng.choice(AREA_CODES)}-555-01{rng.randint(0, 99):02d}",
        "channel": channel,
        "quiet_hours": quiet_hours,
    }


def build_spec(
    index: int, seed: int = DEFAULT_SEED, *, _pool: list[Any] | None = None
) -> PatientSpec:
    """The spec of demo patient ``index`` (0-based) for ``seed``."""
    pool = _pool if _pool is not None else _name_pool(seed)
    rng = random.Random(f"careteam-demo:{seed}:{index}")
    if index % 2 == 0 and index // 2 < len(SCENARIOS):
        builder, team = SCENARIOS[index // 2]
        kind = builder.__name__.removeprefix("s_")
    else:
        builders, weights = zip(*ORDINARY, strict=True)
        builder = rng.choices(builders, weights)[0]
        team = rng.choices((0, 1, 2), (0.4, 0.3, 0.3))[0]
        kind = builder.__name__.removeprefix("o_")
    chart = _Chart(rng, index, team, kind)
    builder(chart)
    if not chart.situations:
        _ordinary_extras(chart)
    chart.notes.insert(
        0,
        f"Intake: {chart.summary[0].lower()}{chart.summary[1:]}. Red-flag screen done; "
        "care plan discussed and agreed with the patient.",
    )
    first, last, sex = pool[index % len(pool)]
    return chart.freeze(
        seed_names=(first, last, sex), contact=_contact(rng, index, first, last, len(pool))
    )


def build_specs(count: int = DEFAULT_PATIENTS, seed: int = DEFAULT_SEED) -> list[PatientSpec]:
    """Specs of the first ``count`` demo patients for ``seed``. No database, no clock."""
    pool = _name_pool(seed)
    return [build_spec(i, seed, _pool=pool) for i in range(count)]


# ------------------------------------------------------------------------------------------------
# seed_demo: write through the services
# ------------------------------------------------------------------------------------------------


@dataclass
class Login:
    username: str
    discipline: str
    teams: str
    password: str


@dataclass
class SeedResult:
    teams_created: int = 0
    teams_existing: int = 0
    clinicians_created: int = 0
    clinicians_existing: int = 0
    admin_created: bool = False
    patients_created: int = 0
    patients_existing: int = 0
    logins: list[Login] = field(default_factory=list)
    admin: Login | None = None


@dataclass
class _Context:
    today: dt.date
    now: dt.datetime
    teams: list[Team]
    staff: list[dict[str, Clinician]]  # per team: discipline -> clinician
    templates: dict[str, PlanTemplate]
    follow_up_kinds: dict[str, str]  # follow-up task title -> appointment kind


def _ensure_staff(
    password: str, result: SeedResult
) -> tuple[list[Team], list[dict[str, Clinician]]]:
    teams: list[Team] = []
    for spec in TEAMS:
        team = Team.objects.filter(name=spec.name).first()
        if team is None:
            team = model_create(
                actor=None, instance=Team(name=spec.name, description=spec.description)
            )
            result.teams_created += 1
        else:
            result.teams_existing += 1
        teams.append(team)
    hashed = make_password(password)  # hashed once: the demo logins share the published password
    staff: list[dict[str, Clinician]] = [{} for _ in TEAMS]
    for cspec in CLINICIANS:
        user = Clinician.objects.filter(username=cspec.username).first()
        if user is None:
            user = model_create(
                actor=None,
                instance=Clinician(
                    username=cspec.username,
                    first_name=cspec.first_name,
                    last_name=cspec.last_name,
                    title=cspec.title,
                    discipline=cspec.discipline,
                    email=f"{cspec.username}@careteam.example",
                    password=hashed,
                ),
            )
            result.clinicians_created += 1
        else:
            result.clinicians_existing += 1
        for team_index in (cspec.team, *cspec.also_on):
            team = teams[team_index]
            membership = TeamMembership.objects.filter(team=team, clinician=user).first()
            if membership is None:
                lead = cspec.is_lead and not team.memberships.filter(is_lead=True).exists()
                model_create(
                    actor=None,
                    instance=TeamMembership(team=team, clinician=user, is_lead=lead),
                )
        staff[cspec.team][cspec.discipline] = user
        result.logins.append(
            Login(
                cspec.username,
                str(Discipline(cspec.discipline).label),
                ", ".join(TEAMS[t].name for t in (cspec.team, *cspec.also_on)),
                password,
            )
        )
    admin = Clinician.objects.filter(username=ADMIN_USERNAME).first()
    if admin is None:
        model_create(
            actor=None,
            instance=Clinician(
                username=ADMIN_USERNAME,
                first_name="Site",
                last_name="Administrator",
                email="admin@careteam.example",
                is_staff=True,
                is_superuser=True,
                discipline="",
                password=hashed,
            ),
        )
        result.admin_created = True
    result.admin = Login(ADMIN_USERNAME, "(superuser)", "all teams", password)
    # (Re)set the demo passwords on every run, so the printed logins always work.
    Clinician.objects.filter(
        username__in=[c.username for c in CLINICIANS] + [ADMIN_USERNAME]
    ).update(password=hashed)
    return teams, staff


def _date(ctx: _Context, day: int) -> dt.date:
    return ctx.today + dt.timedelta(days=day)


def _moment(ctx: _Context, day: int, hour: int, minute: int) -> dt.datetime:
    moment = timezone.make_aware(dt.datetime.combine(_date(ctx, day), dt.time(hour, minute)))
    return min(moment, ctx.now - dt.timedelta(minutes=5)) if day <= 0 else moment


def _clinic_day(ctx: _Context, day: int) -> int:
    """Clinics are closed at weekends: past visits move back to Friday, future ones on to Monday."""
    weekday = _date(ctx, day).weekday()
    if weekday < 5:
        return day
    if day < 0:
        return day - (weekday - 4)
    return day + (7 - weekday)


def _write_patient(spec: PatientSpec, ctx: _Context) -> Patient:
    staff = ctx.staff[spec.team]
    team = ctx.teams[spec.team]
    lead_physician = staff[D.PHYSICIAN]
    coordinator = staff[D.CARE_COORDINATOR]

    def day(offset: int) -> dt.date:
        return _date(ctx, offset)

    patient = patient_create(
        actor=coordinator,
        mrn=spec.mrn,
        first_name=spec.first_name,
        last_name=spec.last_name,
        date_of_birth=ctx.today - dt.timedelta(days=spec.age_days),
        sex=spec.sex,
        email=spec.email,
        phone=spec.phone,
        preferred_channel=spec.channel,
        quiet_hours_start=dt.time.fromisoformat(spec.quiet_hours[0]) if spec.quiet_hours else None,
        quiet_hours_end=dt.time.fromisoformat(spec.quiet_hours[1]) if spec.quiet_hours else None,
        timezone="America/New_York",
        work_status=spec.work_status,
        work_status_since=day(spec.work_status_since)
        if spec.work_status_since is not None
        else None,
        team=team,
    )
    if spec.previous_episode:
        old = episode_open(
            actor=lead_physician,
            patient=patient,
            onset=day(spec.previous_episode.onset),
            summary=spec.previous_episode.summary,
        )
        episode_close(
            actor=lead_physician, episode=old, closed_on=day(spec.previous_episode.closed)
        )
    episode = episode_open(
        actor=lead_physician, patient=patient, onset=day(spec.onset), summary=spec.summary
    )
    model_update(
        actor=lead_physician, instance=episode, data={"red_flags_screened_on": day(spec.intake)}
    )
    for flag in spec.red_flags:
        finding = red_flag_record(
            actor=lead_physician,
            episode=episode,
            sign=flag.sign,
            noted_on=day(flag.day),
            note=flag.note,
        )
        if flag.cleared is not None:
            model_update(
                actor=lead_physician, instance=finding, data={"cleared_on": day(flag.cleared)}
            )
    for role, is_lead in spec.care_team:
        care_team_assign(
            actor=lead_physician,
            episode=episode,
            clinician=staff[role],
            role=role,
            start=day(spec.intake),
            is_lead=is_lead,
        )
    for a in spec.assessments:
        assessment_record(
            actor=staff[a.recorder] if a.recorder else None,
            patient=patient,
            instrument=a.instrument,
            answers=a.answers,
            episode=episode,
            taken_at=_moment(ctx, a.day, a.hour, a.minute),
            reported_by=Reporter.CLINICIAN if a.recorder else Reporter.PATIENT,
        )
    if spec.plan is not None:
        _write_plan(spec.plan, episode, lead_physician, ctx)
    for m in spec.medications:
        prescriber = staff[m.prescriber]
        order = medication_order_create(
            actor=prescriber,
            episode=episode,
            drug=m.drug,
            drug_class=m.drug_class,
            opioid=m.opioid,
            dose=Decimal(m.dose),
            dose_unit=m.dose_unit,
            frequency=m.frequency,
            daily_dose=Decimal(m.daily_dose),
            start_date=day(m.start),
            stop_date=day(m.stop) if m.stop is not None else None,
            prescriber=prescriber,
            indication=m.indication,
        )
        for review in m.reviews:
            medication_review(
                actor=prescriber,
                order=order,
                reviewed_on=day(review),
                naloxone_offered=review == m.naloxone_at,
            )
    kinds_booked = set()
    for ap in spec.appointments:
        kinds_booked.add(ap.kind)
        appointment_book(
            actor=coordinator,
            patient=patient,
            episode=episode,
            clinician=staff[ap.discipline],
            discipline=ap.discipline,
            kind=ap.kind,
            starts_at=_moment(ctx, _clinic_day(ctx, ap.day), ap.hour, ap.minute),
            duration_minutes=ap.duration,
            status=ap.status,
        )
    # The plan's "book the first follow-up" tasks are done where that visit was booked.
    for task in Task.objects.filter(
        episode=episode, source=TaskSource.PLAN, status__in=OPEN_TASK_STATUSES
    ):
        if ctx.follow_up_kinds.get(task.title) in kinds_booked:
            task_complete(actor=coordinator, task=task, note="Follow-up visit booked.")
    for t in spec.tasks:
        task_create(
            actor=coordinator,
            team=team,
            patient=patient,
            episode=episode,
            title=t.title,
            reason=t.reason,
            due_on=day(t.due),
            assignee=staff[t.assignee] if t.assignee else None,
            discipline=t.discipline,
            priority=t.priority,
        )
    for body in spec.notes:
        note_add(actor=lead_physician, patient=patient, episode=episode, body=body)
    return patient


def _write_plan(plan: PlanSpec, episode: Episode, actor: Clinician, ctx: _Context) -> CarePlan:
    start = _date(ctx, plan.start)
    if plan.template:
        care_plan = plan_template_apply(
            actor=actor, episode=episode, template=ctx.templates[plan.template], start_date=start
        )
        # A back-dated plan: bring each intervention's status up to today.
        for item in care_plan.interventions.all():
            status = item.status
            if item.start_date <= ctx.today:
                status = InterventionStatus.ACTIVE
            if item.end_date is not None and item.end_date < ctx.today:
                status = InterventionStatus.COMPLETED
            if status != item.status:
                intervention_update(actor=actor, intervention=item, status=status)
        return care_plan
    care_plan = model_create(
        actor=actor,
        instance=CarePlan(episode=episode, title=plan.title, started_on=start, created_by=actor),
    )
    for spec in plan.interventions:
        intervention_add(
            actor=actor,
            plan=care_plan,
            kind=spec.kind,
            discipline=spec.discipline,
            description=spec.description,
            status=spec.status,
            start_date=_date(ctx, spec.start),
            end_date=_date(ctx, spec.end) if spec.end is not None else None,
        )
    for goal in plan.goals:
        baseline = (
            Assessment.objects.filter(
                episode=episode,
                instrument=goal.measure,
                taken_at__date__lte=start,
                score__isnull=False,
            )
            .order_by("-taken_at")
            .values_list("score", flat=True)
            .first()
        )
        goal_add(
            actor=actor,
            plan=care_plan,
            measure=goal.measure,
            description=goal.description,
            baseline=None if baseline is None else Decimal(baseline).quantize(Decimal("0.01")),
            target=Decimal(goal.target) if goal.target is not None else None,
            due_on=start + dt.timedelta(days=goal.due),
        )
    return care_plan


def seed_demo(
    *,
    patients: int = DEFAULT_PATIENTS,
    seed: int = DEFAULT_SEED,
    password: str = DEMO_PASSWORD,
    on_patient: Callable[[PatientSpec, bool], None] | None = None,
) -> SeedResult:
    """Create the demo teams, clinicians, admin and ``patients`` patients (idempotent)."""
    if not password:
        raise ValueError("The demo password cannot be empty.")
    result = SeedResult()
    with transaction.atomic():
        teams, staff = _ensure_staff(password, result)
    templates = {
        t.slug: t for t in PlanTemplate.objects.filter(slug__in=[ACUTE_TEMPLATE, CHRONIC_TEMPLATE])
    }
    missing = {ACUTE_TEMPLATE, CHRONIC_TEMPLATE} - set(templates)
    if missing:
        raise LookupError(f"Plan templates missing (run migrate): {', '.join(sorted(missing))}")
    ctx = _Context(
        today=clinic_today(),
        now=timezone.now(),
        teams=teams,
        staff=staff,
        templates=templates,
        follow_up_kinds=dict(PlanTemplateFollowUp.objects.values_list("title", "appointment_kind")),
    )
    specs = build_specs(patients, seed)
    existing = set(
        Patient.objects.filter(mrn__in=[s.mrn for s in specs]).values_list("mrn", flat=True)
    )
    for spec in specs:
        created = spec.mrn not in existing
        if created:
            with transaction.atomic():
                _write_patient(spec, ctx)
            result.patients_created += 1
        else:
            result.patients_existing += 1
        if on_patient is not None:
            on_patient(spec, created)
    # Beat's "Plan reminders" first runs one interval after beat starts; the demo does not wait:
    # one planning run (idempotent) is queued now, and the worker takes it as `make run` starts,
    # so reminders and check-in links (email and SMS) go out within the first minutes.
    enqueue_on_commit("messaging.plan_reminders")
    return result
