"""Admin access matrix: a staff member who is not a superuser, holding every model permission,
on team A, next to a team B that has one row of every model.

Generated from ``admin.site._registry``, for every registered model and every inline:
- the changelist and the autocomplete lists show nothing of team B;
- no relation field (foreign key, one-to-one, many-to-many) of an add or change form, or of an
  inline form, offers a row of team B — and each offers team A's row (scoped, not just empty);
- a POST to add or change that names a row of team B, in the form or in an inline, is refused
  with the error on that field, and stores nothing.

A model registered later fails here until the world below builds a row of it for each team (or it
is listed as shared by every team), and until its admin scopes it.
"""

from __future__ import annotations

import datetime as dt
import itertools
from dataclasses import dataclass
from typing import Any

import pytest
from axes.models import AccessAttempt, AccessFailureLog, AccessLog
from django.contrib import admin as django_admin
from django.contrib.auth.models import Group, Permission
from django.contrib.contenttypes.models import ContentType
from django.db.models import Model
from django.urls import reverse
from django.utils import timezone
from django_celery_beat.models import (
    ClockedSchedule,
    CrontabSchedule,
    IntervalSchedule,
    PeriodicTask,
    SolarSchedule,
)
from django_otp.plugins.otp_totp.models import TOTPDevice
from knox.models import AuthToken

from apps.accounts.models import Clinician
from apps.assessments.models import Assessment
from apps.audit.models import AuditEvent
from apps.careplans.models import (
    CarePlan,
    Goal,
    Intervention,
    PlanTemplate,
    PlanTemplateFollowUp,
    PlanTemplateGoal,
    PlanTemplateIntervention,
)
from apps.clinical.models import ClinicalSetting
from apps.conferences.models import AgendaItem, CaseConference, ConferenceInput
from apps.core.choices import Discipline
from apps.core.models import WorkerHeartbeat
from apps.flags.models import Flag
from apps.medications.models import MedicationOrder
from apps.messaging.models import CheckIn, Notification, OutboundMessage
from apps.patients.models import CareTeamMember, ClinicalNote, Episode, Patient, RedFlagFinding
from apps.scheduling.models import Appointment
from apps.teams.models import Team, TeamMembership
from apps.worklist.models import Task
from tests.admin.admin_forms import (
    admin_forms,
    choice_value,
    errors_of,
    post_data,
    refused,
    relations,
    snapshot,
)
from tests.factories import (
    AppointmentFactory,
    AssessmentFactory,
    CarePlanFactory,
    CareTeamMemberFactory,
    ClinicianFactory,
    EpisodeFactory,
    FlagFactory,
    GoalFactory,
    InterventionFactory,
    MedicationOrderFactory,
    PatientFactory,
    TaskFactory,
    TeamFactory,
    TeamMembershipFactory,
)

# Reference data every team shares: no team's rows, so not limited by team (reviewed list).
SHARED = {
    Group,
    Permission,
    ContentType,
    PlanTemplate,
    PlanTemplateIntervention,
    PlanTemplateGoal,
    PlanTemplateFollowUp,
    ClinicalSetting,
    WorkerHeartbeat,
    AccessAttempt,
    AccessLog,
    AccessFailureLog,
    PeriodicTask,
    IntervalSchedule,
    CrontabSchedule,
    SolarSchedule,
    ClockedSchedule,
}
# Credentials of one user: staff who are not superusers see none, not even a teammate's.
SUPERUSER_ONLY = {AuthToken, TOTPDevice}

REGISTERED = sorted(django_admin.site._registry, key=lambda m: m._meta.label)
TEAM_DATA = [m for m in REGISTERED if m not in SHARED]

_serial = itertools.count(1)


def _world(team: Team, member: Clinician) -> dict[type[Model], Model]:
    """One row of every model holding team data, all of ``team`` (``member`` is on it)."""
    n = next(_serial)
    patient = PatientFactory(team=team)
    episode = EpisodeFactory(patient=patient)
    plan = CarePlanFactory(episode=episode)
    flag = FlagFactory(patient=patient, episode=episode)
    appointment = AppointmentFactory(episode=episode, clinician=member)
    checkin = CheckIn.objects.create(
        patient=patient,
        episode=episode,
        expires_at=timezone.now() + dt.timedelta(days=7),
        nonce=f"matrix-{n}",
    )
    conference = CaseConference.objects.create(
        team=team, scheduled_for=timezone.now() + dt.timedelta(days=2), chair=member
    )
    agenda_item = AgendaItem.objects.create(
        conference=conference, patient=patient, reason="stalled_recovery", evidence={}
    )
    return {
        Team: team,
        Clinician: member,
        TeamMembership: TeamMembership.objects.get(team=team, clinician=member),
        Patient: patient,
        Episode: episode,
        CarePlan: plan,
        Goal: GoalFactory(plan=plan),
        Intervention: InterventionFactory(plan=plan),
        CareTeamMember: CareTeamMemberFactory(episode=episode, clinician=member),
        RedFlagFinding: RedFlagFinding.objects.create(
            episode=episode, sign="night_pain", noted_by=member
        ),
        ClinicalNote: ClinicalNote.objects.create(
            patient=patient, episode=episode, author=member, body="Walking 20 minutes a day."
        ),
        MedicationOrder: MedicationOrderFactory(episode=episode, prescriber=member),
        Assessment: AssessmentFactory(episode=episode),
        Appointment: appointment,
        Flag: flag,
        Task: TaskFactory(
            patient=patient,
            team=team,
            episode=episode,
            assignee=member,
            flag=flag,
            agenda_item=agenda_item,
        ),
        CheckIn: checkin,
        OutboundMessage: OutboundMessage.objects.create(
            idempotency_key=f"appointment_reminder:{n}:48h",
            kind="appointment_reminder",
            channel="email",
            patient=patient,
            appointment=appointment,
            checkin=checkin,
            recipient_clinician=member,
            to_address="patient@example.com",
            subject="Your appointment",
            body="See you on Tuesday.",
        ),
        Notification: Notification.objects.create(
            recipient=member,
            patient=patient,
            kind="urgent_flag",
            title="Urgent flag",
            idempotency_key=f"urgent_flag:{n}",
        ),
        CaseConference: conference,
        AgendaItem: agenda_item,
        ConferenceInput: ConferenceInput.objects.create(
            agenda_item=agenda_item,
            discipline=Discipline.PHYSICAL_THERAPIST,
            author=member,
            text="Progressing the exercise programme.",
        ),
        AuditEvent: AuditEvent.objects.create(
            actor=member,
            patient=patient,
            action="view",
            object_type="patients.patient",
            object_id=str(patient.pk),
            surface="page",
        ),
        AuthToken: AuthToken.objects.create(user=member)[0],
        TOTPDevice: TOTPDevice.objects.create(user=member, name=f"Phone {n}", confirmed=True),
    }


@dataclass
class Matrix:
    staff: Clinician
    ours: dict[type[Model], Model]
    theirs: dict[type[Model], Model]

    def row(self, side: dict[type[Model], Model], model: type[Model]) -> Model:
        if model not in side:
            pytest.fail(
                f"{model._meta.label} holds team data but the access matrix builds no row of it: "
                "add one to _world() in tests/admin/test_admin_access_matrix.py (or, if every "
                "team shares it, to SHARED here and shared_across_teams in its admin)."
            )
        return side[model]


@pytest.fixture
def matrix(db) -> Matrix:
    team_a, team_b = TeamFactory(name="Team A"), TeamFactory(name="Team B")
    staff = ClinicianFactory(username="staff_a", is_staff=True)
    staff.user_permissions.set(Permission.objects.all())
    TeamMembershipFactory(team=team_a, clinician=staff)
    colleague = ClinicianFactory(username="colleague_a")
    TeamMembershipFactory(team=team_a, clinician=colleague)
    outsider = ClinicianFactory(username="outsider_b")
    TeamMembershipFactory(team=team_b, clinician=outsider)
    return Matrix(staff=staff, ours=_world(team_a, colleague), theirs=_world(team_b, outsider))


def _url(model: type[Model], view: str, *args: Any) -> str:
    opts = model._meta
    return reverse(f"admin:{opts.app_label}_{opts.model_name}_{view}", args=args)


# --- Choices offered ---------------------------------------------------------------------------


def _check_choices(matrix: Matrix, response: Any) -> int:
    checked = 0
    for where, form in admin_forms(response):
        for name, field in relations(form):
            related = field.queryset.model
            if related in SHARED:
                continue
            offered = set(field.queryset.values_list("pk", flat=True))
            theirs = matrix.row(matrix.theirs, related)
            assert theirs.pk not in offered, f"{where}: {name} offers team B's {theirs!r}"
            if related not in SUPERUSER_ONLY:
                ours = matrix.row(matrix.ours, related)
                assert ours.pk in offered, f"{where}: {name} does not offer team A's {ours!r}"
            checked += 1
    return checked


# --- The matrix -------------------------------------------------------------------------------


def test_every_registered_admin_model_is_in_the_matrix(matrix):
    missing = [m._meta.label for m in TEAM_DATA if m not in matrix.ours]
    assert not missing, f"Add these to _world() (or SHARED): {missing}"


@pytest.mark.parametrize("model", TEAM_DATA, ids=lambda m: m._meta.label)
def test_a_staff_member_lists_and_opens_only_their_teams_rows(client, matrix, model):
    ours, theirs = matrix.row(matrix.ours, model), matrix.row(matrix.theirs, model)
    client.force_login(matrix.staff)

    listed = {row.pk for row in client.get(_url(model, "changelist")).context["cl"].result_list}
    opened = client.get(_url(model, "change", theirs.pk))

    assert theirs.pk not in listed
    assert (ours.pk in listed) is (model not in SUPERUSER_ONLY)
    assert opened.status_code in (302, 404)
    if opened.status_code == 302:
        assert opened["Location"] == reverse("admin:index")


@pytest.mark.parametrize("model", REGISTERED, ids=lambda m: m._meta.label)
def test_a_staff_members_forms_offer_no_row_of_another_team(client, matrix, model):
    client.force_login(matrix.staff)
    pages = [client.get(_url(model, "add"))]
    if model not in SHARED and model not in SUPERUSER_ONLY:
        pages.append(client.get(_url(model, "change", matrix.row(matrix.ours, model).pk)))

    for page in pages:
        assert page.status_code in (200, 403)
        if page.status_code == 200:
            _check_choices(matrix, page)


@pytest.mark.parametrize("model", REGISTERED, ids=lambda m: m._meta.label)
def test_a_staff_members_autocomplete_lists_no_row_of_another_team(client, matrix, model):
    model_admin = django_admin.site._registry[model]
    client.force_login(matrix.staff)
    for name in model_admin.autocomplete_fields:
        related = model._meta.get_field(name).related_model
        if related in SHARED:
            continue
        response = client.get(
            reverse("admin:autocomplete"),
            {
                "app_label": model._meta.app_label,
                "model_name": model._meta.model_name,
                "field_name": name,
                "term": "",
            },
        )
        if response.status_code == 403:  # the user may not open this admin at all
            continue
        ids = {int(r["id"]) for r in response.json()["results"]}
        assert matrix.row(matrix.theirs, related).pk not in ids, name


CHANGEABLE = [m for m in TEAM_DATA if m not in SUPERUSER_ONLY]


@pytest.mark.parametrize("model", CHANGEABLE, ids=lambda m: m._meta.label)
def test_a_staff_member_cannot_post_another_teams_row_into_a_change_or_add_form(
    client, matrix, model
):
    ours = matrix.row(matrix.ours, model)
    change_url, add_url = _url(model, "change", ours.pk), _url(model, "add")
    client.force_login(matrix.staff)
    page = client.get(change_url)
    assert page.status_code == 200
    if not page.context["has_change_permission"]:
        pytest.skip(f"{model._meta.label} is read-only for this user")
    data = post_data(page)
    may_add = client.get(add_url).status_code == 200
    before = snapshot(model)

    # The data a browser sends back is valid: what follows is refused for the one field only.
    control = client.post(change_url, data)
    assert control.status_code == 302, errors_of(control)
    before = snapshot(model)

    tried = 0
    for name, field in relations(page.context["adminform"].form):
        related = field.queryset.model
        if related in SHARED:
            continue
        theirs = matrix.row(matrix.theirs, related)
        posted = {**data, name: choice_value(field, theirs)}

        changed = client.post(change_url, posted)
        assert changed.status_code == 200, f"change with team B's {name} was saved"
        assert refused(changed.context["adminform"].form.errors, name), errors_of(changed)
        if may_add:
            added = client.post(add_url, posted)
            assert added.status_code == 200, f"add with team B's {name} was saved"
            assert refused(added.context["adminform"].form.errors, name), errors_of(added)
        assert snapshot(model) == before
        tried += 1

    for inline in page.context["inline_admin_formsets"]:
        formset = inline.formset
        if not inline.has_add_permission:
            continue
        index = formset.total_form_count()
        blank = formset.empty_form
        for name, field in relations(blank):
            related = field.queryset.model
            if related in SHARED:
                continue
            theirs = matrix.row(matrix.theirs, related)
            posted = {
                **data,
                f"{formset.prefix}-TOTAL_FORMS": str(index + 1),
                f"{formset.prefix}-{index}-{name}": choice_value(field, theirs),
            }
            before_inline = snapshot(formset.model)

            response = client.post(change_url, posted)

            assert response.status_code == 200, f"inline {formset.prefix} took team B's {name}"
            (bound,) = [
                f.formset
                for f in response.context["inline_admin_formsets"]
                if f.formset.prefix == formset.prefix
            ]
            assert refused(bound.forms[index].errors, name), bound.errors
            assert snapshot(formset.model) == before_inline
            tried += 1
    assert tried or not relations(page.context["adminform"].form)


@pytest.mark.parametrize("model", TEAM_DATA, ids=lambda m: m._meta.label)
def test_a_staff_member_cannot_add_a_row_naming_another_teams_row(client, matrix, model):
    """From the blank add form (models that are added but never changed, like assessments)."""
    add_url = _url(model, "add")
    client.force_login(matrix.staff)
    page = client.get(add_url)
    if page.status_code == 403:
        pytest.skip(f"{model._meta.label}: this user may not add")
    data = post_data(page)
    before = snapshot(model)

    for name, field in relations(page.context["adminform"].form):
        related = field.queryset.model
        if related in SHARED:
            continue
        theirs = matrix.row(matrix.theirs, related)

        response = client.post(add_url, {**data, name: choice_value(field, theirs)})

        assert response.status_code == 200, f"added with team B's {name}"
        assert refused(response.context["adminform"].form.errors, name), errors_of(response)
    assert snapshot(model) == before


@pytest.fixture
def colleague_elsewhere(matrix) -> Clinician:
    """The staff member is also on team C; this clinician is on team C only."""
    team_c = TeamFactory(name="Team C")
    TeamMembershipFactory(team=team_c, clinician=matrix.staff)
    clinician = ClinicianFactory(username="colleague_c")
    TeamMembershipFactory(team=team_c, clinician=clinician)
    return clinician


def _clinician_fields(form: Any, model_admin: Any) -> list[str]:
    return [
        name
        for name, field in relations(form)
        if field.queryset.model is Clinician
        and name not in getattr(model_admin, "clinicians_from_any_team", ())
    ]


@pytest.mark.parametrize("model", CHANGEABLE, ids=lambda m: m._meta.label)
def test_a_multi_team_staff_member_cannot_name_a_clinician_off_the_rows_team(
    client, matrix, colleague_elsewhere, model
):
    """Prescriber, assignee, author, chair, recipient...: a colleague from the user's other team
    is offered (the user shares a team with them) but refused for this team's row."""
    ours = matrix.row(matrix.ours, model)
    change_url = _url(model, "change", ours.pk)
    client.force_login(matrix.staff)
    page = client.get(change_url)
    if not page.context["has_change_permission"]:
        pytest.skip(f"{model._meta.label} is read-only for this user")
    data = post_data(page)
    before = snapshot(model)
    model_admin = django_admin.site._registry[model]

    for name in _clinician_fields(page.context["adminform"].form, model_admin):
        response = client.post(change_url, {**data, name: str(colleague_elsewhere.pk)})

        assert response.status_code == 200, f"{name}: a clinician of another team was saved"
        assert response.context["adminform"].form.errors.get(name), errors_of(response)
        assert snapshot(model) == before

    for inline_admin, inline in zip(
        model_admin.get_inline_instances(page.wsgi_request, ours),
        page.context["inline_admin_formsets"],
        strict=True,
    ):
        formset = inline.formset
        if not inline.has_add_permission:
            continue
        index = formset.total_form_count()
        for name in _clinician_fields(formset.empty_form, inline_admin):
            inline_before = snapshot(formset.model)
            response = client.post(
                change_url,
                {
                    **data,
                    f"{formset.prefix}-TOTAL_FORMS": str(index + 1),
                    f"{formset.prefix}-{index}-{name}": str(colleague_elsewhere.pk),
                },
            )

            assert response.status_code == 200, f"inline {formset.prefix}: {name} was saved"
            (bound,) = [
                f.formset
                for f in response.context["inline_admin_formsets"]
                if f.formset.prefix == formset.prefix
            ]
            assert bound.forms[index].errors.get(name), bound.errors
            assert snapshot(formset.model) == inline_before
