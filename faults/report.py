"""Counts each fault scenario reports, the table printed at the end of ``make faults`` and
``faults/results.json``.

A row counts one kind of outcome in one scenario:

- messages: *expected* rows that should reach the SMTP server, *delivered* distinct ones that
  did, *duplicated* extra copies received, *lost* expected ones never received;
- flags: *expected* open flags (those of a clean run on the same data), *delivered* = present,
  *duplicated* (patient, rule) pairs with more than one open flag, *lost* expected flags
  missing (or different: another severity or finding).
"""

from __future__ import annotations

import datetime as dt
import json
from collections import Counter
from collections.abc import Iterable
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

RESULTS_PATH = Path(__file__).resolve().parent / "results.json"


@dataclass
class Row:
    scenario: str
    what: str  # "messages", "flags", "failed messages"…
    expected: int
    delivered: int
    duplicated: int
    lost: int
    details: dict[str, Any] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        return self.lost == 0 and self.duplicated == 0 and self.delivered == self.expected


RESULTS: list[Row] = []


def record(row: Row) -> Row:
    RESULTS.append(row)
    return row


def message_row(
    scenario: str,
    *,
    expected_keys: Iterable[str],
    received: Counter[str],
    what: str = "messages",
    details: dict[str, Any] | None = None,
) -> Row:
    """Compare the keys that should have been delivered with what the SMTP server received."""
    expected = set(expected_keys)
    got = {k for k, n in received.items() if n > 0 and k in expected}
    unexpected = {k: n for k, n in received.items() if k not in expected}
    duplicated = sum(n - 1 for k, n in received.items() if n > 1) + sum(unexpected.values())
    info = dict(details or {})
    if unexpected:
        info["unexpected_keys"] = sorted(unexpected)[:20]
    return record(
        Row(
            scenario=scenario,
            what=what,
            expected=len(expected),
            delivered=len(got),
            duplicated=duplicated,
            lost=len(expected - got),
            details=info,
        )
    )


def flag_row(
    scenario: str,
    *,
    expected: Iterable[tuple[Any, ...]],
    present: Iterable[tuple[Any, ...]],
    details: dict[str, Any] | None = None,
) -> Row:
    """Compare open flags, as (patient_id, rule_code, severity, fingerprint) tuples."""
    want = Counter(expected)
    have = Counter(present)
    per_pair = Counter((t[0], t[1]) for t in have.elements())
    duplicated = sum(n - 1 for n in per_pair.values() if n > 1)
    lost = sum((want - have).values())
    info = dict(details or {})
    extra = sorted(map(str, (have - want).elements()))
    if extra:
        info["not_in_clean_run"] = extra[:20]
    return record(
        Row(
            scenario=scenario,
            what="flags",
            expected=sum(want.values()),
            delivered=sum(have.values()),
            duplicated=duplicated,
            lost=lost,
            details=info,
        )
    )


def table(rows: list[Row]) -> str:
    headers = ["scenario", "what", "expected", "delivered", "duplicated", "lost", "ok"]
    body = [
        [r.scenario, r.what, r.expected, r.delivered, r.duplicated, r.lost, "yes" if r.ok else "NO"]
        for r in rows
    ]
    widths = [max(len(str(x)) for x in col) for col in zip(headers, *body, strict=False)]

    def line(cells: list[Any]) -> str:
        return "  ".join(
            str(c).ljust(w) if i < 2 else str(c).rjust(w)
            for i, (c, w) in enumerate(zip(cells, widths, strict=True))
        )

    out = [line(headers), line(["-" * w for w in widths])]
    out += [line(b) for b in body]
    notes = [f"  {r.scenario} / {r.what}: {_short(r.details)}" for r in rows if r.details]
    if notes:
        out += ["", "details:", *notes]
    return "\n".join(out)


def _short(details: dict[str, Any]) -> str:
    return ", ".join(f"{k}={v}" for k, v in details.items())


def write_json(rows: list[Row], *, runtime_seconds: float, path: Path = RESULTS_PATH) -> Path:
    payload = {
        "generated_at": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "runtime_seconds": round(runtime_seconds, 1),
        "all_ok": all(r.ok for r in rows),
        "scenarios": [{**asdict(r), "ok": r.ok} for r in rows],
    }
    path.write_text(json.dumps(payload, indent=2, default=str) + "\n")
    return path
