"""/api/v1/teams/: the teams I belong to, with their members."""

import pytest

from tests.factories import ClinicianFactory, TeamFactory, TeamMembershipFactory

pytestmark = pytest.mark.django_db

URL = "/api/v1/teams/"


def test_my_teams_with_their_members(on_team, team, other_team, clinician_on_team):
    body = on_team.get(URL).json()

    assert [t["id"] for t in body["results"]] == [team.pk]
    assert [m["clinician"]["username"] for m in body["results"][0]["members"]] == [
        clinician_on_team.username
    ]
    assert on_team.get(f"{URL}{team.pk}/").json()["name"] == team.name


def test_another_team_is_a_404(on_team, other_team, not_found_body):
    forbidden, missing = (
        on_team.get(f"{URL}{other_team.pk}/"),
        on_team.get(f"{URL}{other_team.pk + 9}/"),
    )
    assert forbidden.status_code == missing.status_code == 404
    assert forbidden.json() == missing.json() == not_found_body


def test_a_superuser_sees_every_team(admin, team, other_team, signed_in):
    assert signed_in(admin).get(URL).json()["count"] == 2


def test_list_queries_do_not_grow_with_rows(on_team, clinician_on_team, pinned_list_queries):
    def make(n):
        for _ in range(n):
            new = TeamFactory()
            TeamMembershipFactory(team=new, clinician=clinician_on_team)
            TeamMembershipFactory(team=new, clinician=ClinicianFactory())

    # 1: COUNT(*) of my teams; 2: the page; 3: their memberships with the clinicians joined.
    pinned_list_queries(on_team, URL, make, expected=3)


def test_read_only(on_team, team, check_error):
    check_error(on_team.post(URL, {"name": "x"}, format="json"), 405)
    check_error(on_team.delete(f"{URL}{team.pk}/"), 405)


@pytest.mark.parametrize("path", ["", "1/"])
def test_unauthenticated_requests_are_401(anon, path, check_error):
    check_error(anon.get(URL + path), 401, "not_authenticated")
