"""In-process measurements on one benchmark database (run by bench/run.py in a subprocess).

    python -m bench.measure prepare|queries|rules|dispatch --out FILE [--messages M]

Each step runs in its own process (DJANGO_SETTINGS_MODULE=bench.settings, DATABASE_URL set by
the caller), so its peak memory (VmHWM) is its own, and writes a JSON document to FILE.
"""

from __future__ import annotations

import argparse
import datetime as dt
import email
import email.policy
import json
import os
import statistics
import subprocess
import threading
import time
import uuid
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from pathlib import Path
from typing import Any

import django

django.setup()

from django.conf import settings  # noqa: E402
from django.db import connection, transaction  # noqa: E402
from django.test import Client  # noqa: E402
from django.test.utils import CaptureQueriesContext  # noqa: E402
from django.utils import timezone  # noqa: E402

from apps.accounts.models import Clinician  # noqa: E402
from apps.assessments.models import Assessment  # noqa: E402
from apps.core.bench_seed import BENCH_PASSWORD, BENCH_USER  # noqa: E402
from apps.medications.models import MedicationOrder  # noqa: E402
from apps.patients.models import Episode, Patient  # noqa: E402
from apps.patients.selectors import patients_visible_to  # noqa: E402
from apps.scheduling.models import Appointment  # noqa: E402
from bench.common import (  # noqa: E402
    PYTHON,
    ROOT,
    TMP,
    delete_queue,
    free_port,
    peak_rss_mib,
    stop,
    tree_peak_rss_mib,
    wait_for,
)

SAMPLE_PATIENTS = 30


def bench_user() -> Clinician:
    return Clinician.objects.get(username=BENCH_USER)


def sample_patient_ids(n: int = SAMPLE_PATIENTS) -> list[int]:
    """Patients of the benchmark clinician spread over the caseload (not just the first few)."""
    ids = list(patients_visible_to(bench_user()).order_by("pk").values_list("pk", flat=True))
    step = max(1, len(ids) // n)
    return ids[::step][:n]


# --- prepare: sizes and the patients the page measurements open ---------------------------------


def prepare() -> dict[str, Any]:
    return {
        "patients": Patient.objects.count(),
        "active_episodes": Episode.objects.active().count(),
        "assessments": Assessment.objects.count(),
        "appointments": Appointment.objects.count(),
        "medications": MedicationOrder.objects.count(),
        "clinicians": Clinician.objects.count(),
        "bench_user": BENCH_USER,
        "bench_password": BENCH_PASSWORD,  # the synthetic benchmark login (bench_seed)
        "bench_clinician_patients": patients_visible_to(bench_user()).count(),
        "sample_patient_ids": sample_patient_ids(),
    }


# --- queries: SQL statements per page, counted in-process ---------------------------------------


def logged_in_client() -> Client:
    client = Client()
    response = client.post("/accounts/login/", {"username": BENCH_USER, "password": BENCH_PASSWORD})
    if response.status_code != 302:
        raise RuntimeError(f"Login failed: HTTP {response.status_code}")
    return client


def count_queries(client: Client, url: str) -> dict[str, Any]:
    client.get(url)  # the first request of a page may write the session (idle timeout)
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(url)
    if response.status_code != 200:
        raise RuntimeError(f"GET {url}: HTTP {response.status_code}")
    return {"url": url, "queries": len(ctx.captured_queries)}


def queries() -> dict[str, Any]:
    client = logged_in_client()
    pid = sample_patient_ids(1)[0]
    return {
        "caseload": count_queries(client, "/"),
        "patient": count_queries(client, f"/patients/{pid}/"),
        "api_patients": count_queries(client, "/api/v1/patients/"),
        "fhir_patient": count_queries(client, f"/api/v1/patients/{pid}/fhir/"),
    }


# --- rules: evaluate_all_now against the data floor ---------------------------------------------


def floor_sql() -> tuple[str, dict[str, Any]]:
    """One statement that reads every row the rules read (apps/flags/snapshot.py), for every
    active episode: episodes with their patients, current care-team roles, plans,
    interventions, the five instruments' measures (answers of PEG and ODI), appointments since
    the day before onset, medication orders, red flags not cleared. One row shape for all:
    (part, three ids, three texts, a flag, five dates, a timestamp, a number, JSON text)."""
    types = {"a": "bigint", "b": "bigint", "c": "bigint", "t1": "text", "t2": "text"}
    types |= {"t3": "text", "f": "boolean", "ts": "timestamptz", "n": "numeric", "j": "text"}
    types |= {f"d{i}": "date" for i in range(1, 6)}

    def select(part: int, source: str, **values: str) -> str:
        columns = ", ".join(values.get(name, f"NULL::{kind}") for name, kind in types.items())
        return f"SELECT {part}, {columns} {source}"

    branches = [
        select(
            1,
            "FROM ep",
            a="ep.id",
            b="ep.patient_id",
            c="ep.team_id",
            t1="ep.work_status",
            d1="ep.onset",
            d2="ep.work_status_since",
        ),
        select(
            2,
            "FROM patients_careteammember m JOIN ep ON ep.id = m.episode_id "
            'WHERE m.start <= %(today)s AND (m."end" IS NULL OR m."end" >= %(today)s)',
            a="m.episode_id",
            b="m.clinician_id",
            t1="m.role",
            f="m.is_lead",
        ),
        select(
            3,
            "FROM careplans_careplan cp JOIN ep ON ep.id = cp.episode_id",
            a="cp.id",
            b="cp.episode_id",
            t1="cp.status",
            d1="cp.started_on",
        ),
        select(
            4,
            "FROM careplans_intervention i JOIN careplans_careplan cp ON cp.id = i.plan_id "
            "JOIN ep ON ep.id = cp.episode_id",
            a="i.plan_id",
            t1="i.kind",
            t2="i.status",
            t3="i.discipline",
            d1="i.start_date",
            d2="i.end_date",
        ),
        select(
            5,
            "FROM assessments_assessment x JOIN ep ON ep.patient_id = x.patient_id "
            "WHERE x.instrument IN ('nrs', 'peg', 'odi', 'phq9', 'sleep')",
            a="x.id",
            b="x.patient_id",
            t1="x.instrument",
            t2="x.self_harm",
            ts="x.taken_at",
            n="x.score",
            j="CASE WHEN x.instrument IN ('peg', 'odi') THEN x.answers::text END",
        ),
        select(
            6,
            "FROM scheduling_appointment v JOIN ep ON ep.patient_id = v.patient_id "
            "WHERE (v.starts_at AT TIME ZONE %(zone)s)::date >= ep.onset - 1",
            a="v.id",
            b="v.patient_id",
            t1="v.kind",
            t2="v.discipline",
            t3="v.status",
            ts="v.starts_at",
        ),
        select(
            7,
            "FROM medications_medicationorder o JOIN ep ON ep.id = o.episode_id",
            a="o.id",
            b="o.episode_id",
            c="o.prescriber_id",
            t1="o.drug",
            t2="o.drug_class",
            n="o.daily_mme",
            d1="o.start_date",
            d2="o.stop_date",
            d3="o.dose_changed_on",
            d4="o.last_reviewed_on",
            d5="o.naloxone_offered_on",
        ),
        select(
            8,
            "FROM patients_redflagfinding r JOIN ep ON ep.id = r.episode_id "
            "WHERE r.cleared_on IS NULL",
            a="r.id",
            b="r.episode_id",
            t1="r.sign",
            d1="r.noted_on",
        ),
    ]
    union = "\n    UNION ALL\n    ".join(branches)
    active_episodes = (
        "WITH ep AS (\n"
        "    SELECT e.id, e.onset, e.patient_id, p.team_id, p.work_status, p.work_status_since\n"
        "    FROM patients_episode e JOIN patients_patient p ON p.id = e.patient_id\n"
        "    WHERE e.status = 'active' AND e.archived_at IS NULL AND p.archived_at IS NULL\n"
        ")\n"
    )
    # Fixed text only (the date and the zone are parameters).
    sql = f"{active_episodes}SELECT * FROM (\n    {union}\n) AS floor_rows"  # noqa: S608
    params = {"today": timezone.localdate(), "zone": timezone.get_current_timezone_name()}
    return sql, params


def data_floor(repeats: int = 3, chunk: int = 20_000) -> dict[str, Any]:
    """Time the floor statement, every row fetched into Python through a server-side cursor
    (in chunks, so the floor does not need the memory of the whole result), with the same
    driver setup as the engine: psycopg's C timestamp loader (apps.flags.snapshot)."""
    from psycopg import adapters
    from psycopg.pq import Format

    sql, params = floor_sql()
    oid = adapters.types["timestamptz"].oid
    times, rows = [], 0
    connection.ensure_connection()
    for _ in range(repeats):
        start = time.perf_counter()
        rows = 0
        with transaction.atomic(), connection.connection.cursor(name="bench_floor") as cursor:
            cursor.adapters.register_loader(oid, adapters.get_loader(oid, Format.TEXT))
            cursor.itersize = chunk
            cursor.execute(sql, params)
            while batch := cursor.fetchmany(chunk):
                rows += len(batch)
        times.append(time.perf_counter() - start)
    return {
        "rows": rows,
        "seconds": round(statistics.median(times), 3),
        "runs": [round(t, 3) for t in times],
        "method": "one UNION ALL statement, server-side cursor, fetchmany(20000) to the end",
    }


def reset_peak_rss() -> None:
    """Start a new peak-RSS (VmHWM) measurement for this process (Linux: clear_refs 5)."""
    with suppress(OSError):
        Path(f"/proc/{os.getpid()}/clear_refs").write_text("5")


def analyze() -> None:
    """The server has autovacuum off (and a bulk load leaves no statistics): analyze."""
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")


def rules() -> dict[str, Any]:
    from apps.audit.context import RequestMeta, audit_context
    from apps.flags import engine

    episodes = Episode.objects.active().count()
    floor = data_floor()
    floor_peak = peak_rss_mib(os.getpid())
    reset_peak_rss()  # the engine's own peak from here on
    runs = []
    for label in ("first", "steady"):
        start = time.perf_counter()
        cpu = time.process_time()
        with audit_context(RequestMeta(surface="command")):
            summary = engine.evaluate_all_now()
        seconds = time.perf_counter() - start
        runs.append(
            {
                "run": label,
                "episodes": summary.episodes,
                "seconds": round(seconds, 3),
                "cpu_seconds": round(time.process_time() - cpu, 3),
                "patients_per_second": round(summary.episodes / seconds, 1),
                "floor_ratio": round(seconds / floor["seconds"], 2),
                "raised": sum(summary.raised.values()),
                "updated": sum(summary.updated.values()),
                "resolved": sum(summary.resolved.values()),
                "open": sum(summary.open.values()),
            }
        )
        if label == "first":
            analyze()  # the new flags, tasks and audit rows (autovacuum would do it)
    return {
        "active_episodes": episodes,
        "floor": floor,
        "first": runs[0],
        "steady": runs[1],
        "peak_rss_mib": round(peak_rss_mib(os.getpid()), 1),
        "floor_peak_rss_mib": round(floor_peak, 1),
        "process": "bench.measure rules: Django set up, evaluate_all_now() in-process "
        "(peak RSS of the two runs, measured after the floor)",
    }


# --- dispatch: a real Celery worker on Redis into a real SMTP server ----------------------------


class Collector:
    """aiosmtpd handler that counts what it accepts, by message key."""

    def __init__(self) -> None:
        self.keys: Counter[str] = Counter()
        self.lock = threading.Lock()

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        message = email.message_from_bytes(envelope.content, policy=email.policy.default)
        with self.lock:
            self.keys[str(message["X-CareTeam-Message-Key"])] += 1
        return "250 Message accepted for delivery"


@contextmanager
def smtp_server(port: int) -> Iterator[Collector]:
    from aiosmtpd.controller import Controller

    collector = Collector()
    controller = Controller(collector, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        yield collector
    finally:
        controller.stop()


@contextmanager
def celery_worker(queue: str, smtp_port: int, concurrency: int) -> Iterator[subprocess.Popen[Any]]:
    TMP.mkdir(parents=True, exist_ok=True)
    log_path = TMP / f"worker-{queue}.log"
    env = {
        **os.environ,
        "CELERY_DEFAULT_QUEUE": queue,
        "EMAIL_BACKEND": "django.core.mail.backends.smtp.EmailBackend",
        "EMAIL_HOST": "127.0.0.1",
        "EMAIL_PORT": str(smtp_port),
        "EMAIL_TIMEOUT": "10",
    }
    with log_path.open("w") as log:
        proc = subprocess.Popen(  # noqa: S603 - our own interpreter and arguments
            [
                PYTHON,
                "-m",
                "celery",
                "-A",
                "careteam",
                "worker",
                "-Q",
                queue,
                "-c",
                str(concurrency),
                "-n",
                f"{queue}@%h",
                "--without-gossip",
                "--without-mingle",
                "-l",
                "INFO",
            ],
            cwd=ROOT,
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        try:
            wait_for(
                lambda: "ready." in log_path.read_text(),
                timeout=90,
                what="Celery worker",
                proc=proc,
            )
            yield proc
        finally:
            stop(proc)


def make_messages(count: int, run: str) -> list[int]:
    """Pending appointment reminders by email for booked future appointments (cycled if there
    are fewer appointments than messages); patients have no quiet hours."""
    from apps.messaging.models import MessageChannel, MessageKind, OutboundMessage

    now = timezone.now()
    appointments = list(
        Appointment.objects.filter(
            status="booked", starts_at__gt=now + dt.timedelta(hours=2), patient__email__gt=""
        )
        .select_related("patient")
        .order_by("pk")[:count]
    )
    if not appointments:
        raise RuntimeError("No booked future appointment to remind about.")
    rows = []
    for i in range(count):
        appointment = appointments[i % len(appointments)]
        rows.append(
            OutboundMessage(
                idempotency_key=f"bench:{run}:{i}",
                kind=MessageKind.APPOINTMENT_REMINDER,
                channel=MessageChannel.EMAIL,
                patient=appointment.patient,
                appointment=appointment,
                to_address=appointment.patient.email,
                subject="Reminder: your appointment",
                body=f"Hello {appointment.patient.first_name},\n\nThis is a reminder.",
                send_after=now - dt.timedelta(seconds=1),
            )
        )
    return [m.pk for m in OutboundMessage.objects.bulk_create(rows, batch_size=1000)]


def dispatch(count: int, concurrency: int, batch_size: int) -> dict[str, Any]:
    """Time ``count`` emails from ``dispatch_due`` to "sent": one ``send_message`` task per
    message (``batch_size`` 1, the default) or one ``send_batch`` task per ``batch_size``."""
    from apps.messaging.models import MessageStatus, OutboundMessage
    from apps.messaging.services import dispatch_due

    run = uuid.uuid4().hex[:8]
    queue = f"bench-dispatch-{run}"
    port = free_port()
    # Only this run's rows are due: anything else pending (urgent-flag emails the rules
    # raised) waits until after the measurement, then gets its own send_after back.
    others = list(OutboundMessage.objects.filter(status=MessageStatus.PENDING).only("send_after"))
    later = timezone.now() + dt.timedelta(days=365)
    OutboundMessage.objects.filter(pk__in=[m.pk for m in others]).update(send_after=later)
    ids = make_messages(count, run)
    mine = OutboundMessage.objects.filter(pk__in=ids)
    try:
        with smtp_server(port) as smtp, celery_worker(queue, port, concurrency) as worker:
            start = time.perf_counter()
            enqueued = len(dispatch_due(queue=queue, limit=count, batch_size=batch_size))
            enqueue_seconds = time.perf_counter() - start
            sent = 0
            deadline = time.monotonic() + max(120, count / 10)
            while time.monotonic() < deadline:
                sent = mine.filter(status=MessageStatus.SENT).count()
                if sent >= count:
                    break
                time.sleep(0.05)
            seconds = time.perf_counter() - start
            memory = tree_peak_rss_mib(worker.pid)
    finally:
        delete_queue(queue)
        OutboundMessage.objects.bulk_update(others, ["send_after"], batch_size=1000)
    statuses = Counter(mine.values_list("status", flat=True))
    delivered = smtp.keys
    mine_keys = {f"bench:{run}:{i}" for i in range(count)}
    return {
        "messages": count,
        "enqueued": enqueued,
        "batch_size": batch_size,
        "task": "messaging.send_batch" if batch_size > 1 else "messaging.send_message",
        "concurrency": concurrency,
        "sent": sent,
        "statuses": dict(statuses),
        "smtp_received": sum(delivered[k] for k in mine_keys),
        "smtp_duplicates": sum(max(0, delivered[k] - 1) for k in mine_keys),
        "seconds": round(seconds, 3),
        "enqueue_seconds": round(enqueue_seconds, 3),
        "messages_per_second": round(sent / seconds, 1) if seconds else 0.0,
        "worker_peak_rss_mib": {k: round(v, 1) for k, v in memory.items()},
        "worker_peak_rss_max_mib": round(max(memory.values()), 1),
        "email_backend": "smtp to aiosmtpd on 127.0.0.1",
        "broker": settings.CELERY_BROKER_URL.rsplit("@", 1)[-1],
    }


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("step", choices=["prepare", "queries", "rules", "dispatch"])
    parser.add_argument("--out", type=Path, required=True)
    parser.add_argument("--messages", type=int, default=2000)
    parser.add_argument("--concurrency", type=int, default=2)
    parser.add_argument("--batch-size", type=int, default=1)
    args = parser.parse_args()
    if args.step == "prepare":
        result = prepare()
    elif args.step == "queries":
        result = queries()
    elif args.step == "rules":
        result = rules()
    else:
        result = dispatch(args.messages, args.concurrency, args.batch_size)
    args.out.write_text(json.dumps(result, indent=2, default=str))


if __name__ == "__main__":
    main()
