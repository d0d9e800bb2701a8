"""/api/v1/tasks/: my teams' worklist (apps.worklist.selectors.tasks_visible_to); claim, complete."""

import datetime as dt

import pytest

from apps.core.choices import Discipline
from apps.core.dates import clinic_today
from apps.worklist.models import Task
from tests.factories import PatientFactory, TaskFactory

pytestmark = pytest.mark.django_db

URL = "/api/v1/tasks/"


def new_task(team, **extra):
    return {
        "team": team.pk,
        "title": "Call the patient",
        "reason": "No-show",
        "due_on": clinic_today().isoformat(),
        "discipline": "care_coordinator",
        **extra,
    }


def test_create_claim_and_complete(on_team, team, episode, clinician_on_team):
    created = on_team.post(
        URL, new_task(team, episode=episode.pk, priority="urgent"), format="json"
    )
    assert created.status_code == 201, created.json()
    body = created.json()
    assert (body["status"], body["source"], body["patient"], body["priority"]) == (
        "open",
        "manual",
        episode.patient_id,
        "urgent",
    )

    claimed = on_team.post(f"{URL}{body['id']}/claim/")
    assert (claimed.json()["status"], claimed.json()["assignee"]["id"]) == (
        "in_progress",
        clinician_on_team.pk,
    )

    completed = on_team.post(f"{URL}{body['id']}/complete/", {"note": "Called back"}, format="json")
    assert (
        completed.json()["status"] == "completed"
        and completed.json()["completed_by"] == clinician_on_team.pk
    )


def test_create_errors(on_team, team, other_team, patient, clinician_off_team, check_error):
    check_error(
        on_team.post(URL, new_task(team, discipline=""), format="json"), 400, fields=("discipline",)
    )
    check_error(
        on_team.post(URL, new_task(team, priority="whenever"), format="json"),
        400,
        fields=("priority",),
    )
    check_error(
        on_team.post(URL, new_task(team, due_on="2024-02-30"), format="json"),
        400,
        fields=("due_on",),
    )
    check_error(on_team.post(URL, new_task(other_team), format="json"), 400, fields=("team",))
    check_error(
        on_team.post(URL, new_task(team, assignee=clinician_off_team.pk), format="json"),
        400,
        fields=("assignee",),
    )
    check_error(
        on_team.post(URL, new_task(team, title="", reason=""), format="json"),
        400,
        fields=("title", "reason"),
    )


def test_a_task_must_belong_to_its_patients_team(
    on_team, clinician_on_team, team, other_team, check_error
):
    from tests.factories import TeamMembershipFactory

    TeamMembershipFactory(team=other_team, clinician=clinician_on_team)
    patient = PatientFactory(team=team)
    check_error(
        on_team.post(URL, new_task(other_team, patient=patient.pk), format="json"),
        400,
        fields=("patient",),
    )


def test_claiming_a_closed_task_is_a_400(on_team, patient, check_error):
    task = TaskFactory(patient=patient, status="completed")
    check_error(on_team.post(f"{URL}{task.pk}/claim/"), 400, fields=("status",))
    check_error(on_team.post(f"{URL}{task.pk}/complete/"), 400, fields=("status",))


def test_list_filters_and_scoping(on_team, off_team, patient, clinician_on_team, not_found_body):
    mine = TaskFactory(patient=patient, assignee=clinician_on_team, discipline="")
    queue = TaskFactory(patient=patient, due_on=clinic_today() + dt.timedelta(days=5))
    assert [t["id"] for t in on_team.get(URL + "?mine=true").json()["results"]] == [mine.pk]
    assert [
        t["id"] for t in on_team.get(URL + "?discipline=care_coordinator").json()["results"]
    ] == [queue.pk]
    assert (
        on_team.get(
            URL + f"?due_after={(clinic_today() + dt.timedelta(days=1)).isoformat()}"
        ).json()["count"]
        == 1
    )
    assert on_team.get(URL + "?open=true").json()["count"] == 2
    assert on_team.get(f"{URL}{queue.pk}/").json()["title"] == queue.title
    assert off_team.get(URL).json()["count"] == 0
    for response in (
        off_team.get(f"{URL}{queue.pk}/"),
        off_team.post(f"{URL}{queue.pk}/claim/"),
        off_team.post(f"{URL}{queue.pk}/complete/"),
        off_team.get(f"{URL}{queue.pk + 99}/"),
    ):
        assert response.status_code == 404 and response.json() == not_found_body
    assert Task.objects.get(pk=queue.pk).status == "open"


def test_list_queries_do_not_grow_with_rows(on_team, team, colleagues, pinned_list_queries):
    nurse = colleagues[Discipline.NURSE]

    def make(n):
        for _ in range(n):
            TaskFactory(patient=PatientFactory(team=team), assignee=nurse)

    # 1: COUNT(*) of the visible tasks; 2: the page (assignee joined);
    # 3: the audit read row (one INSERT per request naming the page's patients).
    pinned_list_queries(on_team, URL, make, expected=3)


def test_no_edit_or_delete(on_team, patient, check_error):
    task = TaskFactory(patient=patient)
    check_error(on_team.delete(f"{URL}{task.pk}/"), 405)
    check_error(on_team.patch(f"{URL}{task.pk}/", {"title": "x"}, format="json"), 405)


@pytest.mark.parametrize(
    ("method", "path"),
    [("get", ""), ("post", ""), ("get", "1/"), ("post", "1/claim/"), ("post", "1/complete/")],
)
def test_unauthenticated_requests_are_401(anon, method, path, check_error):
    check_error(getattr(anon, method)(URL + path), 401, "not_authenticated")


def test_it_lists_tasks_by_urgency_then_due_date(on_team, team):
    patient = PatientFactory(team=team)
    today = clinic_today()
    urgent = TaskFactory(patient=patient, priority="urgent", due_on=today - dt.timedelta(days=2))
    routine = TaskFactory(patient=patient, priority="routine", due_on=today - dt.timedelta(days=9))
    stat = TaskFactory(patient=patient, priority="stat", due_on=today)

    listed = [t["id"] for t in on_team.get(URL).json()["results"]]

    assert listed == [stat.pk, urgent.pk, routine.pk]


def test_it_refuses_to_complete_an_urgent_task_without_a_note_and_names_the_field(on_team, team):
    task = TaskFactory(patient=PatientFactory(team=team), priority="stat")

    refused = on_team.post(f"{URL}{task.pk}/complete/", {}, format="json")
    assert refused.status_code == 400
    assert "outcome_note" in str(refused.json())

    done = on_team.post(f"{URL}{task.pk}/complete/", {"note": "Seen today"}, format="json")
    assert done.status_code == 200, done.json()
    assert done.json()["status"] == "completed"
