"""/api/v1/interventions/: interventions of care plans (add, change status and dates)."""

import datetime as dt

import pytest

from apps.core.dates import clinic_today
from tests.factories import CarePlanFactory, EpisodeFactory, InterventionFactory, PatientFactory

pytestmark = pytest.mark.django_db

URL = "/api/v1/interventions/"


@pytest.fixture
def plan(episode):
    return CarePlanFactory(episode=episode)


def test_add_and_change_an_intervention(on_team, plan):
    response = on_team.post(
        URL,
        {
            "plan": plan.pk,
            "kind": "exercise_programme",
            "discipline": "physical_therapist",
            "description": "Home programme",
        },
        format="json",
    )
    assert response.status_code == 201, response.json()
    assert (response.json()["status"], response.json()["start_date"]) == (
        "planned",
        clinic_today().isoformat(),
    )

    changed = on_team.patch(f"{URL}{response.json()['id']}/", {"status": "active"}, format="json")

    assert changed.status_code == 200 and changed.json()["status"] == "active"


def test_errors(on_team, plan, other_team, check_error):
    item = InterventionFactory(plan=plan)
    before = (item.start_date - dt.timedelta(days=1)).isoformat()
    check_error(
        on_team.patch(f"{URL}{item.pk}/", {"end_date": before}, format="json"),
        400,
        fields=("end_date",),
    )
    check_error(
        on_team.patch(f"{URL}{item.pk}/", {"status": "done"}, format="json"),
        400,
        fields=("status",),
    )
    check_error(
        on_team.post(
            URL,
            {"plan": plan.pk, "kind": "bed_rest", "discipline": "nurse", "description": "x"},
            format="json",
        ),
        400,
        fields=("kind",),
    )
    other = CarePlanFactory(episode=EpisodeFactory(patient=PatientFactory(team=other_team)))
    check_error(
        on_team.post(
            URL,
            {"plan": other.pk, "kind": "sleep", "discipline": "nurse", "description": "x"},
            format="json",
        ),
        400,
        fields=("plan",),
    )


def test_list_retrieve_and_scoping(on_team, off_team, plan, not_found_body):
    item = InterventionFactory(plan=plan)
    assert [i["id"] for i in on_team.get(URL + "?kind=exercise_programme").json()["results"]] == [
        item.pk
    ]
    assert on_team.get(f"{URL}{item.pk}/").json()["description"] == item.description
    for response in (
        off_team.get(f"{URL}{item.pk}/"),
        off_team.patch(f"{URL}{item.pk}/", {"status": "stopped"}, format="json"),
    ):
        assert response.status_code == 404 and response.json() == not_found_body
    item.refresh_from_db()
    assert item.status == "active"


def test_list_queries_do_not_grow_with_rows(on_team, plan, pinned_list_queries):
    # 1: COUNT(*) of interventions of visible plans; 2: the page (plan and episode joined);
    # 3: the audit read row (one INSERT per request naming the page's patients).
    pinned_list_queries(
        on_team, URL, lambda n: InterventionFactory.create_batch(n, plan=plan), expected=3
    )


def test_no_delete(on_team, plan, check_error):
    check_error(on_team.delete(f"{URL}{InterventionFactory(plan=plan).pk}/"), 405)


@pytest.mark.parametrize(
    ("method", "path"), [("get", ""), ("post", ""), ("get", "1/"), ("patch", "1/")]
)
def test_unauthenticated_requests_are_401(anon, method, path, check_error):
    check_error(getattr(anon, method)(URL + path), 401, "not_authenticated")
