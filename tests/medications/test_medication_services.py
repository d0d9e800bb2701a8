"""Medication orders (apps.medications.services).

Opioids are monitored in morphine milligram equivalents per day (CDC 2022 factors, computed by
apps.clinical.scoring); a dose increase restarts the review clock; reviews record when the
order was last reviewed and when naloxone was offered.
"""

import datetime as dt
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError

from apps.audit.models import AuditEvent
from apps.core.dates import clinic_today
from apps.medications.models import MedicationOrder
from apps.medications.services import (
    medication_order_create,
    medication_order_update,
    medication_review,
    medication_stop,
)
from tests.factories import EpisodeFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def episode(patient):
    return EpisodeFactory(patient=patient, onset=clinic_today() - dt.timedelta(days=60))


def _opioid(actor, episode, *, opioid="oxycodone", daily_dose="30", **extra):
    fields = {
        "drug": opioid,
        "drug_class": "opioid_short",
        "opioid": opioid,
        "dose": Decimal(daily_dose) / 2,
        "frequency": "twice daily",
        "daily_dose": Decimal(daily_dose),
        "start_date": clinic_today() - dt.timedelta(days=30),
        **extra,
    }
    return medication_order_create(actor=actor, episode=episode, **fields)


def _celecoxib(actor, episode, **extra):
    fields = {
        "drug": "celecoxib",
        "drug_class": "cox2_inhibitor",
        "dose": Decimal("200"),
        "frequency": "once daily",
        "daily_dose": Decimal("200"),
        "start_date": clinic_today() - dt.timedelta(days=30),
        **extra,
    }
    return medication_order_create(actor=actor, episode=episode, **fields)


# --- Daily MME ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("opioid", "daily_dose", "mme"),
    [
        ("oxycodone", "30", "45"),
        ("hydrocodone", "20", "20"),
        ("morphine", "45", "45"),
        ("hydromorphone", "12", "60"),  # CDC 2022 factor 5 (not the 2016 factor 4)
        ("methadone", "10", "47"),  # CDC 2022 factor 4.7 (not the 2016 tiers)
        ("tramadol", "200", "40"),
        ("tapentadol", "100", "40"),
        ("codeine", "120", "18"),
        ("oxymorphone", "20", "60"),
        ("fentanyl_patch", "25", "60"),  # mcg/hr x 2.4
    ],
)
def test_daily_mme_uses_the_cdc_2022_factors(clinician_on_team, episode, opioid, daily_dose, mme):
    order = _opioid(clinician_on_team, episode, opioid=opioid, daily_dose=daily_dose)

    order.refresh_from_db()
    assert order.daily_mme == Decimal(mme)
    assert order.is_opioid


def test_a_non_opioid_has_no_mme(clinician_on_team, episode):
    order = _celecoxib(clinician_on_team, episode)

    order.refresh_from_db()
    assert order.daily_mme is None
    assert not order.is_opioid


def test_a_non_opioid_does_not_keep_a_stray_opioid_substance(clinician_on_team, episode):
    order = _celecoxib(clinician_on_team, episode, opioid="oxycodone")

    assert order.opioid == ""
    assert order.daily_mme is None


def test_an_opioid_without_its_substance_is_refused_on_opioid(clinician_on_team, episode):
    with pytest.raises(ValidationError) as caught:
        _opioid(clinician_on_team, episode, opioid="")

    assert caught.value.message_dict == {
        "opioid": ["Choose the opioid substance so its MME can be computed."]
    }
    assert not MedicationOrder.objects.exists()


def test_a_daily_dose_that_is_not_a_number_is_refused_not_a_crash(clinician_on_team, episode):
    with pytest.raises(ValidationError) as caught:
        medication_order_create(
            actor=clinician_on_team,
            episode=episode,
            drug="oxycodone",
            drug_class="opioid_short",
            opioid="oxycodone",
            dose=Decimal("15"),
            frequency="twice daily",
            daily_dose="thirty",
        )

    assert "daily_dose" in caught.value.message_dict
    assert not MedicationOrder.objects.exists()


def test_an_opioid_order_names_its_prescriber(clinician_on_team, episode):
    order = _opioid(clinician_on_team, episode)

    assert order.prescriber == clinician_on_team


def test_it_refuses_a_prescriber_from_outside_the_patients_team(
    clinician_on_team, clinician_off_team, episode
):
    with pytest.raises(ValidationError) as caught:
        _celecoxib(clinician_on_team, episode, prescriber=clinician_off_team)

    assert caught.value.message_dict == {
        "prescriber": ["The prescriber must be a member of the patient's team."]
    }
    assert not MedicationOrder.objects.exists()


def test_it_refuses_changing_the_prescriber_to_another_teams_clinician(
    clinician_on_team, clinician_off_team, episode
):
    order = _opioid(clinician_on_team, episode)

    with pytest.raises(ValidationError) as caught:
        medication_order_update(actor=clinician_on_team, order=order, prescriber=clinician_off_team)

    assert list(caught.value.message_dict) == ["prescriber"]
    order.refresh_from_db()
    assert order.prescriber == clinician_on_team


def test_an_opioid_entered_by_someone_off_the_team_does_not_name_them_prescriber(admin, episode):
    order = _opioid(admin, episode)

    assert order.prescriber is None


def test_creating_an_order_is_audited(clinician_on_team, episode):
    order = _opioid(clinician_on_team, episode)

    event = AuditEvent.objects.get(action="create")
    assert (event.object_type, event.object_id) == ("medications.medicationorder", str(order.pk))
    assert event.patient == episode.patient
    assert event.actor == clinician_on_team


# --- Dose changes ------------------------------------------------------------------------------


def test_a_dose_increase_restarts_the_review_clock(clinician_on_team, episode):
    order = _opioid(clinician_on_team, episode, daily_dose="30")

    medication_order_update(
        actor=clinician_on_team, order=order, dose=Decimal("20"), daily_dose=Decimal("40")
    )

    order.refresh_from_db()
    assert order.dose_changed_on == clinic_today()
    assert order.daily_mme == Decimal("60")


def test_a_dose_decrease_does_not_restart_the_review_clock(clinician_on_team, episode):
    order = _opioid(clinician_on_team, episode, daily_dose="30")

    medication_order_update(
        actor=clinician_on_team, order=order, dose=Decimal("10"), daily_dose=Decimal("20")
    )

    order.refresh_from_db()
    assert order.dose_changed_on is None
    assert order.daily_mme == Decimal("30")


def test_the_same_dose_changes_nothing(clinician_on_team, episode):
    order = _opioid(clinician_on_team, episode, daily_dose="30")

    medication_order_update(actor=clinician_on_team, order=order, daily_dose=Decimal("30"))

    order.refresh_from_db()
    assert order.dose_changed_on is None
    assert not AuditEvent.objects.filter(action="update").exists()


def test_switching_to_a_more_potent_opioid_is_an_escalation(clinician_on_team, episode):
    order = _opioid(clinician_on_team, episode, opioid="morphine", daily_dose="30")

    medication_order_update(
        actor=clinician_on_team, order=order, drug="hydromorphone", opioid="hydromorphone"
    )

    order.refresh_from_db()
    assert order.daily_mme == Decimal("150")
    assert order.dose_changed_on == clinic_today()


def test_more_mg_of_a_weaker_opioid_is_not_an_escalation(clinician_on_team, episode):
    order = _opioid(clinician_on_team, episode, opioid="oxycodone", daily_dose="30")  # 45 MME

    medication_order_update(
        actor=clinician_on_team,
        order=order,
        drug="tramadol",
        opioid="tramadol",
        dose=Decimal("50"),
        daily_dose=Decimal("200"),
    )  # 40 MME

    order.refresh_from_db()
    assert order.daily_mme == Decimal("40")
    assert order.dose_changed_on is None


def test_an_update_audits_the_changed_field_names(clinician_on_team, episode):
    order = _opioid(clinician_on_team, episode, daily_dose="30")

    medication_order_update(actor=clinician_on_team, order=order, daily_dose=Decimal("40"))

    event = AuditEvent.objects.get(action="update")
    assert event.changed_fields == ["daily_dose", "daily_mme", "dose_changed_on"]


def test_an_invalid_update_leaves_the_order_as_it_was(clinician_on_team, episode):
    order = _opioid(clinician_on_team, episode, daily_dose="30")

    with pytest.raises(ValidationError):
        medication_order_update(
            actor=clinician_on_team, order=order, stop_date=order.start_date - dt.timedelta(1)
        )

    assert order.stop_date is None
    order.refresh_from_db()
    assert order.stop_date is None


# --- Reviews -----------------------------------------------------------------------------------


def test_a_review_records_its_date(clinician_on_team, episode):
    order = _opioid(clinician_on_team, episode)

    medication_review(actor=clinician_on_team, order=order)

    order.refresh_from_db()
    assert order.last_reviewed_on == clinic_today()
    assert order.naloxone_offered_on is None


def test_a_review_that_offers_naloxone_records_when(clinician_on_team, episode):
    order = _opioid(clinician_on_team, episode, daily_dose="40")  # 60 MME: offer naloxone
    reviewed = clinic_today() - dt.timedelta(days=2)

    medication_review(
        actor=clinician_on_team, order=order, reviewed_on=reviewed, naloxone_offered=True
    )

    order.refresh_from_db()
    assert order.last_reviewed_on == reviewed
    assert order.naloxone_offered_on == reviewed
    assert order.naloxone_offered


def test_a_later_review_keeps_the_first_naloxone_offer_date(clinician_on_team, episode):
    order = _opioid(clinician_on_team, episode, daily_dose="40")
    first = clinic_today() - dt.timedelta(days=10)
    medication_review(
        actor=clinician_on_team, order=order, reviewed_on=first, naloxone_offered=True
    )

    medication_review(actor=clinician_on_team, order=order, naloxone_offered=True)

    order.refresh_from_db()
    assert order.last_reviewed_on == clinic_today()
    assert order.naloxone_offered_on == first


def test_a_review_before_the_start_date_is_refused(clinician_on_team, episode):
    order = _opioid(clinician_on_team, episode)

    with pytest.raises(ValidationError) as caught:
        medication_review(
            actor=clinician_on_team,
            order=order,
            reviewed_on=order.start_date - dt.timedelta(days=1),
        )

    assert caught.value.message_dict == {
        "last_reviewed_on": ["A review cannot come before the start date."]
    }
    order.refresh_from_db()
    assert order.last_reviewed_on is None


def test_stopping_an_order_records_the_stop_date(clinician_on_team, episode):
    order = _celecoxib(clinician_on_team, episode)

    medication_stop(actor=clinician_on_team, order=order)

    order.refresh_from_db()
    assert order.stop_date == clinic_today()
    assert not order.is_active_on(clinic_today() + dt.timedelta(days=1))
    assert MedicationOrder.objects.active_on(clinic_today() + dt.timedelta(days=1)).count() == 0
