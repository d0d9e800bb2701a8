"""Forms that write to a patient's record. Each view: parse the form, call the service, redirect
with a message (POST/redirect/GET). A service's ValidationError lands next to the field. Create
forms are wrapped in ``@one_time_submission`` (apps/core/idempotency.py): sent twice, saved once."""

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods

from apps.assessments.services import assessment_record
from apps.careplans.models import PlanTemplate
from apps.careplans.services import plan_template_apply
from apps.core.idempotency import one_time_submission
from apps.core.text import format_date
from apps.medications.models import MedicationOrder
from apps.medications.services import (
    medication_order_create,
    medication_order_update,
    medication_review,
)
from apps.patients.models import Episode, EpisodeStatus, Patient
from apps.patients.selectors import get_scoped_or_404, patient_get_for_user
from apps.patients.services import episode_close, episode_open, note_add
from apps.scheduling.models import Appointment
from apps.scheduling.services import appointment_book, appointment_set_status
from apps.worklist.services import task_create

from ..charts import fmt
from ..forms import (
    ASSESSMENT_FORMS,
    AppointmentForm,
    AppointmentStatusForm,
    EpisodeCloseForm,
    EpisodeOpenForm,
    MedicationForm,
    MedicationReviewForm,
    NoteForm,
    PlanApplyForm,
    TaskForm,
    apply_service_error,
)
from ._common import active_episode, patient_url, safe_next, team_members

GET_POST = require_http_methods(["GET", "POST"])


def form_page(
    request: HttpRequest,
    *,
    patient: Patient,
    form: Any,
    title: str,
    submit: str,
    cancel: str = "",
    intro: str = "",
    template: str = "dashboard/form_page.html",
    **extra: Any,
) -> HttpResponse:
    return render(
        request,
        template,
        {
            "patient": patient,
            "form": form,
            "title": title,
            "submit": submit,
            "cancel": cancel or patient_url(patient),
            "intro": intro,
            **extra,
        },
    )


# --- Assessments ---------------------------------------------------------------------------------


@login_required
@one_time_submission
@GET_POST
def assessment_new(request: HttpRequest, patient_id: int, instrument: str) -> HttpResponse:
    patient = patient_get_for_user(request.user, patient_id)
    form_class = ASSESSMENT_FORMS.get(instrument)
    if form_class is None:
        raise Http404("No such instrument.")
    form = form_class(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            assessment = assessment_record(
                actor=request.user,
                patient=patient,
                instrument=form_class.instrument,
                answers=form.answers(),
                taken_at=form.cleaned_data["taken_at"],
                reported_by=form.cleaned_data["reported_by"],
            )
        except ValidationError as exc:
            apply_service_error(form, exc, {"answers": "__all__"})
            for number in getattr(exc, "missing", []):
                field = form.item_field(number)
                if field in form.fields:
                    form.add_error(field, "Answer this item.")
        else:
            result = f": {fmt(float(assessment.score))}" if assessment.score is not None else ""
            band = f" ({assessment.band.replace('-', ' ')})" if assessment.band else ""
            messages.success(
                request, f"{assessment.get_instrument_display()} recorded{result}{band}."
            )
            return redirect(patient_url(patient, "outcomes"))
    return form_page(
        request,
        patient=patient,
        form=form,
        title=f"Record {form_class.title}",
        intro=form_class.intro,
        submit="Save assessment",
        template="dashboard/assessment_form.html",
    )


# --- Medications ---------------------------------------------------------------------------------


def _medication_scope(request: HttpRequest, order_id: int) -> MedicationOrder:
    return get_scoped_or_404(
        request.user,
        MedicationOrder.objects.select_related("episode__patient"),
        order_id,
        patient_path="episode__patient",
    )


@login_required
@one_time_submission
@GET_POST
def medication_new(request: HttpRequest, patient_id: int) -> HttpResponse:
    patient = patient_get_for_user(request.user, patient_id)
    episode = active_episode(patient)
    form = MedicationForm(request.POST or None)
    if episode is None:
        form.add_error(None, "This patient has no active episode: open one before prescribing.")
    elif request.method == "POST" and form.is_valid():
        try:
            order = medication_order_create(
                actor=request.user, episode=episode, **form.service_fields()
            )
        except ValidationError as exc:
            apply_service_error(form, exc)
        else:
            mme = f" ({fmt(float(order.daily_mme))} MME/day)" if order.daily_mme is not None else ""
            messages.success(request, f"{order.drug} added{mme}.")
            return redirect(patient_url(patient, "medications"))
    return form_page(
        request,
        patient=patient,
        form=form,
        title="Add a medication",
        submit="Add medication",
    )


@login_required
@GET_POST
def medication_edit(request: HttpRequest, order_id: int) -> HttpResponse:
    order = _medication_scope(request, order_id)
    patient = order.episode.patient
    initial = {name: getattr(order, name) for name in MedicationForm.FIELDS}
    form = MedicationForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            medication_order_update(actor=request.user, order=order, **form.service_fields())
        except ValidationError as exc:
            apply_service_error(form, exc)
        else:
            messages.success(request, f"{order.drug} updated.")
            return redirect(patient_url(patient, "medications"))
    return form_page(
        request,
        patient=patient,
        form=form,
        title=f"Change {order.drug}",
        submit="Save changes",
    )


@login_required
@GET_POST
def medication_review_view(request: HttpRequest, order_id: int) -> HttpResponse:
    order = _medication_scope(request, order_id)
    patient = order.episode.patient
    form = MedicationReviewForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            medication_review(
                actor=request.user,
                order=order,
                reviewed_on=form.cleaned_data["reviewed_on"],
                naloxone_offered=form.cleaned_data["naloxone_offered"],
            )
        except ValidationError as exc:
            apply_service_error(
                form,
                exc,
                {"last_reviewed_on": "reviewed_on", "naloxone_offered_on": "naloxone_offered"},
            )
        else:
            messages.success(request, f"Review of {order.drug} recorded.")
            return redirect(safe_next(request, patient_url(patient, "medications")))
    return form_page(
        request,
        patient=patient,
        form=form,
        title=f"Review {order.drug}",
        intro=(
            "Opioids: review within 28 days of starting or a dose increase, then at least every "
            "90 days; offer naloxone at 50 MME/day or more (CDC 2022)."
            if order.is_opioid
            else ""
        ),
        submit="Record review",
    )


# --- Appointments --------------------------------------------------------------------------------


@login_required
@one_time_submission
@GET_POST
def appointment_new(request: HttpRequest, patient_id: int) -> HttpResponse:
    patient = patient_get_for_user(request.user, patient_id)
    members = team_members(patient.team_id)
    form = AppointmentForm(request.POST or None, members=members)
    if request.method == "POST" and form.is_valid():
        d = form.cleaned_data
        try:
            appointment = appointment_book(
                actor=request.user,
                patient=patient,
                episode=active_episode(patient),
                clinician=form.clinician_obj(),
                discipline=d["discipline"],
                kind=d["kind"],
                starts_at=d["starts_at"],
                duration_minutes=d["duration_minutes"],
                location=d["location"],
                notes=d["notes"],
            )
        except ValidationError as exc:
            apply_service_error(form, exc)
        else:
            messages.success(request, f"{appointment} booked.")
            return redirect(patient_url(patient, "appointments"))
    return form_page(
        request, patient=patient, form=form, title="Schedule a follow-up", submit="Book"
    )


@login_required
@GET_POST
def appointment_status(request: HttpRequest, appointment_id: int) -> HttpResponse:
    appointment = get_scoped_or_404(
        request.user, Appointment.objects.select_related("patient"), appointment_id
    )
    patient = appointment.patient
    form = AppointmentStatusForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            appointment_set_status(
                actor=request.user, appointment=appointment, status=form.cleaned_data["status"]
            )
        except ValidationError as exc:
            apply_service_error(form, exc)
        else:
            messages.success(
                request,
                f"{appointment.get_kind_display()}: {appointment.get_status_display().lower()}.",
            )
            return redirect(safe_next(request, patient_url(patient, "appointments")))
    return form_page(
        request,
        patient=patient,
        form=form,
        title=f"Record the outcome of {appointment}",
        submit="Save",
    )


# --- Notes and tasks -----------------------------------------------------------------------------


@login_required
@one_time_submission
@GET_POST
def note_new(request: HttpRequest, patient_id: int) -> HttpResponse:
    patient = patient_get_for_user(request.user, patient_id)
    form = NoteForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            note_add(
                actor=request.user,
                patient=patient,
                body=form.cleaned_data["body"],
                episode=active_episode(patient),
            )
        except ValidationError as exc:
            apply_service_error(form, exc)
        else:
            messages.success(request, "Note added.")
            return redirect(patient_url(patient, "timeline"))
    return form_page(request, patient=patient, form=form, title="Add a note", submit="Save note")


@login_required
@one_time_submission
@GET_POST
def task_new(request: HttpRequest, patient_id: int) -> HttpResponse:
    patient = patient_get_for_user(request.user, patient_id)
    form = TaskForm(request.POST or None, members=team_members(patient.team_id))
    if request.method == "POST" and form.is_valid():
        d = form.cleaned_data
        try:
            task = task_create(
                actor=request.user,
                team=patient.team,
                patient=patient,
                episode=active_episode(patient),
                title=d["title"],
                reason=d["reason"],
                due_on=d["due_on"],
                assignee=form.assignee_obj(),
                discipline=d["discipline"],
                priority=d["priority"],
            )
        except ValidationError as exc:
            apply_service_error(form, exc)
        else:
            owner = task.assignee.display_name if task.assignee else task.get_discipline_display()
            messages.success(request, f"Task “{task.title}” created for {owner}.")
            return redirect(patient_url(patient, "tasks"))
    return form_page(request, patient=patient, form=form, title="New task", submit="Create task")


# --- Episodes and plans --------------------------------------------------------------------------


@login_required
@one_time_submission
@GET_POST
def episode_open_view(request: HttpRequest, patient_id: int) -> HttpResponse:
    patient = patient_get_for_user(request.user, patient_id)
    form = EpisodeOpenForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            episode_open(
                actor=request.user,
                patient=patient,
                onset=form.cleaned_data["onset"],
                summary=form.cleaned_data["summary"],
            )
        except ValidationError as exc:
            apply_service_error(form, exc)
        else:
            messages.success(request, "Episode opened.")
            return redirect(patient_url(patient))
    return form_page(
        request, patient=patient, form=form, title="Open an episode", submit="Open episode"
    )


def _episode_scope(request: HttpRequest, episode_id: int) -> Episode:
    return get_scoped_or_404(request.user, Episode.objects.select_related("patient"), episode_id)


@login_required
@GET_POST
def episode_close_view(request: HttpRequest, episode_id: int) -> HttpResponse:
    episode = _episode_scope(request, episode_id)
    form = EpisodeCloseForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            episode_close(
                actor=request.user, episode=episode, closed_on=form.cleaned_data["closed_on"]
            )
        except ValidationError as exc:
            apply_service_error(form, exc, {"status": "__all__"})
        else:
            messages.success(request, "Episode closed. Its open flags resolve themselves.")
            return redirect(patient_url(episode.patient))
    return form_page(
        request,
        patient=episode.patient,
        form=form,
        title=f"Close the episode from {format_date(episode.onset)}",
        submit="Close episode",
    )


@login_required
@one_time_submission
@GET_POST
def plan_apply(request: HttpRequest, episode_id: int) -> HttpResponse:
    episode = _episode_scope(request, episode_id)
    templates = list(PlanTemplate.objects.filter(is_active=True).order_by("name"))
    form = PlanApplyForm(request.POST or None, templates=templates)
    if episode.status != EpisodeStatus.ACTIVE:
        form.add_error(None, "A plan can only be applied to an active episode.")
    elif request.method == "POST" and form.is_valid():
        try:
            plan = plan_template_apply(
                actor=request.user,
                episode=episode,
                template=form.template_obj(),
                start_date=form.cleaned_data["start_date"],
            )
        except ValidationError as exc:
            apply_service_error(form, exc, {"episode": "__all__"})
        else:
            messages.success(request, f"Care plan “{plan.title}” applied.")
            return redirect(patient_url(episode.patient, "plan"))
    return form_page(
        request,
        patient=episode.patient,
        form=form,
        title="Apply a plan template",
        intro="Creates the plan's interventions, goals (with baselines from the latest measures) "
        "and tasks to book its first follow-ups, in one step.",
        submit="Apply template",
        templates=templates,
    )
