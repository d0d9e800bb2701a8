"""``make loadtest``: locust (headless) against gunicorn on PostgreSQL and Redis.

    python -m bench.loadtest [--patients N] [--users U] [--duration 60s] [--reseed]

1. The database careteam_loadtest, seeded with ``seed_bench`` at N patients (default 1,000,
   the benchmark's N/10) unless it already holds exactly that many (``--reseed``: always).
2. gunicorn (4 workers, gthread, 4 threads each) with production settings (bench.settings:
   DEBUG off, plain HTTP) and a Celery worker (the rule re-evaluations that recording an
   assessment enqueues), both on Redis, on a queue of this run only.
3. locust, headless: U concurrent clinicians (default 50) signing in and working for the
   duration (bench/locustfile.py); CSV files under bench/tmp/loadtest/.
4. A summary (requests, errors, requests/s, median/p95/p99 per page) printed and written to
   bench/loadtest.json. Exits 1 if any request failed.
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import subprocess
import time
from pathlib import Path
from typing import Any

from bench.common import (
    PYTHON,
    ROOT,
    TMP,
    children,
    database_url,
    delete_queue,
    django_env,
    log,
    machine,
    peak_rss_mib,
    stop,
    wait_for,
)

DB = "careteam_loadtest"
PASSWORD = "bench-password-1"  # noqa: S105 - the synthetic login of apps.core.bench_seed


def seeded(patients: int) -> tuple[bool, int]:
    """Whether the database holds exactly ``patients`` patients; how many bench users."""
    import psycopg

    try:
        with psycopg.connect(database_url(DB)) as conn:
            have = conn.execute("SELECT count(*) FROM patients_patient").fetchone()
            users = conn.execute(
                "SELECT count(*) FROM accounts_clinician WHERE username ~ '^bench[0-9]{3}$'"
            ).fetchone()
    except psycopg.Error:
        return False, 0
    return bool(have and have[0] == patients), int(users[0]) if users else 0


def read_stats(prefix: Path) -> dict[str, Any]:
    with Path(f"{prefix}_stats.csv").open() as f:
        rows = list(csv.DictReader(f))

    def num(row: dict[str, str], key: str) -> float:
        value = row.get(key, "") or "0"
        return float(value) if value != "N/A" else 0.0

    pages = {}
    total: dict[str, Any] = {}
    for row in rows:
        entry = {
            "method": row["Type"],
            "requests": int(num(row, "Request Count")),
            "failures": int(num(row, "Failure Count")),
            "median_ms": num(row, "Median Response Time"),
            "p95_ms": num(row, "95%"),
            "p99_ms": num(row, "99%"),
            "max_ms": num(row, "Max Response Time"),
            "requests_per_s": round(num(row, "Requests/s"), 2),
        }
        if row["Name"] == "Aggregated":
            total = entry
        else:
            pages[row["Name"]] = entry
    failures = []
    failures_path = Path(f"{prefix}_failures.csv")
    if failures_path.exists():
        with failures_path.open() as f:
            failures = list(csv.DictReader(f))
    return {"total": total, "pages": pages, "failures": failures}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--patients", type=int, default=int(os.environ.get("LOADTEST_PATIENTS", "1000"))
    )
    parser.add_argument("--users", type=int, default=int(os.environ.get("LOADTEST_USERS", "50")))
    parser.add_argument("--spawn-rate", type=float, default=10)
    parser.add_argument("--duration", default=os.environ.get("LOADTEST_DURATION", "60s"))
    parser.add_argument("--web-workers", type=int, default=4)
    parser.add_argument("--threads", type=int, default=4)
    parser.add_argument("--reseed", action="store_true")
    parser.add_argument("--out", type=Path, default=ROOT / "bench" / "loadtest.json")
    args = parser.parse_args()

    from bench.run import build_database

    ok, clinicians = seeded(args.patients)
    if args.reseed or not ok:
        log(f"creating {DB} and seeding {args.patients:,} patients")
        build_database(DB, args.patients)
        ok, clinicians = seeded(args.patients)
    else:
        log(f"reusing {DB} ({args.patients:,} patients; --reseed to start afresh)")
    env = django_env(DB)
    queue = env["CELERY_DEFAULT_QUEUE"]
    out_dir = TMP / "loadtest"
    out_dir.mkdir(parents=True, exist_ok=True)
    prefix = out_dir / "locust"
    from bench.web import gunicorn

    worker_log = (out_dir / "worker.log").open("w")
    celery = [PYTHON, "-m", "celery", "-A", "careteam", "worker", "-Q", queue, "-c", "1"]
    celery += ["-n", f"{queue}@%h", "--without-gossip", "--without-mingle", "-l", "INFO"]
    worker = subprocess.Popen(  # noqa: S603 - our own interpreter and arguments
        celery,
        cwd=ROOT,
        env=env,
        stdout=worker_log,
        stderr=subprocess.STDOUT,
    )
    try:
        wait_for(
            lambda: "ready." in (out_dir / "worker.log").read_text(),
            timeout=90,
            what="Celery worker",
            proc=worker,
        )
        with gunicorn(
            env, workers=args.web_workers, worker_class="gthread", threads=args.threads
        ) as (base, master):
            log(
                f"locust: {args.users} clinicians ({clinicians} distinct logins) for "
                f"{args.duration} against {base} (gunicorn {args.web_workers}×{args.threads})"
            )
            started = time.perf_counter()
            command = [PYTHON, "-m", "locust", "-f", str(ROOT / "bench" / "locustfile.py")]
            command += ["--headless", "--host", base, "-u", str(args.users)]
            command += ["-r", str(args.spawn_rate), "-t", args.duration, "--csv", str(prefix)]
            command += ["--only-summary", "--loglevel", "WARNING", "--stop-timeout", "10"]
            locust = subprocess.run(  # noqa: S603 - our own interpreter and arguments
                command,
                cwd=ROOT,
                env={
                    **env,
                    "LOADTEST_USERS": str(max(1, clinicians)),
                    "LOADTEST_PASSWORD": PASSWORD,
                },
                check=False,
            )
            elapsed = time.perf_counter() - started
            web_memory = [round(peak_rss_mib(pid), 1) for pid in children(master.pid)]
    finally:
        stop(worker)
        worker_log.close()
        delete_queue(queue)
    stats = read_stats(prefix)
    total = stats["total"]
    result = {
        "machine": machine(),
        "database": DB,
        "patients": args.patients,
        "users": args.users,
        "distinct_logins": clinicians,
        "duration": args.duration,
        "elapsed_s": round(elapsed, 1),
        "server": f"gunicorn {args.web_workers} workers × {args.threads} threads (gthread), "
        "bench.settings (production, DEBUG off), PostgreSQL, Redis, 1 Celery worker",
        "locust_exit_code": locust.returncode,
        "requests": total.get("requests", 0),
        "errors": total.get("failures", 0),
        "requests_per_s": total.get("requests_per_s", 0),
        "p50_ms": total.get("median_ms"),
        "p95_ms": total.get("p95_ms"),
        "p99_ms": total.get("p99_ms"),
        "pages": stats["pages"],
        "failures": stats["failures"],
        "web_worker_peak_rss_mib": web_memory,
        "csv": str(prefix.relative_to(ROOT)) + "_*.csv",
    }
    args.out.write_text(json.dumps(result, indent=2) + "\n")
    print()
    print(f"{'page':<28}{'requests':>9}{'errors':>8}{'median':>9}{'p95':>8}{'p99':>8}{'max':>8}")
    for name, page in [*sorted(stats["pages"].items()), ("all", total)]:
        print(
            f"{name:<28}{page['requests']:>9}{page['failures']:>8}{page['median_ms']:>7.0f}ms"
            f"{page['p95_ms']:>6.0f}ms{page['p99_ms']:>6.0f}ms{page['max_ms']:>6.0f}ms"
        )
    print()
    log(
        f"{result['requests']:,} requests, {result['errors']} errors, "
        f"{result['requests_per_s']} requests/s, p95 {result['p95_ms']:.0f} ms; "
        f"results in {args.out}"
    )
    if result["errors"] or not total:
        raise SystemExit(1)


if __name__ == "__main__":
    main()
