from __future__ import annotations

from typing import Any

from django.contrib import admin, messages
from django.contrib.auth.admin import UserAdmin
from django.contrib.auth.forms import AdminUserCreationForm, UserChangeForm
from django.db.models import Count, Q, QuerySet
from django.http import HttpRequest

from apps.core.admin_mixins import (
    AuditedAdminMixin,
    PatientScopedAdminMixin,
    ScopedTabularInline,
    is_unrestricted,
    visible_teams,
)
from apps.teams.models import TeamMembership

from .models import Clinician
from .services import two_factor_reset


class ClinicianCreationForm(AdminUserCreationForm):  # type: ignore[type-arg]
    class Meta(AdminUserCreationForm.Meta):  # type: ignore[name-defined]
        model = Clinician
        fields = ("username",)


class ClinicianChangeForm(UserChangeForm):  # type: ignore[type-arg]
    class Meta(UserChangeForm.Meta):  # type: ignore[name-defined]
        model = Clinician
        fields = "__all__"


class ClinicianTeamMembershipInline(ScopedTabularInline):
    """A clinician's teams (those the user shares). Changed here by superusers only; a team's
    lead changes their own team's members on the team's page."""

    model = TeamMembership
    team_path = "team"
    fk_name = "clinician"
    extra = 0
    autocomplete_fields = ("team",)
    fields = ("team", "is_lead")
    verbose_name = "team"
    verbose_name_plural = "teams"

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return is_unrestricted(request.user) and super().has_add_permission(request, obj)

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return is_unrestricted(request.user) and super().has_change_permission(request, obj)

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return is_unrestricted(request.user) and super().has_delete_permission(request, obj)


# Who may do what: granted by superusers only (otherwise "change clinician" would be superuser).
PRIVILEGE_FIELDS = ("is_staff", "is_superuser", "groups", "user_permissions")


@admin.register(Clinician)
class ClinicianAdmin(PatientScopedAdminMixin, AuditedAdminMixin, UserAdmin):  # type: ignore[type-arg]
    """Staff who are not superusers see (and pick, in every form) the members of their teams."""

    form = ClinicianChangeForm
    add_form = ClinicianCreationForm
    inlines = (ClinicianTeamMembershipInline,)
    # Plain labelled multi-selects: Django's filter_horizontal widget puts aria-label on a bare
    # <span> (axe-core "aria-prohibited-attr", serious).
    filter_horizontal = ()
    list_display = (
        "username",
        "full_name",
        "title",
        "discipline",
        "team_count",
        "is_staff",
        "is_active",
    )
    list_filter = ("discipline", "is_staff", "is_superuser", "is_active", "teams")
    search_fields = ("username", "first_name", "last_name", "email")
    ordering = ("last_name", "first_name", "username")
    fieldsets = (
        (None, {"fields": ("username", "password")}),
        ("Personal info", {"fields": ("title", "first_name", "last_name", "email", "phone")}),
        ("Clinical role", {"fields": ("discipline",)}),
        (
            "Permissions",
            {
                "fields": (
                    "is_active",
                    "is_staff",
                    "is_superuser",
                    "groups",
                    "user_permissions",
                ),
            },
        ),
        ("Important dates", {"fields": ("last_login", "date_joined")}),
    )
    add_fieldsets = (
        *UserAdmin.add_fieldsets,
        (
            "Clinician",
            {
                "classes": ("wide",),
                "fields": ("title", "first_name", "last_name", "email", "phone", "discipline"),
            },
        ),
    )

    actions = ("reset_two_factor",)

    @admin.action(
        description="Reset two-factor sign-in (lost phone): they set it up again at next sign-in"
    )
    def reset_two_factor(self, request: HttpRequest, queryset: QuerySet[Any]) -> None:
        if not request.user.is_superuser:
            self.message_user(
                request, "Only an administrator can reset two-factor sign-in.", messages.ERROR
            )
            return
        count = 0
        for clinician in queryset:
            two_factor_reset(actor=request.user, user=clinician)
            count += 1
        self.message_user(
            request,
            f"Two-factor sign-in was reset for {count} clinician{'s' if count != 1 else ''}; "
            "each was told by email.",
            messages.SUCCESS,
        )

    def scope_queryset(self, request: HttpRequest, qs: QuerySet[Any]) -> QuerySet[Any]:
        if is_unrestricted(request.user):
            return qs
        teammates = TeamMembership.objects.filter(team__in=visible_teams(request))
        return qs.filter(Q(pk__in=teammates.values("clinician_id")) | Q(pk=request.user.pk))

    def get_queryset(self, request: HttpRequest) -> QuerySet[Any]:
        return (
            super()
            .get_queryset(request)
            .annotate(_team_count=Count("team_memberships", distinct=True))
        )

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> Any:
        readonly = tuple(super().get_readonly_fields(request, obj))
        if is_unrestricted(request.user) or obj is None:
            return readonly
        return (*readonly, *PRIVILEGE_FIELDS)

    @admin.display(description="name", ordering="last_name")
    def full_name(self, obj: Clinician) -> str:
        return obj.get_full_name()

    @admin.display(description="teams", ordering="_team_count")
    def team_count(self, obj: Clinician) -> int:
        return getattr(obj, "_team_count", 0)
