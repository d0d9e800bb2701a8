"""Every route that shows patient data writes exactly one audit read row, naming the patients shown.

Generated from the URL conf (``django.urls.get_resolver()``, the Django admin and the API router
included). Each route is one of:

- ``NOT_PATIENT_DATA`` (with the reason) or an admin model in ``NON_PATIENT_MODELS``;
- ``WRITE_ONLY``: a GET is refused (405) and writes nothing — its POST is audited as a change;
- patient data (everything else): a GET by a clinician of the patient's team (the admin for admin
  URLs) answers 200 and writes exactly one new read row naming that patient — the only patient
  of the team, so a list names exactly them and never the other team's patient.

A new route fails ``test_every_route_is_classified`` until it is classified here. Lists naming
several patients, pagination and the 404 of another team: tests/audit/test_read_audit.py.
"""

import datetime as dt
from decimal import Decimal
from typing import Any

import pytest
from django.contrib import admin as django_admin
from django.urls import URLPattern, URLResolver, get_resolver, reverse
from django.utils import timezone

from apps.audit.models import AuditEvent
from apps.audit.reads import infer_patient_path
from apps.conferences.models import AgendaItem, CaseConference
from apps.core.choices import Discipline
from apps.messaging.models import Notification
from apps.patients.models import CareTeamMember
from tests.admin.test_admin_smoke import BUILDERS
from tests.factories import (
    AppointmentFactory,
    AssessmentFactory,
    CarePlanFactory,
    ClinicianFactory,
    EpisodeFactory,
    FlagFactory,
    GoalFactory,
    InterventionFactory,
    MedicationOrderFactory,
    PatientFactory,
    TaskFactory,
    TeamMembershipFactory,
)

pytestmark = pytest.mark.django_db

# --- Classification ------------------------------------------------------------------------------

NOT_PATIENT_DATA = {
    "healthz": "liveness probe",
    "login": "sign-in form",
    "logout": "sign-out",
    "password_change": "the user's own password",
    "password_change_done": "the user's own password",
    "password_reset": "the user's own password",
    "password_reset_done": "the user's own password",
    "password_reset_confirm": "the user's own password (signed token)",
    "password_reset_complete": "the user's own password",
    "accounts:otp_verify": "the user's second factor",
    "accounts:otp_setup": "the user's second factor",
    "accounts:logout_everywhere": "the user's sessions",
    "accounts:session_ping": "keeps the session alive",
    "api:schema": "OpenAPI schema",
    "api:docs": "API documentation",
    "api:redoc": "API documentation",
    "api:token": "token sign-in",
    "api:logout": "token revocation",
    "api:logoutall": "token revocation",
    "api:not-found": "404 for unknown API paths",
    "api:plan-template-list": "plan templates: shared clinic configuration",
    "api:plan-template-detail": "plan templates: shared clinic configuration",
    "api:team-list": "teams and their clinicians, no patient",
    "api:team-detail": "teams and their clinicians, no patient",
    "messaging:checkin": (
        "the patient's own one-time link (no clinician reads it); shows only their first name"
    ),
    "dashboard:team_overview": "redirects to the first team's overview",
    "dashboard:team": "the team's aggregate numbers (counts by phase, flags by rule), no patient",
    "dashboard:conferences": "conference dates, teams and agenda counts, no patient",
    "dashboard:conference_close": (
        "the close form shows the conference's date and notes only; the agenda page is audited"
    ),
    "admin:index": "admin home",
    "admin:login": "admin sign-in",
    "admin:logout": "admin sign-out",
    "admin:password_change": "the user's own password",
    "admin:password_change_done": "the user's own password",
    "admin:jsi18n": "JavaScript translations",
    "admin:app_list": "the models of an app",
    "admin:view_on_site": "redirects to the object's page (audited there)",
    "admin:auth_user_password_change": "a clinician's password (UserAdmin)",
}
# Unnamed routes cannot be reversed; both only redirect (to the change page, to the login page).
UNNAMED_SKIPPED = {
    "admin/<app>/<model>/<path:object_id>/": "redirects to the change page (audited there)",
    "admin/(?P<url>.*)$": "the admin's catch-all: redirect or 404",
}

# GET answers 405: the route only writes (its POST is audited by the service as a change).
WRITE_ONLY = {
    "api:patient-archive",
    "api:episode-close",
    "api:care-team-member-end",
    "api:medication-review",
    "api:medication-stop",
    "api:task-claim",
    "api:task-complete",
    "api:flag-acknowledge",
    "api:flag-resolve",
    "api:flag-snooze",
    "api:notification-read",
    "api:notification-read-all",
    "dashboard:flag_acknowledge",
    "dashboard:task_claim",
    "dashboard:task_complete",
    "dashboard:notification_read",
    "dashboard:notifications_read_all",
    "dashboard:agenda_add_patient",
}

# Admin models that hold no patient data (every registered model must be in here or have a path
# to its patient, or be CaseConference, whose change page shows its agenda's patients).
NON_PATIENT_MODELS = {
    "auth.group": "permission groups",
    "accounts.clinician": "clinicians",
    "teams.team": "teams",
    "teams.teammembership": "clinicians on teams",
    "careplans.plantemplate": "plan templates (configuration)",
    "careplans.plantemplateintervention": "plan templates (configuration)",
    "careplans.plantemplategoal": "plan templates (configuration)",
    "careplans.plantemplatefollowup": "plan templates (configuration)",
    "clinical.clinicalsetting": "clinical thresholds (configuration)",
    "core.workerheartbeat": "worker liveness",
    "django_celery_beat.periodictask": "job schedules",
    "django_celery_beat.intervalschedule": "job schedules",
    "django_celery_beat.crontabschedule": "job schedules",
    "django_celery_beat.solarschedule": "job schedules",
    "django_celery_beat.clockedschedule": "job schedules",
    "axes.accessattempt": "sign-in attempts",
    "axes.accesslog": "sign-in attempts",
    "axes.accessfailurelog": "sign-in attempts",
    "otp_totp.totpdevice": "clinicians' authenticator devices",
    "knox.authtoken": "API tokens (hashed)",
}
TEAM_LEVEL_WITH_PATIENT_INLINES = {"conferences.caseconference"}
# Their changelist and history list team-level rows only (date, team, status, chair).
TEAM_LEVEL_NON_PATIENT_VIEWS = {"changelist", "history"}
# Admin pages refused to everybody (403), so they show nothing: records are archived, never
# deleted, and the audit trail is append-only.
ADMIN_REFUSED = {
    ("patients.patient", "delete"),
    ("patients.episode", "delete"),
    ("audit.auditevent", "delete"),
}
# Admin pages of a patient-data model that show no patient: the add form is empty (patient
# choices come from the autocomplete endpoint, which is audited).
ADMIN_NON_PATIENT_VIEWS = {"add"}
ADMIN_PATIENT_VIEWS = {"changelist", "change", "history", "delete", "simple_history", "export"}

# Dashboard kwarg -> object kind; API routes take "pk" (kind from the route name's prefix).
PAGE_KWARGS = {
    "patient_id": "patient",
    "assessment_id": "assessment",
    "order_id": "medication",
    "appointment_id": "appointment",
    "episode_id": "episode",
    "flag_id": "flag",
    "task_id": "task",
    "notification_id": "notification",
    "conference_id": "conference",
    "item_id": "agenda_item",
    "team_id": "team",
}
API_NAMES = {
    "patient": "patient",
    "episode": "episode",
    "care-team-member": "care_team_member",
    "care-plan": "plan",
    "goal": "goal",
    "intervention": "intervention",
    "medication": "medication",
    "assessment": "assessment",
    "appointment": "appointment",
    "task": "task",
    "flag": "flag",
    "notification": "notification",
}
OTHER_KWARGS = {"instrument": "nrs"}
EXPORTS = {"api:patient-fhir-export"}


def _walk(patterns: Any, prefix: str = "", namespaces: tuple[str, ...] = ()) -> Any:
    for p in patterns:
        if isinstance(p, URLResolver):
            ns = (*namespaces, p.namespace) if p.namespace else namespaces
            yield from _walk(p.url_patterns, prefix + str(p.pattern), ns)
        elif isinstance(p, URLPattern):
            name = ":".join((*namespaces, p.name)) if p.name else None
            yield name, prefix + str(p.pattern), list(p.pattern.regex.groupindex)


ALL_ROUTES = list(_walk(get_resolver().url_patterns))


def _admin_routes() -> dict[str, tuple[str, str]]:
    """admin route name -> (model label, view) for every registered ModelAdmin's URLs."""
    found: dict[str, tuple[str, str]] = {}
    for model in django_admin.site._registry:
        opts = model._meta
        base = f"admin:{opts.app_label}_{opts.model_name}_"
        for name, _route, _kwargs in ALL_ROUTES:
            if name and name.startswith(base):
                found[name] = (opts.label_lower, name[len(base) :])
    return found


ADMIN_ROUTES = _admin_routes()


def _is_patient_model(label: str) -> bool:
    model = next(m for m in django_admin.site._registry if m._meta.label_lower == label)
    model_admin = django_admin.site._registry[model]
    path = getattr(model_admin, "patient_path", None) or infer_patient_path(model)
    return path is not None or label in TEAM_LEVEL_WITH_PATIENT_INLINES


def classify(name: str | None, route: str) -> str:
    """ "skip", "write_only" or "patient" — or fail, naming what to add to this file."""
    if name is None:
        if route.startswith("admin/") and route.endswith("<path:object_id>/"):
            return "skip"
        if route in UNNAMED_SKIPPED:
            return "skip"
        pytest.fail(f"Unnamed route {route}: name it or add it to UNNAMED_SKIPPED")
    if name in NOT_PATIENT_DATA:
        return "skip"
    if name in WRITE_ONLY:
        return "write_only"
    if name in ADMIN_ROUTES:
        label, view = ADMIN_ROUTES[name]
        if label in NON_PATIENT_MODELS:
            return "skip"
        if not _is_patient_model(label):
            pytest.fail(f"Admin model {label}: add it to NON_PATIENT_MODELS or give it a patient")
        if view in ADMIN_NON_PATIENT_VIEWS:
            return "skip"
        if label in TEAM_LEVEL_WITH_PATIENT_INLINES and view in TEAM_LEVEL_NON_PATIENT_VIEWS:
            return "skip"
        if (label, view) in ADMIN_REFUSED:
            return "refused"
        if view not in ADMIN_PATIENT_VIEWS:
            pytest.fail(f"Admin view {name}: classify {view!r} in this file")
        return "patient"
    if name.startswith("admin:") and name != "admin:autocomplete":
        pytest.fail(f"Admin route {name}: classify it in this file")
    return "patient"


def _routes(kind: str, admin: bool) -> list[tuple[str, str, list[str]]]:
    return [
        (name, route, kwargs)
        for name, route, kwargs in ALL_ROUTES
        if name is not None and name.startswith("admin:") == admin and classify(name, route) == kind
    ]


CLINICIAN_ROUTES = _routes("patient", admin=False)
WRITE_ONLY_ROUTES = _routes("write_only", admin=False)
ADMIN_PATIENT_ROUTES = [r for r in _routes("patient", admin=True) if r[0] != "admin:autocomplete"]
ADMIN_REFUSED_ROUTES = _routes("refused", admin=True)


def test_every_route_is_classified():
    for name, route, _kwargs in ALL_ROUTES:
        classify(name, route)
    for label in {m._meta.label_lower for m in django_admin.site._registry}:
        assert label in NON_PATIENT_MODELS or _is_patient_model(label), label
    # The generated lists are not empty (a broken walk cannot pass).
    assert len(CLINICIAN_ROUTES) >= 30
    assert len(ADMIN_PATIENT_ROUTES) >= 60
    assert len(ADMIN_REFUSED_ROUTES) == len(ADMIN_REFUSED)
    assert "dashboard:assessment" in {r[0] for r in CLINICIAN_ROUTES}
    assert "admin:assessments_assessment_changelist" in {r[0] for r in ADMIN_PATIENT_ROUTES}


# --- A world of one patient with one object of every kind --------------------------------------


def _world(team: Any, member: Any) -> dict[str, Any]:
    patient = PatientFactory(team=team)
    episode = EpisodeFactory(patient=patient, onset=dt.date.today() - dt.timedelta(days=60))
    plan = CarePlanFactory(episode=episode)
    conference = CaseConference.objects.create(
        team=team, scheduled_for=timezone.now() + dt.timedelta(days=3)
    )
    return {
        "team": team,
        "patient": patient,
        "episode": episode,
        "care_team_member": CareTeamMember.objects.create(
            episode=episode, clinician=member, role=Discipline.PHYSICIAN, start=episode.onset
        ),
        "plan": plan,
        "goal": GoalFactory(plan=plan),
        "intervention": InterventionFactory(plan=plan),
        "medication": MedicationOrderFactory(episode=episode, daily_dose=Decimal(200)),
        "assessment": AssessmentFactory(episode=episode),
        "appointment": AppointmentFactory(episode=episode),
        "task": TaskFactory(patient=patient, team=team, assignee=member),
        "flag": FlagFactory(patient=patient, episode=episode),
        "notification": Notification.objects.create(
            recipient=member,
            patient=patient,
            kind="urgent_flag",
            title="Urgent flag",
            idempotency_key=f"reads:{team.pk}",
        ),
        "conference": conference,
        "agenda_item": AgendaItem.objects.create(
            conference=conference, patient=patient, reason="manual"
        ),
    }


@pytest.fixture
def worlds(team, other_team, clinician_on_team):
    off_member = ClinicianFactory(username="dr_b", discipline=Discipline.PHYSICIAN)
    TeamMembershipFactory(team=other_team, clinician=off_member)
    return {"mine": _world(team, clinician_on_team), "theirs": _world(other_team, off_member)}


def _kind(name: str, kwarg: str) -> str | None:
    short = name.split(":")[-1]
    if kwarg == "pk":
        prefix = max((p for p in API_NAMES if short.startswith(p + "-")), key=len, default=None)
        if prefix is None:
            pytest.fail(f"API route {name}: add its object kind to API_NAMES")
        return API_NAMES[prefix]
    if kwarg in OTHER_KWARGS:
        return None
    if kwarg not in PAGE_KWARGS:
        pytest.fail(f"Route {name} takes an unknown id {kwarg!r}: add it to PAGE_KWARGS")
    return PAGE_KWARGS[kwarg]


def _url(name: str, kwargs: list[str], objects: dict[str, Any]) -> str:
    values = {}
    for kw in kwargs:
        kind = _kind(name, kw)
        values[kw] = OTHER_KWARGS[kw] if kind is None else objects[kind].pk
    return reverse(name, kwargs=values)


def _new_reads(before: int) -> list[tuple[str, list[int], str]]:
    return [
        (e.action, e.patient_ids, e.route)
        for e in AuditEvent.objects.order_by("id")[before:]
        if e.action in ("view", "export")
    ]


def _all_new(before: int) -> list[Any]:
    return list(AuditEvent.objects.order_by("id")[before:])


# --- Clinician pages and the API ------------------------------------------------------------------


@pytest.mark.parametrize(
    "name, route, kwargs", CLINICIAN_ROUTES, ids=[r[0] for r in CLINICIAN_ROUTES]
)
def test_a_patient_data_route_writes_one_read_row_naming_the_patient(
    client, clinician_on_team, worlds, name, route, kwargs
):
    mine = worlds["mine"]
    url = _url(name, kwargs, mine)
    client.force_login(clinician_on_team)
    client.get(reverse("dashboard:caseload"))  # the session's first request (idle timestamp)
    before = AuditEvent.objects.count()

    response = client.get(url)

    assert response.status_code == 200, f"{name}: {response.status_code}"
    if hasattr(response, "streaming_content"):
        b"".join(response.streaming_content)  # the stream is read; still one row
    action = "export" if name in EXPORTS else "view"
    assert _new_reads(before) == [(action, [mine["patient"].pk], name)]
    assert len(_all_new(before)) == 1
    event = AuditEvent.objects.latest("id")
    assert (event.actor, event.path) == (clinician_on_team, url)
    assert event.patient == mine["patient"]


@pytest.mark.parametrize(
    "name, route, kwargs",
    [r for r in CLINICIAN_ROUTES if r[2]],
    ids=[r[0] for r in CLINICIAN_ROUTES if r[2]],
)
def test_another_teams_record_is_not_found_and_writes_no_read_row(
    client, clinician_on_team, worlds, name, route, kwargs
):
    client.force_login(clinician_on_team)
    before = AuditEvent.objects.count()

    response = client.get(_url(name, kwargs, worlds["theirs"]))

    assert response.status_code == 404, f"{name}: {response.status_code}"
    assert _all_new(before) == []


@pytest.mark.parametrize(
    "name, route, kwargs", WRITE_ONLY_ROUTES, ids=[r[0] for r in WRITE_ONLY_ROUTES]
)
def test_a_write_only_route_refuses_a_get_and_writes_nothing(
    client, clinician_on_team, worlds, name, route, kwargs
):
    client.force_login(clinician_on_team)
    before = AuditEvent.objects.count()

    response = client.get(_url(name, kwargs, worlds["mine"]))

    assert response.status_code == 405, f"{name}: {response.status_code}"
    assert _all_new(before) == []


# --- Django admin ---------------------------------------------------------------------------------


def _model(label: str) -> Any:
    return next(m for m in django_admin.site._registry if m._meta.label_lower == label)


def _patients_of(label: str, objs: Any) -> list[int]:
    model = _model(label)
    if label in TEAM_LEVEL_WITH_PATIENT_INLINES:
        rows = AgendaItem.objects.filter(conference__in=objs).values_list("patient_id", flat=True)
    else:
        model_admin = django_admin.site._registry[model]
        path = getattr(model_admin, "patient_path", None) or infer_patient_path(model)
        rows = model._default_manager.filter(pk__in=[o.pk for o in objs]).values_list(
            path, flat=True
        )
    return sorted({pid for pid in rows if pid is not None})


def _admin_url(name: str, label: str, view: str, obj: Any) -> str:
    if view in ("changelist", "export"):
        return reverse(name)
    if view == "simple_history":
        record = obj.history.order_by("-history_id").first()
        return reverse(name, args=[obj.pk, record.history_id])
    return reverse(name, args=[obj.pk])


@pytest.mark.parametrize(
    "name, route, kwargs", ADMIN_PATIENT_ROUTES, ids=[r[0] for r in ADMIN_PATIENT_ROUTES]
)
def test_an_admin_page_of_patient_data_writes_one_read_row_naming_its_patients(
    client, admin, name, route, kwargs
):
    label, view = ADMIN_ROUTES[name]
    model = _model(label)
    obj = BUILDERS[model](admin)
    client.force_login(admin)
    client.get(reverse("admin:index"))
    shown = model._default_manager.all() if view in ("changelist", "export") else [obj]
    expected = _patients_of(label, shown)
    assert expected, f"{name}: the builder made no patient data"
    before = AuditEvent.objects.count()

    response = client.get(_admin_url(name, label, view, obj))

    assert response.status_code == 200, f"{name}: {response.status_code}"
    if hasattr(response, "streaming_content"):
        b"".join(response.streaming_content)
    action = "export" if view == "export" else "view"
    assert _new_reads(before) == [(action, expected, name)]
    assert len(_all_new(before)) == 1
    assert AuditEvent.objects.latest("id").surface == "admin"


@pytest.mark.parametrize(
    "name, route, kwargs", ADMIN_REFUSED_ROUTES, ids=[r[0] for r in ADMIN_REFUSED_ROUTES]
)
def test_an_admin_page_refused_to_everybody_writes_no_read_row(client, admin, name, route, kwargs):
    label, view = ADMIN_ROUTES[name]
    obj = BUILDERS[_model(label)](admin)
    client.force_login(admin)
    client.get(reverse("admin:index"))
    before = AuditEvent.objects.count()

    response = client.get(_admin_url(name, label, view, obj))

    assert response.status_code == 403
    assert _all_new(before) == []


def test_the_admin_autocomplete_of_patients_writes_one_read_row_naming_the_choices(
    client, admin, team
):
    patients = PatientFactory.create_batch(3, team=team)
    client.force_login(admin)
    client.get(reverse("admin:index"))
    before = AuditEvent.objects.count()

    response = client.get(
        reverse("admin:autocomplete"),
        {"app_label": "assessments", "model_name": "assessment", "field_name": "patient"},
    )

    assert response.status_code == 200
    assert len(response.json()["results"]) == 3
    assert _new_reads(before) == [("view", sorted(p.pk for p in patients), "admin:autocomplete")]
