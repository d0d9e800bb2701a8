"""GET /api/v1/patients/fhir-export/: every visible patient's resources as streamed NDJSON."""

import json

import pytest

from apps.audit.models import AuditEvent
from tests.api.fhir_checks import check_resource, references
from tests.factories import PatientFactory

pytestmark = pytest.mark.django_db

URL = "/api/v1/patients/fhir-export/"


def export(client):
    response = client.get(URL)
    assert response.status_code == 200
    assert response.streaming
    assert response["Content-Type"] == "application/fhir+ndjson"
    text = b"".join(response.streaming_content).decode()
    assert text == "" or text.endswith("\n")
    return [json.loads(line) for line in text.splitlines()]


def test_one_valid_resource_per_line_with_resolvable_references(on_team, rich, team, other_team):
    PatientFactory(team=team, mrn="PLAIN-1")
    PatientFactory(team=other_team, mrn="ELSEWHERE-1")

    resources = export(on_team)

    for resource in resources:
        check_resource(resource)
    keys = [f"{r['resourceType']}/{r['id']}" for r in resources]
    assert len(keys) == len(set(keys)), "a resource appears twice"
    assert set(references(resources)) <= set(keys)
    mrns = {r["identifier"][0]["value"] for r in resources if r["resourceType"] == "Patient"}
    assert mrns == {rich.patient.mrn, "PLAIN-1"}  # not the other team's patient


def test_the_export_is_audited_once(on_team, clinician_on_team, rich):
    export(on_team)
    event = AuditEvent.objects.get(action="export")
    assert (event.actor, event.object_type, event.surface) == (
        clinician_on_team,
        "fhir.ndjson",
        "api",
    )


def test_another_team_exports_nothing_of_mine(off_team, rich):
    assert [r for r in export(off_team) if r["resourceType"] == "Patient"] == []


def test_queries_do_not_grow_with_patients(
    on_team, team, colleagues, make_rich, django_assert_num_queries
):
    make_rich(team, colleagues, mrn="BULK-1")
    # 1 the audit INSERT; 2 the clinical thresholds; 3 the visible patient ids; then per batch of
    # 200 patients: 4 patients with teams, 5 episodes, 6 care teams, 7 plans, 8 goals,
    # 9 interventions, 10 medications, 11 assessments, 12 flags, 13 tasks, 14 appointments.
    with django_assert_num_queries(14):
        export(on_team)
    for n in range(2, 4):
        make_rich(team, colleagues, mrn=f"BULK-{n}")
    PatientFactory.create_batch(3, team=team)
    with django_assert_num_queries(14):
        export(on_team)


def test_unauthenticated_is_401(anon, check_error):
    check_error(anon.get(URL), 401, "not_authenticated")


def test_errors_are_json_even_for_an_ndjson_endpoint(on_team, check_error):
    check_error(on_team.post(URL, {}, format="json"), 405, "method_not_allowed")
