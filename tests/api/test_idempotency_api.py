"""``Idempotency-Key`` on API POSTs (apps/api/idempotency.py): the same key and body replay the
first response and write nothing; another body is a 422; an error is not kept."""

import pytest

from apps.core.dates import clinic_today
from apps.core.models import IdempotencyKey
from apps.medications.models import MedicationOrder
from apps.worklist.models import Task
from tests.api.conftest import client_for

pytestmark = pytest.mark.django_db

TASKS = "/api/v1/tasks/"


def new_task(team, **extra):
    return {
        "team": team.pk,
        "title": "Call the patient",
        "reason": "No-show",
        "due_on": clinic_today().isoformat(),
        "discipline": "care_coordinator",
        **extra,
    }


def test_a_repeated_post_with_the_same_key_replays_the_first_response(on_team, team):
    first = on_team.post(TASKS, new_task(team), format="json", HTTP_IDEMPOTENCY_KEY="retry-1")
    again = on_team.post(TASKS, new_task(team), format="json", HTTP_IDEMPOTENCY_KEY="retry-1")
    assert first.status_code == again.status_code == 201
    assert again.json() == first.json()
    assert again["Idempotent-Replayed"] == "true"
    assert not first.has_header("Idempotent-Replayed")
    assert Task.objects.count() == 1


def test_the_same_body_in_another_key_order_is_the_same_request(on_team, team):
    body = new_task(team)
    on_team.post(TASKS, body, format="json", HTTP_IDEMPOTENCY_KEY="k")
    reordered = dict(reversed(list(body.items())))
    again = on_team.post(TASKS, reordered, format="json", HTTP_IDEMPOTENCY_KEY="k")
    assert again.status_code == 201 and again["Idempotent-Replayed"] == "true"
    assert Task.objects.count() == 1


def test_it_refuses_the_same_key_with_another_body(on_team, team, check_error):
    on_team.post(TASKS, new_task(team), format="json", HTTP_IDEMPOTENCY_KEY="k")
    other = on_team.post(
        TASKS, new_task(team, title="Another task"), format="json", HTTP_IDEMPOTENCY_KEY="k"
    )
    error = check_error(other, 422, code="idempotency_key_reused")
    assert "Idempotency-Key" in error["message"]
    assert list(Task.objects.values_list("title", flat=True)) == ["Call the patient"]


def test_it_refuses_the_same_key_on_another_endpoint(on_team, team, episode, check_error):
    on_team.post(TASKS, new_task(team), format="json", HTTP_IDEMPOTENCY_KEY="k")
    order = {
        "episode": episode.pk,
        "drug": "ibuprofen",
        "drug_class": "nsaid",
        "dose": "400",
        "frequency": "three times daily",
        "daily_dose": "1200",
    }
    other = on_team.post("/api/v1/medications/", order, format="json", HTTP_IDEMPOTENCY_KEY="k")
    check_error(other, 422, code="idempotency_key_reused")
    assert not MedicationOrder.objects.exists()


def test_a_key_belongs_to_its_user(on_team, team, colleagues):
    on_team.post(TASKS, new_task(team), format="json", HTTP_IDEMPOTENCY_KEY="shared-key")
    nurse = client_for(colleagues["nurse"])
    theirs = nurse.post(TASKS, new_task(team), format="json", HTTP_IDEMPOTENCY_KEY="shared-key")
    assert theirs.status_code == 201 and not theirs.has_header("Idempotent-Replayed")
    assert Task.objects.count() == 2


def test_an_error_is_not_kept_so_the_corrected_request_goes_through(on_team, team, check_error):
    bad = on_team.post(
        TASKS, new_task(team, discipline=""), format="json", HTTP_IDEMPOTENCY_KEY="fix-me"
    )
    check_error(bad, 400, fields=("discipline",))
    fixed = on_team.post(TASKS, new_task(team), format="json", HTTP_IDEMPOTENCY_KEY="fix-me")
    assert fixed.status_code == 201 and not fixed.has_header("Idempotent-Replayed")
    assert Task.objects.count() == 1


@pytest.mark.parametrize("key", ["", "has space", "x" * 256, "ключ"])
def test_it_refuses_a_malformed_key_naming_the_header(on_team, team, key, check_error):
    response = on_team.post(TASKS, new_task(team), format="json", HTTP_IDEMPOTENCY_KEY=key)
    check_error(response, 400, fields=("Idempotency-Key",))
    assert not Task.objects.exists()


def test_without_the_header_every_post_writes(on_team, team):
    on_team.post(TASKS, new_task(team), format="json")
    on_team.post(TASKS, new_task(team), format="json")
    assert Task.objects.count() == 2
    assert not IdempotencyKey.objects.exists()


def test_an_action_post_replays_too(on_team, team):
    task = on_team.post(TASKS, new_task(team), format="json").json()
    url = f"{TASKS}{task['id']}/complete/"
    done = on_team.post(url, {"note": "Called"}, format="json", HTTP_IDEMPOTENCY_KEY="done")
    again = on_team.post(url, {"note": "Called"}, format="json", HTTP_IDEMPOTENCY_KEY="done")
    assert done.status_code == again.status_code == 200  # not "already closed"
    assert again.json()["status"] == "completed" and again["Idempotent-Replayed"] == "true"


def test_the_schema_documents_the_header_and_the_422_on_every_write_post():
    from io import StringIO

    import yaml
    from django.core.management import call_command

    out = StringIO()
    call_command("spectacular", "--format", "openapi", stdout=out)
    paths = yaml.safe_load(out.getvalue())["paths"]
    posts = {p: ops["post"] for p, ops in paths.items() if "post" in ops}
    writes = {p: op for p, op in posts.items() if not p.startswith("/api/v1/auth/")}
    assert "/api/v1/tasks/" in writes and "/api/v1/medications/" in writes
    for path, op in writes.items():
        headers = [p["name"] for p in op.get("parameters", []) if p["in"] == "header"]
        assert headers == ["Idempotency-Key"], path
        assert "422" in op["responses"], path
    login = posts["/api/v1/auth/token/"]
    assert not any(p["in"] == "header" for p in login.get("parameters", []))
