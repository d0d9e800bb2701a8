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
import json
import os
import subprocess
import time
from pathlib import Path

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


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--patients", type=int, default=int(os.environ.get("LOADTEST_PATIENTS", "1000"))
    )
    parser.add_argument("--users", type=int, default=int(os.environ.get("LOADTEST_USERS", "50")))
    parser.add_argument("--spawn-rate", type=float, default=5, help="users started a second")
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
        # Idle connections stay open 75 s, as behind a proxy: with gunicorn's 2 s, a user who
        # reads a page for 2 s can send the next request on a connection the server is
        # closing, and get "connection reset" (a browser would retry it).
        with gunicorn(
            env,
            workers=args.web_workers,
            worker_class="gthread",
            threads=args.threads,
            keep_alive=75,
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
            record = out_dir / "record.json"
            record.unlink(missing_ok=True)
            locust = subprocess.run(  # noqa: S603 - our own interpreter and arguments
                command,
                cwd=ROOT,
                env={
                    **env,
                    "LOADTEST_LOGINS": str(max(1, clinicians)),
                    "LOADTEST_PASSWORD": PASSWORD,
                    "LOADTEST_RECORD": str(record),
                },
                check=False,
            )
            elapsed = time.perf_counter() - started
            web_memory = [round(peak_rss_mib(pid), 1) for pid in children(master.pid)]
    finally:
        stop(worker)
        worker_log.close()
        delete_queue(queue)
    if not record.exists():
        raise SystemExit(f"locust wrote no record (exit code {locust.returncode})")
    stats = json.loads(record.read_text())
    whole, steady = stats["whole_run"], stats["steady_state"]
    result = {
        "machine": machine(),
        "database": DB,
        "patients": args.patients,
        "users": args.users,
        "spawn_rate": args.spawn_rate,
        "think_time_s": os.environ.get("LOADTEST_WAIT", "1-3"),
        "distinct_logins": clinicians,
        "duration": args.duration,
        "elapsed_s": round(elapsed, 1),
        "server": f"gunicorn {args.web_workers} workers × {args.threads} threads (gthread, "
        "keep-alive 75 s), "
        "bench.settings (production, DEBUG off), PostgreSQL, Redis, 1 Celery worker; "
        "locust on the same machine",
        "locust_exit_code": locust.returncode,
        "requests": whole["requests"],
        "errors": whole["errors"],
        "requests_per_s": whole["requests_per_s"],
        "p95_ms": whole["p95_ms"],
        "steady_state": steady,
        "whole_run": whole,
        "pages": stats["pages"],
        "web_worker_peak_rss_mib": web_memory,
        "csv": str(prefix.relative_to(ROOT)) + "_*.csv",
    }
    args.out.write_text(json.dumps(result, indent=2) + "\n")
    print()
    print(
        f"{'':<30}{'whole run':>26}   {'steady state (every user signed in)':>42}\n"
        f"{'request':<30}{'n':>6}{'errors':>7}{'p50':>7}{'p95':>7}   "
        f"{'n':>6}{'errors':>7}{'p50':>7}{'p95':>7}{'p99':>7}{'max':>8}"
    )
    rows = [*stats["pages"].items(), ("all", {"whole_run": whole, "steady_state": steady})]
    for name, page in rows:
        w, s = page["whole_run"], page["steady_state"]
        print(
            f"{name:<30}{w['requests']:>6}{w['errors']:>7}{w['median_ms']:>7.0f}{w['p95_ms']:>7.0f}"
            f"   {s['requests']:>6}{s['errors']:>7}{s['median_ms']:>7.0f}{s['p95_ms']:>7.0f}"
            f"{s['p99_ms']:>7.0f}{s['max_ms']:>8.0f}"
        )
    print()
    log(
        f"{whole['requests']:,} requests, {whole['errors']} errors; steady state: "
        f"{steady['requests_per_s']} requests/s, p95 {steady['p95_ms']:.0f} ms "
        f"(whole run p95 {whole['p95_ms']:.0f} ms); results in {args.out}"
    )
    if whole["errors"] or not whole["requests"]:
        raise SystemExit(1)


if __name__ == "__main__":
    main()
