"""/api/v1/episodes/: open (one active per patient), read, close; never deleted."""

import datetime as dt

import pytest
from django.db import IntegrityError

from apps.audit.models import AuditEvent
from apps.core.dates import clinic_today
from apps.patients.models import Episode
from tests.factories import EpisodeFactory, PatientFactory

pytestmark = pytest.mark.django_db

URL = "/api/v1/episodes/"


def days_ago(n):
    return (clinic_today() - dt.timedelta(days=n)).isoformat()


def test_open_an_episode(on_team, patient):
    response = on_team.post(
        URL,
        {"patient": patient.pk, "onset": days_ago(40), "summary": "Lifting injury"},
        format="json",
    )

    assert response.status_code == 201, response.json()
    body = response.json()
    assert (body["status"], body["phase"], body["day"], body["patient"]) == (
        "active",
        "subacute",
        40,
        patient.pk,
    )
    assert Episode.objects.get(pk=body["id"]).summary == "Lifting injury"


def test_open_errors_are_under_the_field_names(on_team, patient, episode, other_team, check_error):
    # The service refuses a second active episode: under "onset".
    check_error(
        on_team.post(URL, {"patient": patient.pk, "onset": days_ago(1)}, format="json"),
        400,
        "invalid",
        fields=("onset",),
    )
    fresh = PatientFactory(team=patient.team)
    check_error(
        on_team.post(
            URL,
            {"patient": fresh.pk, "onset": (clinic_today() + dt.timedelta(days=1)).isoformat()},
            format="json",
        ),
        400,
        fields=("onset",),
    )
    check_error(
        on_team.post(URL, {"patient": fresh.pk, "onset": "31/12/2024"}, format="json"),
        400,
        fields=("onset",),
    )
    check_error(
        on_team.post(URL, {"patient": fresh.pk, "onset": "0001-01-01"}, format="json"),
        400,
        fields=("onset",),
    )
    check_error(
        on_team.post(URL, {"patient": "x", "onset": days_ago(1)}, format="json"),
        400,
        fields=("patient",),
    )
    check_error(
        on_team.post(URL, {"patient": True, "onset": days_ago(1)}, format="json"),
        400,
        fields=("patient",),
    )
    check_error(
        on_team.post(URL, {"patient": 10**30, "onset": days_ago(1)}, format="json"),
        400,
        fields=("patient",),
    )
    other = PatientFactory(team=other_team)
    check_error(
        on_team.post(URL, {"patient": other.pk, "onset": days_ago(1)}, format="json"),
        400,
        fields=("patient",),
    )


def test_a_concurrent_duplicate_is_a_409(on_team, patient, monkeypatch, check_error):
    def lost_the_race(**kwargs):
        raise IntegrityError(
            "duplicate key value violates unique constraint episode_one_active_per_patient"
        )

    monkeypatch.setattr("apps.api.views.episode_open", lost_the_race)
    check_error(
        on_team.post(URL, {"patient": patient.pk, "onset": days_ago(1)}, format="json"),
        409,
        "conflict",
    )


def test_list_is_scoped_and_filtered(on_team, episode, other_team):
    EpisodeFactory(patient=PatientFactory(team=other_team))
    body = on_team.get(URL).json()
    assert [e["id"] for e in body["results"]] == [episode.pk]
    assert on_team.get(URL + "?status=closed").json()["count"] == 0
    assert on_team.get(URL + f"?patient={episode.patient_id}").json()["count"] == 1


def test_list_queries_do_not_grow_with_rows(on_team, team, pinned_list_queries):
    # 1: COUNT(*) of episodes of visible patients; 2: the page;
    # 3: the audit read row (one INSERT per request naming the page's patients).
    pinned_list_queries(
        on_team,
        URL,
        lambda n: [EpisodeFactory(patient=PatientFactory(team=team)) for _ in range(n)],
        expected=3,
    )


def test_retrieve_is_audited_and_scoped(on_team, off_team, episode, not_found_body):
    assert on_team.get(f"{URL}{episode.pk}/").json()["onset"] == episode.onset.isoformat()
    assert (
        AuditEvent.objects.filter(
            action="view", patient=episode.patient, object_type="patients.episode"
        ).count()
        == 1
    )
    forbidden = off_team.get(f"{URL}{episode.pk}/")
    missing = off_team.get(f"{URL}{episode.pk + 99}/")
    assert forbidden.status_code == missing.status_code == 404
    assert forbidden.json() == missing.json() == not_found_body


def test_close_an_episode(on_team, episode, check_error):
    check_error(
        on_team.post(f"{URL}{episode.pk}/close/", {"closed_on": days_ago(30)}, format="json"),
        400,
        fields=("closed_on",),
    )
    check_error(
        on_team.post(f"{URL}{episode.pk}/close/", {"closed_on": "soon"}, format="json"),
        400,
        fields=("closed_on",),
    )

    response = on_team.post(f"{URL}{episode.pk}/close/", {}, format="json")

    assert response.status_code == 200
    assert (response.json()["status"], response.json()["closed_on"]) == (
        "closed",
        clinic_today().isoformat(),
    )
    check_error(
        on_team.post(f"{URL}{episode.pk}/close/", {}, format="json"), 400, fields=("status",)
    )


def test_close_another_teams_episode_is_a_404(off_team, episode):
    assert off_team.post(f"{URL}{episode.pk}/close/", {}, format="json").status_code == 404
    episode.refresh_from_db()
    assert episode.status == "active"


def test_no_delete_or_edit(on_team, episode, check_error):
    check_error(on_team.delete(f"{URL}{episode.pk}/"), 405, "method_not_allowed")
    check_error(on_team.patch(f"{URL}{episode.pk}/", {"summary": "x"}, format="json"), 405)


@pytest.mark.parametrize(
    ("method", "path"), [("get", ""), ("post", ""), ("get", "{id}/"), ("post", "{id}/close/")]
)
def test_unauthenticated_requests_are_401(anon, episode, method, path, check_error):
    check_error(getattr(anon, method)(URL + path.format(id=episode.pk)), 401, "not_authenticated")
