from __future__ import annotations

from django.contrib import admin
from django.http import HttpRequest

from apps.core.admin_mixins import ScopedModelAdmin

from .models import CheckIn, Notification, OutboundMessage


@admin.register(OutboundMessage)
class OutboundMessageAdmin(ScopedModelAdmin):
    """The delivery log: where failed reminders are seen (status, attempts, last error)."""

    patient_path = "patient"
    list_display = (
        "send_after",
        "kind",
        "channel",
        "to_address",
        "patient",
        "status",
        "attempts_display",
        "error_excerpt",
        "sent_at",
    )
    list_filter = ("status", "kind", "channel", "send_after", "sent_at")
    search_fields = (
        "idempotency_key",
        "to_address",
        "subject",
        "last_error",
        "patient__mrn",
        "patient__last_name",
        "recipient_clinician__username",
    )
    list_select_related = ("patient", "recipient_clinician")
    autocomplete_fields = ("patient", "recipient_clinician", "appointment", "checkin")
    readonly_fields = (
        "attempts",
        "last_error",
        "claimed_at",
        "claimed_by",
        "sent_at",
        "created_at",
        "updated_at",
    )
    date_hierarchy = "send_after"
    fieldsets = (
        (None, {"fields": ("kind", "channel", "idempotency_key")}),
        (
            "Recipient",
            {"fields": ("patient", "recipient_clinician", "to_address")},
        ),
        ("About", {"fields": ("appointment", "checkin")}),
        ("Message", {"fields": ("subject", "body")}),
        (
            "Delivery",
            {
                "fields": (
                    "status",
                    "send_after",
                    "attempts",
                    "max_attempts",
                    "last_error",
                    "claimed_at",
                    "claimed_by",
                    "sent_at",
                )
            },
        ),
        ("Record", {"fields": ("created_at", "updated_at")}),
    )

    @admin.display(description="attempts", ordering="attempts")
    def attempts_display(self, obj: OutboundMessage) -> str:
        return f"{obj.attempts}/{obj.max_attempts}"

    @admin.display(description="last error")
    def error_excerpt(self, obj: OutboundMessage) -> str:
        text = obj.last_error.strip().splitlines()[-1] if obj.last_error.strip() else ""
        return text if len(text) <= 80 else text[:79] + "…"


@admin.register(Notification)
class NotificationAdmin(ScopedModelAdmin):
    patient_path = "patient"
    list_display = ("created_at", "recipient", "kind", "title", "patient", "is_read")
    list_filter = ("kind", ("read_at", admin.EmptyFieldListFilter), "created_at")
    search_fields = (
        "title",
        "idempotency_key",
        "recipient__username",
        "recipient__last_name",
        "patient__mrn",
        "patient__last_name",
    )
    list_select_related = ("recipient", "patient")
    autocomplete_fields = ("recipient", "patient")
    readonly_fields = ("created_at", "updated_at")
    date_hierarchy = "created_at"

    @admin.display(description="read", boolean=True, ordering="read_at")
    def is_read(self, obj: Notification) -> bool:
        return obj.read_at is not None


@admin.register(CheckIn)
class CheckInAdmin(ScopedModelAdmin):
    """One-time patient check-in links. The nonce (part of the signed link) is never shown."""

    patient_path = "patient"
    list_display = ("__str__", "patient", "created_at", "expires_at", "used_at", "state")
    list_filter = (("used_at", admin.EmptyFieldListFilter), "expires_at", "created_at")
    search_fields = ("patient__mrn", "patient__first_name", "patient__last_name")
    list_select_related = ("patient",)
    autocomplete_fields = ("patient", "episode")
    exclude = ("nonce",)
    readonly_fields = ("used_at", "created_at", "updated_at")
    date_hierarchy = "created_at"

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False  # links are issued by the check-in service (signed, with a fresh nonce)

    @admin.display(description="state")
    def state(self, obj: CheckIn) -> str:
        if obj.used_at:
            return "used"
        return "expired" if obj.is_expired() else "open"
