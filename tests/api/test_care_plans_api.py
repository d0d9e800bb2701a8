"""/api/v1/care-plans/: a plan from a template in one step; read with its goals and interventions."""

import datetime as dt

import pytest

from apps.careplans.models import CarePlan, PlanTemplate
from apps.careplans.services import plan_template_apply
from apps.core.dates import clinic_today
from apps.worklist.models import Task
from tests.factories import EpisodeFactory, PatientFactory

pytestmark = pytest.mark.django_db

URL = "/api/v1/care-plans/"
ACUTE = "acute-conservative-care"


def test_create_a_plan_from_a_template(on_team, episode):
    response = on_team.post(URL, {"episode": episode.pk, "template": ACUTE}, format="json")

    assert response.status_code == 201, response.json()
    body = response.json()
    template = PlanTemplate.objects.get(slug=ACUTE)
    assert body["template"] == ACUTE and body["status"] == "active"
    assert len(body["goals"]) == template.goals.count()
    assert len(body["interventions"]) == template.interventions.count()
    assert (
        Task.objects.filter(episode=episode, source="plan").count() == template.follow_ups.count()
    )


def test_create_errors(on_team, episode, other_team, check_error):
    check_error(
        on_team.post(URL, {"episode": episode.pk, "template": "no-such-template"}, format="json"),
        400,
        fields=("template",),
    )
    early = (episode.onset - dt.timedelta(days=2)).isoformat()
    check_error(
        on_team.post(
            URL, {"episode": episode.pk, "template": ACUTE, "start_date": early}, format="json"
        ),
        400,
        fields=("start_date",),
    )
    assert (
        on_team.post(URL, {"episode": episode.pk, "template": ACUTE}, format="json").status_code
        == 201
    )
    # The service: one plan per episode.
    check_error(
        on_team.post(URL, {"episode": episode.pk, "template": ACUTE}, format="json"),
        400,
        fields=("template",),
    )
    other = EpisodeFactory(patient=PatientFactory(team=other_team))
    check_error(
        on_team.post(URL, {"episode": other.pk, "template": ACUTE}, format="json"),
        400,
        fields=("episode",),
    )


def test_list_retrieve_and_scoping(on_team, off_team, episode, clinician_on_team, not_found_body):
    plan = plan_template_apply(
        actor=clinician_on_team, episode=episode, template=PlanTemplate.objects.get(slug=ACUTE)
    )
    assert [
        p["id"] for p in on_team.get(URL + f"?patient={episode.patient_id}").json()["results"]
    ] == [plan.pk]
    assert on_team.get(URL + "?status=revoked").json()["count"] == 0
    assert on_team.get(f"{URL}{plan.pk}/").json()["title"] == plan.title
    assert off_team.get(URL).json()["count"] == 0
    forbidden, missing = off_team.get(f"{URL}{plan.pk}/"), off_team.get(f"{URL}{plan.pk + 9}/")
    assert forbidden.status_code == missing.status_code == 404
    assert forbidden.json() == missing.json() == not_found_body


def test_list_queries_do_not_grow_with_rows(on_team, team, clinician_on_team, pinned_list_queries):
    template = PlanTemplate.objects.get(slug=ACUTE)

    def make(n):
        for _ in range(n):
            episode = EpisodeFactory(patient=PatientFactory(team=team))
            plan_template_apply(actor=clinician_on_team, episode=episode, template=template)

    # 1: COUNT(*); 2: the page of plans (episode, template joined); 3: their goals; 4: interventions;
    # 5: the audit read row (one INSERT per request naming the page's patients).
    pinned_list_queries(on_team, URL, make, expected=5)


def test_no_edit_or_delete(on_team, episode, clinician_on_team, check_error):
    plan = plan_template_apply(
        actor=clinician_on_team, episode=episode, template=PlanTemplate.objects.get(slug=ACUTE)
    )
    check_error(on_team.delete(f"{URL}{plan.pk}/"), 405)
    check_error(on_team.patch(f"{URL}{plan.pk}/", {"title": "x"}, format="json"), 405)
    assert CarePlan.objects.filter(pk=plan.pk).exists()


@pytest.mark.parametrize(("method", "path"), [("get", ""), ("post", ""), ("get", "1/")])
def test_unauthenticated_requests_are_401(anon, method, path, check_error):
    check_error(getattr(anon, method)(URL + path), 401, "not_authenticated")


def test_started_today_by_default(on_team, episode):
    assert (
        on_team.post(URL, {"episode": episode.pk, "template": ACUTE}, format="json").json()[
            "started_on"
        ]
        == clinic_today().isoformat()
    )
