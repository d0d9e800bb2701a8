"""Operational endpoints."""

from typing import Any

from django.db import connection
from django.http import HttpRequest, JsonResponse
from django.utils import timezone
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET


def _database_status() -> dict[str, Any]:
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
    except Exception as exc:  # noqa: BLE001 - any failure means "down"
        return {"ok": False, "error": exc.__class__.__name__}
    return {"ok": True, "vendor": connection.vendor}


def _broker_status() -> dict[str, Any]:
    from careteam.celery import app

    try:
        with app.connection_for_write() as conn:
            # One quick retry, not kombu's default 2 s back-off: a load balancer's health
            # check gets its 503 at once while the broker is down.
            conn.ensure_connection(
                max_retries=1, interval_start=0.1, interval_step=0.2, interval_max=0.2, timeout=2
            )
            transport = conn.transport.driver_type
    except Exception as exc:  # noqa: BLE001 - any failure means "down"
        return {"ok": False, "error": exc.__class__.__name__}
    return {"ok": True, "transport": transport}


def _worker_status() -> dict[str, Any]:
    """Informational: when a worker last ran the heartbeat task (does not change the status)."""
    from .models import WorkerHeartbeat

    beat = WorkerHeartbeat.objects.order_by("-last_seen").first()
    if beat is None:
        return {"last_heartbeat": None}
    return {
        "last_heartbeat": beat.last_seen.isoformat(),
        "seconds_ago": int((timezone.now() - beat.last_seen).total_seconds()),
    }


@never_cache
@require_GET
def healthz(request: HttpRequest) -> JsonResponse:
    """Database and broker status as JSON: 200 when both answer, 503 otherwise."""
    checks = {"database": _database_status(), "broker": _broker_status()}
    ok = all(c["ok"] for c in checks.values())
    body: dict[str, Any] = {"status": "ok" if ok else "unavailable", **checks}
    if checks["database"]["ok"]:
        body["worker"] = _worker_status()
    return JsonResponse(body, status=200 if ok else 503)
