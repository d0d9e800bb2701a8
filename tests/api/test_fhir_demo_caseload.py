"""The FHIR export of every patient of the demo caseload (manage.py seed_demo) is valid R4."""

import json
from io import StringIO
from unittest import mock

import pytest
from django.core.management import call_command
from django.db import transaction

from apps.flags.engine import evaluate_all_now
from apps.patients.models import Patient
from tests.api.fhir_checks import check_bundle, check_resource, references
from tests.factories import ClinicianFactory

pytestmark = pytest.mark.django_db


@pytest.fixture(scope="module")
def seeded(django_db_setup, django_db_blocker):
    """Seed the 60-patient demo once for the module, in a transaction rolled back at the end."""
    with (
        django_db_blocker.unblock(),
        transaction.atomic(),
        mock.patch("apps.core.enqueue.send_task_now"),
    ):
        call_command(
            "seed_demo", "--force", "--patients", "60", stdout=StringIO(), stderr=StringIO()
        )
        evaluate_all_now()  # the monitoring rules raise their flags and tasks, as the jobs would
        superuser = ClinicianFactory(
            username="fhir_reviewer", is_superuser=True, is_staff=True, discipline=""
        )
        yield superuser
        transaction.set_rollback(True)


@pytest.fixture
def demo(seeded, signed_in):
    return signed_in(seeded)


def test_every_demo_patients_bundle_is_valid_fhir_r4(demo):
    patients = list(Patient.objects.filter(mrn__startswith="DEMO-").order_by("mrn"))
    assert len(patients) == 60
    seen_types: set[str] = set()
    achievement: set[str] = set()
    for patient in patients:
        response = demo.get(f"/api/v1/patients/{patient.pk}/fhir/")
        assert response.status_code == 200, (patient.mrn, response.content[:300])
        by_type = check_bundle(json.loads(response.content))
        seen_types |= set(by_type)
        achievement |= {
            g["achievementStatus"]["coding"][0]["code"] for g in by_type.get("Goal", [])
        }
    assert seen_types >= {
        "Patient",
        "Organization",
        "Practitioner",
        "Condition",
        "CareTeam",
        "CarePlan",
        "Goal",
        "MedicationRequest",
        "Observation",
        "Flag",
        "Task",
        "Appointment",
    }
    assert {"improving", "achieved", "in-progress"} <= achievement


def test_the_bulk_export_of_the_demo_caseload_is_valid_ndjson(demo):
    response = demo.get("/api/v1/patients/fhir-export/")
    lines = b"".join(response.streaming_content).decode().splitlines()
    resources = [json.loads(line) for line in lines]
    for resource in resources:
        check_resource(resource)
    keys = {f"{r['resourceType']}/{r['id']}" for r in resources}
    assert set(references(resources)) <= keys
    assert (
        sum(r["resourceType"] == "Patient" for r in resources) == Patient.objects.active().count()
    )
