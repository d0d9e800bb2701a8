"""The access matrix: every URL pattern and API route that takes an object id, asked by a
clinician of another team for each object type, answers 404 — the same as a missing object.

Generated from the URL conf: a new route with an id kwarg that this file does not know fails
the test until it is added here (and, by then, scoped). A positive control asks the same route
for the clinician's own team's object and must not get 404, so a wrong mapping cannot pass.
"""

import datetime as dt
from decimal import Decimal

import pytest
from django.urls import URLPattern, URLResolver, get_resolver, reverse
from django.utils import timezone

from apps.conferences.models import AgendaItem, CaseConference
from apps.core.choices import Discipline
from apps.messaging.models import Notification
from apps.patients.models import CareTeamMember
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

# Routes that take no object id of ours, by design (documented here).
EXEMPT = {
    "password_reset_confirm",  # Django's signed reset token
    "checkin",  # the patient's signed, expiring, single-use token (tests/messaging)
    "plan-template-detail",  # plan templates are shared clinic configuration, not patient data
}

# Dashboard kwarg -> object kind.
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
# API route-name prefix -> object kind (their kwarg is always "pk").
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
    "team": "team",
}
OTHER_KWARGS = {"instrument": "nrs"}
# Routes that only accept POST (actions): asked with POST, empty body.
POST_ONLY_SUFFIXES = (
    "acknowledge",
    "resolve",
    "snooze",
    "claim",
    "complete",
    "read",
    "close",
    "archive",
    "review",
    "stop",
    "end",
    "input",
    "decision",
    "add_patient",
    "status",
)


def _walk(patterns, prefix=""):
    for p in patterns:
        if isinstance(p, URLResolver):
            ns = f"{p.namespace}:" if p.namespace else ""
            yield from (
                (f"{ns}{name}" if name else None, route, kw)
                for name, route, kw in _walk_inner(p, prefix)
            )
        elif isinstance(p, URLPattern):
            yield p.name, prefix + str(p.pattern), list(p.pattern.regex.groupindex)


def _walk_inner(resolver, prefix):
    yield from _walk(resolver.url_patterns, prefix + str(resolver.pattern))


def id_routes():
    routes = []
    for name, route, kwargs in _walk(get_resolver().url_patterns):
        if not kwargs or route.startswith("admin/") or name is None:
            continue
        if name.split(":")[-1] in EXEMPT:
            continue
        routes.append((name, route, kwargs))
    return routes


def _world(team, member):
    """One object of every kind on ``team``'s caseload."""
    patient = PatientFactory(team=team)
    episode = EpisodeFactory(patient=patient, onset=dt.date.today() - dt.timedelta(days=60))
    plan = CarePlanFactory(episode=episode)
    conference = CaseConference.objects.create(
        team=team, scheduled_for=timezone.now() + dt.timedelta(days=3)
    )
    flag = FlagFactory(patient=patient, episode=episode)
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
        "task": TaskFactory(patient=patient, team=team),
        "flag": flag,
        "notification": Notification.objects.create(
            recipient=member,
            patient=patient,
            kind="urgent_flag",
            title="Urgent flag",
            idempotency_key=f"matrix:{team.pk}",
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


def _kind(name, kwarg):
    short = name.split(":")[-1]
    if kwarg == "pk":
        prefix = max((p for p in API_NAMES if short.startswith(p + "-")), key=len, default=None)
        if prefix is None:
            pytest.fail(f"Unscoped API route {name}: add its object kind to API_NAMES")
        return API_NAMES[prefix]
    if kwarg in OTHER_KWARGS:
        return None
    if kwarg not in PAGE_KWARGS:
        pytest.fail(f"Route {name} takes an unknown id '{kwarg}': add it to PAGE_KWARGS")
    return PAGE_KWARGS[kwarg]


def _url(name, kwargs, objects):
    values = {}
    for kw in kwargs:
        kind = _kind(name, kw)
        values[kw] = OTHER_KWARGS[kw] if kind is None else objects[kind].pk
    return reverse(name, kwargs=values)


def _ask(client, name, url):
    short = name.split(":")[-1].replace("-", "_")
    if (
        short.endswith(POST_ONLY_SUFFIXES)
        or short.endswith("_new")
        or short.endswith("_open")
        or short.endswith("_apply")
    ):
        response = (
            client.post(url, {}, content_type="application/json")
            if url.startswith("/api/")
            else client.post(url, {})
        )
        if response.status_code == 405:
            response = client.get(url)
        return response
    return client.get(url)


ROUTES = id_routes()


def test_the_matrix_covers_every_route_with_an_id():
    assert len(ROUTES) >= 40
    for name, _route, kwargs in ROUTES:
        for kw in kwargs:
            _kind(name, kw)


@pytest.mark.parametrize("name, route, kwargs", ROUTES, ids=[r[0] for r in ROUTES])
def test_another_teams_object_is_not_found(client, clinician_on_team, worlds, name, route, kwargs):
    client.force_login(clinician_on_team)

    theirs = _ask(client, name, _url(name, kwargs, worlds["theirs"]))
    mine = _ask(client, name, _url(name, kwargs, worlds["mine"]))

    assert theirs.status_code == 404, f"{name}: {theirs.status_code}"
    assert mine.status_code != 404, f"{name}: own team's object gave 404 (mapping wrong?)"


@pytest.mark.parametrize("name, route, kwargs", ROUTES, ids=[r[0] for r in ROUTES])
def test_an_anonymous_request_is_refused(client, worlds, name, route, kwargs):
    response = _ask(client, name, _url(name, kwargs, worlds["mine"]))
    assert response.status_code in (302, 401, 403)
    if response.status_code == 302:
        assert "/accounts/login/" in response["Location"]


# --- Django admin, for staff who are not superusers --------------------------------------------

ADMIN_KIND_BY_MODEL = {
    "patients.patient": "patient",
    "patients.episode": "episode",
    "patients.careteammember": "care_team_member",
    "careplans.careplan": "plan",
    "careplans.goal": "goal",
    "careplans.intervention": "intervention",
    "medications.medicationorder": "medication",
    "assessments.assessment": "assessment",
    "scheduling.appointment": "appointment",
    "worklist.task": "task",
    "flags.flag": "flag",
    "messaging.notification": "notification",
    "conferences.caseconference": "conference",
    "conferences.agendaitem": "agenda_item",
}


def _scoped_admin_models():
    from django.contrib import admin

    return sorted(
        (
            m._meta.label_lower
            for m, a in admin.site._registry.items()
            # Every admin has the attribute now (the site mixes the scoping in): those reaching
            # a patient set it. tests/admin/test_admin_access_matrix.py covers them all.
            if getattr(a, "patient_path", None) is not None
        ),
    )


def test_every_patient_scoped_admin_is_in_the_matrix():
    missing = (
        set(_scoped_admin_models())
        - set(ADMIN_KIND_BY_MODEL)
        - {
            "patients.redflagfinding",
            "patients.clinicalnote",
            "messaging.outboundmessage",
            "messaging.checkin",
            "conferences.conferenceinput",
            "audit.auditevent",
        }
    )
    assert not missing, f"add these admin models to ADMIN_KIND_BY_MODEL: {missing}"


@pytest.fixture
def staff_on_team(clinician_on_team):
    from django.contrib.auth.models import Permission

    clinician_on_team.is_staff = True
    clinician_on_team.save()
    clinician_on_team.user_permissions.set(Permission.objects.all())
    return clinician_on_team


@pytest.mark.parametrize("label", sorted(ADMIN_KIND_BY_MODEL))
def test_staff_cannot_open_another_teams_record_in_admin(client, staff_on_team, worlds, label):
    app_label, model_name = label.split(".")
    kind = ADMIN_KIND_BY_MODEL[label]
    client.force_login(staff_on_team)

    def change(obj):
        return client.get(reverse(f"admin:{app_label}_{model_name}_change", args=[obj.pk]))

    theirs, mine = change(worlds["theirs"][kind]), change(worlds["mine"][kind])

    # Django admin answers a record outside the queryset like a missing one: a redirect to
    # the admin index saying it does not exist.
    assert theirs.status_code == 302 and theirs["Location"] == reverse("admin:index")
    assert mine.status_code == 200
