"""FHIR R4 export of a patient's record, as plain dicts (validated in tests with fhir.resources).

One patient → a Bundle of type "collection": Patient, Organization (the team), Practitioner (every
clinician referenced), Condition (one per episode: SNOMED CT low back pain, or chronic low back
pain once the episode is chronic), CareTeam, CarePlan with its activities and Goals,
MedicationRequest, Observation (every scored assessment, LOINC-coded where CLINICAL.md gives a code;
the ODI as text only), Flag, Task and Appointment. Each entry has a stable ``urn:uuid:`` fullUrl and
entries refer to each other by it. In NDJSON (bulk export) the same resources refer to each other
as ``Type/id``.

Vocabularies (CLINICAL.md "Instruments and scoring"; FHIR R4 value sets):

- Condition.code: SNOMED CT 279039007 low back pain, 278860009 chronic low back pain (phase).
- Observation.code: LOINC nrs 72514-3; PEG panel 91148-7 with the mean 91147-9; STarT Back total
  91351-7; PHQ-9 panel 44249-1 with the total 44261-6 and item 9 44260-8; GAD-7 total 70274-6;
  ODI: code.text "Oswestry Disability Index" and no coding (no confirmed LOINC code).
- Goal.achievementStatus: agrees with the goal status the screens show (met -> achieved,
  overdue -> not-achieved; apps.careplans.progress), else from the improvement rules
  (apps.clinical.scoring), see ``goal_achievement``.
- Statuses: see the ``*_STATUS`` maps below.
"""

from __future__ import annotations

import datetime as dt
import json
import uuid
from collections.abc import Iterable, Iterator
from decimal import Decimal
from fractions import Fraction
from typing import Any

from django.conf import settings
from django.db.models import Prefetch, QuerySet
from django.utils import timezone

from apps.accounts.models import Clinician
from apps.assessments.models import Assessment, Instrument
from apps.careplans.models import CarePlan, Goal, GoalMeasure, InterventionKind, PlanStatus
from apps.careplans.progress import FHIR_ACHIEVEMENT, status_of_goal
from apps.clinical import scoring
from apps.clinical.selectors import thresholds as clinical_thresholds
from apps.core.choices import Discipline
from apps.core.dates import clinic_today
from apps.flags.models import Flag, FlagStatus
from apps.flags.rules.base import change_thresholds
from apps.flags.snapshot import exact_value
from apps.medications.models import DrugClass, MedicationOrder
from apps.patients.models import CareTeamMember, Episode, EpisodeStatus, Patient, Phase, WorkStatus
from apps.scheduling.models import Appointment, AppointmentKind
from apps.worklist.models import Task, TaskSource

FHIR_JSON = "application/fhir+json"
FHIR_NDJSON = "application/fhir+ndjson"

LOINC_SYSTEM = "http://loinc.org"
SNOMED_SYSTEM = "http://snomed.info/sct"
UCUM_SYSTEM = "http://unitsofmeasure.org"
OBSERVATION_CATEGORY = "http://terminology.hl7.org/CodeSystem/observation-category"
CONDITION_CLINICAL = "http://terminology.hl7.org/CodeSystem/condition-clinical"
CONDITION_VERIFICATION = "http://terminology.hl7.org/CodeSystem/condition-ver-status"
CONDITION_CATEGORY = "http://terminology.hl7.org/CodeSystem/condition-category"
GOAL_ACHIEVEMENT = "http://terminology.hl7.org/CodeSystem/goal-achievement"
FLAG_CATEGORY = "http://terminology.hl7.org/CodeSystem/flag-category"
MEDREQ_CATEGORY = "http://terminology.hl7.org/CodeSystem/medicationrequest-category"
DATA_ABSENT = "http://terminology.hl7.org/CodeSystem/data-absent-reason"

# FHIR R4 status value sets.
CAREPLAN_STATUS = {
    PlanStatus.ACTIVE: "active",
    PlanStatus.COMPLETED: "completed",
    PlanStatus.REVOKED: "revoked",
}
GOAL_LIFECYCLE = {
    PlanStatus.ACTIVE: "active",
    PlanStatus.COMPLETED: "completed",
    PlanStatus.REVOKED: "cancelled",
}
ACTIVITY_STATUS = {
    "planned": "scheduled",
    "active": "in-progress",
    "completed": "completed",
    "stopped": "stopped",
}
TASK_STATUS = {
    "open": "requested",
    "in_progress": "in-progress",
    "completed": "completed",
    "cancelled": "cancelled",
}
APPOINTMENT_STATUS = {s: s for s in ("booked", "arrived", "fulfilled", "cancelled", "noshow")}
FLAG_STATUS = {
    FlagStatus.OPEN: "active",
    FlagStatus.ACKNOWLEDGED: "active",
    FlagStatus.SNOOZED: "active",
    FlagStatus.RESOLVED: "inactive",
}
ACHIEVEMENT_DISPLAY = {
    "in-progress": "In Progress",
    "improving": "Improving",
    "worsening": "Worsening",
    "no-change": "No Change",
    "achieved": "Achieved",
    "sustaining": "Sustaining",
    "not-achieved": "Not Achieved",
    "no-progress": "No Progress",
    "not-attainable": "Not Attainable",
}

# Observation codes per instrument (CLINICAL.md). ODI deliberately has none.
LOINC_DISPLAY = {
    "nrs": "Pain severity - 0-10 verbal numeric rating [Score] - Reported",
    "peg": "PEG mean score",
    "peg_panel": "PEG 3-item pain scale panel",
    "start_back": "STarT Back total score",
    "phq9": "Patient Health Questionnaire 9 item (PHQ-9) total score [Reported]",
    "phq9_panel": "PHQ-9 quick depression assessment panel [Reported.PHQ]",
    "phq9_item9": "Thoughts that you would be better off dead, or of hurting yourself in some way",
    "gad7": "Generalized anxiety disorder 7 item (GAD-7) total score [Reported.PHQ]",
}
ODI_TEXT = "Oswestry Disability Index"
TEXT_ONLY = {
    "odi": ODI_TEXT,
    "sleep": "Sleep quality (0-10, 10 best)",
    "work_status": "Work status",
}
PERCENT_INSTRUMENTS = frozenset({"odi"})
GOAL_MEASURE_INSTRUMENT = {m: m for m in ("nrs", "peg", "odi", "phq9", "gad7", "sleep")}
LOWER_IS_BETTER = frozenset({"nrs", "peg", "odi", "phq9", "gad7"})
WORKING = frozenset({WorkStatus.WORKING, WorkStatus.MODIFIED_DUTY})


def base_url() -> str:
    return settings.SITE_URL.rstrip("/")


def code_system(name: str) -> str:
    """CareTeam's own code systems (rule codes, disciplines, drug classes...)."""
    return f"{base_url()}/fhir/CodeSystem/{name}"


def _num(value: Decimal | Fraction | int | float) -> int | float:
    """A JSON number: whole numbers as ints, others as the shortest decimal."""
    if isinstance(value, Fraction):
        value = Decimal(value.numerator) / Decimal(value.denominator)
    dec = Decimal(str(value)) if not isinstance(value, Decimal) else value
    if dec == dec.to_integral_value():
        return int(dec)
    return float(dec.normalize())


def _instant(value: dt.datetime) -> str:
    return timezone.localtime(value).isoformat(timespec="seconds")


def _date(value: dt.date) -> str:
    return value.isoformat()


def _concept(
    system: str, code: str, display: str | None = None, text: str | None = None
) -> dict[str, Any]:
    coding: dict[str, Any] = {"system": system, "code": code}
    if display:
        coding["display"] = display
    concept: dict[str, Any] = {"coding": [coding]}
    if text:
        concept["text"] = text
    return concept


def _label(choices: Any, value: str) -> str:
    try:
        return str(choices(value).label)
    except ValueError:
        return value


# ------------------------------------------------------------------------------------------------
# Loading: a fixed number of queries for any number of patients
# ------------------------------------------------------------------------------------------------


def export_queryset(patients: QuerySet[Patient]) -> QuerySet[Patient]:
    """Everything the export needs, prefetched: 11 queries for a batch, whatever its size."""
    episodes = Episode.objects.filter(archived_at__isnull=True).order_by("onset", "pk")
    return patients.select_related("team").prefetch_related(
        Prefetch("episodes", queryset=episodes),
        Prefetch(
            "episodes__care_team",
            queryset=CareTeamMember.objects.select_related("clinician").order_by("start", "pk"),
        ),
        Prefetch("episodes__care_plan", queryset=CarePlan.objects.select_related("created_by")),
        Prefetch("episodes__care_plan__goals", queryset=Goal.objects.order_by("due_on", "pk")),
        "episodes__care_plan__interventions",
        Prefetch(
            "episodes__medications",
            queryset=MedicationOrder.objects.select_related("prescriber").order_by(
                "start_date", "pk"
            ),
        ),
        Prefetch(
            "assessments",
            queryset=Assessment.objects.select_related("recorded_by").order_by("taken_at", "pk"),
        ),
        Prefetch("flags", queryset=Flag.objects.order_by("raised_at", "pk")),
        Prefetch(
            "tasks", queryset=Task.objects.select_related("assignee").order_by("due_on", "pk")
        ),
        Prefetch(
            "appointments",
            queryset=Appointment.objects.select_related("clinician").order_by("starts_at", "pk"),
        ),
    )


# ------------------------------------------------------------------------------------------------
# Goal achievement (CLINICAL.md "Meaningful change")
# ------------------------------------------------------------------------------------------------


def goal_achievement(
    goal: Goal,
    plan: CarePlan,
    patient: Patient,
    measures: list[Assessment],
    t: dict[str, Decimal],
    *,
    onset: dt.date | None = None,
    until: dt.date | None = None,
    today: dt.date | None = None,
) -> tuple[str, Assessment | None]:
    """The goal's FHIR achievementStatus and the measure it was judged on.

    It agrees with the status the screens show (``apps.careplans.progress.status_of_goal``,
    on the latest measure of the goal's instrument in the episode, i.e. taken on or after its
    ``onset``, and by its close, ``until``): "achieved" when the goal is met, "not-achieved" when its due date passed
    without meeting it. Otherwise (on track, off track, not measured yet), for pain and
    function (NRS, PEG, ODI; lower is better) the latest measure against the goal's baseline:

    - "improving" / "worsening" when the change is meaningful by
      ``apps.clinical.scoring.is_meaningful_improvement`` / ``is_meaningful_worsening`` with the
      admin's thresholds (NRS 2 points or 30%, ODI 10 points or 30%, PEG 30%);
    - "no-change" otherwise; "in-progress" with no baseline or no measure yet.

    PHQ-9, GAD-7 and sleep quality have no meaningful-change rule: "in-progress" until met or
    overdue. Work status: met when the patient works in any capacity. Other goals keep the
    status a clinician recorded.
    """
    today = today or clinic_today()
    instrument = GOAL_MEASURE_INSTRUMENT.get(goal.measure)
    if goal.measure != GoalMeasure.WORK and instrument is None:
        return str(goal.achievement_status), None
    series = [
        m
        for m in measures
        if m.instrument == instrument
        and m.score is not None
        and (onset is None or timezone.localdate(m.taken_at) >= onset)
        and (until is None or timezone.localdate(m.taken_at) <= until)
    ]
    latest = series[-1] if series else None
    value = exact_value(latest.instrument, latest.score, latest.answers) if latest else None
    status = status_of_goal(
        goal,
        latest=None if value is None else Fraction(value),
        working=patient.work_status in WORKING,
        started_on=plan.started_on,
        today=today,
    )
    if status.code in FHIR_ACHIEVEMENT:
        return FHIR_ACHIEVEMENT[status.code], latest
    if latest is None or value is None or instrument is None:
        return "in-progress", latest
    if instrument not in scoring.MCID_INSTRUMENTS or goal.baseline is None:
        return "in-progress", latest
    baseline = Fraction(goal.baseline)
    try:
        rule = change_thresholds(instrument, t)
        if scoring.is_meaningful_improvement(instrument, baseline, value, **rule):
            return "improving", latest
        if scoring.is_meaningful_worsening(instrument, baseline, value, **rule):
            return "worsening", latest
    except ValueError:  # a baseline typed outside the instrument's range
        return "in-progress", latest
    return "no-change", latest


# ------------------------------------------------------------------------------------------------
# Building resources
# ------------------------------------------------------------------------------------------------


class Builder:
    """Builds the resources of patients. ``mode`` "bundle" refers by urn:uuid, "ndjson" by Type/id."""

    def __init__(self, *, mode: str = "bundle", today: dt.date | None = None) -> None:
        self.mode = mode
        self.today = today or clinic_today()
        self.thresholds = clinical_thresholds()
        self.namespace = uuid.uuid5(uuid.NAMESPACE_URL, base_url() + "/fhir")

    # References ----------------------------------------------------------------------------
    def full_url(self, rtype: str, rid: str) -> str:
        return f"urn:uuid:{uuid.uuid5(self.namespace, f'{rtype}/{rid}')}"

    def ref(self, rtype: str, rid: str, display: str | None = None) -> dict[str, Any]:
        reference = self.full_url(rtype, rid) if self.mode == "bundle" else f"{rtype}/{rid}"
        result: dict[str, Any] = {"reference": reference}
        if display:
            result["display"] = display
        return result

    def patient_ref(self, patient: Patient) -> dict[str, Any]:
        return self.ref("Patient", str(patient.pk), patient.full_name)

    def practitioner_ref(self, clinician: Clinician) -> dict[str, Any]:
        return self.ref("Practitioner", str(clinician.pk), clinician.display_name)

    # The record ------------------------------------------------------------------------------
    def patient_resources(self, patient: Patient) -> list[dict[str, Any]]:
        """Every resource of one patient (prefetched with ``export_queryset``)."""
        clinicians: dict[int, Clinician] = {}

        def seen(clinician: Clinician | None) -> Clinician | None:
            if clinician is not None:
                clinicians.setdefault(clinician.pk, clinician)
            return clinician

        episodes = list(patient.episodes.all())
        measures = list(patient.assessments.all())
        flags = list(patient.flags.all())
        flag_ids = {f.pk for f in flags}
        body: list[dict[str, Any]] = []
        for episode in episodes:
            body.append(self.condition(patient, episode))
            members = list(episode.care_team.all())
            for member in members:
                seen(member.clinician)
            if members:
                body.append(self.care_team(patient, episode, members))
            plan = _care_plan_of(episode)
            if plan is not None:
                seen(plan.created_by)
                goals = list(plan.goals.all())
                body.append(self.care_plan(patient, episode, plan, goals, bool(members)))
                body.extend(self.goal(patient, episode, plan, g, measures) for g in goals)
            for order in episode.medications.all():
                seen(order.prescriber)
                body.append(self.medication_request(patient, episode, order))
        episode_ids = {e.pk for e in episodes}
        for measure in measures:
            seen(measure.recorded_by)
            body.extend(self.observations(patient, measure, episode_ids))
        body.extend(self.flag(patient, f) for f in flags)
        for task in patient.tasks.all():
            seen(task.assignee)
            body.append(self.task(patient, task, flag_ids, episode_ids))
        for appointment in patient.appointments.all():
            seen(appointment.clinician)
            body.append(self.appointment(patient, appointment, episode_ids))
        head = [self.patient(patient), self.organization(patient.team)]
        head.extend(self.practitioner(c) for c in clinicians.values())
        return head + body

    def patient(self, patient: Patient) -> dict[str, Any]:
        resource: dict[str, Any] = {
            "resourceType": "Patient",
            "id": str(patient.pk),
            "identifier": [
                {"use": "usual", "system": f"{base_url()}/fhir/sid/mrn", "value": patient.mrn}
            ],
            "active": patient.archived_at is None,
            "name": [
                {"use": "official", "family": patient.last_name, "given": [patient.first_name]}
            ],
            "gender": patient.sex,
            "birthDate": _date(patient.date_of_birth),
            "managingOrganization": self.ref(
                "Organization", str(patient.team_id), patient.team.name
            ),
        }
        telecom = []
        if patient.email:
            telecom.append({"system": "email", "value": patient.email, "use": "home"})
        if patient.phone:
            telecom.append({"system": "phone", "value": patient.phone, "use": "mobile"})
        if telecom:
            resource["telecom"] = telecom
        return resource

    def organization(self, team: Any) -> dict[str, Any]:
        return {
            "resourceType": "Organization",
            "id": str(team.pk),
            "active": True,
            "type": [{"text": "Multidisciplinary back-pain care team"}],
            "name": team.name,
        }

    def practitioner(self, clinician: Clinician) -> dict[str, Any]:
        name: dict[str, Any] = {"text": clinician.display_name}
        if clinician.last_name:
            name["family"] = clinician.last_name
        if clinician.first_name:
            name["given"] = [clinician.first_name]
        if clinician.title:
            name["prefix"] = [clinician.title]
        resource: dict[str, Any] = {
            "resourceType": "Practitioner",
            "id": str(clinician.pk),
            "active": clinician.is_active,
            "name": [name],
        }
        if clinician.discipline:
            resource["qualification"] = [
                {
                    "code": _concept(
                        code_system("discipline"),
                        clinician.discipline,
                        _label(Discipline, clinician.discipline),
                        _label(Discipline, clinician.discipline),
                    )
                }
            ]
        return resource

    def condition(self, patient: Patient, episode: Episode) -> dict[str, Any]:
        as_of = episode.closed_on if episode.closed_on else self.today
        phase = episode.phase_on(max(as_of, episode.onset))
        chronic = phase == Phase.CHRONIC
        code = scoring.SNOMED["chronic_low_back_pain" if chronic else "low_back_pain"]
        display = "Chronic low back pain" if chronic else "Low back pain"
        closed = episode.status == EpisodeStatus.CLOSED
        resource: dict[str, Any] = {
            "resourceType": "Condition",
            "id": str(episode.pk),
            "clinicalStatus": _concept(CONDITION_CLINICAL, "resolved" if closed else "active"),
            "verificationStatus": _concept(CONDITION_VERIFICATION, "confirmed"),
            "category": [_concept(CONDITION_CATEGORY, "problem-list-item", "Problem List Item")],
            "code": _concept(SNOMED_SYSTEM, code, display, display),
            "subject": self.patient_ref(patient),
            "onsetDateTime": _date(episode.onset),
            "recordedDate": _instant(episode.created_at),
            "stage": [{"summary": {"text": _label(Phase, phase)}}],
        }
        if episode.closed_on:
            resource["abatementDateTime"] = _date(episode.closed_on)
        if episode.summary:
            resource["note"] = [{"text": episode.summary}]
        return resource

    def care_team(
        self, patient: Patient, episode: Episode, members: list[CareTeamMember]
    ) -> dict[str, Any]:
        participants = []
        for member in members:
            role_text = _label(Discipline, member.role)
            roles = [_concept(code_system("discipline"), member.role, role_text, role_text)]
            if member.is_lead:
                roles.append(_concept(code_system("care-team-role"), "lead", "Lead", "Lead"))
            period: dict[str, Any] = {"start": _date(member.start)}
            if member.end:
                period["end"] = _date(member.end)
            participants.append(
                {"role": roles, "member": self.practitioner_ref(member.clinician), "period": period}
            )
        return {
            "resourceType": "CareTeam",
            "id": str(episode.pk),
            "status": "active" if episode.status == EpisodeStatus.ACTIVE else "inactive",
            "name": f"Care team for back pain from {episode.onset:%Y-%m-%d}",
            "subject": self.patient_ref(patient),
            "period": {"start": _date(episode.onset)},
            "participant": participants,
            "reasonReference": [self.ref("Condition", str(episode.pk))],
            "managingOrganization": [self.ref("Organization", str(patient.team_id))],
        }

    def care_plan(
        self, patient: Patient, episode: Episode, plan: CarePlan, goals: list[Goal], has_team: bool
    ) -> dict[str, Any]:
        activities = []
        for item in plan.interventions.all():
            period: dict[str, Any] = {"start": _date(item.start_date)}
            if item.end_date:
                period["end"] = _date(item.end_date)
            kind = _label(InterventionKind, item.kind)
            activities.append(
                {
                    "detail": {
                        "code": _concept(code_system("intervention-kind"), item.kind, kind, kind),
                        "status": ACTIVITY_STATUS.get(item.status, "unknown"),
                        "description": item.description,
                        "scheduledPeriod": period,
                    }
                }
            )
        resource: dict[str, Any] = {
            "resourceType": "CarePlan",
            "id": str(plan.pk),
            "status": CAREPLAN_STATUS.get(PlanStatus(plan.status), "unknown"),
            "intent": "plan",
            "title": plan.title,
            "subject": self.patient_ref(patient),
            "period": {"start": _date(plan.started_on)},
            "created": _instant(plan.created_at),
            "addresses": [self.ref("Condition", str(episode.pk))],
            "goal": [self.ref("Goal", str(g.pk)) for g in goals],
        }
        if plan.created_by is not None:
            resource["author"] = self.practitioner_ref(plan.created_by)
        if has_team:
            resource["careTeam"] = [self.ref("CareTeam", str(episode.pk))]
        if activities:
            resource["activity"] = activities
        if not resource["goal"]:
            del resource["goal"]
        return resource

    def goal(
        self,
        patient: Patient,
        episode: Episode,
        plan: CarePlan,
        goal: Goal,
        measures: list[Assessment],
    ) -> dict[str, Any]:
        status, judged_on = goal_achievement(
            goal,
            plan,
            patient,
            measures,
            self.thresholds,
            onset=episode.onset,
            until=episode.closed_on,
            today=self.today,
        )
        measure_label = _label(GoalMeasure, goal.measure)
        loinc = scoring.LOINC.get(goal.measure)
        measure = (
            _concept(LOINC_SYSTEM, loinc, LOINC_DISPLAY.get(goal.measure), measure_label)
            if loinc
            else {"text": measure_label}
        )
        target: dict[str, Any] = {"measure": measure, "dueDate": _date(goal.due_on)}
        if goal.target is not None:
            target["detailQuantity"] = {"value": _num(goal.target)}
        resource: dict[str, Any] = {
            "resourceType": "Goal",
            "id": str(goal.pk),
            "lifecycleStatus": GOAL_LIFECYCLE.get(PlanStatus(plan.status), "active"),
            "achievementStatus": _concept(
                GOAL_ACHIEVEMENT, status, ACHIEVEMENT_DISPLAY.get(status)
            ),
            "description": {"text": goal.description},
            "subject": self.patient_ref(patient),
            "startDate": _date(plan.started_on),
            "target": [target],
            "addresses": [self.ref("Condition", str(episode.pk))],
        }
        if goal.baseline is not None:
            resource["note"] = [{"text": f"Baseline {measure_label}: {_num(goal.baseline)}"}]
        if judged_on is not None:
            resource["outcomeReference"] = [self.ref("Observation", _observation_id(judged_on))]
        return resource

    def medication_request(
        self, patient: Patient, episode: Episode, order: MedicationOrder
    ) -> dict[str, Any]:
        drug_class = _label(DrugClass, order.drug_class)
        if order.stop_date is not None and order.stop_date <= self.today:
            status = "completed" if episode.status == EpisodeStatus.CLOSED else "stopped"
        elif episode.status == EpisodeStatus.CLOSED:
            status = "completed"
        else:
            status = "active"
        validity: dict[str, Any] = {"start": _date(order.start_date)}
        if order.stop_date:
            validity["end"] = _date(order.stop_date)
        notes = []
        if order.daily_mme is not None:
            notes.append(
                {"text": f"Daily MME {_num(order.daily_mme)} (CDC 2022 conversion factors)."}
            )
        if order.last_reviewed_on:
            notes.append({"text": f"Last reviewed on {order.last_reviewed_on:%Y-%m-%d}."})
        if order.naloxone_offered_on:
            notes.append({"text": f"Naloxone offered on {order.naloxone_offered_on:%Y-%m-%d}."})
        dose = {"value": _num(order.dose), "unit": order.dose_unit}
        resource: dict[str, Any] = {
            "resourceType": "MedicationRequest",
            "id": str(order.pk),
            "status": status,
            "intent": "order",
            "category": [_concept(MEDREQ_CATEGORY, "outpatient", "Outpatient")],
            "medicationCodeableConcept": {
                "coding": [
                    {
                        "system": code_system("drug-class"),
                        "code": order.drug_class,
                        "display": drug_class,
                    }
                ],
                "text": order.drug,
            },
            "subject": self.patient_ref(patient),
            "authoredOn": _instant(order.created_at),
            "reasonReference": [self.ref("Condition", str(episode.pk))],
            "dosageInstruction": [
                {
                    "text": f"{_num(order.dose)} {order.dose_unit} {order.frequency}",
                    "timing": {"code": {"text": order.frequency}},
                    "doseAndRate": [{"doseQuantity": dose}],
                }
            ],
            "dispenseRequest": {"validityPeriod": validity},
        }
        if order.prescriber is not None:
            resource["requester"] = self.practitioner_ref(order.prescriber)
        if order.indication:
            resource["reasonCode"] = [{"text": order.indication}]
        if notes:
            resource["note"] = notes
        return resource

    def observations(
        self, patient: Patient, measure: Assessment, episode_ids: set[int]
    ) -> list[dict[str, Any]]:
        """The Observations of one assessment (none for an unscored one)."""
        instrument = measure.instrument
        oid = _observation_id(measure)
        base: dict[str, Any] = {
            "resourceType": "Observation",
            "status": "final",
            "category": [_concept(OBSERVATION_CATEGORY, "survey", "Survey")],
            "subject": self.patient_ref(patient),
            "effectiveDateTime": _instant(measure.taken_at),
            "issued": _instant(measure.created_at),
        }
        if measure.reported_by == "patient":
            base["performer"] = [self.patient_ref(patient)]
        elif measure.recorded_by is not None:
            base["performer"] = [self.practitioner_ref(measure.recorded_by)]
        if measure.episode_id and measure.episode_id in episode_ids:
            base["focus"] = [self.ref("Condition", str(measure.episode_id))]

        def obs(rid: str, code: dict[str, Any], **fields: Any) -> dict[str, Any]:
            return {**base, "id": rid, "code": code, **fields}

        def loinc(key: str, text: str) -> dict[str, Any]:
            return _concept(LOINC_SYSTEM, scoring.LOINC[key], LOINC_DISPLAY[key], text)

        def quantity(value: Any, percent: bool = False) -> dict[str, Any]:
            unit = "%" if percent else "{score}"
            return {"value": _num(value), "unit": unit, "system": UCUM_SYSTEM, "code": unit}

        def interpretation(text: str) -> list[dict[str, Any]]:
            return [{"text": text}] if text else []

        if instrument == Instrument.WORK_STATUS:
            status = (measure.answers or {}).get("status", "")
            return [
                obs(
                    oid,
                    {"text": TEXT_ONLY["work_status"]},
                    valueCodeableConcept=_concept(
                        code_system("work-status"),
                        status,
                        _label(WorkStatus, status),
                        _label(WorkStatus, status),
                    ),
                )
            ]
        if instrument == Instrument.PHQ9:
            return self._phq9(patient, measure, obs, loinc, quantity, interpretation)
        if measure.score is None:
            return []  # not scored (e.g. an ODI with fewer than 8 sections): nothing to report
        extra: dict[str, Any] = {}
        if measure.band:
            extra["interpretation"] = interpretation(measure.band)
        if instrument == Instrument.NRS:
            return [
                obs(oid, loinc("nrs", "Pain NRS"), valueQuantity=quantity(measure.score), **extra)
            ]
        if instrument == Instrument.GAD7:
            return [
                obs(
                    oid,
                    loinc("gad7", "GAD-7 total"),
                    valueQuantity=quantity(measure.score),
                    **extra,
                )
            ]
        if instrument == Instrument.ODI:
            return [
                obs(
                    oid,
                    {"text": ODI_TEXT},
                    valueQuantity=quantity(measure.score, percent=True),
                    **extra,
                )
            ]
        if instrument == Instrument.SLEEP:
            return [obs(oid, {"text": TEXT_ONLY["sleep"]}, valueQuantity=quantity(measure.score))]
        if instrument == Instrument.START_BACK:
            components = []
            if measure.subscore is not None:
                components.append(
                    {
                        "code": {"text": "STarT Back psychosocial subscale (items 5-9)"},
                        "valueQuantity": quantity(measure.subscore),
                    }
                )
            if measure.band:
                extra["interpretation"] = interpretation(f"{measure.band} risk")
            return [
                obs(
                    oid,
                    loinc("start_back", "STarT Back total"),
                    valueQuantity=quantity(measure.score),
                    **({"component": components} if components else {}),
                    **extra,
                )
            ]
        if instrument == Instrument.PEG:
            answers = measure.answers or {}
            items = [
                ("pain", "Pain, average in the past week"),
                ("enjoyment", "Interference with enjoyment of life"),
                ("activity", "Interference with general activity"),
            ]
            components = [
                {"code": {"text": f"PEG {label}"}, "valueQuantity": quantity(answers[key])}
                for key, label in items
                if isinstance(answers.get(key), int) and not isinstance(answers.get(key), bool)
            ]
            mean = obs(oid, loinc("peg", "PEG mean"), valueQuantity=quantity(measure.score))
            panel = obs(
                f"{oid}-panel",
                loinc("peg_panel", "PEG panel"),
                hasMember=[self.ref("Observation", oid)],
                **({"component": components} if components else {}),
            )
            mean["derivedFrom"] = [self.ref("Observation", f"{oid}-panel")]
            return [panel, mean]
        return []

    def _phq9(
        self,
        patient: Patient,
        measure: Assessment,
        obs: Any,
        loinc: Any,
        quantity: Any,
        interpretation: Any,
    ) -> list[dict[str, Any]]:
        oid = _observation_id(measure)
        items = (measure.answers or {}).get("items") or []
        components = [
            {"code": {"text": f"PHQ-9 item {n}"}, "valueQuantity": quantity(value)}
            for n, value in enumerate(items[:8], start=1)
            if isinstance(value, int) and not isinstance(value, bool)
        ]
        item9_value = items[8] if len(items) >= 9 else None
        if isinstance(item9_value, int) and not isinstance(item9_value, bool):
            item9 = obs(
                f"{oid}-item9", loinc("phq9_item9", "PHQ-9 item 9"), valueInteger=item9_value
            )
            if item9_value >= 1:
                item9["interpretation"] = interpretation("Self-harm safety finding")
        else:
            item9 = obs(
                f"{oid}-item9",
                loinc("phq9_item9", "PHQ-9 item 9"),
                dataAbsentReason=_concept(DATA_ABSENT, "asked-unknown", "Asked But Unknown"),
            )
        members = [self.ref("Observation", f"{oid}-item9")]
        result = [item9]
        if measure.score is not None:
            total = obs(oid, loinc("phq9", "PHQ-9 total"), valueQuantity=quantity(measure.score))
            if measure.band:
                total["interpretation"] = interpretation(measure.band)
            result.insert(0, total)
            members.insert(0, self.ref("Observation", oid))
        panel = obs(
            f"{oid}-panel",
            loinc("phq9_panel", "PHQ-9 panel"),
            hasMember=members,
            **({"component": components} if components else {}),
        )
        return [panel, *result]

    def flag(self, patient: Patient, flag: Flag) -> dict[str, Any]:
        period: dict[str, Any] = {"start": _instant(flag.raised_at)}
        if flag.resolved_at:
            period["end"] = _instant(flag.resolved_at)
        severity = flag.severity
        resource: dict[str, Any] = {
            "resourceType": "Flag",
            "id": str(flag.pk),
            "extension": [
                {
                    "url": f"{base_url()}/fhir/StructureDefinition/flag-severity",
                    "valueCode": severity,
                }
            ],
            "status": FLAG_STATUS.get(FlagStatus(flag.status), "inactive"),
            "category": [_concept(FLAG_CATEGORY, "clinical", "Clinical")],
            "code": _concept(
                code_system("monitoring-rule"), flag.rule_code, flag.summary[:250], flag.summary
            ),
            "subject": self.patient_ref(patient),
            "period": period,
        }
        return resource

    def task(
        self, patient: Patient, task: Task, flag_ids: set[int], episode_ids: set[int]
    ) -> dict[str, Any]:
        source = _label(TaskSource, task.source)
        resource: dict[str, Any] = {
            "resourceType": "Task",
            "id": str(task.pk),
            "status": TASK_STATUS.get(task.status, "requested"),
            "intent": "order",
            "priority": task.priority,
            "code": _concept(code_system("task-source"), task.source, source, source),
            "description": task.title,
            "for": self.patient_ref(patient),
            "authoredOn": _instant(task.created_at),
            "lastModified": _instant(task.updated_at),
            "restriction": {"period": {"end": _date(task.due_on)}},
            "reasonCode": {"text": task.reason},
        }
        if task.episode_id and task.episode_id in episode_ids:
            resource["reasonReference"] = self.ref("Condition", str(task.episode_id))
        if task.assignee is not None:
            resource["owner"] = self.practitioner_ref(task.assignee)
        if task.discipline:
            label = _label(Discipline, task.discipline)
            resource["performerType"] = [
                _concept(code_system("discipline"), task.discipline, label, label)
            ]
        if task.flag_id and task.flag_id in flag_ids:
            resource["focus"] = self.ref("Flag", str(task.flag_id))
        if task.completed_at:
            resource["executionPeriod"] = {"end": _instant(task.completed_at)}
        return resource

    def appointment(
        self, patient: Patient, appointment: Appointment, episode_ids: set[int]
    ) -> dict[str, Any]:
        kind = _label(AppointmentKind, appointment.kind)
        discipline = _label(Discipline, appointment.discipline)
        participants = [
            {"actor": self.patient_ref(patient), "required": "required", "status": "accepted"}
        ]
        if appointment.clinician is not None:
            participants.append(
                {
                    "actor": self.practitioner_ref(appointment.clinician),
                    "required": "required",
                    "status": "accepted",
                }
            )
        resource: dict[str, Any] = {
            "resourceType": "Appointment",
            "id": str(appointment.pk),
            "status": APPOINTMENT_STATUS.get(appointment.status, "booked"),
            "appointmentType": _concept(
                code_system("appointment-kind"), appointment.kind, kind, kind
            ),
            "specialty": [
                _concept(code_system("discipline"), appointment.discipline, discipline, discipline)
            ],
            "description": f"{kind} at {appointment.location}" if appointment.location else kind,
            "start": _instant(appointment.starts_at),
            "end": _instant(appointment.ends_at),
            "minutesDuration": appointment.duration_minutes,
            "created": _instant(appointment.created_at),
            "participant": participants,
        }
        if appointment.episode_id and appointment.episode_id in episode_ids:
            resource["reasonReference"] = [self.ref("Condition", str(appointment.episode_id))]
        if appointment.notes:
            resource["comment"] = appointment.notes
        return resource

    # Containers ------------------------------------------------------------------------------
    def bundle(self, resources: Iterable[dict[str, Any]]) -> dict[str, Any]:
        return {
            "resourceType": "Bundle",
            "id": str(uuid.uuid4()),
            "meta": {"lastUpdated": _instant(timezone.now())},
            "type": "collection",
            "timestamp": _instant(timezone.now()),
            "entry": [
                {"fullUrl": self.full_url(r["resourceType"], r["id"]), "resource": r}
                for r in resources
            ],
        }


def _care_plan_of(episode: Episode) -> CarePlan | None:
    try:
        return episode.care_plan
    except CarePlan.DoesNotExist:
        return None


def _observation_id(measure: Assessment) -> str:
    return f"assessment-{measure.pk}"


def patient_bundle(patient_id: int, patients: QuerySet[Patient]) -> dict[str, Any]:
    """The Bundle of one patient taken from ``patients`` (already scoped to the user)."""
    patient = export_queryset(patients.filter(pk=patient_id)).get()
    builder = Builder(mode="bundle")
    return builder.bundle(builder.patient_resources(patient))


def export_ids(patients: QuerySet[Patient]) -> list[int]:
    """The ids of the patients an export streams, in its order (one query)."""
    return list(patients.order_by("pk").values_list("pk", flat=True))


def ndjson_lines(
    patients: QuerySet[Patient], *, batch_size: int = 200, ids: list[int] | None = None
) -> Iterator[bytes]:
    """One resource per line for every patient in ``patients`` (or of ``ids``, from
    ``export_ids``), read in batches (a fixed number of queries per batch). Organizations and
    Practitioners shared by patients appear once."""
    builder = Builder(mode="ndjson")
    emitted: set[tuple[str, str]] = set()
    if ids is None:
        ids = export_ids(patients)
    for start in range(0, len(ids), batch_size):
        chunk = ids[start : start + batch_size]
        batch = export_queryset(Patient.objects.filter(pk__in=chunk).order_by("pk"))
        for patient in batch:
            for resource in builder.patient_resources(patient):
                key = (resource["resourceType"], resource["id"])
                if resource["resourceType"] in ("Organization", "Practitioner"):
                    if key in emitted:
                        continue
                    emitted.add(key)
                yield (
                    json.dumps(resource, separators=(",", ":"), ensure_ascii=False) + "\n"
                ).encode()
