"""Pieces shared by every app's Django admin.

- ``PatientScopedAdminMixin``: staff who are not superusers see only the rows of the patients
  returned by ``apps.patients.selectors.patients_visible_to`` (the one access rule), reached
  through the admin's ``patient_path`` ("patient", "episode__patient", ...); team-level rows
  through ``team_path``. Every relation in every admin form offers (and accepts) only the rows
  the related model's admin shows the user (``choices_for``); ``apps.core.admin_site`` mixes it
  into every registered admin, so none is left out.
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
from django.contrib.admin.options import InlineModelAdmin
from django.contrib.auth import get_user_model
from django.core.exceptions import NON_FIELD_ERRORS, ValidationError
from django.core.serializers.json import DjangoJSONEncoder
from django.db import models
from django.db.models import Q, QuerySet
from django.forms import ModelChoiceField, ModelForm, ModelMultipleChoiceField
from django.forms.models import InlineForeignKeyField
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


# Models that hold no team's data: reference data every team shares (permissions, schedules,
# lockout records). Foreign keys to them are not limited by team. Domain admins declare theirs with
# ``shared_across_teams = True``; these are Django's and third-party apps' (not ours to subclass).
SHARED_ACROSS_TEAMS: frozenset[str] = frozenset(
    {
        "auth.permission",
        "auth.group",
        "contenttypes.contenttype",
        "axes.accessattempt",
        "axes.accesslog",
        "axes.accessfailurelog",
        "django_celery_beat.periodictask",
        "django_celery_beat.intervalschedule",
        "django_celery_beat.crontabschedule",
        "django_celery_beat.solarschedule",
        "django_celery_beat.clockedschedule",
    }
)


def is_shared_across_teams(model: type[models.Model], admin_site: Any = None) -> bool:
    site = admin_site or admin.site
    model_admin = site._registry.get(model)
    if model_admin is not None and getattr(model_admin, "shared_across_teams", False):
        return True
    return model._meta.label_lower in SHARED_ACROSS_TEAMS


def choices_for(
    request: HttpRequest, model: type[models.Model], admin_site: Any = None
) -> QuerySet[Any]:
    """The rows of ``model`` that ``request.user`` may pick in an admin form.

    The one rule for every foreign key, one-to-one and many-to-many of every admin form and
    inline: the rows the model's own admin shows the user (its ``scope_queryset`` — the same
    rows its autocomplete offers); every row of a model shared across teams; nothing of a model
    with neither (fail closed). Superusers pick from every row.
    """
    site = admin_site or admin.site
    qs: QuerySet[Any] = model._default_manager.all()
    if is_unrestricted(request.user):
        return qs
    model_admin = site._registry.get(model)
    if model_admin is not None and hasattr(model_admin, "scope_queryset"):
        return model_admin.scope_queryset(request, qs)  # type: ignore[no-any-return]
    if is_shared_across_teams(model, site):
        return qs
    return qs.none()


class PatientScopedAdminMixin(PatientReadsAdminMixin):
    """Limit an admin (rows, and the choices of every relation in its forms) to the user's teams.

    ``patient_path``: lookup from the model to its patient ("pk" for Patient itself);
    ``team_path``: lookup to a team, for team-level rows (conferences) and for rows whose
    patient is empty (a task owned by a team's queue). An admin may instead override
    ``scope_queryset`` (clinicians: the members of the user's teams). A model shared by every
    team sets ``shared_across_teams = True``. Rows of a model with none of these are hidden from
    staff who are not superusers; an inline without a path shows its (already scoped) parent's
    rows.

    Every ForeignKey / OneToOne / ManyToMany form field's choices go through ``choices_for``, so
    a POSTed id of another team's row is refused by the form field ("Select a valid choice").
    ``apps.core.admin_site`` mixes this class into every registered admin and inline.
    """

    patient_path: str | None = None
    team_path: str | None = None
    shared_across_teams: bool = False

    def scope_queryset(self, request: HttpRequest, qs: QuerySet[Any]) -> QuerySet[Any]:
        if is_unrestricted(request.user):
            return qs
        if self.patient_path is None and self.team_path is None:
            if self.shared_across_teams or is_shared_across_teams(qs.model, self._site()):
                return qs
            if isinstance(self, InlineModelAdmin):
                return qs  # the children of a parent the user may open
            return qs.none()
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

    def _site(self) -> Any:
        return getattr(self, "admin_site", None) or admin.site

    def get_queryset(self, request: HttpRequest) -> QuerySet[Any]:
        qs = super().get_queryset(request)  # type: ignore[misc]
        # The changelist applies list_select_related only to a queryset without select_related;
        # applying it here serves the changelist, the change page and autocomplete (``__str__``
        # of many models follows their patient) alike.
        related = getattr(self, "list_select_related", False)
        if isinstance(related, (list, tuple)) and related:
            qs = qs.select_related(*related)
        return self.scope_queryset(request, qs)

    def _scope_formfield(self, formfield: Any, db_field: Any, request: HttpRequest) -> Any:
        if formfield is None or is_unrestricted(request.user):
            return formfield
        allowed = choices_for(request, db_field.related_model, self._site())
        # Whatever queryset the admin chose (ordering, a narrower rule), never more than this.
        formfield.queryset = formfield.queryset.filter(pk__in=allowed.values("pk"))
        return formfield

    def formfield_for_foreignkey(
        self, db_field: models.ForeignKey[Any, Any], request: HttpRequest, **kwargs: Any
    ) -> Any:
        formfield = super().formfield_for_foreignkey(db_field, request, **kwargs)  # type: ignore[misc]
        return self._scope_formfield(formfield, db_field, request)

    def formfield_for_manytomany(
        self, db_field: models.ManyToManyField[Any, Any], request: HttpRequest, **kwargs: Any
    ) -> Any:
        formfield = super().formfield_for_manytomany(db_field, request, **kwargs)  # type: ignore[misc]
        return self._scope_formfield(formfield, db_field, request)

    def get_inlines(self, request: HttpRequest, obj: Any) -> Any:
        inlines = super().get_inlines(request, obj)  # type: ignore[misc]
        return [scoped_admin_class(inline) for inline in inlines]

    # Clinician fields this rule leaves alone: a membership's new member, or a field whose admin
    # checks the same rule with its own message (the care team's, in its formset).
    clinicians_from_any_team: tuple[str, ...] = ()

    def team_of_row(self, row: Any, cleaned: dict[str, Any] | None = None) -> Any:
        """The team ``row`` belongs to, through its patient (else ``team_path``); the form's
        ``cleaned`` values win over the row's own."""
        paths = []
        if self.patient_path is not None:
            paths.append("team" if self.patient_path == "pk" else f"{self.patient_path}__team")
        if self.team_path is not None:
            paths.append(self.team_path)
        for path in paths:
            first, *rest = path.split("__")
            obj = row if first == "pk" else (cleaned or {}).get(first)
            if obj is None and first != "pk":
                obj = getattr(row, first, None)  # not on this form (read-only)
            for part in rest:
                obj = getattr(obj, part, None)
            if obj is not None:
                return obj
        return None

    def team_of_form(self, form: Any) -> Any:
        if isinstance(self, InlineModelAdmin):
            # An inline row belongs to its parent's team; the parent is the cleaned value of
            # the inline's foreign key (populated even on the parent's add page).
            parent_admin = self._site()._registry.get(self.parent_model)
            for name, field in form.fields.items():
                if isinstance(field, InlineForeignKeyField) and parent_admin is not None:
                    parent = form.cleaned_data.get(name)
                    return parent_admin.team_of_row(parent) if parent is not None else None
            return None
        return self.team_of_row(form.instance, form.cleaned_data)

    def get_form(
        self, request: HttpRequest, obj: Any = None, change: bool = False, **kwargs: Any
    ) -> Any:
        """Every clinician a form names (prescriber, assignee, author, chair...) must be a member
        of the row's team — for superusers too; the services apply the same rule."""
        # ``change`` by keyword: UserAdmin and others take (request, obj=None, **kwargs).
        form_class = super().get_form(request, obj, change=change, **kwargs)  # type: ignore[misc]
        return clinicians_on_team_form(form_class, self)

    def get_formset(self, request: HttpRequest, obj: Any = None, **kwargs: Any) -> Any:
        formset = super().get_formset(request, obj, **kwargs)  # type: ignore[misc]
        formset.form = clinicians_on_team_form(formset.form, self)
        return formset


def clinicians_on_team_form(form_class: Any, model_admin: Any) -> Any:
    """``form_class`` refusing a clinician (a user-valued field the form changes) who is not a
    member of the row's team (``model_admin.team_of_form``)."""
    if not isinstance(form_class, type) or not issubclass(form_class, ModelForm):
        return form_class
    user_model = get_user_model()

    class NamedCliniciansOnTeam(form_class):  # type: ignore[valid-type,misc]
        def clean(self) -> Any:
            cleaned = super().clean()
            named = [
                name
                for name, field in self.fields.items()
                if isinstance(field, ModelChoiceField)
                and not isinstance(field, ModelMultipleChoiceField)
                and getattr(field.queryset, "model", None) is user_model
                and name not in model_admin.clinicians_from_any_team
                and name in self.changed_data
                and name not in self.errors  # the admin's own, more specific rule said it
                and cleaned.get(name) is not None
            ]
            team: Any = model_admin.team_of_form(self) if named else None
            for name in named if team is not None else ():
                if not team.members.filter(pk=cleaned[name].pk).exists():
                    self.add_error(name, "Choose a member of the team this record belongs to.")
            return cleaned

    NamedCliniciansOnTeam.__name__ = form_class.__name__
    return NamedCliniciansOnTeam


_SCOPED_CLASSES: dict[type, type] = {}


def scoped_admin_class(admin_class: type) -> type:
    """``admin_class`` with ``PatientScopedAdminMixin`` first, if it lacks it (cached)."""
    if issubclass(admin_class, PatientScopedAdminMixin):
        return admin_class
    if admin_class not in _SCOPED_CLASSES:
        attrs: dict[str, Any] = {
            "__module__": admin_class.__module__,
            "__qualname__": admin_class.__qualname__,
        }
        # What the class declares itself wins over the mixin's defaults placed before it.
        for name in ("patient_path", "team_path", "shared_across_teams", "scope_queryset"):
            if hasattr(admin_class, name):
                attrs[name] = getattr(admin_class, name)
        _SCOPED_CLASSES[admin_class] = type(
            admin_class.__name__, (PatientScopedAdminMixin, admin_class), attrs
        )
    return _SCOPED_CLASSES[admin_class]


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
