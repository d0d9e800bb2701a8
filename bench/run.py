"""``make bench``: seed a large synthetic health system at N/10 and N patients and measure.

    python -m bench.run [--patients N] [--messages M] [--batch-size B] [--requests R]
                        [--reuse] [--skip-small] [--out bench/results.json]

For each size, a fresh PostgreSQL database (careteam_bench_small, careteam_bench) is created,
migrated, bulk-seeded (``manage.py seed_bench``) and analyzed; then, each in its own process:

- rules: the data floor (one statement reading every row the rules read), then
  ``engine.evaluate_all_now()`` twice (the first run raises the flags, the second is the
  steady state), with the process's peak RSS;
- queries: SQL statements per page, counted in-process (django.test.Client and
  CaptureQueriesContext, after signing in through the login form);
- web: a real gunicorn (1 sync worker, production settings with DEBUG off, plain HTTP) and
  R timed requests per page, signed in through the login form; the server's own time comes
  from a Server-Timing header (bench.timing); then the worker's peak RSS;
- dispatch: M pending emails sent through a real Celery worker (2 processes) on Redis to a
  real SMTP server on localhost (aiosmtpd), from ``dispatch_due`` to every row "sent".

Prints the table (metric at N/10 and N, target, met) and writes bench/results.json.
docs/performance.md explains the method and the results.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import time
from pathlib import Path
from typing import Any

from bench import report
from bench.common import (
    PYTHON,
    ROOT,
    TMP,
    database_exists,
    database_url,
    delete_queue,
    django_env,
    log,
    machine,
    manage,
    peak_rss_mib,
    recreate_database,
    run_sql,
    summary_ms,
)

WARMUP = 3


def step(db: str, name: str, *args: str) -> dict[str, Any]:
    """Run ``python -m bench.measure NAME`` on database ``db``; return its JSON result."""
    TMP.mkdir(parents=True, exist_ok=True)
    out = TMP / f"{db}-{name}-{os.getpid()}.json"
    env = django_env(db)
    try:
        subprocess.run(  # noqa: S603 - our own interpreter and module
            [PYTHON, "-m", "bench.measure", name, "--out", str(out), *args],
            cwd=ROOT,
            env=env,
            check=True,
        )
    finally:
        # Tasks the app enqueued meanwhile (e.g. the emails of urgent flags): nobody runs them.
        delete_queue(env["CELERY_DEFAULT_QUEUE"])
    result: dict[str, Any] = json.loads(out.read_text())
    out.unlink()
    return result


def seeded_patients(db: str) -> int:
    import psycopg

    if not database_exists(db):
        return 0
    try:
        with psycopg.connect(database_url(db)) as conn:
            row = conn.execute("SELECT count(*) FROM patients_patient").fetchone()
    except psycopg.Error:
        return 0
    return int(row[0]) if row else 0


def build_database(db: str, patients: int) -> dict[str, float]:
    timings: dict[str, float] = {}
    start = time.perf_counter()
    recreate_database(db)
    manage(db, "migrate", "--noinput", "-v", "0")
    timings["create_and_migrate_s"] = round(time.perf_counter() - start, 1)
    start = time.perf_counter()
    manage(db, "seed_bench", "--patients", str(patients))
    timings["seed_s"] = round(time.perf_counter() - start, 1)
    start = time.perf_counter()
    run_sql(db, "VACUUM ANALYZE")  # a bulk load leaves no statistics (and autovacuum may be off)
    timings["analyze_s"] = round(time.perf_counter() - start, 1)
    return timings


def measure_web(db: str, prepare: dict[str, Any], repeats: int) -> dict[str, Any]:
    from bench.web import gunicorn, login, timed_get, worker_pids

    ids = prepare["sample_patient_ids"]
    cycle = [ids[i % len(ids)] for i in range(repeats)]
    pages = {
        "caseload": ["/"] * repeats,
        "patient": [f"/patients/{pid}/" for pid in cycle],
        "api_patients": ["/api/v1/patients/"] * repeats,
        "fhir_patient": [f"/api/v1/patients/{pid}/fhir/" for pid in cycle],
    }
    result: dict[str, Any] = {
        "server": "gunicorn careteam.wsgi, 1 sync worker, bench.settings (production, DEBUG off)",
        "requests_per_page": repeats,
    }
    env = django_env(db)
    with gunicorn(env) as (base, master):
        session = login(base, prepare["bench_user"], prepare["bench_password"])
        for page, urls in pages.items():
            for url in urls[:WARMUP]:
                timed_get(session, base + url)
            samples = [timed_get(session, base + url) for url in urls]
            result[page] = {
                "url": urls[0],
                "server": summary_ms([s["server"] for s in samples]),
                "client": summary_ms([s["client"] for s in samples]),
                "server_queries": sorted({s["queries"] for s in samples}),
                "bytes": samples[-1]["bytes"],
            }
        [worker] = worker_pids(master)
        result["peak_rss_mib"] = round(peak_rss_mib(worker), 1)
        export = timed_get(session, f"{base}/api/v1/patients/fhir-export/")
        patients = prepare["bench_clinician_patients"]
        result["fhir_export"] = {
            "patients": patients,
            "seconds": round(export["client"], 2),
            "per_patient_ms": round(export["client"] * 1000 / patients, 2),
            "megabytes": round(export["bytes"] / 1e6, 1),
        }
        result["peak_rss_after_export_mib"] = round(peak_rss_mib(worker), 1)
    delete_queue(env["CELERY_DEFAULT_QUEUE"])
    return result


def measure_size(label: str, db: str, patients: int, args: argparse.Namespace) -> dict[str, Any]:
    data: dict[str, Any] = {"database": db, "patients_requested": patients}
    if args.reuse and seeded_patients(db) == patients:
        log(f"{label}: reusing {db} ({patients:,} patients; rules 'first' is not a first run)")
        data["reused"] = True
    else:
        log(f"{label}: creating {db} and seeding {patients:,} patients")
        data["build"] = build_database(db, patients)
        log(f"{label}: built in {sum(data['build'].values()):.0f} s {data['build']}")
    data["prepare"] = step(db, "prepare")
    log(f"{label}: rules (data floor, then evaluate_all_now twice)")
    data["rules"] = step(db, "rules")
    r = data["rules"]
    log(
        f"{label}: floor {r['floor']['seconds']} s; first run {r['first']['seconds']} s; "
        f"steady {r['steady']['seconds']} s ({r['steady']['patients_per_second']:,.0f}/s)"
    )
    log(f"{label}: SQL statements per page (in-process)")
    data["queries"] = step(db, "queries")
    log(f"{label}: pages and API through gunicorn ({args.requests} requests each)")
    data["web"] = measure_web(db, data["prepare"], args.requests)
    log(
        f"{label}: caseload median {data['web']['caseload']['server']['median_ms']} ms, "
        f"patient page {data['web']['patient']['server']['median_ms']} ms"
    )
    log(f"{label}: dispatch {args.messages:,} emails in batches of {args.batch_size}")
    data["dispatch"] = step(
        db, "dispatch", "--messages", str(args.messages), "--batch-size", str(args.batch_size)
    )
    log(f"{label}: {data['dispatch']['messages_per_second']:,.0f} messages/s")
    if label == "N" and not args.skip_single:
        log(f"{label}: dispatch {args.messages:,} emails, one task per message (for comparison)")
        data["dispatch_single"] = step(
            db, "dispatch", "--messages", str(args.messages), "--batch-size", "1"
        )
        log(f"{label}: {data['dispatch_single']['messages_per_second']:,.0f} messages/s")
    return data


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--patients", type=int, default=int(os.environ.get("BENCH_PATIENTS", "10000"))
    )
    parser.add_argument("--messages", type=int, default=2000)
    parser.add_argument("--batch-size", type=int, default=50)
    parser.add_argument("--requests", type=int, default=30)
    parser.add_argument("--reuse", action="store_true", help="keep already seeded databases")
    parser.add_argument("--skip-small", action="store_true", help="only N (no memory ratio)")
    parser.add_argument("--skip-single", action="store_true", help="no one-task-a-message run")
    parser.add_argument("--out", type=Path, default=ROOT / "bench" / "results.json")
    args = parser.parse_args()

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "bench.settings")
    started = time.perf_counter()
    results: dict[str, Any] = {
        "started_at": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
        "machine": machine(),
        "parameters": {k: str(v) if isinstance(v, Path) else v for k, v in vars(args).items()},
        "sizes": {},
    }
    sizes = [("N", "careteam_bench", args.patients)]
    if not args.skip_small:
        sizes.insert(0, ("N/10", "careteam_bench_small", max(100, args.patients // 10)))
    for label, db, patients in sizes:
        results["sizes"][label] = measure_size(label, db, patients, args)
    rows = report.build(results["sizes"].get("N/10"), results["sizes"]["N"])
    results["table"] = [r.as_dict() for r in rows]
    results["elapsed_s"] = round(time.perf_counter() - started, 1)
    results["machine"]["load_average_end"] = [round(x, 2) for x in os.getloadavg()]
    args.out.write_text(json.dumps(results, indent=2, default=str) + "\n")
    print()
    print(report.render(rows))
    print()
    log(f"done in {results['elapsed_s'] / 60:.1f} min; results in {args.out}")


if __name__ == "__main__":
    main()
