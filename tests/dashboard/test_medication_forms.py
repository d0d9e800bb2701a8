"""Adding, changing and reviewing a medication: through the medication services, daily MME
computed by the scoring module, errors next to the field, off-team orders are a 404."""

from decimal import Decimal

import pytest
from django.urls import reverse

from apps.core.dates import clinic_today
from apps.medications.models import MedicationOrder
from tests.factories import EpisodeFactory, MedicationOrderFactory, PatientFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def episode(team):
    return EpisodeFactory(patient=PatientFactory(team=team))


def data(**overrides):
    base = {
        "drug": "oxycodone ER",
        "drug_class": "opioid_long",
        "opioid": "oxycodone",
        "dose": "20",
        "dose_unit": "mg",
        "frequency": "twice daily",
        "daily_dose": "40",
        "start_date": clinic_today().isoformat(),
        "stop_date": "",
        "indication": "chronic low back pain",
    }
    return base | overrides


def test_login_required(client, episode):
    response = client.get(reverse("dashboard:medication_new", args=[episode.patient.pk]))
    assert response.status_code == 302 and response["Location"].startswith(reverse("login"))


def test_add_an_opioid_computes_its_daily_mme(logged_in, episode, clinician_on_team):
    response = logged_in.post(
        reverse("dashboard:medication_new", args=[episode.patient.pk]), data()
    )

    assert response.status_code == 302
    order = MedicationOrder.objects.get()
    assert order.daily_mme == Decimal("60.00") and order.prescriber == clinician_on_team
    assert "60 MME/day" in logged_in.get(response["Location"]).content.decode()


def test_an_opioid_without_its_substance_is_refused_next_to_the_field(logged_in, episode):
    response = logged_in.post(
        reverse("dashboard:medication_new", args=[episode.patient.pk]), data(opioid="", dose="15")
    )

    html = response.content.decode()
    assert response.status_code == 200
    assert 'id="id_opioid_error"' in html and "Choose the opioid substance" in html
    assert 'value="15"' in html and 'value="oxycodone ER"' in html
    assert not MedicationOrder.objects.exists()


def test_a_service_validation_error_lands_on_its_field_not_a_500(logged_in, episode, monkeypatch):
    from django.core.exceptions import ValidationError

    def refuse(**kwargs):
        raise ValidationError({"daily_dose": "Check the daily dose.", "__all__": "Not saved."})

    monkeypatch.setattr("apps.dashboard.views.records.medication_order_create", refuse)
    response = logged_in.post(
        reverse("dashboard:medication_new", args=[episode.patient.pk]), data()
    )

    html = response.content.decode()
    assert response.status_code == 200
    assert 'id="id_daily_dose_error"' in html and "Check the daily dose." in html
    assert "Not saved." in html and 'value="40"' in html
    assert not MedicationOrder.objects.exists()


def test_no_active_episode_says_so(logged_in, team):
    patient = PatientFactory(team=team)
    response = logged_in.post(reverse("dashboard:medication_new", args=[patient.pk]), data())
    assert response.status_code == 200
    assert "no active episode" in response.content.decode()
    assert not MedicationOrder.objects.exists()


def test_change_a_dose(logged_in, episode):
    order = MedicationOrderFactory(
        episode=episode, drug="celecoxib", daily_dose=Decimal("200"), dose=Decimal("200")
    )
    edit = reverse("dashboard:medication_edit", args=[order.pk])
    assert 'value="celecoxib"' in logged_in.get(edit).content.decode()

    response = logged_in.post(
        edit,
        data(
            drug="celecoxib",
            drug_class="cox2_inhibitor",
            opioid="",
            dose="200",
            daily_dose="400",
            start_date=order.start_date.isoformat(),
            frequency="twice daily",
        ),
    )

    assert response.status_code == 302
    order.refresh_from_db()
    assert order.daily_dose == Decimal("400") and order.dose_changed_on == clinic_today()


def test_review_an_opioid_and_offer_naloxone(logged_in, episode):
    order = MedicationOrderFactory(
        episode=episode,
        drug="morphine ER",
        drug_class="opioid_long",
        opioid="morphine",
        daily_dose=Decimal("60"),
    )
    response = logged_in.post(
        reverse("dashboard:medication_review", args=[order.pk]),
        {"reviewed_on": clinic_today().isoformat(), "naloxone_offered": "on"},
    )
    assert response.status_code == 302
    order.refresh_from_db()
    assert order.last_reviewed_on == clinic_today() and order.naloxone_offered_on == clinic_today()


def test_a_review_before_the_start_maps_onto_the_date_field(logged_in, episode):
    order = MedicationOrderFactory(episode=episode, start_date=clinic_today())
    earlier = (clinic_today() - __import__("datetime").timedelta(days=3)).isoformat()
    response = logged_in.post(
        reverse("dashboard:medication_review", args=[order.pk]), {"reviewed_on": earlier}
    )
    html = response.content.decode()
    assert response.status_code == 200
    assert 'id="id_reviewed_on_error"' in html and "cannot come before the start date" in html
    order.refresh_from_db()
    assert order.last_reviewed_on is None


def test_another_teams_order_is_404(client, clinician_off_team, episode):
    order = MedicationOrderFactory(episode=episode)
    client.force_login(clinician_off_team)
    assert client.get(reverse("dashboard:medication_edit", args=[order.pk])).status_code == 404
    assert (
        client.post(
            reverse("dashboard:medication_review", args=[order.pk]),
            {"reviewed_on": clinic_today().isoformat()},
        ).status_code
        == 404
    )
    assert (
        client.post(
            reverse("dashboard:medication_new", args=[episode.patient.pk]), data()
        ).status_code
        == 404
    )
    order.refresh_from_db()
    assert order.last_reviewed_on is None


def test_opening_the_medication_edit_form_is_audited_once_naming_the_patient(
    client, clinician_on_team, episode
):
    from apps.audit.models import AuditEvent

    order = MedicationOrderFactory(episode=episode)
    client.force_login(clinician_on_team)
    assert client.get(reverse("dashboard:medication_edit", args=[order.pk])).status_code == 200
    reads = AuditEvent.objects.filter(action="view")
    assert [(e.actor, e.patient, e.object_type, e.object_id) for e in reads] == [
        (clinician_on_team, episode.patient, "medications.medicationorder", str(order.pk))
    ]
