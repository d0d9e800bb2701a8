"""/api/v1/care-team-members/: who holds which role on an episode's care team."""

import datetime as dt

import pytest

from apps.core.choices import Discipline
from apps.core.dates import clinic_today
from apps.patients.models import CareTeamMember
from apps.patients.services import care_team_assign
from tests.factories import ClinicianFactory, EpisodeFactory, PatientFactory, TeamMembershipFactory

pytestmark = pytest.mark.django_db

URL = "/api/v1/care-team-members/"


def test_assign_a_role_and_a_new_lead_replaces_the_old(on_team, episode, colleagues):
    pt = colleagues[Discipline.PHYSICAL_THERAPIST]
    first = on_team.post(
        URL,
        {
            "episode": episode.pk,
            "clinician": colleagues[Discipline.PHYSICIAN].pk,
            "role": "physician",
            "is_lead": True,
        },
        format="json",
    )
    second = on_team.post(
        URL,
        {"episode": episode.pk, "clinician": pt.pk, "role": "physical_therapist", "is_lead": True},
        format="json",
    )

    assert first.status_code == second.status_code == 201, second.json()
    assert second.json()["clinician"]["id"] == pt.pk and second.json()["is_current"] is True
    assert list(
        CareTeamMember.objects.filter(is_lead=True).values_list("clinician", flat=True)
    ) == [pt.pk]


def test_assign_errors(on_team, episode, colleagues, clinician_off_team, check_error):
    nurse = colleagues[Discipline.NURSE]
    body = {"episode": episode.pk, "clinician": nurse.pk, "role": "nurse"}
    assert on_team.post(URL, body, format="json").status_code == 201
    # The same role twice: the model's constraint, as a non-field error.
    check_error(
        on_team.post(URL, body, format="json"), 400, "invalid", fields=("non_field_errors",)
    )
    check_error(on_team.post(URL, {**body, "role": "wizard"}, format="json"), 400, fields=("role",))
    # A clinician of another team does not exist here.
    check_error(
        on_team.post(URL, {**body, "clinician": clinician_off_team.pk}, format="json"),
        400,
        fields=("clinician",),
    )
    check_error(
        on_team.post(URL, {"role": "nurse"}, format="json"), 400, fields=("episode", "clinician")
    )


def test_the_clinician_must_belong_to_the_patients_team(
    on_team, clinician_on_team, episode, other_team, check_error
):
    # I am on both teams, the colleague only on the other one: the service refuses them.
    TeamMembershipFactory(team=other_team, clinician=clinician_on_team)
    colleague = ClinicianFactory(username="colleague_elsewhere")
    TeamMembershipFactory(team=other_team, clinician=colleague)
    error = check_error(
        on_team.post(
            URL, {"episode": episode.pk, "clinician": colleague.pk, "role": "nurse"}, format="json"
        ),
        400,
        fields=("clinician",),
    )
    assert "patient's team" in error["fields"]["clinician"][0]


def test_end_a_role(on_team, episode, clinician_on_team, check_error):
    member = care_team_assign(
        actor=clinician_on_team,
        episode=episode,
        clinician=clinician_on_team,
        role="physician",
        start=episode.onset,
    )
    before = (episode.onset - dt.timedelta(days=1)).isoformat()
    check_error(
        on_team.post(f"{URL}{member.pk}/end/", {"end": before}, format="json"), 400, fields=("end",)
    )

    response = on_team.post(f"{URL}{member.pk}/end/", {}, format="json")

    assert response.status_code == 200
    assert (response.json()["end"], response.json()["is_current"]) == (
        clinic_today().isoformat(),
        True,
    )


def test_list_retrieve_and_scoping(on_team, off_team, episode, clinician_on_team, not_found_body):
    member = care_team_assign(
        actor=clinician_on_team, episode=episode, clinician=clinician_on_team, role="physician"
    )
    assert [m["id"] for m in on_team.get(URL + f"?episode={episode.pk}").json()["results"]] == [
        member.pk
    ]
    assert on_team.get(URL + "?role=nurse").json()["count"] == 0
    assert on_team.get(f"{URL}{member.pk}/").json()["role"] == "physician"
    assert off_team.get(URL).json()["count"] == 0
    forbidden, missing = off_team.get(f"{URL}{member.pk}/"), off_team.get(f"{URL}{member.pk + 50}/")
    assert forbidden.status_code == missing.status_code == 404
    assert forbidden.json() == missing.json() == not_found_body
    assert off_team.post(f"{URL}{member.pk}/end/", {}, format="json").status_code == 404


def test_list_queries_do_not_grow_with_rows(on_team, team, clinician_on_team, pinned_list_queries):
    def make(n):
        for _ in range(n):
            episode = EpisodeFactory(patient=PatientFactory(team=team))
            care_team_assign(
                actor=clinician_on_team,
                episode=episode,
                clinician=clinician_on_team,
                role="physician",
            )

    # 1: COUNT(*) of members of visible episodes; 2: the page, with clinician and episode joined;
    # 3: the audit read row (one INSERT per request naming the page's patients).
    pinned_list_queries(on_team, URL, make, expected=3)


def test_no_delete(on_team, episode, clinician_on_team, check_error):
    member = care_team_assign(
        actor=clinician_on_team, episode=episode, clinician=clinician_on_team, role="physician"
    )
    check_error(on_team.delete(f"{URL}{member.pk}/"), 405)


@pytest.mark.parametrize(
    ("method", "path"), [("get", ""), ("post", ""), ("get", "1/"), ("post", "1/end/")]
)
def test_unauthenticated_requests_are_401(anon, method, path, check_error):
    check_error(getattr(anon, method)(URL + path), 401, "not_authenticated")
