from typing import Any

from django.core.management.base import BaseCommand, CommandError

from apps.audit.context import RequestMeta, audit_context
from apps.flags import engine
from apps.flags.rules import RULES
from apps.patients.models import Patient


class Command(BaseCommand):
    help = "Evaluate the monitoring rules now (all active episodes, or one patient) and print a summary."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--patient", type=int, help="Only this patient (database id).")
        parser.add_argument("--batch-size", type=int, default=500)

    def handle(self, *args: Any, **options: Any) -> None:
        with audit_context(RequestMeta(surface="command")):
            if options["patient"]:
                if not Patient.objects.filter(pk=options["patient"]).exists():
                    raise CommandError(f"No patient with id {options['patient']}.")
                summary = engine.evaluate_patient(options["patient"])
            else:
                summary = engine.evaluate_all_now(batch_size=options["batch_size"])
        self.stdout.write(f"Evaluated {summary.episodes} active episode(s).")
        self.stdout.write(f"{'rule':<24}{'raised':>8}{'updated':>9}{'resolved':>10}{'open':>7}")
        for code in RULES:
            self.stdout.write(
                f"{code:<24}{summary.raised[code]:>8}{summary.updated[code]:>9}"
                f"{summary.resolved[code]:>10}{summary.open[code]:>7}"
            )
        self.stdout.write(
            f"{'total':<24}{sum(summary.raised.values()):>8}{sum(summary.updated.values()):>9}"
            f"{sum(summary.resolved.values()):>10}{sum(summary.open.values()):>7}"
        )
