"""Rules the database itself enforces, and the clear messages the services give for them.

Each rule is checked twice: through the service (or ``full_clean``), where the user gets a
message next to the field, and at the database, where a bypassing write is refused
(``IntegrityError``) so that no code path can store bad data.
"""

import datetime as dt
from contextlib import contextmanager
from decimal import Decimal

import pytest
from django.core.exceptions import NON_FIELD_ERRORS, ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone

from apps.assessments.models import Assessment
from apps.core.choices import Discipline
from apps.core.dates import clinic_today
from apps.flags.models import Flag, FlagStatus
from apps.medications.models import MedicationOrder
from apps.medications.services import medication_order_create
from apps.patients.models import CareTeamMember, Episode, Patient
from apps.patients.services import care_team_assign, episode_close, patient_create
from apps.worklist.models import Task
from apps.worklist.services import task_create
from tests.factories import (
    CareTeamMemberFactory,
    ClinicianFactory,
    EpisodeFactory,
    FlagFactory,
    PatientFactory,
    TeamMembershipFactory,
)

pytestmark = pytest.mark.django_db


def _patient_fields(team, **overrides):
    fields = {
        "mrn": "MRN-0001",
        "first_name": "Ada",
        "last_name": "Lovelace",
        "date_of_birth": dt.date(1980, 1, 31),
        "team": team,
    }
    return {**fields, **overrides}


@contextmanager
def _db_refuses():
    """The database refuses the write. The savepoint keeps PostgreSQL's test transaction
    usable after the refused statement."""
    with pytest.raises(IntegrityError), transaction.atomic():
        yield


# --- Patient --------------------------------------------------------------------------------


def test_it_refuses_a_duplicate_mrn(clinician_on_team, team):
    patient_create(actor=clinician_on_team, **_patient_fields(team))

    with pytest.raises(ValidationError) as caught:
        patient_create(actor=clinician_on_team, **_patient_fields(team, first_name="Other"))

    assert caught.value.message_dict == {"mrn": ["Patient with this MRN already exists."]}
    assert Patient.objects.filter(mrn="MRN-0001").count() == 1


def test_the_database_refuses_a_duplicate_mrn(team):
    PatientFactory(team=team, mrn="MRN-0001")

    with _db_refuses():
        PatientFactory(team=team, mrn="MRN-0001")


def test_it_refuses_quiet_hours_with_a_start_but_no_end(clinician_on_team, team):
    with pytest.raises(ValidationError) as caught:
        patient_create(
            actor=clinician_on_team, **_patient_fields(team, quiet_hours_start=dt.time(21, 0))
        )

    assert caught.value.message_dict[NON_FIELD_ERRORS] == [
        "Give both the start and the end of quiet hours, or neither."
    ]
    assert not Patient.objects.exists()


def test_the_database_refuses_quiet_hours_with_an_end_but_no_start(team):
    with _db_refuses():
        PatientFactory(team=team, quiet_hours_end=dt.time(7, 0))


def test_quiet_hours_with_both_ends_are_kept(clinician_on_team, team):
    patient = patient_create(
        actor=clinician_on_team,
        **_patient_fields(team, quiet_hours_start=dt.time(21, 0), quiet_hours_end=dt.time(7, 0)),
    )

    patient.refresh_from_db()
    assert (patient.quiet_hours_start, patient.quiet_hours_end) == (dt.time(21), dt.time(7))


def test_it_refuses_an_unknown_time_zone_with_a_clear_message(clinician_on_team, team):
    with pytest.raises(ValidationError) as caught:
        patient_create(actor=clinician_on_team, **_patient_fields(team, timezone="Mars/Olympus"))

    assert caught.value.message_dict == {
        "timezone": ["“Mars/Olympus” is not a known time zone, e.g. America/New_York."]
    }


@pytest.mark.parametrize("tz", ["../etc/passwd", "", "America/"], ids=repr)
def test_it_refuses_time_zone_text_that_is_not_a_zone(clinician_on_team, team, tz):
    with pytest.raises(ValidationError) as caught:
        patient_create(actor=clinician_on_team, **_patient_fields(team, timezone=tz))

    assert "timezone" in caught.value.message_dict


def test_it_refuses_a_date_of_birth_in_the_future(clinician_on_team, team):
    tomorrow = clinic_today() + dt.timedelta(days=1)

    with pytest.raises(ValidationError) as caught:
        patient_create(actor=clinician_on_team, **_patient_fields(team, date_of_birth=tomorrow))

    assert caught.value.message_dict == {
        "date_of_birth": ["Date of birth cannot be in the future."]
    }
    assert not Patient.objects.exists()


def test_a_baby_born_today_is_accepted(clinician_on_team, team):
    patient = patient_create(
        actor=clinician_on_team, **_patient_fields(team, date_of_birth=clinic_today())
    )

    assert patient.age_on() == 0


# --- Assessment score range -------------------------------------------------------------------


def _nrs_row(patient, score):
    return Assessment(
        patient=patient, instrument="nrs", answers={"value": 11}, score=Decimal(score)
    )


def test_the_database_refuses_a_pain_score_above_10(patient):
    with _db_refuses():
        _nrs_row(patient, "11").save()


def test_the_database_refuses_a_negative_score(patient):
    with _db_refuses():
        _nrs_row(patient, "-1").save()


def test_full_clean_refuses_a_pain_score_above_10_with_the_constraints_message(patient):
    with pytest.raises(ValidationError) as caught:
        _nrs_row(patient, "11").full_clean()

    assert caught.value.message_dict[NON_FIELD_ERRORS] == [
        "The score is outside the instrument's range."
    ]


def test_a_score_valid_for_one_instrument_is_refused_for_a_narrower_one(patient):
    # 27 is a valid PHQ-9 total but not a GAD-7 one (0-21).
    Assessment.objects.create(
        patient=patient, instrument="phq9", answers={"items": [3] * 9}, score=Decimal("27")
    )
    with _db_refuses():
        Assessment.objects.create(
            patient=patient, instrument="gad7", answers={"items": [3] * 7}, score=Decimal("27")
        )


def test_the_database_refuses_a_start_back_subscale_above_5(patient):
    with _db_refuses():
        Assessment.objects.create(
            patient=patient,
            instrument="start_back",
            answers={},
            score=Decimal("9"),
            subscore=Decimal("6"),
        )


def test_a_work_status_assessment_has_no_score(patient):
    with _db_refuses():
        Assessment.objects.create(
            patient=patient,
            instrument="work_status",
            answers={"status": "working"},
            score=Decimal("1"),
        )


# --- Medication --------------------------------------------------------------------------------


def test_it_refuses_a_medication_that_stops_before_it_starts(clinician_on_team, patient):
    episode = EpisodeFactory(patient=patient)

    with pytest.raises(ValidationError) as caught:
        medication_order_create(
            actor=clinician_on_team,
            episode=episode,
            drug="celecoxib",
            drug_class="cox2_inhibitor",
            dose=Decimal("200"),
            frequency="once daily",
            daily_dose=Decimal("200"),
            start_date=episode.onset + dt.timedelta(days=2),
            stop_date=episode.onset + dt.timedelta(days=1),
        )

    assert caught.value.message_dict[NON_FIELD_ERRORS] == [
        "A medication cannot stop before it starts."
    ]
    assert not MedicationOrder.objects.exists()


def test_the_database_refuses_a_medication_that_stops_before_it_starts(patient):
    episode = EpisodeFactory(patient=patient)

    with _db_refuses():
        MedicationOrder.objects.create(
            episode=episode,
            drug="celecoxib",
            drug_class="cox2_inhibitor",
            dose=Decimal("200"),
            frequency="once daily",
            daily_dose=Decimal("200"),
            start_date=dt.date(2024, 3, 10),
            stop_date=dt.date(2024, 3, 9),
        )


def test_the_database_refuses_an_opioid_without_its_substance(patient):
    episode = EpisodeFactory(patient=patient)

    with _db_refuses():
        MedicationOrder.objects.create(
            episode=episode,
            drug="OxyContin",
            drug_class="opioid_long",
            dose=Decimal("10"),
            frequency="twice daily",
            daily_dose=Decimal("20"),
        )


def test_the_database_refuses_a_zero_dose(patient):
    episode = EpisodeFactory(patient=patient)

    with _db_refuses():
        MedicationOrder.objects.create(
            episode=episode,
            drug="celecoxib",
            drug_class="cox2_inhibitor",
            dose=Decimal("0"),
            frequency="once daily",
            daily_dose=Decimal("0"),
        )


# --- Episode -----------------------------------------------------------------------------------


def test_it_refuses_to_close_an_episode_before_its_onset(clinician_on_team, patient):
    episode = EpisodeFactory(patient=patient, onset=clinic_today() - dt.timedelta(days=10))

    with pytest.raises(ValidationError) as caught:
        episode_close(
            actor=clinician_on_team, episode=episode, closed_on=episode.onset - dt.timedelta(1)
        )

    assert caught.value.message_dict[NON_FIELD_ERRORS] == [
        "The episode cannot close before its onset."
    ]
    episode.refresh_from_db()
    assert episode.status == "active"
    assert episode.closed_on is None


def test_the_database_refuses_an_episode_closed_before_onset(patient):
    with _db_refuses():
        Episode.objects.create(
            patient=patient,
            onset=dt.date(2024, 3, 10),
            status="closed",
            closed_on=dt.date(2024, 3, 9),
        )


def test_the_database_refuses_a_closed_episode_without_a_closing_date(patient):
    with _db_refuses():
        Episode.objects.create(patient=patient, onset=dt.date(2024, 3, 10), status="closed")


# --- Care team ---------------------------------------------------------------------------------


def test_a_care_team_cannot_have_two_current_leads(clinician_on_team, patient):
    episode = EpisodeFactory(patient=patient)
    CareTeamMemberFactory(episode=episode, clinician=clinician_on_team, is_lead=True)
    nurse = ClinicianFactory(discipline=Discipline.NURSE)

    second = CareTeamMember(episode=episode, clinician=nurse, role="nurse", is_lead=True)
    with pytest.raises(ValidationError) as caught:
        second.full_clean()
    assert caught.value.message_dict[NON_FIELD_ERRORS] == ["This care team already has a lead."]

    with _db_refuses():
        second.save()


def test_a_former_lead_does_not_block_a_new_one(clinician_on_team, patient):
    episode = EpisodeFactory(patient=patient, onset=clinic_today() - dt.timedelta(days=30))
    CareTeamMemberFactory(
        episode=episode,
        clinician=clinician_on_team,
        is_lead=True,
        end=clinic_today() - dt.timedelta(days=1),
    )

    CareTeamMemberFactory(episode=episode, clinician=ClinicianFactory(), is_lead=True)

    assert episode.care_team.filter(is_lead=True).count() == 2


def test_assigning_a_new_lead_demotes_the_previous_one(clinician_on_team, team, patient):
    episode = EpisodeFactory(patient=patient)
    old_lead = care_team_assign(
        actor=clinician_on_team,
        episode=episode,
        clinician=clinician_on_team,
        role=Discipline.PHYSICIAN,
        is_lead=True,
    )
    therapist = ClinicianFactory(discipline=Discipline.PHYSICAL_THERAPIST)
    TeamMembershipFactory(team=team, clinician=therapist)

    new_lead = care_team_assign(
        actor=clinician_on_team,
        episode=episode,
        clinician=therapist,
        role=Discipline.PHYSICAL_THERAPIST,
        is_lead=True,
    )

    old_lead.refresh_from_db()
    assert old_lead.is_lead is False
    assert old_lead.end is None  # still on the care team, just no longer its lead
    assert list(episode.care_team.filter(is_lead=True)) == [new_lead]


# --- Flags -------------------------------------------------------------------------------------


def test_a_patient_cannot_have_two_open_flags_for_the_same_rule(patient):
    FlagFactory(patient=patient, rule_code="no_improvement_day7")
    second = Flag(
        patient=patient, rule_code="no_improvement_day7", severity="warning", summary="again"
    )

    with pytest.raises(ValidationError) as caught:
        second.full_clean()
    assert caught.value.message_dict[NON_FIELD_ERRORS] == [
        "This patient already has an open flag for this rule."
    ]

    with _db_refuses():
        second.save()


@pytest.mark.parametrize("status", [FlagStatus.ACKNOWLEDGED, FlagStatus.SNOOZED])
def test_an_acknowledged_or_snoozed_flag_still_counts_as_open(patient, status):
    FlagFactory(
        patient=patient,
        rule_code="no_improvement_day7",
        status=status,
        snoozed_until=clinic_today() + dt.timedelta(days=3),
    )

    with _db_refuses():
        FlagFactory(patient=patient, rule_code="no_improvement_day7")


def test_a_new_flag_is_allowed_once_the_first_is_resolved(patient):
    first = FlagFactory(patient=patient, rule_code="no_improvement_day7")
    first.status = FlagStatus.RESOLVED
    first.resolved_at = timezone.now()
    first.save()

    again = FlagFactory(patient=patient, rule_code="no_improvement_day7")

    assert again.status == FlagStatus.OPEN
    assert patient.flags.count() == 2


def test_the_same_rule_may_be_open_for_two_patients(patient, team):
    FlagFactory(patient=patient, rule_code="no_improvement_day7")
    FlagFactory(patient=PatientFactory(team=team), rule_code="no_improvement_day7")

    assert Flag.objects.filter(rule_code="no_improvement_day7").count() == 2


def test_a_snoozed_flag_needs_the_date_the_snooze_ends(patient):
    with _db_refuses():
        FlagFactory(patient=patient, status=FlagStatus.SNOOZED, snoozed_until=None)


# --- Tasks -------------------------------------------------------------------------------------


def test_it_refuses_a_task_with_neither_an_assignee_nor_a_discipline(clinician_on_team, team):
    with pytest.raises(ValidationError) as caught:
        task_create(
            actor=clinician_on_team,
            team=team,
            title="Call the patient",
            reason="Missed visit",
            due_on=clinic_today(),
        )

    assert caught.value.message_dict[NON_FIELD_ERRORS] == [
        "Assign the task to a person or to a discipline's queue."
    ]
    assert not Task.objects.exists()


def test_the_database_refuses_an_ownerless_task(team):
    with _db_refuses():
        Task.objects.create(team=team, title="Call", reason="Missed visit", due_on=clinic_today())
