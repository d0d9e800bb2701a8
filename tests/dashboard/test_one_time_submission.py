"""Every create form carries a one-time submission key: the back button and a second submit, or a
double click, save it once and land on the first result with "Already saved"
(apps/core/idempotency.py); so does the same content sent again under a new key within minutes
(the back button re-fetched the form). A create form sent without its key saves nothing (400).

The list of create forms below is checked against the URL configuration: a new dashboard route
fails ``test_every_dashboard_route_is_named_here`` until it is classified, and a create route
fails unless its view is wrapped in ``@one_time_submission`` and its page renders the key.
"""

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass
from html.parser import HTMLParser
from types import SimpleNamespace
from typing import Any

import pytest
from django.urls import URLPattern, get_resolver, reverse
from django.utils import timezone

from apps.assessments.models import Assessment
from apps.careplans.models import CarePlan, PlanTemplate
from apps.conferences.models import AgendaItem, CaseConference, ConferenceInput
from apps.conferences.services import conference_create
from apps.core.dates import clinic_today
from apps.core.idempotency import ALREADY_SAVED, CHANGED_RESUBMIT, FORM_FIELD, RESUBMIT_WINDOW
from apps.core.models import IdempotencyKey
from apps.dashboard.forms import ASSESSMENT_FORMS
from apps.medications.models import MedicationOrder
from apps.patients.models import ClinicalNote, Episode
from apps.scheduling.models import Appointment
from apps.worklist.models import Task
from tests.dashboard.conftest import make_patient
from tests.factories import EpisodeFactory, PatientFactory

pytestmark = pytest.mark.django_db

# Dashboard routes that are not create forms, and why a repeat of them is harmless.
NOT_CREATE_FORMS = {
    "caseload": "page (GET)",
    "patient": "page (GET)",
    "assessment": "page (GET)",
    "worklist": "page (GET)",
    "inbox": "page (GET)",
    "conference": "page (GET)",
    "team_overview": "page (GET)",
    "team": "page (GET)",
    "medication_edit": "sets an order's values: the same change twice is one change",
    "medication_review": "sets the review date of an order",
    "appointment_status": "a state change; the service refuses a second one",
    "episode_close": "a state change; the service refuses a second one",
    "conference_close": "a state change; the service refuses a second one",
    "flag_acknowledge": "a state change of the flag",
    "flag_resolve": "a state change; the service refuses a second one",
    "flag_snooze": "sets the snooze date",
    "task_claim": "a state change of the task",
    "task_complete": "a state change; the service refuses a second one",
    "notification_read": "sets read_at",
    "notifications_read_all": "sets read_at",
}


def local_minute(days: int = 0, hours: int = 0) -> str:
    when = timezone.localtime() + dt.timedelta(days=days, hours=hours)
    return when.strftime("%Y-%m-%dT%H:%M")


ASSESSMENT_ANSWERS: dict[str, dict[str, str]] = {
    "nrs": {"value": "6"},
    "sleep": {"value": "4"},
    "peg": {"pain": "6", "enjoyment": "5", "activity": "5"},
    "odi": {f"section_{i}": "2" for i in range(1, 11)},
    "start_back": {f"item_{i}": "disagree" for i in range(1, 9)} | {"item_9": "slightly"},
    "phq9": {f"item_{i}": "1" for i in range(1, 10)},
    "gad7": {f"item_{i}": "1" for i in range(1, 8)},
    "work_status": {"status": "modified_duty"},
}


@dataclass(frozen=True)
class Case:
    """A create form: the page it is on, where it posts, valid data, and the rows it adds."""

    page: Callable[[Any], str]
    action: Callable[[Any], str]
    data: Callable[[Any], dict[str, str]]
    rows: Callable[[], int]


def _assessment(instrument: str) -> Case:
    url = lambda w: reverse("dashboard:assessment_new", args=[w.patient.pk, instrument])  # noqa: E731
    return Case(
        page=url,
        action=url,
        data=lambda w: (
            {"taken_at": local_minute(hours=-1), "reported_by": "clinician"}
            | ASSESSMENT_ANSWERS[instrument]
        ),
        rows=Assessment.objects.count,
    )


def _patient_form(route: str, data: Callable[[Any], dict[str, str]], rows: Any) -> Case:
    url = lambda w: reverse(f"dashboard:{route}", args=[w.patient.pk])  # noqa: E731
    return Case(page=url, action=url, data=data, rows=rows)


def task_data(w: Any) -> dict[str, str]:
    return {
        "title": "Call about the exercise programme",
        "reason": "Missed the last PT visit",
        "assignee": "",
        "discipline": "physical_therapist",
        "due_on": (clinic_today() + dt.timedelta(days=2)).isoformat(),
        "priority": "routine",
    }


def decision_data(w: Any) -> dict[str, str]:
    p = f"decision-{w.item.pk}"
    return {
        f"{p}-title": "Start graded activity plan",
        f"{p}-assignee": str(w.colleague.pk),
        f"{p}-discipline": "",
        f"{p}-due_on": (clinic_today() + dt.timedelta(days=10)).isoformat(),
        f"{p}-priority": "routine",
    }


def input_data(w: Any) -> dict[str, str]:
    return {f"input-{w.item.pk}-discipline": "physician", f"input-{w.item.pk}-text": "Taper."}


def conference_url(w: Any) -> str:
    return reverse("dashboard:conference", args=[w.conference.pk])


CASES: dict[str, Case] = {
    **{f"assessment_new[{i}]": _assessment(i) for i in ASSESSMENT_FORMS},
    "medication_new": _patient_form(
        "medication_new",
        lambda w: {
            "drug": "oxycodone ER",
            "drug_class": "opioid_long",
            "opioid": "oxycodone",
            "dose": "20",
            "dose_unit": "mg",
            "frequency": "twice daily",
            "daily_dose": "40",
            "start_date": clinic_today().isoformat(),
            "stop_date": "",
            "indication": "chronic low back pain",
        },
        MedicationOrder.objects.count,
    ),
    "appointment_new": _patient_form(
        "appointment_new",
        lambda w: {
            "kind": "pt_visit",
            "discipline": "physical_therapist",
            "clinician": str(w.colleague.pk),
            "starts_at": local_minute(days=3),
            "duration_minutes": "45",
            "location": "Room 2",
            "notes": "",
        },
        Appointment.objects.count,
    ),
    "note_new": _patient_form(
        "note_new", lambda w: {"body": "Discussed pacing."}, ClinicalNote.objects.count
    ),
    "task_new": _patient_form("task_new", task_data, Task.objects.count),
    "task_new[patient page]": Case(
        page=lambda w: reverse("dashboard:patient", args=[w.patient.pk]),
        action=lambda w: reverse("dashboard:task_new", args=[w.patient.pk]),
        data=task_data,
        rows=Task.objects.count,
    ),
    "episode_open": Case(
        page=lambda w: reverse("dashboard:episode_open", args=[w.new_patient.pk]),
        action=lambda w: reverse("dashboard:episode_open", args=[w.new_patient.pk]),
        data=lambda w: {"onset": clinic_today().isoformat(), "summary": "Lifting injury"},
        rows=Episode.objects.count,
    ),
    "plan_apply": Case(
        page=lambda w: reverse("dashboard:plan_apply", args=[w.planless_episode.pk]),
        action=lambda w: reverse("dashboard:plan_apply", args=[w.planless_episode.pk]),
        data=lambda w: {"template": str(w.template.pk), "start_date": clinic_today().isoformat()},
        rows=CarePlan.objects.count,
    ),
    "conferences": Case(
        page=lambda w: reverse("dashboard:conferences"),
        action=lambda w: reverse("dashboard:conferences"),
        data=lambda w: {"team": str(w.team.pk), "scheduled_for": local_minute(days=2)},
        rows=CaseConference.objects.count,
    ),
    "agenda_add_patient": Case(
        page=conference_url,
        action=lambda w: reverse("dashboard:agenda_add_patient", args=[w.conference.pk]),
        data=lambda w: {"patient": str(w.candidate.pk)},
        rows=AgendaItem.objects.count,
    ),
    "agenda_input": Case(
        page=lambda w: reverse("dashboard:agenda_input", args=[w.item.pk]),
        action=lambda w: reverse("dashboard:agenda_input", args=[w.item.pk]),
        data=input_data,
        rows=ConferenceInput.objects.count,
    ),
    "agenda_input[conference page]": Case(
        page=conference_url,
        action=lambda w: reverse("dashboard:agenda_input", args=[w.item.pk]),
        data=input_data,
        rows=ConferenceInput.objects.count,
    ),
    "agenda_decision": Case(
        page=lambda w: reverse("dashboard:agenda_decision", args=[w.item.pk]),
        action=lambda w: reverse("dashboard:agenda_decision", args=[w.item.pk]),
        data=decision_data,
        rows=Task.objects.count,
    ),
    "agenda_decision[conference page]": Case(
        page=conference_url,
        action=lambda w: reverse("dashboard:agenda_decision", args=[w.item.pk]),
        data=decision_data,
        rows=Task.objects.count,
    ),
}
CREATE_ROUTES = {name.split("[")[0] for name in CASES}


@pytest.fixture
def world(team, clinician_on_team, colleague):
    """A patient with a whole record (on the agenda of a planned conference), a patient with no
    episode, an episode with no plan, a plan template and a patient to add to the agenda."""
    patient = make_patient(team, clinician_on_team, measures=2, flags=1)
    conference = conference_create(
        actor=clinician_on_team, team=team, scheduled_for=timezone.now() + dt.timedelta(hours=3)
    )
    template = PlanTemplate.objects.create(name="Test template", slug="test-template")
    template.interventions.create(
        kind="activity_advice", discipline="physician", description="Stay active"
    )
    return SimpleNamespace(
        team=team,
        colleague=colleague,
        patient=patient,
        new_patient=PatientFactory(team=team),
        planless_episode=EpisodeFactory(patient=PatientFactory(team=team)),
        template=template,
        conference=conference,
        item=conference.agenda_items.get(),
        candidate=PatientFactory(team=team),
    )


class _Forms(HTMLParser):
    """The POST forms of a page: action → the values of their submission_key inputs."""

    def __init__(self, page_url: str) -> None:
        super().__init__()
        self.page_url = page_url
        self.forms: list[tuple[str, list[str]]] = []
        self._current: list[str] | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = dict(attrs)
        if tag == "form" and (a.get("method") or "").lower() == "post":
            self._current = []
            self.forms.append((a.get("action") or self.page_url, self._current))
        elif tag == "input" and self._current is not None and a.get("name") == FORM_FIELD:
            self._current.append(a.get("value") or "")

    def handle_endtag(self, tag: str) -> None:
        if tag == "form":
            self._current = None


def keys_of_forms(client: Any, page: str, action: str) -> list[list[str]]:
    response = client.get(page)
    assert response.status_code == 200, page
    parser = _Forms(page)
    parser.feed(response.content.decode())
    return [keys for form_action, keys in parser.forms if form_action == action]


def form_key(client: Any, page: str, action: str) -> str:
    forms = keys_of_forms(client, page, action)
    assert forms, f"no form on {page} posts to {action}"
    assert all(len(keys) == 1 and keys[0] for keys in forms), forms
    return forms[0][0]


def _dashboard_routes() -> dict[str, Any]:
    resolver = get_resolver()
    dashboard = next(
        p for p in resolver.url_patterns if getattr(p, "namespace", None) == "dashboard"
    )
    return {p.name: p.callback for p in dashboard.url_patterns if isinstance(p, URLPattern)}


# --- The list is complete -------------------------------------------------------------------


def test_every_dashboard_route_is_named_here():
    routes = set(_dashboard_routes())
    assert routes == CREATE_ROUTES | set(NOT_CREATE_FORMS), (
        "Classify the new route: a create form goes into CASES (and its view gets "
        "@one_time_submission), anything else into NOT_CREATE_FORMS with the reason.",
        routes ^ (CREATE_ROUTES | set(NOT_CREATE_FORMS)),
    )


def test_every_instrument_has_a_case():
    assert set(ASSESSMENT_ANSWERS) == set(ASSESSMENT_FORMS)


@pytest.mark.parametrize("route", sorted(CREATE_ROUTES))
def test_every_create_view_runs_once_per_key(route):
    assert getattr(_dashboard_routes()[route], "one_time_submission", False), route


# --- Each create form ------------------------------------------------------------------------


@pytest.mark.parametrize("case_id", list(CASES))
def test_the_form_page_renders_a_fresh_one_time_key(logged_in, world, case_id):
    case = CASES[case_id]
    page, action = case.page(world), case.action(world)
    first, second = form_key(logged_in, page, action), form_key(logged_in, page, action)
    assert first != second  # each page shown is a new submission


@pytest.mark.parametrize("case_id", list(CASES))
def test_sending_the_form_twice_saves_it_once(logged_in, world, case_id):
    case = CASES[case_id]
    action = case.action(world)
    key = form_key(logged_in, case.page(world), action)
    before = case.rows()
    data = case.data(world) | {FORM_FIELD: key}

    first = logged_in.post(action, data)
    assert first.status_code == 302, first.content.decode()[:2000]
    assert case.rows() == before + 1
    again = logged_in.post(action, data)  # back + submit again, or a double click
    assert again.status_code == 302 and again["Location"] == first["Location"]
    assert case.rows() == before + 1
    assert ALREADY_SAVED in logged_in.get(again["Location"]).content.decode()


@pytest.mark.parametrize("case_id", list(CASES))
def test_back_to_a_refetched_form_with_the_values_put_back_saves_nothing(logged_in, world, case_id):
    """The back button re-fetches the form (a new key) and the browser restores what was typed:
    the same content again within minutes is the same submission."""
    case = CASES[case_id]
    page, action = case.page(world), case.action(world)
    before = case.rows()
    data = case.data(world)
    first = logged_in.post(action, data | {FORM_FIELD: form_key(logged_in, page, action)})
    again = logged_in.post(action, data | {FORM_FIELD: form_key(logged_in, page, action)})
    assert first.status_code == again.status_code == 302
    assert again["Location"] == first["Location"]
    assert case.rows() == before + 1
    assert ALREADY_SAVED in logged_in.get(again["Location"]).content.decode()


@pytest.mark.parametrize("case_id", [c for c in CASES if "[" not in c or "assessment" in c])
def test_it_refuses_a_create_form_without_its_key(logged_in, world, case_id):
    case = CASES[case_id]
    before = case.rows()
    response = logged_in.post(case.action(world), case.data(world) | {FORM_FIELD: None})
    assert response.status_code == 400
    assert "Nothing was saved" in response.content.decode()
    assert case.rows() == before


# --- Details, on the task form ---------------------------------------------------------------


def test_a_changed_resubmission_with_the_same_key_saves_nothing(logged_in, world):
    action = reverse("dashboard:task_new", args=[world.patient.pk])
    key = form_key(logged_in, action, action)
    before = Task.objects.count()
    first = logged_in.post(action, task_data(world) | {FORM_FIELD: key})
    changed = logged_in.post(action, task_data(world) | {FORM_FIELD: key, "title": "Changed"})
    assert changed["Location"] == first["Location"]
    assert Task.objects.count() == before + 1
    assert not Task.objects.filter(title="Changed").exists()
    html = logged_in.get(changed["Location"]).content.decode()
    assert CHANGED_RESUBMIT.replace("'", "&#x27;") in html


def test_a_form_shown_again_with_errors_keeps_its_key_and_saves_once_corrected(logged_in, world):
    action = reverse("dashboard:task_new", args=[world.patient.pk])
    key = form_key(logged_in, action, action)
    before = Task.objects.count()
    invalid = logged_in.post(action, task_data(world) | {FORM_FIELD: key, "discipline": ""})
    assert invalid.status_code == 200 and f'value="{key}"' in invalid.content.decode()
    assert not IdempotencyKey.objects.exists()  # nothing saved, so nothing to replay

    corrected = task_data(world) | {FORM_FIELD: key}
    assert logged_in.post(action, corrected).status_code == 302
    assert logged_in.post(action, corrected).status_code == 302
    assert Task.objects.count() == before + 1


def test_other_content_under_a_new_key_is_a_new_task(logged_in, world):
    action = reverse("dashboard:task_new", args=[world.patient.pk])
    before = Task.objects.count()
    logged_in.post(action, task_data(world))
    logged_in.post(action, task_data(world) | {"title": "Book the MRI"})
    assert Task.objects.count() == before + 2


def test_the_same_content_after_the_resubmit_window_is_a_new_task(logged_in, world):
    action = reverse("dashboard:task_new", args=[world.patient.pk])
    before = Task.objects.count()
    logged_in.post(action, task_data(world))
    IdempotencyKey.objects.update(
        created_at=timezone.now() - RESUBMIT_WINDOW - dt.timedelta(seconds=1)
    )
    assert logged_in.post(action, task_data(world)).status_code == 302
    assert Task.objects.count() == before + 2


def test_a_key_counts_once_per_clinician(client, world, clinician_on_team, colleague):
    action = reverse("dashboard:task_new", args=[world.patient.pk])
    before = Task.objects.count()
    for user in (clinician_on_team, colleague):
        client.force_login(user)
        assert client.post(action, task_data(world) | {FORM_FIELD: "same-key"}).status_code == 302
    assert Task.objects.count() == before + 2


def test_another_teams_patient_is_404_and_claims_no_key(client, clinician_off_team, world):
    client.force_login(clinician_off_team)
    action = reverse("dashboard:task_new", args=[world.patient.pk])
    assert client.post(action, task_data(world) | {FORM_FIELD: "k"}).status_code == 404
    assert not IdempotencyKey.objects.exists()
