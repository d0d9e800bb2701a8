"""Field history of clinical records (django-simple-history): who changed what, in admin."""

import datetime as dt
from decimal import Decimal

import pytest
from django.urls import reverse

from apps.medications.services import medication_order_create, medication_order_update
from tests.factories import EpisodeFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def order(clinician_on_team, patient):
    episode = EpisodeFactory(patient=patient, onset=dt.date.today() - dt.timedelta(days=40))
    return medication_order_create(
        actor=clinician_on_team,
        episode=episode,
        drug="gabapentin",
        drug_class="anticonvulsant",
        dose=Decimal(300),
        frequency="three times daily",
        daily_dose=Decimal(900),
        start_date=episode.onset,
    )


def test_a_medication_change_is_kept_field_by_field_and_shown_in_admin(client, admin, order):
    client.force_login(admin)
    medication_order_update(actor=admin, order=order, daily_dose=Decimal(1200), dose=Decimal(400))
    record = order.history.latest()

    changes = record.diff_against(record.prev_record).changed_fields
    assert set(changes) >= {"daily_dose", "dose"}
    assert order.history.count() == 2

    page = client.get(reverse("admin:medications_medicationorder_history", args=[order.pk]))
    assert page.status_code == 200
    html = page.content.decode()
    assert "daily_dose" in html or "Daily dose" in html or "daily dose" in html.lower()


def test_a_change_page_saved_in_admin_records_the_admin_as_the_history_user(client, admin, patient):
    client.force_login(admin)
    url = reverse("admin:patients_patient_change", args=[patient.pk])
    form = client.get(url).context["adminform"].form
    data = {
        name: form[name].value() if form[name].value() is not None else "" for name in form.fields
    }
    data.update(
        phone="+1 555 0100 999",
        **{
            "episodes-TOTAL_FORMS": "0",
            "episodes-INITIAL_FORMS": "0",
            "episodes-MIN_NUM_FORMS": "0",
            "episodes-MAX_NUM_FORMS": "1000",
        },
    )
    assert client.post(url, data).status_code == 302
    latest = patient.history.latest()
    assert latest.history_user == admin
    assert latest.phone == "+1 555 0100 999"


def test_staff_of_another_team_cannot_read_a_records_history(client, clinician_off_team, order):
    from django.contrib.auth.models import Permission

    clinician_off_team.is_staff = True
    clinician_off_team.save()
    clinician_off_team.user_permissions.set(Permission.objects.all())
    client.force_login(clinician_off_team)
    response = client.get(reverse("admin:medications_medicationorder_history", args=[order.pk]))
    assert response.status_code == 404
