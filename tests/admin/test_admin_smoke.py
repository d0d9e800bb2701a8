"""Django admin: every registered model opens, and the daily-use paths behave as specified."""

import csv
import datetime as dt
import io
import itertools
import json
from collections.abc import Callable
from decimal import Decimal
from typing import Any

import pytest
from axes.models import AccessAttempt, AccessFailureLog, AccessLog
from django.contrib import admin as django_admin
from django.contrib.auth.models import Group, Permission
from django.contrib.messages import get_messages
from django.db import connection
from django.db.models import Model
from django.test.utils import CaptureQueriesContext
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
from apps.core.dates import clinic_today
from apps.core.models import WorkerHeartbeat
from apps.flags.models import Flag
from apps.medications.models import MedicationOrder
from apps.messaging.models import CheckIn, Notification, OutboundMessage
from apps.patients.models import CareTeamMember, ClinicalNote, Episode, Patient, RedFlagFinding
from apps.scheduling.models import Appointment
from apps.teams.models import Team, TeamMembership
from apps.worklist.models import Task
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

# --- One object per registered model -------------------------------------------------------------

_serial = itertools.count(1)


def _n() -> int:
    """A fresh number, so that a builder can run several times (unique names and keys)."""
    return next(_serial)


def _url(model: type[Model], view: str, *args: Any) -> str:
    opts = model._meta
    return reverse(f"admin:{opts.app_label}_{opts.model_name}_{view}", args=args)


def _template() -> PlanTemplate:
    n = _n()
    template = PlanTemplate.objects.create(
        name=f"Test programme {n}",
        slug=f"test-programme-{n}",
        description="For the admin tests.",
    )
    PlanTemplateIntervention.objects.create(
        template=template,
        kind="exercise_programme",
        discipline=Discipline.PHYSICAL_THERAPIST,
        description="Home exercise programme",
    )
    PlanTemplateIntervention.objects.create(
        template=template,
        kind="pt_visits",
        discipline=Discipline.PHYSICAL_THERAPIST,
        description="PT follow-up visits",
        start_offset_days=7,
        duration_days=42,
        order=1,
    )
    PlanTemplateGoal.objects.create(
        template=template,
        measure="nrs",
        description="Pain at or below 3/10",
        target=Decimal("3"),
        due_offset_days=28,
    )
    PlanTemplateFollowUp.objects.create(
        template=template,
        discipline=Discipline.PHYSICAL_THERAPIST,
        appointment_kind="pt_visit",
        title="Book the first PT visit",
        offset_days=7,
    )
    return template


def _agenda_item(chair: Clinician) -> AgendaItem:
    patient = PatientFactory()
    conference = CaseConference.objects.create(
        team=patient.team, scheduled_for=timezone.now() + dt.timedelta(days=2), chair=chair
    )
    return AgendaItem.objects.create(
        conference=conference,
        patient=patient,
        reason="stalled_recovery",
        evidence={"nrs": [7, 7, 6], "weeks_on_plan": 5},
    )


def _audit_event(actor: Clinician) -> AuditEvent:
    return AuditEvent.objects.create(
        actor=actor,
        patient=PatientFactory(),
        action="view",
        object_type="patients.patient",
        object_id="1",
        surface="page",
        ip_address="10.0.0.7",
        user_agent="pytest",
        path="/patients/1/",
    )


BUILDERS: dict[type[Model], Callable[[Clinician], Model]] = {
    Group: lambda admin: Group.objects.create(name=f"Care coordinators {_n()}"),
    Clinician: lambda admin: ClinicianFactory(discipline=Discipline.PHYSICAL_THERAPIST),
    Team: lambda admin: TeamFactory(),
    TeamMembership: lambda admin: TeamMembershipFactory(),
    Patient: lambda admin: PatientFactory(),
    Episode: lambda admin: EpisodeFactory(),
    RedFlagFinding: lambda admin: RedFlagFinding.objects.create(
        episode=EpisodeFactory(), sign="night_pain", noted_by=admin
    ),
    CareTeamMember: lambda admin: CareTeamMemberFactory(),
    ClinicalNote: lambda admin: ClinicalNote.objects.create(
        patient=PatientFactory(), author=admin, body="Walking 20 minutes a day."
    ),
    PlanTemplate: lambda admin: _template(),
    PlanTemplateIntervention: lambda admin: _template().interventions.first(),  # type: ignore[dict-item]
    PlanTemplateGoal: lambda admin: _template().goals.first(),  # type: ignore[dict-item]
    PlanTemplateFollowUp: lambda admin: _template().follow_ups.first(),  # type: ignore[dict-item]
    CarePlan: lambda admin: CarePlanFactory(),
    Goal: lambda admin: GoalFactory(),
    Intervention: lambda admin: InterventionFactory(),
    MedicationOrder: lambda admin: MedicationOrderFactory(),
    Assessment: lambda admin: AssessmentFactory(),
    Appointment: lambda admin: AppointmentFactory(),
    Task: lambda admin: TaskFactory(),
    Flag: lambda admin: FlagFactory(evidence={"days_since_measure": 15, "limit": 14}),
    OutboundMessage: lambda admin: OutboundMessage.objects.create(
        idempotency_key=f"appointment_reminder:{_n()}:48h",
        kind="appointment_reminder",
        channel="email",
        patient=PatientFactory(),
        to_address="patient@example.com",
        subject="Your appointment",
        body="See you on Tuesday.",
        status="failed",
        attempts=5,
        last_error="SMTPRecipientsRefused: 550 mailbox unavailable",
    ),
    Notification: lambda admin: Notification.objects.create(
        recipient=admin,
        patient=PatientFactory(),
        kind="urgent_flag",
        title="Urgent flag",
        idempotency_key=f"urgent_flag:{_n()}",
    ),
    WorkerHeartbeat: lambda admin: WorkerHeartbeat.objects.create(
        worker=f"celery@host-{WorkerHeartbeat.objects.count()}", last_seen=timezone.now(), beats=3
    ),
    CheckIn: lambda admin: CheckIn.objects.create(
        patient=PatientFactory(),
        expires_at=timezone.now() + dt.timedelta(days=7),
        nonce=f"pytest-nonce-{_n()}",
    ),
    CaseConference: lambda admin: _agenda_item(admin).conference,
    AgendaItem: lambda admin: _agenda_item(admin),
    ConferenceInput: lambda admin: ConferenceInput.objects.create(
        agenda_item=_agenda_item(admin),
        discipline=Discipline.PHYSICAL_THERAPIST,
        author=admin,
        text="Progressing the exercise programme.",
    ),
    AuditEvent: lambda admin: _audit_event(admin),
    # The changelist gives every threshold a row, so take the first one (created if need be).
    ClinicalSetting: lambda admin: ClinicalSetting.objects.update_or_create(
        key="acute_check_day", defaults={"value": Decimal("7"), "changed_by": admin}
    )[0],
    IntervalSchedule: lambda admin: IntervalSchedule.objects.create(every=15, period="minutes"),
    CrontabSchedule: lambda admin: CrontabSchedule.objects.create(minute="0", hour="7"),
    SolarSchedule: lambda admin: SolarSchedule.objects.create(
        event="sunrise", latitude=Decimal("40.71"), longitude=Decimal(-_n())
    ),
    ClockedSchedule: lambda admin: ClockedSchedule.objects.create(
        clocked_time=timezone.now() + dt.timedelta(days=1)
    ),
    AccessAttempt: lambda admin: AccessAttempt.objects.create(
        username=f"someone{_n()}",
        ip_address="10.0.0.9",
        user_agent="test",
        failures_since_start=3,
        get_data="",
        post_data="",
        http_accept="*/*",
        path_info="/accounts/login/",
    ),
    AccessLog: lambda admin: AccessLog.objects.create(
        username=f"someone{_n()}",
        ip_address="10.0.0.9",
        user_agent="test",
        http_accept="*/*",
        path_info="/accounts/login/",
    ),
    AccessFailureLog: lambda admin: AccessFailureLog.objects.create(
        username=f"someone{_n()}",
        ip_address="10.0.0.9",
        user_agent="test",
        http_accept="*/*",
        path_info="/accounts/login/",
        locked_out=False,
    ),
    # A device of another clinician: the admin's own would (rightly) require a second factor.
    TOTPDevice: lambda admin: TOTPDevice.objects.create(
        user=ClinicianFactory(), name=f"Phone {_n()}", confirmed=True
    ),
    AuthToken: lambda admin: AuthToken.objects.create(user=admin)[0],
    PeriodicTask: lambda admin: PeriodicTask.objects.create(
        name=f"Evaluate rules {_n()}",
        task="apps.flags.tasks.evaluate_all",
        interval=IntervalSchedule.objects.create(every=1, period="hours"),
    ),
}

# Models whose admin forbids adding for everybody: append-only records, and check-in links
# (only the check-in service can issue a signed link).
ADD_FORBIDDEN = {
    AuditEvent,
    CheckIn,
    WorkerHeartbeat,
    # django-axes records are written by the lockout machinery only.
    AccessAttempt,
    AccessLog,
    AccessFailureLog,
}

REGISTERED = sorted(django_admin.site._registry, key=lambda m: m._meta.label)


def _build(model: type[Model], admin: Clinician) -> Model:
    builder = BUILDERS.get(model)
    if builder is None:
        pytest.fail(f"No builder for {model._meta.label}: add one to BUILDERS in this file.")
    return builder(admin)


@pytest.mark.parametrize("model", REGISTERED, ids=lambda m: m._meta.label)
def test_it_opens_the_changelist_add_and_change_pages_of_every_registered_model(
    client, admin, model
):
    obj = _build(model, admin)
    client.force_login(admin)

    response = client.get(_url(model, "changelist"))
    assert response.status_code == 200
    assert obj.pk in {row.pk for row in response.context["cl"].result_list}

    response = client.get(_url(model, "add"))
    assert response.status_code == (403 if model in ADD_FORBIDDEN else 200)

    response = client.get(_url(model, "change", obj.pk))
    assert response.status_code == 200


@pytest.mark.parametrize("model", REGISTERED, ids=lambda m: m._meta.label)
def test_it_lists_every_registered_model_in_a_constant_number_of_queries(client, admin, model):
    _build(model, admin)
    client.force_login(admin)
    url = _url(model, "changelist")
    client.get(url)  # warm caches (content types, sessions)

    with CaptureQueriesContext(connection) as one_row:
        client.get(url)
    for _ in range(3):
        _build(model, admin)
    with CaptureQueriesContext(connection) as more_rows:
        response = client.get(url)

    assert response.context["cl"].result_count >= 4
    assert len(more_rows) == len(one_row), [q["sql"] for q in more_rows.captured_queries]


@pytest.mark.parametrize("model", REGISTERED, ids=lambda m: m._meta.label)
def test_it_searches_every_registered_changelist_without_error(client, admin, model):
    _build(model, admin)
    client.force_login(admin)
    response = client.get(_url(model, "changelist"), {"q": "a"})
    assert response.status_code == 200


# --- Assessments -------------------------------------------------------------------------------


def _assessment_post(patient: Patient, episode: Episode, instrument: str, answers: Any) -> dict:
    taken = timezone.localtime() - dt.timedelta(hours=1)
    return {
        "patient": patient.pk,
        "episode": episode.pk,
        "instrument": instrument,
        "answers": json.dumps(answers),
        "taken_at_0": taken.strftime("%Y-%m-%d"),
        "taken_at_1": taken.strftime("%H:%M:%S"),
        "reported_by": "clinician",
    }


def test_it_shows_bad_answers_next_to_the_answers_field_and_saves_nothing(client, admin, patient):
    episode = EpisodeFactory(patient=patient)
    client.force_login(admin)

    response = client.post(
        _url(Assessment, "add"), _assessment_post(patient, episode, "phq9", {"items": [1, 2, 3]})
    )

    assert response.status_code == 200
    form = response.context["adminform"].form
    assert form.errors["answers"] == ["PHQ-9 needs 9 item answers, got 3."]
    html = response.content.decode()
    row = html.index("field-answers")
    assert html.index("PHQ-9 needs 9 item answers, got 3.") > row
    assert "errors field-answers" in html
    assert not Assessment.objects.exists()


def test_it_shows_answers_of_the_wrong_shape_next_to_the_answers_field(client, admin, patient):
    episode = EpisodeFactory(patient=patient)
    client.force_login(admin)

    response = client.post(
        _url(Assessment, "add"), _assessment_post(patient, episode, "nrs", {"pain": 4})
    )

    assert response.status_code == 200
    assert response.context["adminform"].form.errors["answers"] == [
        "Missing answer: value.",
    ]
    assert not Assessment.objects.exists()


def test_it_stores_the_computed_phq9_score_and_band(client, admin, patient):
    episode = EpisodeFactory(patient=patient)
    client.force_login(admin)

    response = client.post(
        _url(Assessment, "add"),
        _assessment_post(patient, episode, "phq9", {"items": [1, 1, 1, 1, 1, 1, 1, 1, 0]}),
    )

    assert response.status_code == 302
    assessment = Assessment.objects.get()
    assert assessment.score == Decimal("8")
    assert assessment.band == "mild"
    assert assessment.self_harm == "no"
    assert assessment.recorded_by == admin
    assert assessment.episode == episode
    event = AuditEvent.objects.get(object_type="assessments.assessment", action="create")
    assert event.surface == "admin"
    assert event.patient == patient


def test_it_keeps_a_recorded_assessment_read_only(client, admin, patient):
    assessment = AssessmentFactory(episode=EpisodeFactory(patient=patient))
    client.force_login(admin)
    url = _url(Assessment, "change", assessment.pk)

    page = client.get(url)
    response = client.post(url, {"instrument": "nrs", "answers": '{"value": 0}'})

    assert page.status_code == 200
    assert 'name="answers"' not in page.content.decode()
    assert response.status_code == 403
    assessment.refresh_from_db()
    assert assessment.answers == {"value": 5}


def test_it_rejects_an_episode_of_another_patient(client, admin, patient):
    other_episode = EpisodeFactory()
    client.force_login(admin)

    response = client.post(
        _url(Assessment, "add"), _assessment_post(patient, other_episode, "nrs", {"value": 4})
    )

    assert response.status_code == 200
    assert response.context["adminform"].form.errors["episode"] == [
        "That episode belongs to another patient."
    ]
    assert not Assessment.objects.exists()


# --- Medication orders -------------------------------------------------------------------------


def _order_post(episode: Episode, **overrides: Any) -> dict:
    data = {
        "episode": episode.pk,
        "drug": "oxycodone ER",
        "drug_class": "opioid_long",
        "opioid": "oxycodone",
        "dose": "15",
        "dose_unit": "mg",
        "frequency": "twice daily",
        "daily_dose": "30",
        "start_date": clinic_today().isoformat(),
        "stop_date": "",
        "dose_changed_on": "",
        "prescriber": "",
        "last_reviewed_on": "",
        "naloxone_offered_on": "",
        "indication": "chronic low back pain",
    }
    data.update(overrides)
    return data


def test_it_computes_the_daily_mme_of_a_new_opioid_order_through_the_service(
    client, admin, patient
):
    TeamMembershipFactory(team=patient.team, clinician=admin)  # the prescriber: on the team
    episode = EpisodeFactory(patient=patient)
    client.force_login(admin)

    response = client.post(_url(MedicationOrder, "add"), _order_post(episode))

    assert response.status_code == 302
    order = MedicationOrder.objects.get()
    assert order.daily_mme == Decimal("45.00")
    assert order.prescriber == admin
    assert AuditEvent.objects.filter(
        object_type="medications.medicationorder", action="create"
    ).exists()


def test_it_shows_a_missing_opioid_substance_next_to_the_field(client, admin, patient):
    episode = EpisodeFactory(patient=patient)
    client.force_login(admin)

    response = client.post(_url(MedicationOrder, "add"), _order_post(episode, opioid=""))

    assert response.status_code == 200
    assert response.context["adminform"].form.errors["opioid"] == [
        "Choose the opioid substance so its MME can be computed."
    ]
    assert not MedicationOrder.objects.exists()


def test_it_restarts_the_review_clock_when_the_daily_dose_goes_up(client, admin, patient):
    TeamMembershipFactory(team=patient.team, clinician=admin)
    episode = EpisodeFactory(patient=patient)
    client.force_login(admin)
    client.post(_url(MedicationOrder, "add"), _order_post(episode))
    order = MedicationOrder.objects.get()

    data = _order_post(episode, daily_dose="60", dose="30")
    data.pop("episode")
    data["prescriber"] = str(admin.pk)
    response = client.post(_url(MedicationOrder, "change", order.pk), data)

    assert response.status_code == 302
    order.refresh_from_db()
    assert order.daily_mme == Decimal("90.00")
    assert order.dose_changed_on == clinic_today()
    event = AuditEvent.objects.get(object_type="medications.medicationorder", action="update")
    assert "daily_dose" in event.changed_fields


def test_it_shows_a_service_validation_error_on_the_form_instead_of_a_500(
    client, admin, patient, monkeypatch
):
    from django.core.exceptions import ValidationError

    from apps.medications import admin as medications_admin

    def refuse(**kwargs: Any) -> None:
        raise ValidationError({"drug": "Not on the formulary.", "episode_id": "Nope."})

    monkeypatch.setattr(medications_admin, "medication_order_create", refuse)
    episode = EpisodeFactory(patient=patient)
    client.force_login(admin)

    response = client.post(_url(MedicationOrder, "add"), _order_post(episode))

    assert response.status_code == 200
    form = response.context["adminform"].form
    assert form.errors["drug"] == ["Not on the formulary."]
    assert "Nope." in form.non_field_errors()
    assert not MedicationOrder.objects.exists()


# --- Applying a plan template ------------------------------------------------------------------


def test_it_applies_a_plan_template_with_interventions_goals_and_follow_up_tasks(
    client, admin, patient
):
    template = _template()
    episode = EpisodeFactory(patient=patient)
    start = clinic_today()
    changelist = _url(Episode, "changelist")
    client.force_login(admin)

    chooser = client.post(
        changelist, {"action": "apply_plan_template", "_selected_action": [episode.pk]}
    )
    assert chooser.status_code == 200
    assert "admin/careplans/apply_template.html" in [t.name for t in chooser.templates]
    assert str(episode) in chooser.content.decode()

    response = client.post(
        changelist,
        {
            "action": "apply_plan_template",
            "_selected_action": [episode.pk],
            "apply": "Apply the template",
            "template": template.pk,
            "start_date": start.isoformat(),
        },
    )

    assert response.status_code == 302
    plan = CarePlan.objects.get(episode=episode)
    assert plan.template == template
    assert plan.started_on == start
    assert plan.created_by == admin
    assert sorted(plan.interventions.values_list("kind", flat=True)) == [
        "exercise_programme",
        "pt_visits",
    ]
    assert list(plan.goals.values_list("description", "due_on")) == [
        ("Pain at or below 3/10", start + dt.timedelta(days=28))
    ]
    task = Task.objects.get(episode=episode, source="plan")
    assert task.title == "Book the first PT visit"
    assert task.due_on == start + dt.timedelta(days=7)
    assert task.team == patient.team
    texts = [str(m) for m in get_messages(response.wsgi_request)]
    assert f"Applied “{template.name}” to 1 episode(s)." in texts


def test_it_reports_episodes_that_cannot_take_a_template_and_applies_the_others(
    client, admin, patient
):
    template = _template()
    planned = CarePlanFactory(episode=EpisodeFactory(patient=patient)).episode
    fresh = EpisodeFactory()
    client.force_login(admin)

    response = client.post(
        _url(Episode, "changelist"),
        {
            "action": "apply_plan_template",
            "_selected_action": [planned.pk, fresh.pk],
            "apply": "Apply the template",
            "template": template.pk,
            "start_date": clinic_today().isoformat(),
        },
    )

    assert response.status_code == 302
    assert CarePlan.objects.get(episode=fresh).template == template
    assert CarePlan.objects.filter(episode=planned).count() == 1
    texts = [str(m) for m in get_messages(response.wsgi_request)]
    assert any("This episode already has a care plan." in t for t in texts)
    assert any("to 1 episode(s)" in t for t in texts)


def test_it_keeps_the_template_chooser_open_when_no_template_is_chosen(client, admin, patient):
    episode = EpisodeFactory(patient=patient)
    client.force_login(admin)

    response = client.post(
        _url(Episode, "changelist"),
        {"action": "apply_plan_template", "_selected_action": [episode.pk], "apply": "1"},
    )

    assert response.status_code == 200
    assert response.context["form"].errors["template"] == ["This field is required."]
    assert not CarePlan.objects.exists()


# --- Audit trail -------------------------------------------------------------------------------


def test_it_forbids_adding_changing_or_deleting_audit_events(client, admin):
    event = _audit_event(admin)
    client.force_login(admin)

    assert client.get(_url(AuditEvent, "add")).status_code == 403
    assert client.post(_url(AuditEvent, "add"), {"action": "view"}).status_code == 403
    assert (
        client.post(_url(AuditEvent, "change", event.pk), {"action": "delete"}).status_code == 403
    )
    assert client.get(_url(AuditEvent, "delete", event.pk)).status_code == 403
    assert client.post(_url(AuditEvent, "delete", event.pk), {"post": "yes"}).status_code == 403
    client.post(
        _url(AuditEvent, "changelist"),
        {"action": "delete_selected", "_selected_action": [event.pk], "post": "yes"},
    )

    event.refresh_from_db()
    assert event.action == "view"
    assert AuditEvent.objects.filter(pk=event.pk).exists()


def _csv_rows(response: Any) -> list[list[str]]:
    body = b"".join(response.streaming_content).decode()
    return list(csv.reader(io.StringIO(body)))


def test_it_exports_the_filtered_audit_events_as_csv(client, admin):
    viewed = _audit_event(admin)
    AuditEvent.objects.create(
        actor=admin,
        action="update",
        object_type="patients.episode",
        object_id="9",
        changed_fields=["onset", "summary"],
        surface="api",
    )
    client.force_login(admin)

    response = client.get(_url(AuditEvent, "export"), {"action__exact": "view"})

    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/csv")
    rows = _csv_rows(response)
    assert rows[0] == [
        "at",
        "actor",
        "patient MRN",
        "action",
        "object_type",
        "object_id",
        "changed_fields",
        "surface",
        "ip",
        "user_agent",
        "path",
    ]
    assert rows[1:] == [
        [
            viewed.at.isoformat(),
            "admin",
            viewed.patient.mrn,
            "view",
            "patients.patient",
            "1",
            "",
            "page",
            "10.0.0.7",
            "pytest",
            "/patients/1/",
        ]
    ]
    assert AuditEvent.objects.filter(action="export", actor=admin, surface="admin").exists()


def test_it_exports_the_selected_audit_events_with_the_admin_action(client, admin):
    AuditEvent.objects.create(
        actor=admin,
        action="update",
        object_type="patients.episode",
        object_id="9",
        changed_fields=["onset", "summary"],
        surface="api",
        path="=HYPERLINK(1)",
    )
    chosen = AuditEvent.objects.get()
    client.force_login(admin)

    response = client.post(
        _url(AuditEvent, "changelist"),
        {"action": "export_csv", "_selected_action": [chosen.pk], "index": "0"},
    )

    assert response.status_code == 200
    rows = _csv_rows(response)
    assert len(rows) == 2
    assert rows[1][5:8] == ["9", "onset;summary", "api"]
    assert rows[1][10] == "'=HYPERLINK(1)"  # never a live spreadsheet formula


def test_it_records_reads_and_changes_of_a_patient_made_in_admin(client, admin, patient):
    client.force_login(admin)
    url = _url(Patient, "change", patient.pk)

    client.get(url)
    response = client.post(
        url,
        {
            "mrn": patient.mrn,
            "first_name": patient.first_name,
            "last_name": "Renamed",
            "date_of_birth": patient.date_of_birth.isoformat(),
            "sex": patient.sex,
            "team": patient.team_id,
            "email": patient.email,
            "phone": "",
            "preferred_channel": patient.preferred_channel,
            "timezone": patient.timezone,
            "work_status": patient.work_status,
            "episodes-TOTAL_FORMS": "0",
            "episodes-INITIAL_FORMS": "0",
        },
    )

    assert response.status_code == 302
    events = AuditEvent.objects.filter(patient=patient, surface="admin").order_by("at", "pk")
    assert [(e.action, e.changed_fields) for e in events] == [
        ("view", []),
        ("update", ["last_name"]),
    ]
    assert events[0].actor == admin


# --- Team scoping for staff who are not superusers ----------------------------------------------


def _staff(clinician: Clinician, *codenames: str) -> Clinician:
    clinician.is_staff = True
    clinician.save()
    clinician.user_permissions.add(*Permission.objects.filter(codename__in=codenames))
    return clinician


def test_it_shows_a_staff_member_the_patients_of_their_team_only(
    client, team, other_team, clinician_on_team
):
    _staff(clinician_on_team, "view_patient", "change_patient")
    mine = PatientFactory(team=team, last_name="Ours")
    theirs = PatientFactory(team=other_team, last_name="Theirs")
    client.force_login(clinician_on_team)

    response = client.get(_url(Patient, "changelist"))

    assert response.status_code == 200
    assert [p.pk for p in response.context["cl"].result_list] == [mine.pk]
    html = response.content.decode()
    assert mine.mrn in html
    assert theirs.mrn not in html
    assert client.get(_url(Patient, "change", mine.pk)).status_code == 200
    forbidden = client.get(_url(Patient, "change", theirs.pk))
    assert forbidden.status_code in (302, 404)
    if forbidden.status_code == 302:
        assert forbidden["Location"] == reverse("admin:index")


def test_it_limits_a_staff_members_patient_choices_to_their_team(
    client, team, other_team, clinician_on_team
):
    _staff(
        clinician_on_team,
        "view_patient",
        "view_episode",
        "add_episode",
        "view_flag",
    )
    mine = PatientFactory(team=team)
    theirs = PatientFactory(team=other_team)
    EpisodeFactory(patient=theirs)
    client.force_login(clinician_on_team)

    found = client.get(
        reverse("admin:autocomplete"),
        {"app_label": "patients", "model_name": "episode", "field_name": "patient", "term": ""},
    )
    posted = client.post(
        _url(Episode, "add"),
        {
            "patient": theirs.pk,
            "onset": clinic_today().isoformat(),
            "status": "active",
            "care_team-TOTAL_FORMS": "0",
            "care_team-INITIAL_FORMS": "0",
            "red_flags-TOTAL_FORMS": "0",
            "red_flags-INITIAL_FORMS": "0",
        },
    )

    assert found.status_code == 200
    assert [int(r["id"]) for r in found.json()["results"]] == [mine.pk]
    assert posted.status_code == 200
    assert "patient" in posted.context["adminform"].form.errors
    assert Episode.objects.filter(patient=theirs).count() == 1
    assert client.get(_url(Flag, "changelist")).status_code == 200


def test_it_scopes_related_records_through_their_patient(
    client, team, other_team, clinician_on_team
):
    _staff(clinician_on_team, "view_goal", "view_task")
    mine = GoalFactory(plan__episode__patient__team=team)
    GoalFactory(plan__episode__patient__team=other_team)
    queue_task = TaskFactory(patient=None, team=team)
    TaskFactory(patient=None, team=other_team)
    client.force_login(clinician_on_team)

    goals = client.get(_url(Goal, "changelist")).context["cl"].result_list
    tasks = client.get(_url(Task, "changelist")).context["cl"].result_list

    assert [g.pk for g in goals] == [mine.pk]
    assert [t.pk for t in tasks] == [queue_task.pk]


def test_it_lets_a_superuser_see_every_team(client, admin, team, other_team):
    PatientFactory(team=team)
    PatientFactory(team=other_team)
    client.force_login(admin)

    response = client.get(_url(Patient, "changelist"))

    assert response.context["cl"].result_count == 2


# --- Clinical settings -------------------------------------------------------------------------


def test_it_shows_a_clinical_setting_value_outside_its_range_next_to_the_value(client, admin):
    client.force_login(admin)

    response = client.post(_url(ClinicalSetting, "add"), {"key": "acute_check_day", "value": "12"})

    assert response.status_code == 200
    assert response.context["adminform"].form.errors["value"] == ["Must be between 4 and 7 days."]
    assert "errors field-value" in response.content.decode()
    assert not ClinicalSetting.objects.exists()


def test_it_records_who_changed_a_clinical_setting(client, admin):
    client.force_login(admin)

    response = client.post(_url(ClinicalSetting, "add"), {"key": "acute_check_day", "value": "5"})

    assert response.status_code == 302
    setting = ClinicalSetting.objects.get()
    assert setting.value == Decimal("5")
    assert setting.changed_by == admin
    page = client.get(_url(ClinicalSetting, "change", setting.pk)).content.decode()
    assert "CLINICAL.md: pain usually subsides in 4-7 days" in page


# --- Everyday screens --------------------------------------------------------------------------


def test_it_shows_the_phase_and_day_of_each_episode(client, admin, patient):
    EpisodeFactory(patient=patient, onset=clinic_today() - dt.timedelta(days=40))
    client.force_login(admin)

    response = client.get(_url(Episode, "changelist"), {"phase": "subacute"})

    html = response.content.decode()
    assert response.context["cl"].result_count == 1
    assert "Subacute (4–12 weeks)" in html
    assert '<td class="field-day_now">40</td>' in html


def test_it_shows_delivery_failures_in_the_message_log(client, admin):
    BUILDERS[OutboundMessage](admin)
    client.force_login(admin)

    response = client.get(_url(OutboundMessage, "changelist"), {"status__exact": "failed"})

    html = response.content.decode()
    assert response.context["cl"].result_count == 1
    assert "5/5" in html
    assert "550 mailbox unavailable" in html


def test_it_shows_flag_evidence_pretty_printed(client, admin):
    flag = FlagFactory(evidence={"days_since_measure": 15, "limit": 14})
    client.force_login(admin)

    html = client.get(_url(Flag, "change", flag.pk)).content.decode()

    assert "&quot;days_since_measure&quot;: 15," in html
    assert 'name="evidence"' not in html


def test_it_adds_a_clinician_with_discipline_title_and_phone(client, admin):
    client.force_login(admin)

    response = client.post(
        _url(Clinician, "add"),
        {
            "username": "pt_rivera",
            "usable_password": "true",
            "password1": "a-long-unusual-passphrase",
            "password2": "a-long-unusual-passphrase",
            "title": "PT",
            "first_name": "Ana",
            "last_name": "Rivera",
            "email": "ana@clinic.example",
            "phone": "+1 555 0100",
            "discipline": Discipline.PHYSICAL_THERAPIST,
            "team_memberships-TOTAL_FORMS": "0",
            "team_memberships-INITIAL_FORMS": "0",
        },
    )

    assert response.status_code == 302, response.context["adminform"].form.errors
    clinician = Clinician.objects.get(username="pt_rivera")
    assert (clinician.title, clinician.phone, clinician.discipline) == (
        "PT",
        "+1 555 0100",
        Discipline.PHYSICAL_THERAPIST,
    )


def test_it_rejects_a_care_team_clinician_from_outside_the_patients_team(client, admin, patient):
    episode = EpisodeFactory(patient=patient)
    outsider = ClinicianFactory(username="outsider")
    client.force_login(admin)

    response = client.post(
        _url(Episode, "change", episode.pk),
        {
            "patient": patient.pk,
            "onset": episode.onset.isoformat(),
            "status": "active",
            "summary": "",
            "care_team-TOTAL_FORMS": "1",
            "care_team-INITIAL_FORMS": "0",
            "care_team-0-clinician": outsider.pk,
            "care_team-0-role": Discipline.PHYSICIAN,
            "care_team-0-start": episode.onset.isoformat(),
            "red_flags-TOTAL_FORMS": "0",
            "red_flags-INITIAL_FORMS": "0",
        },
    )

    assert response.status_code == 200
    errors = response.context["inline_admin_formsets"][0].formset.errors
    assert errors[0]["clinician"] == [
        "The clinician must belong to the patient's team to join its care team."
    ]
    assert not CareTeamMember.objects.exists()
