"""Plan reminders and check-ins, then send every due message, in this process (no worker)."""

from typing import Any

from django.core.management.base import BaseCommand
from django.utils import timezone

from apps.audit.context import RequestMeta, audit_context
from apps.messaging import services


class Command(BaseCommand):
    help = (
        "Plan appointment reminders and check-in invitations, then send every due message "
        "synchronously (the same services the Celery jobs use), and print a summary."
    )

    def handle(self, *args: Any, **options: Any) -> None:
        now = timezone.now()
        with audit_context(RequestMeta(surface="command")):
            reminders = services.plan_appointment_reminders(now)
            checkins = services.plan_checkins(now)
            counts = services.send_due_now(now)
        summary = (
            f"Planned {reminders} appointment reminders, {checkins} check-ins; "
            f"sent {counts['sent']}, retried {counts['retry']}, failed {counts['failed']}"
        )
        extra = [f"{counts[k]} {k}" for k in ("cancelled", "deferred") if counts[k]]
        if extra:
            summary += f" ({', '.join(extra)})"
        self.stdout.write(summary + ".")
