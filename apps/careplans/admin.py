from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin, messages
from django.contrib.admin import helpers
from django.contrib.admin.widgets import AdminDateWidget
from django.core.exceptions import ValidationError
from django.db.models import Count, QuerySet
from django.http import HttpRequest
from django.template.response import TemplateResponse

from apps.core.admin_mixins import (
    AuditedAdminMixin,
    ScopedHistoryAdmin,
    ScopedModelAdmin,
    ScopedTabularInline,
)
from apps.core.dates import clinic_today

from .models import (
    CarePlan,
    Goal,
    Intervention,
    PlanTemplate,
    PlanTemplateFollowUp,
    PlanTemplateGoal,
    PlanTemplateIntervention,
)
from .services import plan_template_apply

PLAN_PATIENT_SEARCH = (
    "plan__episode__patient__mrn",
    "plan__episode__patient__first_name",
    "plan__episode__patient__last_name",
)

# --- Applying a template (an action of the Episode admin) ---------------------------------------


class ApplyTemplateForm(forms.Form):
    template = forms.ModelChoiceField(
        queryset=PlanTemplate.objects.filter(is_active=True),
        help_text="Creates the plan with the template's interventions, goals and follow-up tasks.",
    )
    start_date = forms.DateField(
        required=False,
        initial=clinic_today,
        widget=AdminDateWidget,
        help_text="First day of the plan (today if empty). Offsets are counted from it.",
    )


@admin.action(description="Apply a plan template to the selected episodes", permissions=["change"])
def apply_plan_template(
    modeladmin: admin.ModelAdmin,
    request: HttpRequest,
    queryset: QuerySet[Any],  # type: ignore[type-arg]
) -> TemplateResponse | None:
    """Intermediate page: choose a template and a start date; then one plan per episode, each
    through ``plan_template_apply``. Episodes that cannot take a plan are reported, not fatal."""
    if not request.user.has_perm("careplans.add_careplan"):
        modeladmin.message_user(
            request, "You do not have permission to create care plans.", messages.ERROR
        )
        return None
    episodes = list(queryset.select_related("patient"))
    if "apply" in request.POST:
        form = ApplyTemplateForm(request.POST)
        if form.is_valid():
            template = form.cleaned_data["template"]
            start = form.cleaned_data["start_date"]
            created = 0
            for episode in episodes:
                try:
                    plan_template_apply(
                        actor=request.user, episode=episode, template=template, start_date=start
                    )
                except ValidationError as exc:
                    modeladmin.message_user(
                        request,
                        f"{episode}: {' '.join(exc.messages)}",
                        messages.WARNING,
                    )
                else:
                    created += 1
            if created:
                modeladmin.message_user(
                    request,
                    f"Applied “{template}” to {created} episode(s).",
                    messages.SUCCESS,
                )
            return None
    else:
        form = ApplyTemplateForm()
    opts = modeladmin.model._meta
    context = {
        **modeladmin.admin_site.each_context(request),
        "title": "Apply a plan template",
        "opts": opts,
        "app_label": opts.app_label,
        "episodes": episodes,
        "form": form,
        "media": modeladmin.media + form.media,
        "action_name": "apply_plan_template",
        "action_checkbox_name": helpers.ACTION_CHECKBOX_NAME,
    }
    return TemplateResponse(request, "admin/careplans/apply_template.html", context)


# --- Plan templates ----------------------------------------------------------------------------


class PlanTemplateInterventionInline(admin.TabularInline):  # type: ignore[type-arg]
    model = PlanTemplateIntervention
    extra = 0
    fields = ("order", "kind", "discipline", "description", "start_offset_days", "duration_days")


class PlanTemplateGoalInline(admin.TabularInline):  # type: ignore[type-arg]
    model = PlanTemplateGoal
    extra = 0
    fields = ("order", "measure", "description", "target", "due_offset_days")


class PlanTemplateFollowUpInline(admin.TabularInline):  # type: ignore[type-arg]
    model = PlanTemplateFollowUp
    extra = 0
    fields = ("order", "discipline", "appointment_kind", "title", "offset_days")


@admin.register(PlanTemplate)
class PlanTemplateAdmin(AuditedAdminMixin, admin.ModelAdmin):  # type: ignore[type-arg]
    shared_across_teams = True  # the clinic's programmes, used by every team
    list_display = (
        "name",
        "slug",
        "is_active",
        "intervention_count",
        "goal_count",
        "follow_up_count",
        "plan_count",
    )
    list_filter = ("is_active",)
    search_fields = ("name", "slug", "description")
    prepopulated_fields = {"slug": ("name",)}
    inlines = (PlanTemplateInterventionInline, PlanTemplateGoalInline, PlanTemplateFollowUpInline)

    def get_queryset(self, request: HttpRequest) -> QuerySet[Any]:
        return (
            super()
            .get_queryset(request)
            .annotate(
                _interventions=Count("interventions", distinct=True),
                _goals=Count("goals", distinct=True),
                _follow_ups=Count("follow_ups", distinct=True),
                _plans=Count("plans", distinct=True),
            )
        )

    @admin.display(description="interventions", ordering="_interventions")
    def intervention_count(self, obj: PlanTemplate) -> int:
        return getattr(obj, "_interventions", 0)

    @admin.display(description="goals", ordering="_goals")
    def goal_count(self, obj: PlanTemplate) -> int:
        return getattr(obj, "_goals", 0)

    @admin.display(description="follow-ups", ordering="_follow_ups")
    def follow_up_count(self, obj: PlanTemplate) -> int:
        return getattr(obj, "_follow_ups", 0)

    @admin.display(description="plans made", ordering="_plans")
    def plan_count(self, obj: PlanTemplate) -> int:
        return getattr(obj, "_plans", 0)


class _TemplatePartAdmin(AuditedAdminMixin, admin.ModelAdmin):  # type: ignore[type-arg]
    shared_across_teams = True
    list_select_related = ("template",)
    autocomplete_fields = ("template",)


@admin.register(PlanTemplateIntervention)
class PlanTemplateInterventionAdmin(_TemplatePartAdmin):
    list_display = (
        "description",
        "template",
        "kind",
        "discipline",
        "start_offset_days",
        "duration_days",
        "order",
    )
    list_filter = ("template", "kind", "discipline")
    search_fields = ("description", "template__name")


@admin.register(PlanTemplateGoal)
class PlanTemplateGoalAdmin(_TemplatePartAdmin):
    list_display = ("description", "template", "measure", "target", "due_offset_days", "order")
    list_filter = ("template", "measure")
    search_fields = ("description", "template__name")


@admin.register(PlanTemplateFollowUp)
class PlanTemplateFollowUpAdmin(_TemplatePartAdmin):
    list_display = ("title", "template", "discipline", "appointment_kind", "offset_days", "order")
    list_filter = ("template", "discipline")
    search_fields = ("title", "template__name")


# --- Care plans --------------------------------------------------------------------------------


class GoalInline(ScopedTabularInline):
    model = Goal
    extra = 0
    fields = ("measure", "description", "baseline", "target", "due_on", "achievement_status")


class InterventionInline(ScopedTabularInline):
    model = Intervention
    extra = 0
    fields = ("kind", "discipline", "description", "status", "start_date", "end_date")


@admin.register(CarePlan)
class CarePlanAdmin(ScopedModelAdmin, ScopedHistoryAdmin):
    patient_path = "episode__patient"
    list_display = ("title", "patient", "status", "started_on", "template", "created_by", "team")
    list_filter = ("status", "template", "episode__patient__team", "started_on")
    search_fields = (
        "title",
        "episode__patient__mrn",
        "episode__patient__first_name",
        "episode__patient__last_name",
    )
    list_select_related = ("episode__patient__team", "template", "created_by")
    autocomplete_fields = ("episode", "template", "created_by")
    readonly_fields = ("created_at", "updated_at")
    date_hierarchy = "started_on"
    inlines = (InterventionInline, GoalInline)

    @admin.display(description="patient", ordering="episode__patient__last_name")
    def patient(self, obj: CarePlan) -> Any:
        return obj.episode.patient

    @admin.display(description="team", ordering="episode__patient__team__name")
    def team(self, obj: CarePlan) -> Any:
        return obj.episode.patient.team

    def save_model(self, request: HttpRequest, obj: CarePlan, form: Any, change: bool) -> None:
        if not change and obj.created_by_id is None:
            obj.created_by = request.user  # type: ignore[assignment]
        super().save_model(request, obj, form, change)


class _PlanPartAdmin(ScopedModelAdmin):
    patient_path = "plan__episode__patient"
    list_select_related = ("plan__episode__patient",)
    autocomplete_fields = ("plan",)

    @admin.display(description="patient", ordering="plan__episode__patient__last_name")
    def patient(self, obj: Any) -> Any:
        return obj.plan.episode.patient


@admin.register(Goal)
class GoalAdmin(_PlanPartAdmin, ScopedHistoryAdmin):
    list_display = (
        "description",
        "patient",
        "measure",
        "baseline",
        "target",
        "due_on",
        "achievement_status",
    )
    list_filter = ("measure", "achievement_status", "due_on")
    search_fields = ("description", *PLAN_PATIENT_SEARCH)


@admin.register(Intervention)
class InterventionAdmin(_PlanPartAdmin, ScopedHistoryAdmin):
    list_display = (
        "description",
        "patient",
        "kind",
        "discipline",
        "status",
        "start_date",
        "end_date",
    )
    list_filter = ("kind", "discipline", "status")
    search_fields = ("description", *PLAN_PATIENT_SEARCH)
