from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.db.models import Count, QuerySet
from django.http import HttpRequest

from apps.core.admin_mixins import AuditedAdminMixin

from .models import Team, TeamMembership


class TeamMembershipInline(admin.TabularInline):  # type: ignore[type-arg]
    model = TeamMembership
    extra = 1
    autocomplete_fields = ("clinician",)
    fields = ("clinician", "is_lead")


@admin.register(Team)
class TeamAdmin(AuditedAdminMixin, admin.ModelAdmin):  # type: ignore[type-arg]
    list_display = ("name", "member_count", "patient_count", "lead", "updated_at")
    search_fields = ("name", "description")
    inlines = (TeamMembershipInline,)

    def get_queryset(self, request: HttpRequest) -> QuerySet[Any]:
        return (
            super()
            .get_queryset(request)
            .annotate(
                _member_count=Count("memberships", distinct=True),
                _patient_count=Count("patients", distinct=True),
            )
        )

    def get_changelist_instance(self, request: HttpRequest) -> Any:
        cl = super().get_changelist_instance(request)
        leads = TeamMembership.objects.filter(
            team__in=[t.pk for t in cl.result_list], is_lead=True
        ).select_related("clinician")
        by_team = {m.team_id: m.clinician for m in leads}
        for team in cl.result_list:
            team._lead = by_team.get(team.pk)
        return cl

    @admin.display(description="members", ordering="_member_count")
    def member_count(self, obj: Team) -> int:
        return getattr(obj, "_member_count", 0)

    @admin.display(description="patients", ordering="_patient_count")
    def patient_count(self, obj: Team) -> int:
        return getattr(obj, "_patient_count", 0)

    @admin.display(description="lead")
    def lead(self, obj: Team) -> Any:
        if hasattr(obj, "_lead"):
            return obj._lead or "—"
        membership = obj.memberships.filter(is_lead=True).select_related("clinician").first()
        return membership.clinician if membership else "—"


@admin.register(TeamMembership)
class TeamMembershipAdmin(AuditedAdminMixin, admin.ModelAdmin):  # type: ignore[type-arg]
    list_display = ("clinician", "team", "is_lead", "created_at")
    list_filter = ("team", "is_lead", "clinician__discipline")
    search_fields = (
        "team__name",
        "clinician__username",
        "clinician__first_name",
        "clinician__last_name",
    )
    list_select_related = ("clinician", "team")
    autocomplete_fields = ("team", "clinician")

    def get_queryset(self, request: HttpRequest) -> QuerySet[Any]:
        return super().get_queryset(request).select_related("clinician", "team")
