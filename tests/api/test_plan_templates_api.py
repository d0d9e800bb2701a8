"""/api/v1/plan-templates/: the templates admins maintain (read-only)."""

import pytest

from apps.careplans.models import PlanTemplate

pytestmark = pytest.mark.django_db

URL = "/api/v1/plan-templates/"


def test_list_and_retrieve_the_shipped_templates(on_team):
    body = on_team.get(URL).json()
    slugs = {t["slug"] for t in body["results"]}
    assert {"acute-conservative-care", "chronic-multidisciplinary-programme"} <= slugs
    template = PlanTemplate.objects.get(slug="acute-conservative-care")
    detail = on_team.get(f"{URL}{template.pk}/").json()
    assert [g["measure"] for g in detail["goals"]] == list(
        template.goals.values_list("measure", flat=True)
    )
    assert detail["follow_ups"][0]["appointment_kind"]


def test_filter_and_errors(on_team, check_error):
    assert on_team.get(URL + "?is_active=false").json()["count"] == 0
    check_error(on_team.get(f"{URL}999999/"), 404, "not_found")
    check_error(on_team.post(URL, {}, format="json"), 405)


def test_list_queries_do_not_grow_with_rows(on_team, pinned_list_queries):
    def make(n):
        for _ in range(n):
            template = PlanTemplate.objects.create(
                name=f"T{PlanTemplate.objects.count()}", slug=f"t-{PlanTemplate.objects.count()}"
            )
            template.goals.create(measure="nrs", description="Pain", due_offset_days=7)

    # 1: COUNT(*); 2: the page; 3: their interventions; 4: goals; 5: follow-ups.
    pinned_list_queries(on_team, URL, make, expected=5)


@pytest.mark.parametrize("path", ["", "1/"])
def test_unauthenticated_requests_are_401(anon, path, check_error):
    check_error(anon.get(URL + path), 401, "not_authenticated")
