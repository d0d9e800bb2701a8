"""``manage.py seed_demo``: the demo caseload (logic in apps.core.demo)."""

import argparse
import time
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from tqdm import tqdm

from apps.audit.context import RequestMeta, audit_context
from apps.audit.models import Surface
from apps.core import demo


def _positive_int(value: str) -> int:
    try:
        number = int(value)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a whole number, got {value!r}") from None
    if number < 1:
        raise argparse.ArgumentTypeError(f"expected at least 1, got {number}")
    return number


class Command(BaseCommand):
    help = (
        "Create an idempotent, realistic synthetic caseload: 3 teams, a clinician of every "
        "discipline on each, an admin, and patients whose histories show every monitoring rule. "
        f"Demo password: {demo.DEMO_PASSWORD!r} unless --password is given. "
        "Refuses to run with DEBUG off unless --force."
    )

    def add_arguments(self, parser: argparse.ArgumentParser) -> None:
        parser.add_argument(
            "--patients",
            type=_positive_int,
            default=demo.DEFAULT_PATIENTS,
            help=f"Number of demo patients (default {demo.DEFAULT_PATIENTS}).",
        )
        parser.add_argument(
            "--seed",
            type=int,
            default=demo.DEFAULT_SEED,
            help=f"Random seed: the same seed gives the same caseload (default {demo.DEFAULT_SEED}).",
        )
        parser.add_argument(
            "--password",
            default=demo.DEMO_PASSWORD,
            help=f"Password of every demo login (default {demo.DEMO_PASSWORD!r}).",
        )
        parser.add_argument(
            "--force",
            action="store_true",
            help="Run even with DEBUG off (never on a server with real patients).",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        if not settings.DEBUG and not options["force"]:
            raise CommandError(
                "seed_demo creates demo patients and logins with a published password, so it "
                "only runs with DEBUG on (local settings). Use --force to run it anyway."
            )
        password = options["password"]
        if not password:
            raise CommandError("--password cannot be empty.")
        started = time.monotonic()
        stream = getattr(self.stderr, "_out", self.stderr)
        with (
            tqdm(
                total=options["patients"], desc="Demo patients", unit="patient", file=stream,
                disable=None, leave=False,
            ) as bar,
            audit_context(RequestMeta(surface=Surface.COMMAND, path="manage.py seed_demo")),
        ):  # fmt: skip
            try:
                result = demo.seed_demo(
                    patients=options["patients"],
                    seed=options["seed"],
                    password=password,
                    on_patient=lambda spec, created: bar.update(1),
                )
            except LookupError as exc:
                raise CommandError(str(exc)) from exc
        self._report(result, time.monotonic() - started, options["seed"])

    def _report(self, result: demo.SeedResult, seconds: float, seed: int) -> None:
        out = self.stdout
        out.write(self.style.SUCCESS(f"Demo caseload ready (seed {seed}, {seconds:.1f} s)."))
        out.write(f"  Teams:      {result.teams_created} created, {result.teams_existing} existing")
        out.write(
            f"  Clinicians: {result.clinicians_created} created, "
            f"{result.clinicians_existing} existing"
        )
        out.write(f"  Admin:      {'created' if result.admin_created else 'existing'}")
        out.write(
            f"  Patients:   {result.patients_created} created, "
            f"{result.patients_existing} existing (skipped)"
        )
        out.write("")
        out.write("Demo logins:")
        rows = [("username", "discipline", "team", "password")] + [
            (login.username, login.discipline, login.teams, login.password)
            for login in result.logins
        ]
        widths = [max(len(row[i]) for row in rows) for i in range(4)]
        for n, row in enumerate(rows):
            line = "  " + "  ".join(cell.ljust(widths[i]) for i, cell in enumerate(row))
            out.write(self.style.MIGRATE_HEADING(line) if n == 0 else line.rstrip())
        if result.admin is not None:
            out.write("")
            out.write(
                f"Admin (superuser): {result.admin.username} / {result.admin.password}   "
                f"{demo.DEMO_URL}admin/"
            )
        out.write("")
        out.write(f"Open {demo.DEMO_URL} and sign in with any login above.")
