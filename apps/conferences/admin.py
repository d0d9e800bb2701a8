from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.db.models import Count, QuerySet
from django.http import HttpRequest
from django.utils.safestring import SafeString

from apps.core.admin_mixins import ScopedModelAdmin, ScopedTabularInline, pretty_json

from .models import AgendaItem, CaseConference, ConferenceInput

PATIENT_SEARCH = ("patient__mrn", "patient__first_name", "patient__last_name")


class AgendaItemInline(ScopedTabularInline):
    model = AgendaItem
    extra = 0
    autocomplete_fields = ("patient",)
    fields = ("order", "patient", "reason", "evidence_pretty", "discussed")
    readonly_fields = ("evidence_pretty",)
    show_change_link = True

    @admin.display(description="evidence")
    def evidence_pretty(self, obj: AgendaItem) -> SafeString:
        return pretty_json(obj.evidence)

    def get_queryset(self, request: HttpRequest) -> QuerySet[Any]:
        return super().get_queryset(request).select_related("patient")


@admin.register(CaseConference)
class CaseConferenceAdmin(ScopedModelAdmin):
    team_path = "team"
    ordering = ("-scheduled_for",)  # the count below makes a GROUP BY, which drops Meta.ordering
    list_display = ("scheduled_for", "team", "status", "chair", "item_count")
    list_filter = ("status", "team", "scheduled_for")
    search_fields = ("team__name", "notes")
    list_select_related = ("team", "chair")
    autocomplete_fields = ("team", "chair")
    readonly_fields = ("created_at", "updated_at")
    date_hierarchy = "scheduled_for"
    inlines = (AgendaItemInline,)

    def get_queryset(self, request: HttpRequest) -> QuerySet[Any]:
        return super().get_queryset(request).annotate(_items=Count("agenda_items"))

    @admin.display(description="agenda items", ordering="_items")
    def item_count(self, obj: CaseConference) -> int:
        return getattr(obj, "_items", 0)


class ConferenceInputInline(ScopedTabularInline):
    model = ConferenceInput
    extra = 1
    autocomplete_fields = ("author",)
    fields = ("discipline", "author", "text")

    def formfield_for_foreignkey(self, db_field: Any, request: HttpRequest, **kwargs: Any) -> Any:
        if db_field.name == "author":
            kwargs.setdefault("initial", request.user.pk)
        return super().formfield_for_foreignkey(db_field, request, **kwargs)


@admin.register(AgendaItem)
class AgendaItemAdmin(ScopedModelAdmin):
    patient_path = "patient"
    ordering = ("order", "id")  # the count below makes a GROUP BY, which drops Meta.ordering
    list_display = ("patient", "conference", "reason", "order", "discussed", "input_count")
    list_filter = ("reason", "discussed", "conference__team", "conference__scheduled_for")
    search_fields = (*PATIENT_SEARCH, "conference__team__name")
    list_select_related = ("patient", "conference__team")
    autocomplete_fields = ("conference", "patient")
    readonly_fields = ("evidence_pretty", "created_at", "updated_at")
    exclude = ("evidence",)
    inlines = (ConferenceInputInline,)

    def get_queryset(self, request: HttpRequest) -> QuerySet[Any]:
        return super().get_queryset(request).annotate(_inputs=Count("inputs"))

    @admin.display(description="evidence")
    def evidence_pretty(self, obj: AgendaItem) -> SafeString:
        return pretty_json(obj.evidence)

    @admin.display(description="inputs", ordering="_inputs")
    def input_count(self, obj: AgendaItem) -> int:
        return getattr(obj, "_inputs", 0)


@admin.register(ConferenceInput)
class ConferenceInputAdmin(ScopedModelAdmin):
    patient_path = "agenda_item__patient"
    list_display = ("created_at", "discipline", "author", "patient", "conference", "excerpt")
    list_filter = ("discipline", "created_at")
    search_fields = (
        "text",
        "agenda_item__patient__mrn",
        "agenda_item__patient__last_name",
        "author__username",
    )
    list_select_related = ("author", "agenda_item__patient", "agenda_item__conference__team")
    autocomplete_fields = ("agenda_item", "author")
    readonly_fields = ("created_at", "updated_at")

    @admin.display(description="patient", ordering="agenda_item__patient__last_name")
    def patient(self, obj: ConferenceInput) -> Any:
        return obj.agenda_item.patient

    @admin.display(description="conference")
    def conference(self, obj: ConferenceInput) -> Any:
        return obj.agenda_item.conference

    @admin.display(description="input")
    def excerpt(self, obj: ConferenceInput) -> str:
        return obj.text if len(obj.text) <= 80 else obj.text[:79] + "…"
