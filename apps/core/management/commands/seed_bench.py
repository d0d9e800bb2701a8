import time
from typing import Any

from django.core.management.base import BaseCommand, CommandError
from tqdm import tqdm

from apps.core.bench_seed import BENCH_PREFIX, BenchSize, seed_health_system
from apps.patients.models import Patient


class Command(BaseCommand):
    help = "Bulk-insert a large synthetic health system for benchmarks (empty database only)."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--patients", type=int, default=10_000)
        parser.add_argument("--seed", type=int, default=1)

    def handle(self, *args: Any, **options: Any) -> None:
        if Patient.objects.filter(mrn__startswith=BENCH_PREFIX).exists():
            raise CommandError("Benchmark data is already loaded; use a fresh database.")
        size = BenchSize().scaled(options["patients"])
        bars: dict[str, tqdm] = {}
        totals = {
            "patients": size.patients,
            "assessments": size.assessments,
            "appointments": size.appointments,
            "medications": size.medications,
        }

        def progress(stage: str, n: int) -> None:
            if stage in totals:
                if stage not in bars:
                    bars[stage] = tqdm(total=totals[stage], desc=stage, unit="rows", leave=True)
                bars[stage].update(n)

        start = time.perf_counter()
        counts = seed_health_system(size, seed=options["seed"], progress=progress)
        for bar in bars.values():
            bar.close()
        elapsed = time.perf_counter() - start
        self.stdout.write(
            ", ".join(f"{k} {v:,}" for k, v in counts.items()) + f" in {elapsed:.1f} s"
        )
