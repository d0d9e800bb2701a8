"""Case conferences: plan one (the agenda builds itself), record each discipline's input, turn
decisions into owned tasks, close it. The page prints cleanly (print CSS)."""

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_POST

from apps.conferences.models import ConferenceStatus
from apps.conferences.selectors import (
    agenda_item_get_for_user,
    conference_get_for_user,
    conference_list,
)
from apps.conferences.services import (
    conference_add_input,
    conference_add_patient,
    conference_close,
    conference_create,
    conference_record_decision,
)
from apps.core.idempotency import one_time_submission
from apps.patients.selectors import patient_get_for_user, teams_of

from .. import selectors
from ..forms import (
    ConferenceCloseForm,
    ConferenceForm,
    ConferenceInputForm,
    DecisionForm,
    apply_service_error,
    local_now,
)
from ._common import team_members
from .records import GET_POST


def _conference_url(conference_id: int, anchor: str = "") -> str:
    url = reverse("dashboard:conference", args=[conference_id])
    return f"{url}#{anchor}" if anchor else url


@login_required
@one_time_submission
@GET_POST
def conferences(request: HttpRequest) -> HttpResponse:
    teams = list(teams_of(request.user).order_by("name"))
    form = ConferenceForm(
        request.POST or None,
        teams=teams,
        initial={"scheduled_for": local_now().replace(hour=13, minute=0)},
    )
    if request.method == "POST" and form.is_valid():
        try:
            conference = conference_create(
                actor=request.user,
                team=form.team_obj(),
                scheduled_for=form.cleaned_data["scheduled_for"],
            )
        except ValidationError as exc:
            apply_service_error(form, exc)
        else:
            n = conference.agenda_items.count()
            messages.success(
                request,
                f"Case conference planned with {n} patient{'s' if n != 1 else ''} on the agenda.",
            )
            return redirect(_conference_url(conference.pk))
    return render(
        request,
        "dashboard/conference_list.html",
        {"conferences": list(conference_list(request.user)), "form": form},
    )


def _page(request: HttpRequest, conference: Any) -> HttpResponse:
    page = selectors.conference_page(request.user, conference)
    discipline = getattr(request.user, "discipline", "")
    for view in page.items:
        pk = view.item.pk
        view.input_form = ConferenceInputForm(
            prefix=f"input-{pk}", initial={"discipline": discipline}
        )
        view.decision_form = DecisionForm(members=page.members, prefix=f"decision-{pk}")
    return render(
        request,
        "dashboard/conference.html",
        {
            "page": page,
            "conference": conference,
            "planned": conference.status == ConferenceStatus.PLANNED,
            "close_form": ConferenceCloseForm(initial={"notes": conference.notes}),
        },
    )


@login_required
@require_GET
def conference_detail(request: HttpRequest, conference_id: int) -> HttpResponse:
    conference = conference_get_for_user(request.user, conference_id)
    return _page(request, conference)


@login_required
@one_time_submission
@GET_POST
def agenda_input(request: HttpRequest, item_id: int) -> HttpResponse:
    item = agenda_item_get_for_user(request.user, item_id)
    form = ConferenceInputForm(
        request.POST or None,
        initial={"discipline": getattr(request.user, "discipline", "")},
        prefix=f"input-{item.pk}",
    )
    if request.method == "POST" and form.is_valid():
        try:
            conference_add_input(
                actor=request.user,
                agenda_item=item,
                text=form.cleaned_data["text"],
                discipline=form.cleaned_data["discipline"],
            )
        except ValidationError as exc:
            apply_service_error(form, exc)
        else:
            messages.success(request, f"Input on {item.patient.full_name} saved.")
            return redirect(_conference_url(item.conference_id, f"item-{item.pk}"))
    return render(
        request,
        "dashboard/agenda_form.html",
        {
            "item": item,
            "conference": item.conference,
            "form": form,
            "title": f"Input on {item.patient.full_name}",
            "submit": "Save input",
        },
    )


@login_required
@one_time_submission
@GET_POST
def agenda_decision(request: HttpRequest, item_id: int) -> HttpResponse:
    item = agenda_item_get_for_user(request.user, item_id)
    members = team_members(item.conference.team_id)
    form = DecisionForm(request.POST or None, members=members, prefix=f"decision-{item.pk}")
    if request.method == "POST" and form.is_valid():
        d = form.cleaned_data
        try:
            task = conference_record_decision(
                actor=request.user,
                agenda_item=item,
                title=d["title"],
                due_on=d["due_on"],
                assignee=form.assignee_obj(),
                discipline=d["discipline"],
                priority=d["priority"],
            )
        except ValidationError as exc:
            apply_service_error(form, exc, {"patient": "__all__", "episode": "__all__"})
        else:
            owner = task.assignee.display_name if task.assignee else task.get_discipline_display()
            messages.success(request, f"Decision recorded as a task for {owner}.")
            return redirect(_conference_url(item.conference_id, f"item-{item.pk}"))
    return render(
        request,
        "dashboard/agenda_form.html",
        {
            "item": item,
            "conference": item.conference,
            "form": form,
            "title": f"Decision on {item.patient.full_name}",
            "submit": "Record decision",
        },
    )


@login_required
@one_time_submission
@require_POST
def agenda_add_patient(request: HttpRequest, conference_id: int) -> HttpResponse:
    conference = conference_get_for_user(request.user, conference_id)
    try:
        patient = patient_get_for_user(request.user, request.POST.get("patient"))
        conference_add_patient(actor=request.user, conference=conference, patient=patient)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    except Http404:
        messages.error(request, "Choose one of the team's patients.")
    else:
        messages.success(request, f"{patient.full_name} added to the agenda.")
    return redirect(_conference_url(conference.pk, "agenda"))


@login_required
@GET_POST
def conference_close_view(request: HttpRequest, conference_id: int) -> HttpResponse:
    conference = conference_get_for_user(request.user, conference_id)
    form = ConferenceCloseForm(request.POST or None, initial={"notes": conference.notes})
    if request.method == "POST" and form.is_valid():
        try:
            conference_close(
                actor=request.user, conference=conference, notes=form.cleaned_data["notes"]
            )
        except ValidationError as exc:
            apply_service_error(form, exc)
        else:
            messages.success(request, "Conference closed: its record is saved.")
            return redirect(_conference_url(conference.pk))
    return render(
        request,
        "dashboard/agenda_form.html",
        {
            "conference": conference,
            "form": form,
            "title": "Close the conference",
            "submit": "Close conference",
        },
    )
