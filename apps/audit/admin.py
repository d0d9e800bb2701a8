from __future__ import annotations

import csv
from collections.abc import Iterator
from typing import Any

from django.contrib import admin
from django.contrib.admin.options import IncorrectLookupParameters
from django.core.exceptions import PermissionDenied
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponseRedirect, StreamingHttpResponse
from django.urls import path, reverse
from django.utils import timezone

from apps.core.admin_mixins import PatientScopedAdminMixin, ReadOnlyAdminMixin, csv_row

from .models import AuditEvent
from .reads import patients_exported

CSV_HEADER = (
    "at",
    "actor",
    "patient MRN",
    "action",
    "object_type",
    "object_id",
    "changed_fields",
    "surface",
    "ip",
    "user_agent",
    "path",
)


class _Echo:
    """A file-like object whose write() returns the line, for streaming a CSV."""

    def write(self, value: str) -> str:
        return value


def audit_csv_response(queryset: QuerySet[AuditEvent]) -> StreamingHttpResponse:
    writer = csv.writer(_Echo())

    def rows() -> Iterator[str]:
        yield writer.writerow(CSV_HEADER)
        events = queryset.select_related("actor", "patient").order_by("-at", "-pk")
        for event in events.iterator(chunk_size=2000):
            yield writer.writerow(
                csv_row(
                    (
                        event.at.isoformat(),
                        event.actor.get_username() if event.actor else "",
                        event.patient.mrn if event.patient else "",
                        event.action,
                        event.object_type,
                        event.object_id,
                        ";".join(event.changed_fields or []),
                        event.surface,
                        event.ip_address or "",
                        event.user_agent,
                        event.path,
                    )
                )
            )

    stamp = timezone.localtime().strftime("%Y%m%d-%H%M%S")
    response = StreamingHttpResponse(rows(), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="audit-events-{stamp}.csv"'
    return response


@admin.register(AuditEvent)
class AuditEventAdmin(PatientScopedAdminMixin, ReadOnlyAdminMixin, admin.ModelAdmin):  # type: ignore[type-arg]
    """The audit trail: append-only, so nobody adds, changes or deletes a row here.

    Export: the "Export as CSV" action (tick "select all" to export everything the filters
    match), or ``export.csv`` under this changelist with the same query string as the filters.
    """

    patient_path = "patient"
    list_display = (
        "at",
        "actor",
        "patient",
        "action",
        "object_type",
        "object_id",
        "surface",
        "ip_address",
        "path",
    )
    list_filter = ("action", "surface", "at", "object_type")
    search_fields = ("patient__mrn", "actor__username", "object_type", "object_id", "path")
    list_select_related = ("actor", "patient")
    date_hierarchy = "at"
    actions = ("export_csv",)
    show_full_result_count = False

    def get_urls(self) -> list[Any]:
        info = self.opts.app_label, self.opts.model_name
        return [
            path(
                "export.csv",
                self.admin_site.admin_view(self.export_view),
                name="{}_{}_export".format(*info),
            ),
            *super().get_urls(),
        ]

    def _export(self, request: HttpRequest, queryset: QuerySet[AuditEvent]) -> Any:
        # Exporting the trail is itself a read worth recording: one "export" row (written by the
        # audit middleware) naming the patients of the exported events.
        patients = queryset.order_by().filter(patient__isnull=False).values_list("patient_id")
        patients_exported(
            patients.distinct().values_list("patient_id", flat=True),
            object_type=self.opts.label_lower,
        )
        return audit_csv_response(queryset)

    def export_view(self, request: HttpRequest) -> Any:
        """The changelist's filtered rows (same query string as the changelist) as CSV."""
        if not self.has_view_permission(request):
            raise PermissionDenied
        try:
            changelist = self.get_changelist_instance(request)
        except IncorrectLookupParameters:
            return HttpResponseRedirect(reverse("admin:audit_auditevent_changelist") + "?e=1")
        return self._export(request, changelist.queryset)

    @admin.action(description="Export as CSV", permissions=["view"])
    def export_csv(self, request: HttpRequest, queryset: QuerySet[AuditEvent]) -> Any:
        return self._export(request, queryset)
