from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin
from django.db import models
from django.http import HttpRequest

from apps.core.admin_mixins import AuditedAdminMixin

from .models import ClinicalSetting
from .services import sync_clinical_settings
from .thresholds import THRESHOLDS, ThresholdSpec


def _spec(obj: ClinicalSetting) -> ThresholdSpec | None:
    return THRESHOLDS.get(obj.key) if obj.key else None


def _choice_label(spec: ThresholdSpec) -> str:
    return (
        f"{spec.key.replace('_', ' ')} — default {spec.default} {spec.unit} "
        f"(allowed {spec.minimum}–{spec.maximum})"
    )


@admin.register(ClinicalSetting)
class ClinicalSettingAdmin(AuditedAdminMixin, admin.ModelAdmin):  # type: ignore[type-arg]
    """Overrides of the clinical thresholds; a key without a row uses its default.

    The allowed range is checked by ``ClinicalSetting.clean`` and shown next to the value.
    """

    shared_across_teams = True  # one set of thresholds for the whole clinic

    list_display = (
        "name",
        "value",
        "default",
        "unit",
        "allowed_range",
        "source",
        "changed_by",
        "updated_at",
    )
    list_display_links = ("name",)
    list_per_page = 200
    search_fields = ("key",)
    list_select_related = ("changed_by",)
    readonly_fields = (
        "default",
        "unit",
        "allowed_range",
        "source",
        "description",
        "changed_by",
        "updated_at",
    )
    fieldsets = (
        (None, {"fields": ("key", "value")}),
        (
            "Threshold",
            {"fields": ("default", "unit", "allowed_range", "description", "source")},
        ),
        ("Change", {"fields": ("changed_by", "updated_at")}),
    )

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> Any:
        if obj is not None:
            return ("key", *self.readonly_fields)  # change the value, not which threshold
        return self.readonly_fields

    def formfield_for_dbfield(
        self, db_field: models.Field[Any, Any], request: HttpRequest, **kwargs: Any
    ) -> Any:
        if db_field.name == "key":
            taken = set(ClinicalSetting.objects.values_list("key", flat=True))
            return forms.ChoiceField(
                label="Threshold",
                choices=[("", "---------")]
                + [
                    (key, _choice_label(spec))
                    for key, spec in THRESHOLDS.items()
                    if key not in taken
                ],
            )
        return super().formfield_for_dbfield(db_field, request, **kwargs)

    def changelist_view(self, request: HttpRequest, extra_context: Any = None) -> Any:
        # Every threshold is listed (at its default) without anyone creating its row first.
        sync_clinical_settings()
        return super().changelist_view(request, extra_context)

    @admin.display(description="threshold", ordering="key")
    def name(self, obj: ClinicalSetting) -> str:
        return (
            obj.key.replace("_", " ")
            .capitalize()
            .replace("Mme", "MME")
            .replace("Nrs", "NRS")
            .replace("Odi", "ODI")
            .replace(" pt ", " PT ")
            .replace("Pt ", "PT ")
        )

    @admin.display(description="default")
    def default(self, obj: ClinicalSetting) -> Any:
        spec = _spec(obj)
        return spec.default if spec else "—"

    @admin.display(description="unit")
    def unit(self, obj: ClinicalSetting) -> str:
        spec = _spec(obj)
        return spec.unit if spec else "—"

    @admin.display(description="allowed")
    def allowed_range(self, obj: ClinicalSetting) -> str:
        spec = _spec(obj)
        return f"{spec.minimum}–{spec.maximum}" if spec else "—"

    @admin.display(description="source")
    def source(self, obj: ClinicalSetting) -> str:
        spec = _spec(obj)
        return spec.source if spec else "—"

    @admin.display(description="description")
    def description(self, obj: ClinicalSetting) -> str:
        spec = _spec(obj)
        return spec.description if spec else "—"

    def save_model(
        self, request: HttpRequest, obj: ClinicalSetting, form: Any, change: bool
    ) -> None:
        obj.changed_by = request.user  # type: ignore[assignment]
        super().save_model(request, obj, form, change)
