from __future__ import annotations

import datetime as dt
from typing import Any

from django.contrib import admin
from django.http import HttpRequest
from django.utils import timezone

from apps.clinical.scoring import BOTHERSOMENESS_ANSWERS
from apps.core.admin_mixins import (
    EpisodeOfPatientForm,
    ScopedHistoryAdmin,
    ScopedModelAdmin,
    ServiceErrorsAdminMixin,
)
from apps.patients.models import WorkStatus

from .models import Assessment
from .services import assessment_record, score_answers


class BandFilter(admin.AllValuesFieldListFilter):
    """Band values as recorded; instruments without bands (NRS, PEG) read "No band", not an empty
    link (axe-core link-name)."""

    def choices(self, changelist: Any) -> Any:
        for choice in super().choices(changelist):
            if not str(choice["display"]).strip():
                choice = {**choice, "display": "No band"}
            yield choice


ANSWER_FORMATS = (
    'Raw answers as JSON. Pain NRS and sleep quality: {"value": 0-10}. '
    'PEG: {"pain": 0-10, "enjoyment": 0-10, "activity": 0-10}. '
    'ODI: {"sections": [10 answers 0-5, null if skipped]}. '
    'STarT Back: {"agree": [8 true/false], "bothersomeness": one of '
    + ", ".join(f'"{a}"' for a in BOTHERSOMENESS_ANSWERS)
    + "}. "
    'PHQ-9: {"items": [9 answers 0-3, null if missing]}. '
    'GAD-7: {"items": [7 answers 0-3]}. '
    'Work status: {"status": one of ' + ", ".join(f'"{s}"' for s in WorkStatus.values) + "}."
)


class AssessmentForm(EpisodeOfPatientForm):
    """Validates the answers with the scoring module before anything is saved."""

    class Meta:
        model = Assessment
        fields = ("patient", "episode", "instrument", "answers", "taken_at", "reported_by")
        help_texts = {"answers": ANSWER_FORMATS}

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean()
        instrument = cleaned.get("instrument")
        if instrument and "answers" in cleaned:
            try:
                score_answers(instrument, cleaned["answers"])
            except ValueError as exc:
                self.add_error("answers", str(exc))
        taken_at = cleaned.get("taken_at")
        if taken_at and taken_at > timezone.now() + dt.timedelta(minutes=5):
            self.add_error("taken_at", "An assessment cannot be taken in the future.")
        return cleaned


@admin.register(Assessment)
class AssessmentAdmin(ServiceErrorsAdminMixin, ScopedModelAdmin, ScopedHistoryAdmin):
    """New assessments are recorded through ``assessment_record`` (scored by
    apps.clinical.scoring, audited); recorded ones are clinical records: read-only here."""

    patient_path = "patient"
    form = AssessmentForm
    list_display = (
        "taken_at",
        "patient",
        "instrument",
        "score",
        "subscore",
        "band",
        "self_harm",
        "reported_by",
        "recorded_by",
    )
    list_filter = ("instrument", ("band", BandFilter), "self_harm", "reported_by", "taken_at")
    search_fields = ("patient__mrn", "patient__first_name", "patient__last_name")
    list_select_related = ("patient", "recorded_by")
    autocomplete_fields = ("patient", "episode")
    readonly_fields = ("score", "subscore", "band", "self_harm", "recorded_by", "created_at")
    date_hierarchy = "taken_at"
    fieldsets = (
        (None, {"fields": ("patient", "episode", "instrument", "answers", "taken_at")}),
        (
            "Computed (apps.clinical.scoring)",
            {"fields": ("score", "subscore", "band", "self_harm")},
        ),
        ("Provenance", {"fields": ("reported_by", "recorded_by", "created_at")}),
    )

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        if obj is not None:
            return False
        return super().has_change_permission(request, obj)

    def save_model(self, request: HttpRequest, obj: Assessment, form: Any, change: bool) -> None:
        data = form.cleaned_data
        saved = assessment_record(
            actor=request.user,
            patient=data["patient"],
            instrument=data["instrument"],
            answers=data["answers"],
            episode=data.get("episode"),
            taken_at=data.get("taken_at"),
            reported_by=data.get("reported_by") or obj.reported_by,
        )
        obj.pk = saved.pk
        obj._state.adding = False
        obj.refresh_from_db()
