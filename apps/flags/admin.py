from __future__ import annotations

from django.contrib import admin
from django.utils.safestring import SafeString

from apps.core.admin_mixins import EpisodeOfPatientForm, ScopedModelAdmin, pretty_json

from .models import Flag
from .rules import RULE_CHOICES, rule_label


class RuleFilter(admin.SimpleListFilter):
    """Filter by rule, listed by the rule's name (admins read "Stalled recovery", not a code)."""

    title = "rule"
    parameter_name = "rule_code"

    def lookups(self, request, model_admin):  # type: ignore[no-untyped-def]
        return sorted(RULE_CHOICES, key=lambda choice: choice[1])

    def queryset(self, request, queryset):  # type: ignore[no-untyped-def]
        return queryset.filter(rule_code=self.value()) if self.value() else queryset


@admin.register(Flag)
class FlagAdmin(ScopedModelAdmin):
    patient_path = "patient"
    form = EpisodeOfPatientForm
    list_display = ("rule", "severity", "status", "patient", "raised_at", "summary")
    list_filter = (
        "status",
        "severity",
        RuleFilter,
        "auto_resolved",
        "raised_at",
        "patient__team",
    )
    search_fields = (
        "rule_code",
        "summary",
        "patient__mrn",
        "patient__first_name",
        "patient__last_name",
    )
    list_select_related = ("patient",)
    autocomplete_fields = ("patient", "episode")
    # The workflow (acknowledge with a reason, resolve with a note, snooze never for a safety
    # flag) goes through apps.flags.services on the page and the API; admin shows it only.
    readonly_fields = (
        "status",
        "acknowledged_at",
        "acknowledged_by",
        "acknowledgement_note",
        "snoozed_until",
        "resolved_at",
        "resolved_by",
        "resolution_note",
        "fingerprint",
        "auto_resolved",
        "evidence_pretty",
        "resolution_evidence_pretty",
        "last_evaluated_at",
        "escalated_at",
        "created_at",
        "updated_at",
    )
    date_hierarchy = "raised_at"

    @admin.display(description="Rule", ordering="rule_code")
    def rule(self, obj: Flag) -> str:
        return rule_label(obj.rule_code)  # the rule's name, never its code

    fieldsets = (
        (None, {"fields": ("patient", "episode", "rule_code", "severity", "summary")}),
        (
            "Evidence",
            {"fields": ("evidence_pretty", "fingerprint", "raised_at", "last_evaluated_at")},
        ),
        (
            "Status",
            {
                "fields": (
                    "status",
                    "acknowledged_at",
                    "acknowledged_by",
                    "acknowledgement_note",
                    "snoozed_until",
                    "escalated_at",
                )
            },
        ),
        (
            "Resolution",
            {
                "fields": (
                    "resolved_at",
                    "resolved_by",
                    "resolution_note",
                    "auto_resolved",
                    "resolution_evidence_pretty",
                )
            },
        ),
        ("Record", {"fields": ("created_at", "updated_at")}),
    )

    @admin.display(description="evidence")
    def evidence_pretty(self, obj: Flag) -> SafeString:
        return pretty_json(obj.evidence)

    @admin.display(description="resolution evidence")
    def resolution_evidence_pretty(self, obj: Flag) -> SafeString:
        return pretty_json(obj.resolution_evidence)
