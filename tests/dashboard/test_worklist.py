"""The worklist: my tasks and my discipline's unclaimed queue in my teams, overdue first."""

import datetime as dt
import re

import pytest
from django.urls import reverse

from apps.core.dates import clinic_today
from tests.factories import PatientFactory, TaskFactory

pytestmark = pytest.mark.django_db

URL = reverse("dashboard:worklist")


def _titles(html: str, section: str) -> list[str]:
    part = html[html.index(section) :]
    part = part[: part.index("</table>")]
    return re.findall(r'<span class="task-title">([^<]+)</span>', part)


def test_login_required(client):
    assert client.get(URL).status_code == 302


def test_my_tasks_and_my_disciplines_queue_overdue_first(
    logged_in, team, other_team, clinician_on_team, colleague
):
    patient = PatientFactory(team=team)
    today = clinic_today()
    TaskFactory(
        patient=patient,
        assignee=clinician_on_team,
        title="Mine later",
        due_on=today + dt.timedelta(days=3),
    )
    TaskFactory(
        patient=patient,
        assignee=clinician_on_team,
        title="Mine overdue",
        due_on=today - dt.timedelta(days=5),
    )
    TaskFactory(patient=patient, discipline="physician", title="Queue today", due_on=today)
    TaskFactory(
        patient=patient,
        discipline="physician",
        title="Queue urgent",
        due_on=today,
        priority="urgent",
    )
    TaskFactory(patient=patient, discipline="physical_therapist", title="PT queue")
    TaskFactory(patient=patient, assignee=colleague, discipline="physician", title="Colleague's")
    TaskFactory(patient=PatientFactory(team=other_team), discipline="physician", title="Other team")
    TaskFactory(patient=patient, assignee=clinician_on_team, title="Done", status="completed")

    html = logged_in.get(URL).content.decode()

    assert _titles(html, 'id="mine-title"') == ["Mine overdue", "Mine later"]
    assert _titles(html, 'id="queue-title"') == ["Queue urgent", "Queue today"]
    assert "overdue by 5 days" in html
    assert "Physician queue" in html


def test_claim_from_the_worklist(logged_in, team, clinician_on_team):
    task = TaskFactory(
        patient=PatientFactory(team=team), discipline="physician", title="Queue task"
    )
    html = logged_in.get(URL).content.decode()
    assert reverse("dashboard:task_claim", args=[task.pk]) in html
    logged_in.post(reverse("dashboard:task_claim", args=[task.pk]))
    assert _titles(logged_in.get(URL).content.decode(), 'id="mine-title"') == ["Queue task"]


def test_worklist_queries_do_not_grow(
    client, team, clinician_on_team, django_assert_max_num_queries
):
    for i in range(12):
        TaskFactory(patient=PatientFactory(team=team), discipline="physician", title=f"T{i}")
    client.force_login(clinician_on_team)
    client.get(URL)
    # 9 before the audit read row; +1 for it (one INSERT per request naming the tasks' patients).
    with django_assert_max_num_queries(10):
        client.get(URL)


def test_it_orders_the_worklist_by_urgency_then_due_date(logged_in, team, clinician_on_team):
    patient = PatientFactory(team=team)
    today = clinic_today()
    for title, priority, due in [
        ("Urgent opioid review", "urgent", today - dt.timedelta(days=2)),
        ("Routine call", "routine", today - dt.timedelta(days=9)),
        ("Cauda equina", "stat", today),
        ("ASAP review", "asap", today + dt.timedelta(days=1)),
        ("Urgent later", "urgent", today + dt.timedelta(days=1)),
    ]:
        TaskFactory(
            patient=patient, assignee=clinician_on_team, title=title, priority=priority, due_on=due
        )

    html = logged_in.get(URL).content.decode()

    assert _titles(html, 'id="mine-title"') == [
        "Cauda equina",
        "ASAP review",
        "Urgent opioid review",
        "Urgent later",
        "Routine call",
    ]


def test_completing_an_urgent_task_asks_for_an_outcome_note(logged_in, team, clinician_on_team):
    task = TaskFactory(
        patient=PatientFactory(team=team), assignee=clinician_on_team, priority="stat"
    )
    html = logged_in.get(URL).content.decode()
    assert f'id="outcome-note-w{task.pk}" name="outcome_note" required' in html

    logged_in.post(reverse("dashboard:task_complete", args=[task.pk]), {"outcome_note": ""})
    task.refresh_from_db()
    assert task.status == "open"

    logged_in.post(
        reverse("dashboard:task_complete", args=[task.pk]), {"outcome_note": "Seen in ED"}
    )
    task.refresh_from_db()
    assert (task.status, task.outcome_note) == ("completed", "Seen in ED")
