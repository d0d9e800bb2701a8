"""Read rows (apps.audit.reads): one per request, a list names the patients of the page shown,
nothing for a refused or failed read, a write or a read outside a request.

Every route is covered by tests/audit/test_read_audit_routes.py; these pin the promises that a
one-patient world cannot show."""

import pytest
from django.db import DatabaseError, connection, transaction
from django.urls import reverse
from rest_framework.test import APIClient

from apps.audit.models import AuditEvent
from apps.patients.selectors import patient_get_for_user
from tests.factories import AssessmentFactory, EpisodeFactory, PatientFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def api(clinician_on_team):
    client = APIClient()
    client.force_authenticate(clinician_on_team)
    return client


def _reads(before):
    return list(
        AuditEvent.objects.order_by("id")[before:].values_list(
            "action", "patient_id", "patient_ids", "route"
        )
    )


def test_a_list_writes_one_row_naming_every_patient_listed(api, team, other_team):
    mine = sorted(p.pk for p in PatientFactory.create_batch(3, team=team))
    PatientFactory(team=other_team)
    before = AuditEvent.objects.count()

    response = api.get("/api/v1/patients/")

    assert response.status_code == 200 and response.json()["count"] == 3
    assert _reads(before) == [("view", None, mine, "api:patient-list")]


def test_a_list_names_only_the_patients_of_the_page_served(api, team):
    PatientFactory.create_batch(3, team=team)
    before = AuditEvent.objects.count()

    response = api.get("/api/v1/patients/", {"page_size": 2})

    served = sorted(row["id"] for row in response.json()["results"])
    assert len(served) == 2
    assert _reads(before) == [("view", None, served, "api:patient-list")]


def test_a_list_of_a_patients_records_names_the_patient_once(api, patient):
    episode = EpisodeFactory(patient=patient)
    AssessmentFactory.create_batch(4, episode=episode)
    before = AuditEvent.objects.count()

    api.get("/api/v1/assessments/")

    assert _reads(before) == [("view", patient.pk, [patient.pk], "api:assessment-list")]


def test_an_empty_list_shows_no_patient_and_writes_no_row(api):
    before = AuditEvent.objects.count()

    assert api.get("/api/v1/assessments/").status_code == 200

    assert _reads(before) == []


def test_the_bulk_export_names_every_patient_it_streams(api, team, other_team):
    mine = sorted(p.pk for p in PatientFactory.create_batch(2, team=team))
    PatientFactory(team=other_team)
    before = AuditEvent.objects.count()

    response = api.get("/api/v1/patients/fhir-export/")
    b"".join(response.streaming_content)

    assert _reads(before) == [("export", None, mine, "api:patient-fhir-export")]


def test_the_caseload_names_the_patients_of_its_page(client, clinician_on_team, team):
    patients = PatientFactory.create_batch(2, team=team)
    client.force_login(clinician_on_team)
    before = AuditEvent.objects.count()

    assert client.get(reverse("dashboard:caseload")).status_code == 200

    assert _reads(before) == [("view", None, sorted(p.pk for p in patients), "dashboard:caseload")]


def test_the_assessment_page_showing_phq9_item_9_is_one_read_of_its_patient(
    client, clinician_on_team, patient
):
    assessment = AssessmentFactory(
        episode=EpisodeFactory(patient=patient),
        instrument="phq9",
        answers={"items": [1, 1, 1, 1, 1, 1, 1, 1, 2]},
    )
    client.force_login(clinician_on_team)
    before = AuditEvent.objects.count()

    assert client.get(reverse("dashboard:assessment", args=[assessment.pk])).status_code == 200

    assert AuditEvent.objects.count() == before + 1
    event = AuditEvent.objects.latest("id")
    assert (event.action, event.patient, event.object_type, event.object_id) == (
        "view",
        patient,
        "assessments.assessment",
        str(assessment.pk),
    )


def test_another_teams_patient_is_not_found_and_not_recorded(client, clinician_off_team, patient):
    client.force_login(clinician_off_team)
    before = AuditEvent.objects.count()

    response = client.get(reverse("dashboard:patient", args=[patient.pk]))

    assert response.status_code == 404
    assert _reads(before) == []


def test_a_write_is_recorded_as_the_change_only(api, patient):
    episode = EpisodeFactory(patient=patient)
    before = AuditEvent.objects.count()

    response = api.post(
        "/api/v1/assessments/",
        {
            "patient": patient.pk,
            "episode": episode.pk,
            "instrument": "nrs",
            "answers": {"value": 4},
        },
        format="json",
    )

    assert response.status_code == 201, response.content
    assert [row[0] for row in _reads(before)] == ["create"]


def test_an_access_check_outside_a_request_records_nothing(clinician_on_team, patient):
    before = AuditEvent.objects.count()

    patient_get_for_user(clinician_on_team, patient.pk)  # a job or the shell

    assert AuditEvent.objects.count() == before


def test_the_trail_stays_append_only_in_the_database_after_the_new_columns(
    clinician_on_team, patient, client
):
    client.force_login(clinician_on_team)
    client.get(reverse("dashboard:patient", args=[patient.pk]))
    assert AuditEvent.objects.exists()

    with pytest.raises(DatabaseError), transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("UPDATE audit_auditevent SET patient_ids = '[]', route = 'forged'")

    assert not AuditEvent.objects.filter(route="forged").exists()
