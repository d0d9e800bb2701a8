from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.db.models import QuerySet
from django.http import HttpRequest

from apps.core.admin_mixins import EpisodeOfPatientForm, ScopedModelAdmin
from apps.core.dates import clinic_today

from .models import OPEN_TASK_STATUSES, Task


class TaskForm(EpisodeOfPatientForm):
    """The rules of ``task_create``: an assignee from the team; the patient on its caseload."""

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean()
        team, assignee = cleaned.get("team"), cleaned.get("assignee")
        if (
            team is not None
            and assignee is not None
            and not assignee.teams.filter(pk=team.pk).exists()
        ):
            self.add_error("assignee", "Assign the task to a member of the patient's team.")
        patient = cleaned.get("patient")
        if team is not None and patient is not None and patient.team_id != team.pk:
            self.add_error("patient", "The task must belong to the patient's own team.")
        return cleaned


class OverdueFilter(admin.SimpleListFilter):
    title = "overdue"
    parameter_name = "overdue"

    def lookups(self, request: HttpRequest, model_admin: Any) -> list[tuple[str, str]]:
        return [("yes", "Overdue (open, due before today)")]

    def queryset(self, request: HttpRequest, queryset: QuerySet[Any]) -> QuerySet[Any]:
        if self.value() == "yes":
            return queryset.filter(status__in=OPEN_TASK_STATUSES, due_on__lt=clinic_today())
        return queryset


@admin.register(Task)
class TaskAdmin(ScopedModelAdmin):
    patient_path = "patient"
    team_path = "team"
    form = TaskForm
    list_display = (
        "title",
        "patient",
        "team",
        "assignee",
        "discipline",
        "due_on",
        "priority",
        "status",
        "source",
    )
    list_filter = (
        "status",
        OverdueFilter,
        "priority",
        "source",
        "discipline",
        "team",
        "due_on",
    )
    search_fields = (
        "title",
        "reason",
        "patient__mrn",
        "patient__first_name",
        "patient__last_name",
        "assignee__username",
        "assignee__last_name",
    )
    list_select_related = ("patient", "team", "assignee")
    autocomplete_fields = (
        "team",
        "patient",
        "episode",
        "assignee",
        "flag",
        "agenda_item",
        "completed_by",
    )
    readonly_fields = ("created_by", "created_at", "updated_at", "escalated_at")
    date_hierarchy = "due_on"
    fieldsets = (
        (None, {"fields": ("title", "reason", "team", "patient", "episode")}),
        ("Owner", {"fields": ("assignee", "discipline", "due_on", "priority")}),
        ("Status", {"fields": ("status", "completed_at", "completed_by", "escalated_at")}),
        ("Origin", {"fields": ("source", "flag", "agenda_item", "created_by")}),
        ("Record", {"fields": ("created_at", "updated_at")}),
    )

    def save_model(self, request: HttpRequest, obj: Task, form: Any, change: bool) -> None:
        if not change and obj.created_by_id is None:
            obj.created_by = request.user  # type: ignore[assignment]
        super().save_model(request, obj, form, change)
