"""Builders for the rule tests (one module per rule: ``test_<rule_code>.py``).

Every test goes through the real path: a patient on a team, an episode with its care team, and
whatever the rule reads (assessments, medication orders, plans, appointments, red flags) written
with the factories and the domain services; then ``apps.flags.engine.evaluate_episodes`` runs
every rule and the test reads the Flag rows and their worklist Tasks.

Time is the clinic's (America/New_York). A test travels with ``time_machine`` to the day it
evaluates (``clinic.travel(day)``), so that ``clinic_today()``, the services' "not in the
future" checks and the engine's ``now`` agree; history is back-dated with ``on=`` (a clinic-local
date, at 10:00 unless ``hour=`` says otherwise). ``traveller.move_to(clinic.at(day))`` moves the
clock on within a test, to show both sides of a boundary on the same data.
"""

import datetime as dt
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.utils import timezone

from apps.assessments.services import assessment_record
from apps.careplans.models import CarePlan, Intervention, PlanTemplate
from apps.careplans.services import intervention_add, plan_template_apply
from apps.clinical.models import ClinicalSetting
from apps.core.choices import Discipline
from apps.flags.engine import evaluate_episodes
from apps.flags.models import OPEN_FLAG_STATUSES, Flag
from apps.medications.models import MedicationOrder
from apps.medications.services import medication_order_create
from apps.patients.models import CareTeamMember, Episode, Patient, RedFlagFinding
from apps.patients.services import care_team_assign, episode_open, red_flag_record
from apps.scheduling.models import Appointment
from apps.worklist.models import Task
from tests.factories import (
    AppointmentFactory,
    ClinicianFactory,
    PatientFactory,
    TeamMembershipFactory,
)

CLINIC_TZ = ZoneInfo("America/New_York")

#: The four disciplines a chronic episode's care team needs (DESIGN.md pathway step 2).
FULL_TEAM = (
    Discipline.PHYSICIAN,
    Discipline.PHYSICAL_THERAPIST,
    Discipline.PSYCHOLOGIST,
    Discipline.PAIN_SPECIALIST,
)

_OWNER = {
    "exercise_programme": Discipline.PHYSICAL_THERAPIST,
    "pt_visits": Discipline.PHYSICAL_THERAPIST,
    "passive_modality": Discipline.PHYSICAL_THERAPIST,
    "cold_heat": Discipline.NURSE,
    "sleep": Discipline.PSYCHOLOGIST,
    "psychological_therapy": Discipline.PSYCHOLOGIST,
    "return_to_work": Discipline.CARE_COORDINATOR,
}


class Clinic:
    """A team with one clinician of each discipline, and the writes a rule test needs."""

    def __init__(self, team: Any, physician: Any) -> None:
        self.team = team
        self.staff: dict[str, Any] = {Discipline.PHYSICIAN: physician}
        for discipline in Discipline:
            if discipline == Discipline.PHYSICIAN:
                continue
            clinician = ClinicianFactory(username=f"{discipline}_on_team", discipline=discipline)
            TeamMembershipFactory(team=team, clinician=clinician)
            self.staff[discipline] = clinician

    @property
    def physician(self) -> Any:
        return self.staff[Discipline.PHYSICIAN]

    @property
    def coordinator(self) -> Any:
        return self.staff[Discipline.CARE_COORDINATOR]

    # Time ---------------------------------------------------------------------------------
    @staticmethod
    def at(day: dt.date, hour: int = 10, minute: int = 0) -> dt.datetime:
        """A clinic-local moment on ``day``."""
        return dt.datetime.combine(day, dt.time(hour, minute), tzinfo=CLINIC_TZ)

    def travel(self, day: dt.date, hour: int = 12) -> Any:
        """Travel to noon (clinic time) on ``day``; the clock stands still."""
        return time_machine.travel(self.at(day, hour), tick=False)

    # People and episodes ------------------------------------------------------------------
    def episode(
        self,
        *,
        onset: dt.date,
        roles: tuple[str, ...] = (Discipline.PHYSICIAN,),
        patient: Patient | None = None,
        **patient_fields: Any,
    ) -> Episode:
        """A new patient (or ``patient``) with an active episode from ``onset``, and a care team
        holding ``roles`` from the onset (each role held by this team's clinician of that
        discipline)."""
        patient = patient or PatientFactory(team=self.team, **patient_fields)
        episode = episode_open(actor=self.coordinator, patient=patient, onset=onset)
        for role in roles:
            self.assign(episode, role, start=onset)
        return episode

    def assign(self, episode: Episode, role: str, *, start: dt.date) -> CareTeamMember:
        return care_team_assign(
            actor=self.coordinator,
            episode=episode,
            clinician=self.staff[role],
            role=role,
            start=start,
        )

    # Measures -----------------------------------------------------------------------------
    def record(
        self,
        episode: Episode,
        instrument: str,
        answers: Any,
        *,
        on: dt.date,
        hour: int = 10,
        minute: int = 0,
    ) -> Any:
        return assessment_record(
            actor=self.coordinator,
            patient=episode.patient,
            episode=episode,
            instrument=instrument,
            answers=answers,
            taken_at=self.at(on, hour, minute),
        )

    def nrs(self, episode: Episode, value: int, *, on: dt.date, **when: int) -> Any:
        return self.record(episode, "nrs", {"value": value}, on=on, **when)

    def peg(
        self, episode: Episode, pain: int, enjoyment: int, activity: int, *, on: dt.date
    ) -> Any:
        answers = {"pain": pain, "enjoyment": enjoyment, "activity": activity}
        return self.record(episode, "peg", answers, on=on)

    def odi(self, episode: Episode, sections: list[int | None], *, on: dt.date) -> Any:
        return self.record(episode, "odi", {"sections": sections}, on=on)

    def unscored_odi(self, episode: Episode, sections: list[int | None], *, on: dt.date) -> Any:
        """An ODI row without a score: fewer than 8 sections, stored before incomplete
        instruments were refused (or imported). The service no longer stores one; the rules
        must still read such rows safely."""
        from apps.assessments.models import Assessment

        return Assessment.objects.create(
            patient=episode.patient,
            episode=episode,
            instrument="odi",
            answers={"sections": sections},
            score=None,
            taken_at=self.at(on, 10, 0),
        )

    def phq9(self, episode: Episode, items: list[int | None], *, on: dt.date) -> Any:
        return self.record(episode, "phq9", {"items": items}, on=on)

    def sleep(self, episode: Episode, value: int, *, on: dt.date) -> Any:
        return self.record(episode, "sleep", {"value": value}, on=on)

    def work_status(self, episode: Episode, status: str, *, on: dt.date) -> Any:
        return self.record(episode, "work_status", {"status": status}, on=on)

    # Medication ---------------------------------------------------------------------------
    def medication(
        self,
        episode: Episode,
        *,
        drug: str,
        drug_class: str,
        daily_dose: int | str | Decimal,
        start: dt.date,
        prescriber: Any = None,
        **fields: Any,
    ) -> MedicationOrder:
        prescriber = prescriber or self.physician
        return medication_order_create(
            actor=prescriber,
            episode=episode,
            drug=drug,
            drug_class=drug_class,
            dose=Decimal(str(daily_dose)),
            frequency="once daily",
            daily_dose=Decimal(str(daily_dose)),
            start_date=start,
            prescriber=prescriber,
            **fields,
        )

    def opioid(
        self,
        episode: Episode,
        *,
        daily_dose: int | str | Decimal,
        start: dt.date,
        drug: str = "morphine",
        **fields: Any,
    ) -> MedicationOrder:
        """A long-acting opioid order; ``daily_dose`` in mg/day (fentanyl patch: mcg/hr)."""
        return self.medication(
            episode,
            drug=drug,
            drug_class="opioid_long",
            opioid=drug,
            daily_dose=daily_dose,
            start=start,
            **fields,
        )

    # Care plans and visits ----------------------------------------------------------------
    def plan(self, episode: Episode, *, start: dt.date, template: str | None = None) -> CarePlan:
        """Apply a shipped template (by slug), or by default a template with no items, so the
        test adds exactly the interventions it is about."""
        if template is None:
            chosen, _ = PlanTemplate.objects.get_or_create(
                slug="rule-tests-empty-plan", defaults={"name": "Plan built item by item"}
            )
        else:
            chosen = PlanTemplate.objects.get(slug=template)
        return plan_template_apply(
            actor=self.coordinator, episode=episode, template=chosen, start_date=start
        )

    def intervention(
        self,
        plan: CarePlan,
        kind: str,
        *,
        start: dt.date,
        status: str = "active",
        end: dt.date | None = None,
    ) -> Intervention:
        return intervention_add(
            actor=self.coordinator,
            plan=plan,
            kind=kind,
            discipline=_OWNER.get(kind, Discipline.PHYSICIAN),
            description=kind.replace("_", " ").capitalize(),
            status=status,
            start_date=start,
            end_date=end,
        )

    def visit(
        self,
        episode: Episode,
        *,
        on: dt.date,
        status: str = "fulfilled",
        kind: str = "pt_visit",
        discipline: str = Discipline.PHYSICAL_THERAPIST,
        hour: int = 10,
    ) -> Appointment:
        return AppointmentFactory(
            episode=episode,
            patient=episode.patient,
            clinician=self.staff[discipline],
            discipline=discipline,
            kind=kind,
            starts_at=self.at(on, hour),
            status=status,
        )

    def red_flag(self, episode: Episode, sign: str, *, on: dt.date) -> RedFlagFinding:
        return red_flag_record(actor=self.physician, episode=episode, sign=sign, noted_on=on)

    # Settings -----------------------------------------------------------------------------
    def setting(self, key: str, value: int | str) -> ClinicalSetting:
        """An admin's override of a threshold, validated as the admin form would."""
        setting = ClinicalSetting(key=key, value=Decimal(str(value)))
        setting.full_clean()
        setting.save()
        return setting

    # The engine ---------------------------------------------------------------------------
    def evaluate(self, episode: Episode) -> dict[str, Flag]:
        """Run every rule on the episode at the (travelled) current time; return the patient's
        open flags by rule code."""
        evaluate_episodes([episode.pk], now=timezone.now())
        return self.open_flags(episode)

    @staticmethod
    def open_flags(episode: Episode) -> dict[str, Flag]:
        flags = Flag.objects.filter(patient_id=episode.patient_id, status__in=OPEN_FLAG_STATUSES)
        return {flag.rule_code: flag for flag in flags}

    @staticmethod
    def task(flag: Flag) -> Task:
        """The one worklist task the flag raised."""
        return Task.objects.get(flag=flag)


@pytest.fixture
def clinic(team, clinician_on_team) -> Clinic:
    """The North spine team: ``clinician_on_team`` as its physician, plus a PT, psychologist,
    psychiatrist, pain specialist, care coordinator and nurse."""
    return Clinic(team, physician=clinician_on_team)
