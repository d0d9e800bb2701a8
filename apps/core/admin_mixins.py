"""Pieces shared by every app's Django admin.

- ``PatientScopedAdminMixin``: staff who are not superusers see only the rows of the patients
  returned by ``apps.patients.selectors.patients_visible_to`` (the one access rule), reached
  through the admin's ``patient_path`` ("patient", "episode__patient", ...); team-level rows
  through ``team_path``. The same rule limits the patient / episode / team choices of foreign keys.
- ``AuditedAdminMixin``: saves, inline saves and deletions made in admin are written to the audit
  trail, like the services do. Reads (changelist rows, change, delete and history pages,
  autocomplete) are registered by ``apps.audit.admin_reads.PatientReadsAdminMixin``, a base of
  ``PatientScopedAdminMixin``: one audit row per request naming the patients shown.
- ``ServiceErrorsAdminMixin``: a ``ValidationError`` raised by a service in ``save_model`` is
  shown on the form (the attempt is rolled back), never a 500.
- ``ReadOnlyAdminMixin``, ``pretty_json``, ``csv_safe``: small helpers.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from typing import Any

from django.contrib import admin
from django.core.exceptions import NON_FIELD_ERRORS, ValidationError
from django.core.serializers.json import DjangoJSONEncoder
from django.db import models
from django.db.models import Q, QuerySet
from django.forms import ModelForm
from django.http import HttpRequest
from django.utils.html import format_html
from django.utils.safestring import SafeString
from simple_history.admin import SimpleHistoryAdmin

from apps.audit.admin_reads import PatientReadsAdminMixin
from apps.audit.services import audit_record, patient_of


def is_unrestricted(user: Any) -> bool:
    """Superusers see every patient in admin; everybody else only their teams' caseloads."""
    return bool(getattr(user, "is_superuser", False))


def visible_patients(request: HttpRequest) -> QuerySet[Any]:
    from apps.patients.selectors import patients_visible_to

    return patients_visible_to(request.user, include_archived=True)


def visible_teams(request: HttpRequest) -> QuerySet[Any]:
    from apps.teams.models import Team

    if is_unrestricted(request.user):
        return Team.objects.all()
    user_id: Any = getattr(request.user, "pk", None)
    return Team.objects.filter(memberships__clinician_id=user_id)


class PatientScopedAdminMixin(PatientReadsAdminMixin):
    """Limit a patient-related admin (and its foreign-key choices) to the visible patients.

    ``patient_path``: lookup from the model to its patient ("pk" for Patient itself);
    ``team_path``: lookup to a team, for team-level rows (conferences) and for rows whose
    patient is empty (a task owned by a team's queue). Rows with neither are hidden from staff
    who are not superusers.
    """

    patient_path: str | None = None
    team_path: str | None = None

    def scope_queryset(self, request: HttpRequest, qs: QuerySet[Any]) -> QuerySet[Any]:
        if is_unrestricted(request.user):
            return qs
        if self.patient_path is None and self.team_path is None:
            return qs
        conditions: list[Q] = []
        if self.patient_path is not None:
            conditions.append(Q(**{f"{self.patient_path}__in": visible_patients(request)}))
        if self.team_path is not None:
            by_team = Q(**{f"{self.team_path}__in": visible_teams(request)})
            if self.patient_path is not None and self.patient_path != "pk":
                by_team &= Q(**{f"{self.patient_path}__isnull": True})
            conditions.append(by_team)
        cond = conditions[0]
        for extra in conditions[1:]:
            cond |= extra
        return qs.filter(cond)

    def get_queryset(self, request: HttpRequest) -> QuerySet[Any]:
        qs = super().get_queryset(request)  # type: ignore[misc]
        # The changelist applies list_select_related only to a queryset without select_related;
        # applying it here serves the changelist, the change page and autocomplete (``__str__``
        # of many models follows their patient) alike.
        related = getattr(self, "list_select_related", False)
        if isinstance(related, (list, tuple)) and related:
            qs = qs.select_related(*related)
        return self.scope_queryset(request, qs)

    def formfield_for_foreignkey(
        self, db_field: models.ForeignKey[Any, Any], request: HttpRequest, **kwargs: Any
    ) -> Any:
        if not is_unrestricted(request.user) and "queryset" not in kwargs:
            from apps.patients.models import Episode, Patient
            from apps.teams.models import Team

            target = db_field.related_model
            if target is Patient:
                kwargs["queryset"] = visible_patients(request)
            elif target is Episode:
                kwargs["queryset"] = Episode.objects.filter(patient__in=visible_patients(request))
            elif target is Team:
                kwargs["queryset"] = visible_teams(request)
        return super().formfield_for_foreignkey(db_field, request, **kwargs)  # type: ignore[misc]


def _audit_patient(obj: models.Model) -> Any:
    from apps.patients.models import Patient

    # A deleted patient cannot be referenced by its own audit event (the FK protects it).
    if isinstance(obj, Patient):
        return None
    return patient_of(obj)


def audit_admin_delete(request: HttpRequest, obj: models.Model) -> None:
    audit_record(
        actor=request.user,
        action="delete",
        patient=_audit_patient(obj),
        object_type=obj._meta.label_lower,
        object_id=obj.pk,
    )


class AuditedAdminMixin:
    """Write admin changes to the audit trail (surface "admin", from the request middleware)."""

    def save_model(self, request: HttpRequest, obj: Any, form: Any, change: bool) -> None:
        super().save_model(request, obj, form, change)  # type: ignore[misc]
        if change and not form.changed_data:
            return
        audit_record(
            actor=request.user,
            action="update" if change else "create",
            obj=obj,
            changed_fields=form.changed_data if change else (),
        )

    def delete_model(self, request: HttpRequest, obj: Any) -> None:
        audit_admin_delete(request, obj)
        super().delete_model(request, obj)  # type: ignore[misc]

    def delete_queryset(self, request: HttpRequest, queryset: QuerySet[Any]) -> None:
        for obj in queryset:
            audit_admin_delete(request, obj)
        super().delete_queryset(request, queryset)  # type: ignore[misc]

    def save_formset(self, request: HttpRequest, form: Any, formset: Any, change: bool) -> None:
        for deleted in formset.deleted_forms:
            if deleted.instance.pk is not None:
                audit_admin_delete(request, deleted.instance)
        super().save_formset(request, form, formset, change)  # type: ignore[misc]
        for obj in formset.new_objects:
            audit_record(actor=request.user, action="create", obj=obj)
        for obj, fields in formset.changed_objects:
            audit_record(actor=request.user, action="update", obj=obj, changed_fields=fields)


def add_errors_to_form(form: ModelForm[Any], error: ValidationError) -> None:
    """Put a (possibly field-keyed) ValidationError on ``form``; unknown fields go on top."""
    if not hasattr(error, "error_dict"):
        form.add_error(None, error)
        return
    for field, errors in error.error_dict.items():
        target = field if field in form.fields else None
        if field == NON_FIELD_ERRORS:
            target = None
        form.add_error(target, errors)


class ServiceErrorsAdminMixin:
    """Report a ValidationError raised by a service in ``save_model`` on the form.

    The form's ``clean`` should already run the service's checks; this is the safety net for what
    only the service can know. ``changeform_view`` is atomic, so the failed attempt is rolled back;
    the view is then rendered again with the errors attached to the bound form.
    """

    def changeform_view(
        self,
        request: HttpRequest,
        object_id: str | None = None,
        form_url: str = "",
        extra_context: dict[str, Any] | None = None,
    ) -> Any:
        try:
            return super().changeform_view(  # type: ignore[misc]
                request, object_id, form_url, extra_context
            )
        except ValidationError as exc:
            if request.method != "POST":
                raise
            request._admin_service_error = exc  # type: ignore[attr-defined]
            return super().changeform_view(  # type: ignore[misc]
                request, object_id, form_url, extra_context
            )

    def get_form(
        self, request: HttpRequest, obj: Any = None, change: bool = False, **kwargs: Any
    ) -> Any:
        form_class = super().get_form(request, obj, change, **kwargs)  # type: ignore[misc]
        found: ValidationError | None = getattr(request, "_admin_service_error", None)
        if found is None:
            return form_class
        error: ValidationError = found

        class WithServiceErrors(form_class):  # type: ignore[valid-type,misc]
            def clean(self) -> Any:
                cleaned = super().clean()
                add_errors_to_form(self, error)
                return cleaned

        return WithServiceErrors


class EpisodeOfPatientForm(ModelForm):  # type: ignore[type-arg]
    """For models with both ``patient`` and ``episode``: the episode must be the patient's."""

    def clean(self) -> dict[str, Any]:
        super().clean()
        cleaned = self.cleaned_data
        patient, episode = cleaned.get("patient"), cleaned.get("episode")
        if patient is not None and episode is not None and episode.patient_id != patient.pk:
            self.add_error("episode", "That episode belongs to another patient.")
        return cleaned


class ReadOnlyAdminMixin:
    """Nobody adds, changes or deletes these rows in admin (superusers included)."""

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


class ScopedModelAdmin(PatientScopedAdminMixin, AuditedAdminMixin, admin.ModelAdmin):  # type: ignore[type-arg]
    """The usual base: team-scoped, audited."""


class ScopedTabularInline(PatientScopedAdminMixin, admin.TabularInline):  # type: ignore[type-arg]
    """Inlines: foreign-key choices limited like their admin (the parent is already scoped)."""


class ScopedStackedInline(PatientScopedAdminMixin, admin.StackedInline):  # type: ignore[type-arg]
    pass


def pretty_json(value: Any) -> SafeString:
    """JSON indented in a <pre>, for read-only evidence fields."""
    if value in (None, "", {}, []):
        return format_html("<span>{}</span>", "—")
    text = json.dumps(value, indent=2, sort_keys=True, ensure_ascii=False, cls=DjangoJSONEncoder)
    return format_html('<pre style="margin:0;white-space:pre-wrap">{}</pre>', text)


_CSV_FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")


def csv_safe(value: Any) -> str:
    """A cell for a CSV that spreadsheets will not execute as a formula."""
    if value is None:
        return ""
    text = str(value)
    if text.startswith(_CSV_FORMULA_PREFIXES):
        return "'" + text
    return text


def csv_row(values: Iterable[Any]) -> list[str]:
    return [csv_safe(v) for v in values]


class ScopedHistoryAdmin(SimpleHistoryAdmin):  # type: ignore[type-arg]
    """Field history (django-simple-history: who changed which field, when) on the admin's
    "History" page — for records the user may see only. simple-history would otherwise fall
    back to the latest historical row of a record outside the user's queryset."""

    def history_view(
        self, request: HttpRequest, object_id: str, extra_context: dict[str, Any] | None = None
    ) -> Any:
        from django.contrib.admin.utils import unquote
        from django.http import Http404

        if not self.get_queryset(request).filter(pk=unquote(object_id)).exists():
            raise Http404("Not found.")
        return super().history_view(request, object_id, extra_context)
