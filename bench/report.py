"""The results table: each metric at N/10 and N, its target, and whether it is met."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

# Memory counts as flat when 10x the data costs at most this factor.
FLAT_MEMORY_RATIO = 1.25


@dataclass
class Row:
    metric: str
    small: str
    full: str
    target: str
    met: str  # "yes", "NO" or "" (no target)

    def as_dict(self) -> dict[str, str]:
        return self.__dict__.copy()


def _get(data: dict[str, Any] | None, path: str) -> Any:
    value: Any = data
    for key in path.split("."):
        if not isinstance(value, dict) or key not in value:
            return None
        value = value[key]
    return value


def _fmt(value: Any, unit: str = "", digits: int = 0) -> str:
    if value is None:
        return "—"
    if isinstance(value, float):
        text = f"{value:,.{digits}f}"
    else:
        text = f"{value:,}" if isinstance(value, int) else str(value)
    return f"{text}{unit}"


def _yes(ok: bool | None) -> str:
    return "" if ok is None else ("yes" if ok else "NO")


def build(small: dict[str, Any] | None, full: dict[str, Any]) -> list[Row]:
    rows: list[Row] = []

    def metric(
        name: str,
        path: str,
        *,
        unit: str = "",
        digits: int = 0,
        target: str = "",
        check: Callable[[Any], bool] | None = None,
        at_both: bool = False,
    ) -> None:
        """``check`` the value at N (and at N/10 too if ``at_both``)."""
        s, f = _get(small, path), _get(full, path)
        ok = None if check is None or f is None else check(f)
        if ok is not None and at_both and s is not None and check is not None:
            ok = ok and check(s)
        rows.append(Row(name, _fmt(s, unit, digits), _fmt(f, unit, digits), target, _yes(ok)))

    def same(name: str, path: str) -> None:
        s, f = _get(small, path), _get(full, path)
        ok = None if s is None or f is None else s == f
        rows.append(Row(name, _fmt(s), _fmt(f), "same at N/10 and N", _yes(ok)))

    def flat(name: str, path: str) -> None:
        s, f = _get(small, path), _get(full, path)
        ratio = f / s if s and f else None
        ok = None if ratio is None else ratio <= FLAT_MEMORY_RATIO
        rows.append(
            Row(
                name,
                _fmt(s, " MiB", 1),
                _fmt(f, " MiB", 1) + (f" (×{ratio:.2f})" if ratio else ""),
                f"flat: N/N/10 ≤ {FLAT_MEMORY_RATIO}",
                _yes(ok),
            )
        )

    rows.append(Row("patients (bench clinician sees)", *_sizes(small, full), "", ""))
    for page, label in (("caseload", "caseload page"), ("patient", "patient page")):
        metric(
            f"{label}: server time, median",
            f"web.{page}.server.median_ms",
            unit=" ms",
            digits=1,
            target="≤ 150 ms",
            check=lambda v: v <= 150,
            at_both=True,
        )
        metric(f"{label}: server time, p95", f"web.{page}.server.p95_ms", unit=" ms", digits=1)
        same(f"{label}: SQL queries", f"queries.{page}.queries")
    metric("API patient list: median", "web.api_patients.server.median_ms", unit=" ms", digits=1)
    metric("API patient list: p95", "web.api_patients.server.p95_ms", unit=" ms", digits=1)
    same("API patient list: SQL queries", "queries.api_patients.queries")
    metric(
        "FHIR Bundle, one patient: median",
        "web.fhir_patient.server.median_ms",
        unit=" ms",
        digits=1,
    )
    metric("FHIR Bundle, one patient: p95", "web.fhir_patient.server.p95_ms", unit=" ms", digits=1)
    same("FHIR Bundle: SQL queries", "queries.fhir_patient.queries")
    metric(
        "FHIR bulk NDJSON export, per patient",
        "web.fhir_export.per_patient_ms",
        unit=" ms",
        digits=1,
    )
    for run, label in (("steady", "steady state"), ("first", "first run, raises flags")):
        metric(
            f"rules ({label}): patients/s",
            f"rules.{run}.patients_per_second",
            target="≥ 1,000 /s",
            check=lambda v: v >= 1000,
        )
        metric(
            f"rules ({label}): × data floor",
            f"rules.{run}.floor_ratio",
            unit="×",
            digits=2,
            target="≤ 5×",
            check=lambda v: v <= 5,
        )
    metric("data floor (one query, all rows)", "rules.floor.seconds", unit=" s", digits=2)
    metric("data floor rows", "rules.floor.rows")
    metric(
        "dispatch, send_batch: messages/s",
        "dispatch.messages_per_second",
        unit="/s",
        digits=1,
        target="≥ 200 /s",
        check=lambda v: v >= 200,
    )
    metric(
        "dispatch, one task a message: messages/s",
        "dispatch_single.messages_per_second",
        unit="/s",
        digits=1,
        target="≥ 200 /s",
        check=lambda v: v >= 200,
    )
    flat("memory: web worker peak (gunicorn)", "web.peak_rss_mib")
    flat("memory: rules process peak", "rules.peak_rss_mib")
    flat("memory: Celery worker peak (max process)", "dispatch.worker_peak_rss_max_mib")
    return rows


def _sizes(small: dict[str, Any] | None, full: dict[str, Any]) -> tuple[str, str]:
    def one(data: dict[str, Any] | None) -> str:
        if not data:
            return "—"
        return f"{data['prepare']['patients']:,} ({data['prepare']['bench_clinician_patients']:,})"

    return one(small), one(full)


def render(rows: list[Row]) -> str:
    header = Row("metric", "N/10", "N", "target", "met")
    table = [header, *rows]
    widths = [max(len(getattr(r, f)) for r in table) for f in ("metric", "small", "full")]
    widths += [max(len(r.target) for r in table), 4]
    lines = []
    for i, r in enumerate(table):
        cells = [r.metric, r.small, r.full, r.target, r.met]
        lines.append(
            "| "
            + " | ".join(
                c.ljust(w) if j in (0, 3) else c.rjust(w)
                for j, (c, w) in enumerate(zip(cells, widths, strict=True))
            )
            + " |"
        )
        if i == 0:
            lines.append("|" + "|".join("-" * (w + 2) for w in widths) + "|")
    return "\n".join(lines)
