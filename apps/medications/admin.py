from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin
from django.core.exceptions import ValidationError
from django.db.models import Q, QuerySet
from django.http import HttpRequest

from apps.core.admin_mixins import (
    ScopedHistoryAdmin,
    ScopedModelAdmin,
    ServiceErrorsAdminMixin,
    add_errors_to_form,
)
from apps.core.dates import clinic_today

from .models import OPIOID_CLASSES, MedicationOrder
from .services import (
    ORDER_FIELDS,
    compute_daily_mme,
    medication_order_create,
    medication_order_update,
)


class MedicationOrderForm(forms.ModelForm):  # type: ignore[type-arg]
    """Runs the service's MME computation in ``clean`` so its errors show next to the field."""

    class Meta:
        model = MedicationOrder
        fields = (
            "episode",
            "drug",
            "drug_class",
            "opioid",
            "indication",
            "dose",
            "dose_unit",
            "frequency",
            "daily_dose",
            "start_date",
            "stop_date",
            "dose_changed_on",
            "prescriber",
            "last_reviewed_on",
            "naloxone_offered_on",
        )

    def clean(self) -> dict[str, Any]:
        super().clean()
        cleaned = self.cleaned_data
        if cleaned.get("drug_class") and cleaned["drug_class"] not in OPIOID_CLASSES:
            cleaned["opioid"] = ""  # as the service does: only opioids name a substance
        values = {f: getattr(self.instance, f) for f in ORDER_FIELDS}
        values.update({f: v for f, v in cleaned.items() if f in ORDER_FIELDS})
        try:
            compute_daily_mme(MedicationOrder(**values))
        except ValidationError as exc:
            add_errors_to_form(self, exc)
        return cleaned


class ActiveTodayFilter(admin.SimpleListFilter):
    title = "active today"
    parameter_name = "active"

    def lookups(self, request: HttpRequest, model_admin: Any) -> list[tuple[str, str]]:
        return [("yes", "Active"), ("no", "Stopped or not started")]

    def queryset(self, request: HttpRequest, queryset: QuerySet[Any]) -> QuerySet[Any]:
        today = clinic_today()
        active = Q(start_date__lte=today) & (Q(stop_date__isnull=True) | Q(stop_date__gte=today))
        if self.value() == "yes":
            return queryset.filter(active)
        if self.value() == "no":
            return queryset.exclude(active)
        return queryset


@admin.register(MedicationOrder)
class MedicationOrderAdmin(ServiceErrorsAdminMixin, ScopedModelAdmin, ScopedHistoryAdmin):
    """Writes go through ``medication_order_create`` / ``medication_order_update`` (MME, audit,
    the review clock on dose increases)."""

    patient_path = "episode__patient"
    form = MedicationOrderForm
    list_display = (
        "drug",
        "patient",
        "drug_class",
        "dose_display",
        "frequency",
        "daily_dose",
        "daily_mme",
        "start_date",
        "stop_date",
        "prescriber",
        "last_reviewed_on",
        "naloxone_offered",
    )
    list_filter = (ActiveTodayFilter, "drug_class", "opioid", "start_date")
    search_fields = (
        "drug",
        "indication",
        "episode__patient__mrn",
        "episode__patient__first_name",
        "episode__patient__last_name",
    )
    list_select_related = ("episode__patient", "prescriber")
    autocomplete_fields = ("episode", "prescriber")
    date_hierarchy = "start_date"
    fieldsets = (
        (None, {"fields": ("episode", "drug", "drug_class", "opioid", "indication")}),
        ("Dose", {"fields": ("dose", "dose_unit", "frequency", "daily_dose", "daily_mme")}),
        ("Dates", {"fields": ("start_date", "stop_date", "dose_changed_on")}),
        ("Review", {"fields": ("prescriber", "last_reviewed_on", "naloxone_offered_on")}),
        ("Record", {"fields": ("created_at", "updated_at")}),
    )

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> Any:
        readonly = ["daily_mme", "created_at", "updated_at"]
        if obj is not None:
            readonly.append("episode")  # an order does not move to another episode
        return readonly

    @admin.display(description="patient", ordering="episode__patient__last_name")
    def patient(self, obj: MedicationOrder) -> Any:
        return obj.episode.patient

    @admin.display(description="dose", ordering="dose")
    def dose_display(self, obj: MedicationOrder) -> str:
        return f"{obj.dose.normalize():f} {obj.dose_unit}"

    @admin.display(description="naloxone", boolean=True, ordering="naloxone_offered_on")
    def naloxone_offered(self, obj: MedicationOrder) -> bool | None:
        return obj.naloxone_offered if obj.is_opioid else None

    def save_model(
        self, request: HttpRequest, obj: MedicationOrder, form: Any, change: bool
    ) -> None:
        if not change:
            fields = {f: v for f, v in form.cleaned_data.items() if f in ORDER_FIELDS}
            saved = medication_order_create(
                actor=request.user, episode=form.cleaned_data["episode"], **fields
            )
        else:
            changed = {f: form.cleaned_data[f] for f in form.changed_data if f in ORDER_FIELDS}
            # The service compares against the stored order, not the form-mutated instance.
            saved = MedicationOrder.objects.get(pk=obj.pk)
            if changed:
                medication_order_update(actor=request.user, order=saved, **changed)
        obj.pk = saved.pk
        obj._state.adding = False
        obj.refresh_from_db()
