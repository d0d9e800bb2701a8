"""/api/v1/patients/: the caseloads of my teams; create, change, archive (never delete)."""

import datetime as dt

import pytest

from apps.audit.models import AuditEvent
from apps.core.dates import clinic_today
from apps.patients.models import Patient
from tests.factories import PatientFactory

pytestmark = pytest.mark.django_db

URL = "/api/v1/patients/"


def new_patient(team, **extra):
    return {
        "mrn": "API-0001",
        "first_name": "Ada",
        "last_name": "Lovelace",
        "date_of_birth": "1980-12-10",
        "sex": "female",
        "email": "ada@patient.example",
        "team": team.pk,
        **extra,
    }


def test_lists_only_the_patients_of_my_teams(on_team, patient, other_team):
    PatientFactory(team=other_team)

    body = on_team.get(URL).json()

    assert body["count"] == 1
    assert [row["id"] for row in body["results"]] == [patient.pk]
    assert body["results"][0]["mrn"] == patient.mrn


def test_list_filters_search_and_ordering(on_team, team):
    PatientFactory(team=team, last_name="Zeta", first_name="A", sex="male", mrn="Z-1")
    PatientFactory(team=team, last_name="Alpha", first_name="B", sex="female", mrn="A-1")

    assert [p["last_name"] for p in on_team.get(URL).json()["results"]] == ["Alpha", "Zeta"]
    assert [
        p["last_name"] for p in on_team.get(URL + "?ordering=-last_name").json()["results"]
    ] == ["Zeta", "Alpha"]
    assert [p["mrn"] for p in on_team.get(URL + "?sex=male").json()["results"]] == ["Z-1"]
    assert [p["mrn"] for p in on_team.get(URL + "?search=alph").json()["results"]] == ["A-1"]
    assert on_team.get(URL + f"?team={team.pk}").json()["count"] == 2


def test_list_filter_errors_name_the_parameter(on_team, check_error):
    check_error(on_team.get(URL + "?sex=robot"), 400, "invalid", fields=("sex",))
    check_error(on_team.get(URL + "?born_after=yesterday"), 400, "invalid", fields=("born_after",))
    check_error(on_team.get(URL + "?team=abc"), 400, "invalid", fields=("team",))


def test_list_pagination_caps_the_page_size(on_team, team):
    PatientFactory.create_batch(3, team=team)
    body = on_team.get(URL + "?page_size=2").json()
    assert body["count"] == 3 and len(body["results"]) == 2 and body["next"]
    assert len(on_team.get(URL + "?page_size=100000").json()["results"]) == 3


def test_list_queries_do_not_grow_with_rows(on_team, team, pinned_list_queries):
    # 1: COUNT(*) of the visible patients; 2: the page of patients (team membership is a join);
    # 3: the audit read row (one INSERT per request naming the page's patients).
    pinned_list_queries(
        on_team, URL, lambda n: PatientFactory.create_batch(n, team=team), expected=3
    )


def test_retrieve_a_patient_writes_one_view_audit_event(on_team, patient, clinician_on_team):
    response = on_team.get(f"{URL}{patient.pk}/")

    assert response.status_code == 200
    assert response.json()["date_of_birth"] == patient.date_of_birth.isoformat()
    assert response["Cache-Control"] == "no-store"
    event = AuditEvent.objects.get(action="view")
    assert (event.actor, event.patient, event.surface) == (clinician_on_team, patient, "api")
    assert event.path == f"{URL}{patient.pk}/"


def test_another_teams_patient_is_a_404_like_a_missing_one(off_team, patient, not_found_body):
    forbidden = off_team.get(f"{URL}{patient.pk}/")
    missing = off_team.get(f"{URL}{patient.pk + 999}/")

    assert forbidden.status_code == missing.status_code == 404
    assert forbidden.json() == missing.json() == not_found_body
    assert not AuditEvent.objects.filter(action="view").exists()


@pytest.mark.parametrize("bad_id", ["abc", "1.5", "0", "-1", "99999999999999999999999", "１"])
def test_an_id_that_is_not_a_whole_number_is_a_404(on_team, patient, bad_id, check_error):
    check_error(on_team.get(f"{URL}{bad_id}/"), 404, "not_found")


def test_create_a_patient_through_the_service(on_team, team, clinician_on_team):
    response = on_team.post(URL, new_patient(team), format="json")

    assert response.status_code == 201, response.json()
    patient = Patient.objects.get(mrn="API-0001")
    assert response.json()["id"] == patient.pk and patient.team == team
    assert AuditEvent.objects.filter(
        action="create", patient=patient, actor=clinician_on_team
    ).exists()


def test_create_validation_errors_are_under_the_field_names(
    on_team, team, other_team, patient, check_error
):
    future = (clinic_today() + dt.timedelta(days=3)).isoformat()
    error = check_error(
        on_team.post(
            URL,
            new_patient(team, mrn=patient.mrn, date_of_birth=future, sex="robot"),
            format="json",
        ),
        400,
        "invalid",
        fields=("mrn", "sex"),
    )
    assert "already exists" in error["fields"]["mrn"][0]
    # The model's own rules (full_clean in the service) come back under their fields too.
    check_error(
        on_team.post(URL, new_patient(team, date_of_birth=future), format="json"),
        400,
        "invalid",
        fields=("date_of_birth",),
    )
    check_error(
        on_team.post(URL, new_patient(team, timezone="Mars/Olympus"), format="json"),
        400,
        fields=("timezone",),
    )
    check_error(
        on_team.post(URL, new_patient(team, quiet_hours_start="22:00"), format="json"),
        400,
        fields=("non_field_errors",),
    )
    # Another team's caseload does not exist for me.
    error = check_error(
        on_team.post(URL, new_patient(other_team), format="json"), 400, fields=("team",)
    )
    assert "does not exist" in error["fields"]["team"][0]
    check_error(
        on_team.post(URL, {}, format="json"),
        400,
        fields=("mrn", "first_name", "last_name", "date_of_birth", "team"),
    )
    assert not Patient.objects.filter(mrn="API-0001").exists()


def test_patch_a_patient(on_team, patient):
    response = on_team.patch(
        f"{URL}{patient.pk}/", {"phone": "+15550123", "work_status": "off_work"}, format="json"
    )

    assert response.status_code == 200
    patient.refresh_from_db()
    assert (patient.phone, patient.work_status, patient.work_status_since) == (
        "+15550123",
        "off_work",
        clinic_today(),
    )


def test_patch_errors_and_off_team(on_team, off_team, patient, check_error, not_found_body):
    check_error(
        on_team.patch(f"{URL}{patient.pk}/", {"email": "not-an-email"}, format="json"),
        400,
        fields=("email",),
    )
    response = off_team.patch(f"{URL}{patient.pk}/", {"phone": "1"}, format="json")
    assert response.status_code == 404 and response.json() == not_found_body


def test_archive_instead_of_delete(on_team, patient, check_error):
    check_error(on_team.delete(f"{URL}{patient.pk}/"), 405, "method_not_allowed")
    check_error(on_team.put(f"{URL}{patient.pk}/", {}, format="json"), 405, "method_not_allowed")

    response = on_team.post(f"{URL}{patient.pk}/archive/")

    assert response.status_code == 200 and response.json()["archived_at"]
    assert Patient.objects.filter(pk=patient.pk).exists()
    assert on_team.get(f"{URL}{patient.pk}/").status_code == 404
    assert AuditEvent.objects.filter(action="archive", patient=patient).count() == 1


def test_archive_of_another_teams_patient_is_a_404(off_team, patient, not_found_body):
    response = off_team.post(f"{URL}{patient.pk}/archive/")
    assert response.status_code == 404 and response.json() == not_found_body
    patient.refresh_from_db()
    assert patient.archived_at is None


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("get", ""),
        ("post", ""),
        ("get", "{id}/"),
        ("patch", "{id}/"),
        ("post", "{id}/archive/"),
        ("get", "{id}/fhir/"),
        ("get", "fhir-export/"),
    ],
)
def test_unauthenticated_requests_are_401(anon, patient, method, path, check_error):
    response = (
        getattr(anon, method)(URL + path.format(id=patient.pk), {}, format="json")
        if method != "get"
        else anon.get(URL + path.format(id=patient.pk))
    )
    check_error(response, 401, "not_authenticated")
    assert response["WWW-Authenticate"] == "Token"
