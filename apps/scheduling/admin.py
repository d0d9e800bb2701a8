from __future__ import annotations

from django.contrib import admin

from apps.core.admin_mixins import EpisodeOfPatientForm, ScopedModelAdmin

from .models import Appointment


@admin.register(Appointment)
class AppointmentAdmin(ScopedModelAdmin):
    patient_path = "patient"
    form = EpisodeOfPatientForm
    list_display = (
        "starts_at",
        "patient",
        "kind",
        "discipline",
        "clinician",
        "duration_minutes",
        "status",
        "location",
    )
    list_filter = ("status", "kind", "discipline", "starts_at", "patient__team")
    search_fields = (
        "patient__mrn",
        "patient__first_name",
        "patient__last_name",
        "clinician__username",
        "clinician__last_name",
        "location",
    )
    list_select_related = ("patient", "clinician")
    autocomplete_fields = ("patient", "episode", "clinician")
    readonly_fields = ("created_at", "updated_at")
    date_hierarchy = "starts_at"
    fieldsets = (
        (None, {"fields": ("patient", "episode", "kind", "discipline", "clinician")}),
        ("When and where", {"fields": ("starts_at", "duration_minutes", "location")}),
        ("Status", {"fields": ("status", "notes")}),
        ("Record", {"fields": ("created_at", "updated_at")}),
    )
