"""/api/v1/goals/: goals of care plans."""

import datetime as dt
import json

import pytest

from apps.careplans.models import Goal
from apps.core.dates import clinic_today
from tests.factories import CarePlanFactory, EpisodeFactory, GoalFactory, PatientFactory

pytestmark = pytest.mark.django_db

URL = "/api/v1/goals/"


@pytest.fixture
def plan(episode):
    return CarePlanFactory(episode=episode)


def test_add_a_goal(on_team, plan):
    due = (clinic_today() + dt.timedelta(days=28)).isoformat()
    response = on_team.post(
        URL,
        {
            "plan": plan.pk,
            "measure": "odi",
            "description": "ODI under 20",
            "baseline": 44,
            "target": 20,
            "due_on": due,
        },
        format="json",
    )

    assert response.status_code == 201, response.json()
    assert response.json()["achievement_status"] == "in-progress"
    assert response.json()["target"] == 20
    assert Goal.objects.get(pk=response.json()["id"]).plan == plan


def test_add_errors(on_team, plan, other_team, check_error):
    body = {
        "plan": plan.pk,
        "measure": "nrs",
        "description": "Pain ≤ 3",
        "due_on": clinic_today().isoformat(),
    }
    check_error(
        on_team.post(URL, {**body, "measure": "mood"}, format="json"), 400, fields=("measure",)
    )
    check_error(on_team.post(URL, {**body, "target": -1}, format="json"), 400, fields=("target",))
    check_error(
        on_team.post(URL, {**body, "target": "lots"}, format="json"), 400, fields=("target",)
    )
    huge = json.dumps({**body, "baseline": 0}).replace('"baseline": 0', '"baseline": 1e400')
    check_error(on_team.post(URL, huge, content_type="application/json"), 400, fields=("baseline",))
    check_error(
        on_team.post(URL, {**body, "description": ""}, format="json"), 400, fields=("description",)
    )
    other_plan = CarePlanFactory(episode=EpisodeFactory(patient=PatientFactory(team=other_team)))
    check_error(
        on_team.post(URL, {**body, "plan": other_plan.pk}, format="json"), 400, fields=("plan",)
    )


def test_list_retrieve_and_scoping(on_team, off_team, plan, not_found_body):
    goal = GoalFactory(plan=plan)
    assert [
        g["id"] for g in on_team.get(URL + f"?plan={plan.pk}&measure=nrs").json()["results"]
    ] == [goal.pk]
    assert on_team.get(f"{URL}{goal.pk}/").json()["patient"] == plan.episode.patient_id
    assert off_team.get(URL).json()["count"] == 0
    forbidden, missing = off_team.get(f"{URL}{goal.pk}/"), off_team.get(f"{URL}{goal.pk + 9}/")
    assert forbidden.status_code == missing.status_code == 404
    assert forbidden.json() == missing.json() == not_found_body


def test_list_queries_do_not_grow_with_rows(on_team, plan, pinned_list_queries):
    # 1: COUNT(*) of goals of visible patients' plans; 2: the page (plan and episode joined);
    # 3: the audit read row (one INSERT per request naming the page's patients).
    pinned_list_queries(on_team, URL, lambda n: GoalFactory.create_batch(n, plan=plan), expected=3)


def test_no_edit_or_delete(on_team, plan, check_error):
    goal = GoalFactory(plan=plan)
    check_error(on_team.delete(f"{URL}{goal.pk}/"), 405)
    check_error(on_team.patch(f"{URL}{goal.pk}/", {}, format="json"), 405)


@pytest.mark.parametrize(("method", "path"), [("get", ""), ("post", ""), ("get", "1/")])
def test_unauthenticated_requests_are_401(anon, method, path, check_error):
    check_error(getattr(anon, method)(URL + path), 401, "not_authenticated")
