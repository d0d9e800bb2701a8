"""Read-only pages: caseload, patient, assessment, worklist, inbox, team overview."""

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET

from apps.assessments.models import Assessment
from apps.clinical.scoring import ODI_SECTIONS
from apps.patients.selectors import get_scoped_or_404, teams_of

from .. import selectors
from ..forms import (
    ASSESSMENT_FORMS,
    BOTHERSOMENESS_LABELS,
    GAD7_ITEMS,
    PHQ9_ITEMS,
    START_BACK_TOPICS,
    CaseloadFilterForm,
    FlagSnoozeForm,
    NoteForm,
    TaskForm,
)


@login_required
@require_GET
def caseload(request: HttpRequest) -> HttpResponse:
    teams = list(teams_of(request.user).order_by("name"))
    form = CaseloadFilterForm(request.GET or None, teams=teams)
    filters = selectors.CaseloadFilters(**form.filters())
    data = selectors.caseload(request.user, filters)
    active = {k: v for k, v in form.filters().items() if k not in ("sort", "page")}
    return render(
        request,
        "dashboard/caseload.html",
        {
            "form": form,
            "caseload": data,
            "filters": filters,
            "filtered": bool(active),
            "show_team": len(teams) > 1,
        },
    )


@login_required
@require_GET
def patient_detail(request: HttpRequest, patient_id: int) -> HttpResponse:
    show_all = request.GET.get("timeline") == "all"
    page = selectors.patient_page(request.user, patient_id, timeline_limit=None if show_all else 40)
    return render(
        request,
        "dashboard/patient.html",
        {
            "page": page,
            "patient": page.patient,
            "instruments": [(key, form.short) for key, form in ASSESSMENT_FORMS.items()],
            "task_form": TaskForm(members=page.members, auto_id="task_%s"),
            "note_form": NoteForm(auto_id="note_%s"),
            "snooze_default": FlagSnoozeForm().initial["snoozed_until"],
            "show_all": show_all,
        },
    )


@login_required
@require_GET
def assessment_detail(request: HttpRequest, assessment_id: int) -> HttpResponse:
    assessment = get_scoped_or_404(
        request.user, Assessment.objects.select_related("patient", "recorded_by"), assessment_id
    )
    return render(
        request,
        "dashboard/assessment_detail.html",
        {
            "assessment": assessment,
            "patient": assessment.patient,
            "items": _answer_rows(assessment),
        },
    )


def _answer_rows(a: Assessment) -> list[tuple[str, str]]:
    answers = a.answers if isinstance(a.answers, dict) else {}
    if a.instrument == "odi":
        return [
            (f"Section {i} — {topic}", "not answered" if v is None else str(v))
            for i, (topic, v) in enumerate(
                zip(ODI_SECTIONS, answers.get("sections", []), strict=False), 1
            )
        ]
    if a.instrument == "start_back":
        rows = [
            (f"Item {i} — {topic}", "Agree" if v else "Disagree")
            for i, (topic, v) in enumerate(
                zip(START_BACK_TOPICS, answers.get("agree", []), strict=False), 1
            )
        ]
        rows.append(
            (
                "Item 9 — bothersomeness",
                BOTHERSOMENESS_LABELS.get(answers.get("bothersomeness", ""), "—"),
            )
        )
        return rows
    if a.instrument in ("phq9", "gad7"):
        texts = PHQ9_ITEMS if a.instrument == "phq9" else GAD7_ITEMS
        return [
            (f"{i}. {text}", "not answered" if v is None else str(v))
            for i, (text, v) in enumerate(zip(texts, answers.get("items", []), strict=False), 1)
        ]
    labels = {
        "value": "Value",
        "pain": "Pain",
        "enjoyment": "Enjoyment of life",
        "activity": "General activity",
        "status": "Work status",
    }
    return [(labels.get(str(k), str(k)), str(v)) for k, v in answers.items()]


@login_required
@require_GET
def worklist(request: HttpRequest) -> HttpResponse:
    return render(
        request, "dashboard/worklist.html", {"worklist": selectors.worklist(request.user)}
    )


@login_required
@require_GET
def inbox(request: HttpRequest) -> HttpResponse:
    notes = selectors.inbox(request.user)
    return render(
        request,
        "dashboard/inbox.html",
        {"notifications": notes, "unread": sum(1 for n in notes if n.read_at is None)},
    )


@login_required
@require_GET
def team_overview(request: HttpRequest, team_id: int | None = None) -> HttpResponse:
    if team_id is None:
        first = teams_of(request.user).order_by("name").first()
        if first is None:
            return render(request, "dashboard/team_overview.html", {"overview": None})
        return redirect("dashboard:team", team_id=first.pk)
    team = selectors.team_get_for_user(request.user, team_id)
    return render(
        request,
        "dashboard/team_overview.html",
        {"overview": selectors.team_overview(request.user, team)},
    )
