"""A demo-like patient built through the services (used by the FHIR and schemathesis tests)."""

import datetime as dt
from decimal import Decimal
from types import SimpleNamespace
from typing import Any

from django.utils import timezone

from apps.assessments.services import assessment_record
from apps.careplans.models import PlanTemplate
from apps.careplans.services import plan_template_apply
from apps.core.choices import Discipline
from apps.core.dates import clinic_today
from apps.flags.services import flag_acknowledge, flag_resolve, flag_snooze
from apps.medications.services import medication_order_create, medication_review, medication_stop
from apps.messaging.models import Notification
from apps.patients.services import care_team_assign, episode_close, episode_open, patient_create
from apps.scheduling.services import appointment_book
from apps.worklist.services import task_claim, task_complete, task_create
from tests.factories import FlagFactory

CHRONIC = "chronic-multidisciplinary-programme"


def _at(days_ago: int, hour: int = 10) -> dt.datetime:
    day = clinic_today() - dt.timedelta(days=days_ago)
    return timezone.make_aware(dt.datetime.combine(day, dt.time(hour, 0)))


def build_rich_patient(
    team: Any, people: dict[str, Any], *, mrn: str = "RICH-0001"
) -> SimpleNamespace:
    """A demo-like chronic patient built through the services: an earlier closed acute episode,
    a chronic episode with a full care team, a plan from the chronic template, every instrument
    before and after the plan started, medications (an opioid among them), flags in every state,
    tasks and appointments of every status."""
    doctor = people[Discipline.PHYSICIAN]
    today = clinic_today()
    patient = patient_create(
        actor=doctor,
        mrn=mrn,
        first_name="Rosa",
        last_name="Rich",
        date_of_birth=dt.date(1970, 3, 4),
        sex="female",
        email=f"{mrn.lower()}@patient.example",
        phone="+15550100",
        team=team,
        work_status="off_work",
    )
    old = episode_open(
        actor=doctor, patient=patient, onset=today - dt.timedelta(days=400), summary="Acute LBP"
    )
    episode_close(actor=doctor, episode=old, closed_on=today - dt.timedelta(days=380))
    episode = episode_open(
        actor=doctor,
        patient=patient,
        onset=today - dt.timedelta(days=120),
        summary="Chronic mechanical LBP",
    )
    care_team_assign(
        actor=doctor,
        episode=episode,
        clinician=doctor,
        role=Discipline.PHYSICIAN,
        is_lead=True,
        start=episode.onset,
    )
    for discipline in (
        Discipline.PHYSICAL_THERAPIST,
        Discipline.PSYCHOLOGIST,
        Discipline.PAIN_SPECIALIST,
        Discipline.CARE_COORDINATOR,
    ):
        care_team_assign(
            actor=doctor,
            episode=episode,
            clinician=people[discipline],
            role=discipline,
            start=episode.onset,
        )

    def record(
        instrument: str, answers: dict[str, Any], days_ago: int, reported_by: str = "clinician"
    ) -> Any:
        return assessment_record(
            actor=doctor,
            patient=patient,
            instrument=instrument,
            answers=answers,
            episode=episode,
            taken_at=_at(days_ago),
            reported_by=reported_by,
        )

    def legacy(instrument: str, answers: dict[str, Any], days_ago: int) -> Any:
        """A row without a total, stored before incomplete instruments were refused (or
        imported): the export must still describe it (no value, a data-absent reason)."""
        from apps.assessments.models import Assessment

        return Assessment.objects.create(
            patient=patient,
            episode=episode,
            instrument=instrument,
            answers=answers,
            score=None,
            band="",
            self_harm="no" if instrument == "phq9" else "",
            taken_at=_at(days_ago),
            recorded_by=doctor,
        )

    # Baselines, before the plan starts (60 days ago).
    record("nrs", {"value": 8}, 62)
    record("peg", {"pain": 7, "enjoyment": 7, "activity": 7}, 62)
    record("odi", {"sections": [3, 2, 3, 2, 3, 2, 2, None, 2, 2]}, 62)
    record(
        "start_back",
        {
            "agree": [True, True, False, True, True, True, False, True],
            "bothersomeness": "very_much",
        },
        62,
    )
    record("phq9", {"items": [2, 2, 1, 1, 1, 1, 1, 0, 1]}, 62)
    record("gad7", {"items": [2, 1, 1, 1, 1, 0, 0]}, 62)
    record("sleep", {"value": 3}, 62, reported_by="patient")
    record("work_status", {"status": "off_work"}, 62)
    plan = plan_template_apply(
        actor=doctor,
        episode=episode,
        template=PlanTemplate.objects.get(slug=CHRONIC),
        start_date=today - dt.timedelta(days=60),
    )
    # Follow-ups: PEG improving (21 → 12), ODI worse, PHQ-9 with item 9 missing.
    record("nrs", {"value": 5}, 20, reported_by="patient")
    record("peg", {"pain": 4, "enjoyment": 4, "activity": 4}, 10, reported_by="patient")
    record("odi", {"sections": [4, 3, 4, 3, 4, 3, 3, 2, 3, 3]}, 10)
    legacy("odi", {"sections": [1, None, None, 1, None, 1, 1, None, 1, 1]}, 9)  # unscorable
    record("phq9", {"items": [1, 1, 1, 1, 1, 0, 0, 0, None]}, 10)
    legacy("phq9", {"items": [None, None, None, 1, 1, 0, 0, 0, 0]}, 8)  # no total
    record("gad7", {"items": [1, 1, 1, 1, 0, 0, 0]}, 10)
    record("sleep", {"value": 6}, 10, reported_by="patient")
    record("start_back", {"agree": [False] * 8, "bothersomeness": "not_at_all"}, 10)
    record("work_status", {"status": "modified_duty"}, 5)

    celecoxib = medication_order_create(
        actor=doctor,
        episode=episode,
        drug="celecoxib",
        drug_class="cox2_inhibitor",
        dose=Decimal("200"),
        frequency="once daily",
        daily_dose=Decimal("200"),
        start_date=today - dt.timedelta(days=60),
        indication="Pain",
    )
    medication_order_create(
        actor=doctor,
        episode=episode,
        drug="doxepin",
        drug_class="tricyclic",
        dose=Decimal("10"),
        frequency="at night",
        daily_dose=Decimal("10"),
        start_date=today - dt.timedelta(days=50),
    )
    medication_order_create(
        actor=doctor,
        episode=episode,
        drug="gabapentin",
        drug_class="anticonvulsant",
        dose=Decimal("300"),
        frequency="three times daily",
        daily_dose=Decimal("900"),
        start_date=today - dt.timedelta(days=40),
    )
    opioid = medication_order_create(
        actor=doctor,
        episode=episode,
        drug="oxycodone ER",
        drug_class="opioid_long",
        opioid="oxycodone",
        dose=Decimal("20"),
        frequency="twice daily",
        daily_dose=Decimal("40"),
        start_date=today - dt.timedelta(days=30),
    )
    medication_review(
        actor=doctor, order=opioid, reviewed_on=today - dt.timedelta(days=3), naloxone_offered=True
    )
    medication_stop(actor=doctor, order=celecoxib, stop_date=today - dt.timedelta(days=1))

    open_flag = FlagFactory(
        patient=patient,
        episode=episode,
        rule_code="stalled_recovery",
        severity="warning",
        summary="Recovery stalled",
    )
    acked = FlagFactory(
        patient=patient,
        episode=episode,
        rule_code="opioid_review_due",
        severity="warning",
        summary="Opioid review due",
    )
    flag_acknowledge(actor=doctor, flag=acked)
    snoozed = FlagFactory(
        patient=patient,
        episode=episode,
        rule_code="sleep_disruption",
        severity="info",
        summary="Poor sleep",
    )
    flag_snooze(actor=doctor, flag=snoozed, until=today + dt.timedelta(days=7))
    resolved = FlagFactory(
        patient=patient,
        episode=episode,
        rule_code="self_harm_risk",
        severity="urgent",
        summary="PHQ-9 item 9",
    )
    flag_task = task_create(
        actor=doctor,
        team=team,
        patient=patient,
        episode=episode,
        title="Safety plan",
        reason="PHQ-9 item 9",
        due_on=today,
        discipline=Discipline.PSYCHOLOGIST,
        priority="urgent",
        source="flag",
        flag=resolved,
    )
    flag_resolve(actor=doctor, flag=resolved, note="Safety plan agreed with the psychologist.")

    claimed = task_create(
        actor=doctor,
        team=team,
        patient=patient,
        episode=episode,
        title="Call about sleep",
        reason="Poor sleep",
        due_on=today + dt.timedelta(days=2),
        discipline=Discipline.CARE_COORDINATOR,
    )
    task_claim(actor=people[Discipline.CARE_COORDINATOR], task=claimed)
    done = task_create(
        actor=doctor,
        team=team,
        patient=patient,
        title="Send exercise sheet",
        reason="Home programme",
        due_on=today - dt.timedelta(days=2),
        assignee=people[Discipline.PHYSICAL_THERAPIST],
    )
    task_complete(actor=people[Discipline.PHYSICAL_THERAPIST], task=done)

    pt = people[Discipline.PHYSICAL_THERAPIST]
    appointments = [
        appointment_book(
            actor=doctor,
            patient=patient,
            episode=episode,
            clinician=pt,
            discipline=pt.discipline,
            kind="pt_visit",
            starts_at=_at(-3, 9),
            location="Gym 2",
        ),
        appointment_book(
            actor=doctor,
            patient=patient,
            episode=episode,
            clinician=pt,
            discipline=pt.discipline,
            kind="pt_visit",
            starts_at=_at(14, 9),
            status="fulfilled",
            notes="Progressed squats",
        ),
        appointment_book(
            actor=doctor,
            patient=patient,
            episode=episode,
            clinician=doctor,
            discipline=doctor.discipline,
            kind="physician_visit",
            starts_at=_at(21, 11),
            status="noshow",
        ),
        appointment_book(
            actor=doctor,
            patient=patient,
            episode=episode,
            clinician=None,
            discipline=Discipline.PSYCHOLOGIST,
            kind="psychology_session",
            starts_at=_at(7, 15),
            status="cancelled",
        ),
        appointment_book(
            actor=doctor,
            patient=patient,
            episode=old,
            clinician=doctor,
            discipline=doctor.discipline,
            kind="physician_visit",
            starts_at=_at(390, 10),
            status="arrived",
        ),
    ]
    Notification.objects.create(
        recipient=doctor,
        patient=patient,
        kind="urgent_flag",
        title="Urgent flag",
        idempotency_key=f"n-{mrn}",
    )
    return SimpleNamespace(
        patient=patient,
        episode=episode,
        old_episode=old,
        plan=plan,
        opioid=opioid,
        flags=[open_flag, acked, snoozed, resolved],
        tasks=[flag_task, claimed, done],
        appointments=appointments,
    )
