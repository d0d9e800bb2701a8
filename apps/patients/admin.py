from __future__ import annotations

import datetime as dt
from typing import Any

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import ValidationError
from django.db.models import QuerySet
from django.http import HttpRequest

from apps.careplans.admin import apply_plan_template
from apps.careplans.models import CarePlan
from apps.core.admin_mixins import ScopedHistoryAdmin, ScopedModelAdmin, ScopedTabularInline
from apps.core.dates import clinic_today
from apps.core.services import model_update

from .models import (
    ACUTE_MAX_DAYS,
    SUBACUTE_MAX_DAYS,
    CareTeamMember,
    ClinicalNote,
    Episode,
    Patient,
    Phase,
    RedFlagFinding,
)
from .services import episode_archive, episode_close, patient_archive

PATIENT_SEARCH = ("mrn", "first_name", "last_name", "email")


def _search_through(prefix: str) -> tuple[str, ...]:
    return tuple(f"{prefix}__{name}" for name in ("mrn", "first_name", "last_name"))


def care_team_clinician_error(episode: Episode | None, clinician: Any) -> str | None:
    """The rule of ``care_team_assign``: the clinician must belong to the patient's team."""
    if episode is None or clinician is None or getattr(episode, "patient_id", None) is None:
        return None
    if not clinician.teams.filter(pk=episode.patient.team_id).exists():
        return "The clinician must belong to the patient's team to join its care team."
    return None


# --- Patients ----------------------------------------------------------------------------------


class ArchivedFilter(admin.SimpleListFilter):
    title = "archived"
    parameter_name = "archived"

    def lookups(self, request: HttpRequest, model_admin: Any) -> list[tuple[str, str]]:
        return [("no", "Active"), ("yes", "Archived")]

    def queryset(self, request: HttpRequest, queryset: QuerySet[Any]) -> QuerySet[Any]:
        if self.value() == "yes":
            return queryset.filter(archived_at__isnull=False)
        if self.value() == "no":
            return queryset.filter(archived_at__isnull=True)
        return queryset


class EpisodeInline(ScopedTabularInline):
    model = Episode
    extra = 0
    can_delete = False
    fields = ("onset", "phase_now", "status", "closed_on", "summary", "red_flags_screened_on")
    readonly_fields = ("phase_now",)
    show_change_link = True

    @admin.display(description="phase")
    def phase_now(self, obj: Episode) -> str:
        return obj.get_phase_display_now() if obj.pk and obj.onset else "—"


@admin.register(Patient)
class PatientAdmin(ScopedModelAdmin, ScopedHistoryAdmin):
    patient_path = "pk"
    list_display = (
        "mrn",
        "full_name_display",
        "date_of_birth",
        "team",
        "work_status",
        "preferred_channel",
        "is_archived",
    )
    list_display_links = ("mrn", "full_name_display")
    list_filter = ("team", "work_status", "preferred_channel", ArchivedFilter, "sex")
    search_fields = PATIENT_SEARCH
    list_select_related = ("team",)
    autocomplete_fields = ("team",)
    readonly_fields = ("archived_at", "created_at", "updated_at")
    inlines = (EpisodeInline,)
    actions = ("archive_patients",)
    fieldsets = (
        (None, {"fields": ("mrn", "first_name", "last_name", "date_of_birth", "sex", "team")}),
        ("Contact and reminders", {"fields": ("email", "phone", "preferred_channel", "timezone")}),
        ("Quiet hours", {"fields": ("quiet_hours_start", "quiet_hours_end")}),
        ("Work", {"fields": ("work_status", "work_status_since")}),
        ("Record", {"fields": ("archived_at", "created_at", "updated_at")}),
    )

    @admin.display(description="name", ordering="last_name")
    def full_name_display(self, obj: Patient) -> str:
        return f"{obj.last_name}, {obj.first_name}"

    @admin.display(description="archived", boolean=True, ordering="archived_at")
    def is_archived(self, obj: Patient) -> bool:
        return obj.archived_at is not None

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False  # patients are archived, never deleted through the app

    @admin.action(description="Archive the selected patients", permissions=["change"])
    def archive_patients(self, request: HttpRequest, queryset: QuerySet[Patient]) -> None:
        count = 0
        for patient in queryset.filter(archived_at__isnull=True):
            patient_archive(actor=request.user, patient=patient)
            count += 1
        self.message_user(request, f"Archived {count} patient(s).", messages.SUCCESS)


# --- Episodes ----------------------------------------------------------------------------------


class PhaseFilter(admin.SimpleListFilter):
    """Phase today, from the onset date (acute < 4 weeks, subacute 4-12, chronic > 12)."""

    title = "phase (today)"
    parameter_name = "phase"

    def lookups(self, request: HttpRequest, model_admin: Any) -> list[tuple[str, str]]:
        return [(p.value, str(p.label)) for p in Phase]

    def queryset(self, request: HttpRequest, queryset: QuerySet[Any]) -> QuerySet[Any]:
        today = clinic_today()
        acute_from = today - dt.timedelta(days=ACUTE_MAX_DAYS - 1)  # day 0..27
        chronic_before = today - dt.timedelta(days=SUBACUTE_MAX_DAYS)  # from day 85
        if self.value() == Phase.ACUTE:
            return queryset.filter(onset__gte=acute_from)
        if self.value() == Phase.SUBACUTE:
            return queryset.filter(onset__lt=acute_from, onset__gte=chronic_before)
        if self.value() == Phase.CHRONIC:
            return queryset.filter(onset__lt=chronic_before)
        return queryset


class CareTeamInlineFormSet(forms.BaseInlineFormSet):  # type: ignore[type-arg]
    def clean(self) -> None:
        super().clean()
        for form in self.forms:
            if not hasattr(form, "cleaned_data") or form.cleaned_data.get("DELETE"):
                continue
            if not form.has_changed() and form.instance.pk is None:
                continue
            error = care_team_clinician_error(self.instance, form.cleaned_data.get("clinician"))
            if error:
                form.add_error("clinician", error)


class CareTeamMemberInline(ScopedTabularInline):
    model = CareTeamMember
    formset = CareTeamInlineFormSet
    clinicians_from_any_team = ("clinician",)  # checked by the formset (care_team_clinician_error)
    extra = 0
    autocomplete_fields = ("clinician",)
    fields = ("clinician", "role", "start", "end", "is_lead")
    verbose_name = "care-team role"
    verbose_name_plural = "care team"


class RedFlagFindingInline(ScopedTabularInline):
    model = RedFlagFinding
    extra = 0
    autocomplete_fields = ("noted_by",)
    fields = ("sign", "category", "noted_on", "noted_by", "note", "cleared_on")
    readonly_fields = ("category",)

    @admin.display(description="category")
    def category(self, obj: RedFlagFinding) -> str:
        return obj.category if obj.sign else "—"

    def formfield_for_foreignkey(self, db_field: Any, request: HttpRequest, **kwargs: Any) -> Any:
        if db_field.name == "noted_by":
            kwargs.setdefault("initial", request.user.pk)
        return super().formfield_for_foreignkey(db_field, request, **kwargs)


@admin.register(Episode)
class EpisodeAdmin(ScopedModelAdmin, ScopedHistoryAdmin):
    patient_path = "patient"
    list_display = (
        "patient",
        "onset",
        "phase_now",
        "day_now",
        "status",
        "summary",
        "red_flags_screened_on",
        "plan",
        "team",
    )
    list_filter = ("status", PhaseFilter, "patient__team", "onset")
    search_fields = (*_search_through("patient"), "summary")
    list_select_related = ("patient", "patient__team", "care_plan")
    autocomplete_fields = ("patient",)
    readonly_fields = ("phase_now", "day_now", "archived_at", "created_at", "updated_at")
    date_hierarchy = "onset"
    inlines = (CareTeamMemberInline, RedFlagFindingInline)
    actions = (apply_plan_template, "close_episodes", "archive_episodes")
    fieldsets = (
        (None, {"fields": ("patient", "onset", "phase_now", "day_now", "summary")}),
        ("Status", {"fields": ("status", "closed_on", "red_flags_screened_on")}),
        ("Record", {"fields": ("archived_at", "created_at", "updated_at")}),
    )

    @admin.display(description="care plan")
    def plan(self, obj: Episode) -> Any:
        try:
            return obj.care_plan
        except CarePlan.DoesNotExist:
            return "—"

    @admin.display(description="team", ordering="patient__team__name")
    def team(self, obj: Episode) -> Any:
        return obj.patient.team

    @admin.display(description="phase")
    def phase_now(self, obj: Episode) -> str:
        return obj.get_phase_display_now() if obj.onset else "—"

    @admin.display(description="day", ordering="-onset")
    def day_now(self, obj: Episode) -> Any:
        return obj.day_on() if obj.onset else "—"

    def save_formset(self, request: HttpRequest, form: Any, formset: Any, change: bool) -> None:
        super().save_formset(request, form, formset, change)
        episode = form.instance
        # As red_flag_record does: the first recorded finding dates the red-flag screen.
        if (
            formset.model is RedFlagFinding
            and formset.new_objects
            and episode.red_flags_screened_on is None
        ):
            first = min(f.noted_on for f in formset.new_objects)
            model_update(
                actor=request.user, instance=episode, data={"red_flags_screened_on": first}
            )

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False  # episodes are archived, never deleted through the app

    @admin.action(description="Archive the selected episodes", permissions=["change"])
    def archive_episodes(self, request: HttpRequest, queryset: QuerySet[Episode]) -> None:
        count = 0
        for episode in queryset.filter(archived_at__isnull=True):
            episode_archive(actor=request.user, episode=episode)
            count += 1
        self.message_user(request, f"Archived {count} episode(s).", messages.SUCCESS)

    @admin.action(description="Close the selected episodes (today)", permissions=["change"])
    def close_episodes(self, request: HttpRequest, queryset: QuerySet[Episode]) -> None:
        closed = 0
        for episode in queryset:
            try:
                episode_close(actor=request.user, episode=episode)
            except ValidationError as exc:
                self.message_user(request, f"{episode}: {' '.join(exc.messages)}", messages.WARNING)
            else:
                closed += 1
        if closed:
            self.message_user(request, f"Closed {closed} episode(s).", messages.SUCCESS)


class CareTeamMemberForm(forms.ModelForm):  # type: ignore[type-arg]
    class Meta:
        model = CareTeamMember
        fields = ("episode", "clinician", "role", "start", "end", "is_lead")

    def clean(self) -> dict[str, Any]:
        super().clean()
        cleaned = self.cleaned_data
        error = care_team_clinician_error(cleaned.get("episode"), cleaned.get("clinician"))
        if error:
            self.add_error("clinician", error)
        return cleaned


@admin.register(CareTeamMember)
class CareTeamMemberAdmin(ScopedModelAdmin):
    patient_path = "episode__patient"
    form = CareTeamMemberForm
    list_display = ("clinician", "role", "patient", "episode", "start", "end", "is_lead")
    list_filter = ("role", "is_lead", "episode__status")
    search_fields = (
        *_search_through("episode__patient"),
        "clinician__username",
        "clinician__first_name",
        "clinician__last_name",
    )
    list_select_related = ("clinician", "episode", "episode__patient")
    autocomplete_fields = ("episode", "clinician")

    @admin.display(description="patient", ordering="episode__patient__last_name")
    def patient(self, obj: CareTeamMember) -> Any:
        return obj.episode.patient


@admin.register(RedFlagFinding)
class RedFlagFindingAdmin(ScopedModelAdmin):
    patient_path = "episode__patient"
    list_display = ("sign", "category", "patient", "noted_on", "noted_by", "cleared_on")
    list_filter = ("sign", "noted_on", "cleared_on")
    search_fields = (*_search_through("episode__patient"), "note")
    list_select_related = ("episode__patient", "noted_by")
    autocomplete_fields = ("episode", "noted_by")

    @admin.display(description="category")
    def category(self, obj: RedFlagFinding) -> str:
        return obj.category

    @admin.display(description="patient", ordering="episode__patient__last_name")
    def patient(self, obj: RedFlagFinding) -> Any:
        return obj.episode.patient


@admin.register(ClinicalNote)
class ClinicalNoteAdmin(ScopedModelAdmin):
    patient_path = "patient"
    list_display = ("created_at", "patient", "author", "excerpt")
    list_filter = ("created_at",)
    search_fields = (*_search_through("patient"), "author__username", "author__last_name")
    list_select_related = ("patient", "author")
    autocomplete_fields = ("patient", "episode")
    readonly_fields = ("author", "created_at", "updated_at")
    date_hierarchy = "created_at"

    @admin.display(description="note")
    def excerpt(self, obj: ClinicalNote) -> str:
        return obj.body if len(obj.body) <= 80 else obj.body[:79] + "…"

    def save_model(self, request: HttpRequest, obj: ClinicalNote, form: Any, change: bool) -> None:
        if not change:
            obj.author = request.user  # type: ignore[assignment]
        super().save_model(request, obj, form, change)
