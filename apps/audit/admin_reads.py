"""Django admin: what a patient-data admin page shows is registered (``apps.audit.reads``).

Mixed into ``apps.core.admin_mixins.PatientScopedAdminMixin``, so every admin scoped to patients
records its reads the same way: the changelist (the rows of the page shown), the change page (the
record and its inlines' rows), the delete confirmation (the record, and its inlines' rows), the
history pages (the record), and the
autocomplete answers of the admin's model (the page of choices). The audit middleware writes the
one row of the request.
"""

from __future__ import annotations

from typing import Any

from django.core.paginator import Paginator
from django.forms.models import _get_foreign_key
from django.http import HttpRequest

from .reads import infer_patient_path, object_shown, patients_shown, rows_shown


class ShownPagePaginator(Paginator):
    """A paginator whose pages register their rows as shown (autocomplete, changelist)."""

    patient_path: str | None = None

    def page(self, number: Any) -> Any:
        page = super().page(number)
        # Iterating the page's queryset fills its cache: the page renders from it, no new query.
        rows_shown(page.object_list, self.patient_path)
        return page


class PatientReadsAdminMixin:
    patient_path: str | None = None
    model: Any

    def _read_path(self) -> str | None:
        return self.patient_path or infer_patient_path(self.model)

    def get_paginator(
        self,
        request: HttpRequest,
        queryset: Any,
        per_page: int,
        orphans: int = 0,
        allow_empty_first_page: bool = True,
    ) -> Paginator:
        paginator = ShownPagePaginator(queryset, per_page, orphans, allow_empty_first_page)
        paginator.patient_path = self._read_path()
        return paginator

    def get_changelist_instance(self, request: HttpRequest) -> Any:
        changelist = super().get_changelist_instance(request)  # type: ignore[misc]
        # "Show all" does not go through the paginator; the rows are the ones rendered.
        rows_shown(changelist.result_list, self._read_path())
        return changelist

    def get_object(self, request: HttpRequest, object_id: str, from_field: Any = None) -> Any:
        obj = super().get_object(request, object_id, from_field)  # type: ignore[misc]
        if obj is not None:
            object_shown(obj, self._read_path())
        return obj

    def render_change_form(
        self,
        request: HttpRequest,
        context: dict[str, Any],
        add: bool = False,
        change: bool = False,
        form_url: str = "",
        obj: Any = None,
    ) -> Any:
        if obj is not None:
            object_shown(obj, self._read_path())
        for inline in context.get("inline_admin_formsets", ()):
            path = getattr(inline.opts, "patient_path", None) or infer_patient_path(
                inline.formset.model
            )
            rows_shown((form.instance for form in inline.formset.initial_forms), path)
        return super().render_change_form(  # type: ignore[misc]
            request, context, add=add, change=change, form_url=form_url, obj=obj
        )

    def render_delete_form(self, request: HttpRequest, context: dict[str, Any]) -> Any:
        """The confirmation lists the related rows: for a team-level record (a conference),
        its inlines' rows name the patients (its agenda)."""
        obj = context.get("object")
        if obj is not None:
            for inline in self.get_inline_instances(request, obj):  # type: ignore[attr-defined]
                path = getattr(inline, "patient_path", None) or infer_patient_path(inline.model)
                fk = _get_foreign_key(type(obj), inline.model, fk_name=inline.fk_name)
                if path is None or fk is None:
                    continue
                rows = inline.model._default_manager.filter(**{fk.name: obj})
                patients_shown(rows.values_list(path, flat=True))
        return super().render_delete_form(request, context)  # type: ignore[misc]

    def render_history_view(
        self, request: HttpRequest, template: Any, context: Any, **kw: Any
    ) -> Any:
        """django-simple-history's history list and historical-version pages."""
        object_shown(context.get("object") or context.get("original"), self._read_path())
        return super().render_history_view(request, template, context, **kw)  # type: ignore[misc]
