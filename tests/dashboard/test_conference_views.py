"""Case-conference pages: plan one, the agenda with evidence and charts, discipline input,
decisions as owned tasks, close; scoped to the user's teams; printable."""

import datetime as dt
import pathlib

import pytest
from django.urls import reverse
from django.utils import timezone

from apps.conferences.models import CaseConference, ConferenceInput
from apps.conferences.services import conference_close, conference_create
from apps.core.dates import clinic_today
from apps.worklist.models import Task
from tests.dashboard.conftest import STALLED_EVIDENCE

pytestmark = pytest.mark.django_db


@pytest.fixture
def conference(team, clinician_on_team, make):
    make(team, clinician_on_team, measures=3, flags=1, last_name="Stalledpatient")
    return conference_create(
        actor=clinician_on_team, team=team, scheduled_for=timezone.now() + dt.timedelta(hours=3)
    )


def test_login_required(client, conference):
    assert client.get(reverse("dashboard:conferences")).status_code == 302
    assert client.get(reverse("dashboard:conference", args=[conference.pk])).status_code == 302


def test_plan_a_conference_from_the_list(logged_in, team, clinician_on_team, make):
    make(team, clinician_on_team, measures=2, flags=1)
    when = (timezone.localtime() + dt.timedelta(days=2)).strftime("%Y-%m-%dT%H:%M")
    response = logged_in.post(
        reverse("dashboard:conferences"), {"team": str(team.pk), "scheduled_for": when}
    )
    conference = CaseConference.objects.get()
    assert response["Location"] == reverse("dashboard:conference", args=[conference.pk])
    assert conference.agenda_items.count() == 1
    assert "with 1 patient on the agenda" in logged_in.get(response["Location"]).content.decode()


def test_planning_in_the_past_shows_the_error_next_to_the_field(logged_in, team):
    when = (timezone.localtime() - dt.timedelta(days=3)).strftime("%Y-%m-%dT%H:%M")
    response = logged_in.post(
        reverse("dashboard:conferences"), {"team": str(team.pk), "scheduled_for": when}
    )
    html = response.content.decode()
    assert response.status_code == 200 and 'id="id_scheduled_for_error"' in html
    assert f'value="{when}"' in html
    assert not CaseConference.objects.exists()


def test_the_agenda_shows_evidence_and_charts(logged_in, conference):
    html = logged_in.get(reverse("dashboard:conference", args=[conference.pk])).content.decode()
    assert "Stalledpatient" in html and "Stalled recovery" in html
    assert (
        STALLED_EVIDENCE["reason"].replace("'", "&#x27;") in html
        and "Compared with baseline" in html
    )
    item = conference.agenda_items.get()
    assert f'id="agenda-{item.pk}-nrs-title"' in html and 'class="chart-band"' in html
    assert f'for="id_input-{item.pk}-text"' in html and f'for="id_decision-{item.pk}-title"' in html
    assert "@media print" in pathlib.Path("static/css/app.css").read_text()


def test_input_and_decision(logged_in, conference, colleague):
    item = conference.agenda_items.get()
    response = logged_in.post(
        reverse("dashboard:agenda_input", args=[item.pk]),
        {f"input-{item.pk}-discipline": "physician", f"input-{item.pk}-text": "Consider tapering."},
    )
    assert response["Location"].endswith(f"#item-{item.pk}")
    assert ConferenceInput.objects.get().text == "Consider tapering."

    due = (clinic_today() + dt.timedelta(days=10)).isoformat()
    response = logged_in.post(
        reverse("dashboard:agenda_decision", args=[item.pk]),
        {
            f"decision-{item.pk}-title": "Start graded activity plan",
            f"decision-{item.pk}-assignee": str(colleague.pk),
            f"decision-{item.pk}-discipline": "",
            f"decision-{item.pk}-due_on": due,
            f"decision-{item.pk}-priority": "routine",
        },
    )
    assert response.status_code == 302
    task = Task.objects.get(source="conference")
    assert (task.assignee, task.agenda_item, task.due_on.isoformat()) == (colleague, item, due)
    html = logged_in.get(reverse("dashboard:conference", args=[conference.pk])).content.decode()
    assert "Start graded activity plan" in html and "Consider tapering." in html


def test_input_and_decision_errors_stay_next_to_their_fields(logged_in, conference):
    item = conference.agenda_items.get()
    response = logged_in.post(
        reverse("dashboard:agenda_input", args=[item.pk]),
        {f"input-{item.pk}-discipline": "physician", f"input-{item.pk}-text": ""},
    )
    assert (
        response.status_code == 200
        and f'id="id_input-{item.pk}-text_error"' in response.content.decode()
    )
    response = logged_in.post(
        reverse("dashboard:agenda_decision", args=[item.pk]),
        {
            f"decision-{item.pk}-title": "No owner",
            f"decision-{item.pk}-due_on": clinic_today().isoformat(),
            f"decision-{item.pk}-priority": "routine",
        },
    )
    html = response.content.decode()
    assert response.status_code == 200 and f'id="id_decision-{item.pk}-assignee_error"' in html
    assert 'value="No owner"' in html
    assert (
        not ConferenceInput.objects.exists()
        and not Task.objects.filter(source="conference").exists()
    )


def test_close_and_the_record_is_final(logged_in, conference, clinician_on_team):
    response = logged_in.post(
        reverse("dashboard:conference_close", args=[conference.pk]), {"notes": "Reviewed."}
    )
    assert response.status_code == 302
    conference.refresh_from_db()
    assert conference.status == "held"
    html = logged_in.get(reverse("dashboard:conference", args=[conference.pk])).content.decode()
    assert "Reviewed." in html and "record-form" not in html
    item = conference.agenda_items.get()
    late = logged_in.post(
        reverse("dashboard:agenda_input", args=[item.pk]),
        {f"input-{item.pk}-discipline": "physician", f"input-{item.pk}-text": "Late"},
    )
    assert late.status_code == 200 and "closed" in late.content.decode()
    assert not ConferenceInput.objects.exists()


def test_another_teams_conference_is_404(client, clinician_off_team, conference):
    client.force_login(clinician_off_team)
    item = conference.agenda_items.get()
    assert client.get(reverse("dashboard:conference", args=[conference.pk])).status_code == 404
    assert client.post(reverse("dashboard:agenda_input", args=[item.pk]), {}).status_code == 404
    assert client.post(reverse("dashboard:agenda_decision", args=[item.pk]), {}).status_code == 404
    assert (
        client.post(reverse("dashboard:conference_close", args=[conference.pk])).status_code == 404
    )
    assert "Stalledpatient" not in client.get(reverse("dashboard:conferences")).content.decode()
    conference.refresh_from_db()
    assert conference.status == "planned"


def test_conference_page_queries_do_not_grow(
    client, team, clinician_on_team, make, django_assert_max_num_queries
):
    for _ in range(6):
        make(team, clinician_on_team, measures=3, flags=1)
    conference = conference_create(
        actor=clinician_on_team, team=team, scheduled_for=timezone.now() + dt.timedelta(hours=3)
    )
    client.force_login(clinician_on_team)
    client.get("/")
    with django_assert_max_num_queries(20):
        response = client.get(reverse("dashboard:conference", args=[conference.pk]))
    assert response.content.decode().count('class="card agenda-item"') == 6


def test_held_conference_is_read_only(client, clinician_on_team, conference):
    conference_close(actor=clinician_on_team, conference=conference)
    client.force_login(clinician_on_team)
    html = client.get(reverse("dashboard:conference", args=[conference.pk])).content.decode()
    assert "Use your browser&#x27;s Print command" in html or "Print command" in html
