"""Teams and memberships in admin.

A membership decides whose patients a clinician sees, so changing one is for superusers, and for a
team's lead on their own team (``TeamMembership.is_lead``). Everybody else only reads them.
"""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.db.models import Count, QuerySet
from django.http import HttpRequest

from apps.core.admin_mixins import ScopedModelAdmin, ScopedTabularInline, is_unrestricted

from .models import Team, TeamMembership
from .selectors import teams_led_by


def may_change_memberships(request: HttpRequest, team: Any = None) -> bool:
    """Superusers; a team's lead for that team (for ``team=None``: for some team they lead)."""
    if is_unrestricted(request.user):
        return True
    led = teams_led_by(request.user)
    if team is None:
        return led.exists()
    return led.filter(pk=team.pk).exists()


class TeamMembershipInline(ScopedTabularInline):
    """Members on the team's page: changed by superusers and by the team's lead."""

    model = TeamMembership
    clinicians_from_any_team = ("clinician",)  # the clinician joins the team here
    extra = 1
    autocomplete_fields = ("clinician",)
    fields = ("clinician", "is_lead")

    def _may(self, request: HttpRequest, obj: Any) -> bool:
        return obj is not None and may_change_memberships(request, obj)

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return (
            is_unrestricted(request.user) or self._may(request, obj)
        ) and super().has_add_permission(request, obj)

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return (
            is_unrestricted(request.user) or self._may(request, obj)
        ) and super().has_change_permission(request, obj)

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return (
            is_unrestricted(request.user) or self._may(request, obj)
        ) and super().has_delete_permission(request, obj)


@admin.register(Team)
class TeamAdmin(ScopedModelAdmin):
    team_path = "pk"
    ordering = ("name",)  # the counts below make a GROUP BY, which drops Meta.ordering
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
class TeamMembershipAdmin(ScopedModelAdmin):
    team_path = "team"
    clinicians_from_any_team = ("clinician",)  # the clinician joins the team here
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

    def has_add_permission(self, request: HttpRequest) -> bool:
        return may_change_memberships(request) and super().has_add_permission(request)

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        team = obj.team if obj is not None else None
        return may_change_memberships(request, team) and super().has_change_permission(request, obj)

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        team = obj.team if obj is not None else None
        return may_change_memberships(request, team) and super().has_delete_permission(request, obj)

    def formfield_for_foreignkey(self, db_field: Any, request: HttpRequest, **kwargs: Any) -> Any:
        if db_field.name == "team" and not is_unrestricted(request.user):
            kwargs["queryset"] = teams_led_by(request.user)  # a lead places members on their team
        return super().formfield_for_foreignkey(db_field, request, **kwargs)
