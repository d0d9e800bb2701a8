"""Actions on flags, tasks and notifications. Buttons POST here (with CSRF); a GET on the resolve
and snooze URLs shows the form on its own page, which is also where errors are shown."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.urls import reverse
from django.views.decorators.http import require_POST

from apps.core.text import format_date
from apps.flags.selectors import flag_get_for_user
from apps.flags.services import flag_acknowledge, flag_resolve, flag_snooze
from apps.worklist.selectors import task_get_for_user
from apps.worklist.services import task_claim, task_complete

from ..forms import FlagResolveForm, FlagSnoozeForm, apply_service_error
from ..selectors import notification_get_for_user, rule_title
from ..services import notification_mark_read, notifications_mark_all_read
from ._common import patient_url, safe_next
from .records import GET_POST, form_page


def _error_text(exc: ValidationError) -> str:
    return " ".join(exc.messages)


# --- Flags -----------------------------------------------------------------------------------


@login_required
@require_POST
def flag_acknowledge_view(request: HttpRequest, flag_id: int) -> HttpResponse:
    flag = flag_get_for_user(request.user, flag_id)
    back = safe_next(request, patient_url(flag.patient_id, f"flag-{flag.pk}"))
    try:
        flag_acknowledge(actor=request.user, flag=flag, note=request.POST.get("note", ""))
    except ValidationError as exc:
        messages.error(request, _error_text(exc))
    else:
        messages.success(request, f"Flag “{rule_title(flag.rule_code)}” acknowledged.")
    return redirect(back)


@login_required
@GET_POST
def flag_resolve_view(request: HttpRequest, flag_id: int) -> HttpResponse:
    flag = flag_get_for_user(request.user, flag_id)
    form = FlagResolveForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            flag_resolve(actor=request.user, flag=flag, note=form.cleaned_data["note"])
        except ValidationError as exc:
            apply_service_error(form, exc, {"status": "__all__"})
        else:
            messages.success(request, f"Flag “{rule_title(flag.rule_code)}” resolved.")
            return redirect(safe_next(request, patient_url(flag.patient_id, "flags")))
    return form_page(
        request,
        patient=flag.patient,
        form=form,
        title=f"Resolve the flag “{rule_title(flag.rule_code)}”",
        intro=flag.summary,
        submit="Resolve flag",
        cancel=patient_url(flag.patient_id, f"flag-{flag.pk}"),
    )


@login_required
@GET_POST
def flag_snooze_view(request: HttpRequest, flag_id: int) -> HttpResponse:
    flag = flag_get_for_user(request.user, flag_id)
    if not flag.can_snooze:  # the page never offers it; the service refuses it anyway
        messages.error(
            request,
            f"“{rule_title(flag.rule_code)}” is a safety flag and cannot be snoozed: acknowledge "
            "it with a reason, or resolve it with a note.",
        )
        return redirect(patient_url(flag.patient_id, f"flag-{flag.pk}"))
    form = FlagSnoozeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        until = form.cleaned_data["snoozed_until"]
        try:
            flag_snooze(actor=request.user, flag=flag, until=until)
        except ValidationError as exc:
            apply_service_error(form, exc, {"status": "__all__"})
        else:
            messages.success(
                request, f"Flag “{rule_title(flag.rule_code)}” snoozed until {format_date(until)}."
            )
            return redirect(safe_next(request, patient_url(flag.patient_id, "flags")))
    return form_page(
        request,
        patient=flag.patient,
        form=form,
        title=f"Snooze the flag “{rule_title(flag.rule_code)}”",
        intro="The flag comes back on the chosen day if its condition still holds (at most 90 "
        "days).",
        submit="Snooze flag",
        cancel=patient_url(flag.patient_id, f"flag-{flag.pk}"),
    )


# --- Tasks -----------------------------------------------------------------------------------


@login_required
@require_POST
def task_claim_view(request: HttpRequest, task_id: int) -> HttpResponse:
    task = task_get_for_user(request.user, task_id)
    try:
        task_claim(actor=request.user, task=task)
    except ValidationError as exc:
        messages.error(request, _error_text(exc))
    else:
        messages.success(request, f"You took “{task.title}”.")
    return redirect(safe_next(request, reverse("dashboard:worklist")))


@login_required
@require_POST
def task_complete_view(request: HttpRequest, task_id: int) -> HttpResponse:
    task = task_get_for_user(request.user, task_id)
    try:
        task_complete(actor=request.user, task=task, note=request.POST.get("outcome_note", ""))
    except ValidationError as exc:
        messages.error(request, _error_text(exc))
    else:
        messages.success(request, f"“{task.title}” completed.")
    return redirect(safe_next(request, reverse("dashboard:worklist")))


# --- Notifications ---------------------------------------------------------------------------


@login_required
@require_POST
def notification_read(request: HttpRequest, notification_id: int) -> HttpResponse:
    notification = notification_get_for_user(request.user, notification_id)
    notification_mark_read(actor=request.user, notification=notification)
    return redirect(safe_next(request, reverse("dashboard:inbox")))


@login_required
@require_POST
def notifications_read_all(request: HttpRequest) -> HttpResponse:
    n = notifications_mark_all_read(actor=request.user)
    messages.success(request, f"{n} notification{'s' if n != 1 else ''} marked read.")
    return redirect(reverse("dashboard:inbox"))
