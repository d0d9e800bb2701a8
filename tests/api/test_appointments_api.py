"""/api/v1/appointments/: book (or record) follow-up visits."""

import datetime as dt

import pytest
from django.utils import timezone

from apps.core.choices import Discipline
from tests.factories import AppointmentFactory, PatientFactory

pytestmark = pytest.mark.django_db

URL = "/api/v1/appointments/"


def booking(episode, clinician, **extra):
    return {
        "patient": episode.patient_id,
        "episode": episode.pk,
        "clinician": clinician.pk,
        "discipline": "physical_therapist",
        "kind": "pt_visit",
        "starts_at": (timezone.now() + dt.timedelta(days=3)).replace(microsecond=0).isoformat(),
        **extra,
    }


def test_book_an_appointment(on_team, episode, colleagues):
    pt = colleagues[Discipline.PHYSICAL_THERAPIST]
    response = on_team.post(
        URL, booking(episode, pt, duration_minutes=45, location="Gym"), format="json"
    )

    assert response.status_code == 201, response.json()
    body = response.json()
    assert (body["status"], body["clinician"]["id"], body["duration_minutes"]) == (
        "booked",
        pt.pk,
        45,
    )
    assert dt.datetime.fromisoformat(body["ends_at"]) - dt.datetime.fromisoformat(
        body["starts_at"]
    ) == dt.timedelta(minutes=45)


def test_booking_errors(on_team, episode, colleagues, clinician_off_team, team, check_error):
    pt = colleagues[Discipline.PHYSICAL_THERAPIST]
    check_error(
        on_team.post(URL, booking(episode, pt, duration_minutes=2), format="json"),
        400,
        fields=("duration_minutes",),
    )
    check_error(
        on_team.post(URL, booking(episode, pt, kind="spa"), format="json"), 400, fields=("kind",)
    )
    check_error(
        on_team.post(
            URL, booking(episode, pt, starts_at="9999-12-31T23:59:59-12:00"), format="json"
        ),
        400,
        fields=("starts_at",),
    )
    check_error(
        on_team.post(URL, booking(episode, pt, starts_at="tomorrow"), format="json"),
        400,
        fields=("starts_at",),
    )
    check_error(
        on_team.post(URL, booking(episode, clinician_off_team), format="json"),
        400,
        fields=("clinician",),
    )
    other_patient = PatientFactory(team=team)
    check_error(
        on_team.post(URL, booking(episode, pt, patient=other_patient.pk), format="json"),
        400,
        fields=("episode",),
    )


def test_list_retrieve_and_scoping(on_team, off_team, episode, not_found_body):
    visit = AppointmentFactory(episode=episode)
    assert [
        a["id"] for a in on_team.get(URL + "?status=booked&kind=pt_visit").json()["results"]
    ] == [visit.pk]
    assert on_team.get(f"{URL}{visit.pk}/").json()["kind"] == "pt_visit"
    assert off_team.get(URL).json()["count"] == 0
    forbidden, missing = off_team.get(f"{URL}{visit.pk}/"), off_team.get(f"{URL}{visit.pk + 9}/")
    assert forbidden.status_code == missing.status_code == 404
    assert forbidden.json() == missing.json() == not_found_body


def test_list_queries_do_not_grow_with_rows(on_team, episode, colleagues, pinned_list_queries):
    pt = colleagues[Discipline.PHYSICAL_THERAPIST]
    # 1: COUNT(*) of appointments of visible patients; 2: the page (clinician joined);
    # 3: the audit read row (one INSERT per request naming the page's patients).
    pinned_list_queries(
        on_team,
        URL,
        lambda n: AppointmentFactory.create_batch(n, episode=episode, clinician=pt),
        expected=3,
    )


def test_no_edit_or_delete(on_team, episode, check_error):
    visit = AppointmentFactory(episode=episode)
    check_error(on_team.delete(f"{URL}{visit.pk}/"), 405)
    check_error(on_team.patch(f"{URL}{visit.pk}/", {"status": "fulfilled"}, format="json"), 405)


@pytest.mark.parametrize(("method", "path"), [("get", ""), ("post", ""), ("get", "1/")])
def test_unauthenticated_requests_are_401(anon, method, path, check_error):
    check_error(getattr(anon, method)(URL + path), 401, "not_authenticated")
