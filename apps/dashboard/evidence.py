"""A flag's evidence (the JSON a rule wrote) turned into something a clinician reads.

Rules write ``{"reason": ..., "checked_on": ..., "thresholds": {...}, "comparisons": [...],
...}`` (apps/flags/rules/base.py). This module knows the common keys — reason, comparisons with
baseline and latest values and dates, thresholds — and renders anything else generically, so a
new rule's evidence still shows up readably.
"""

import datetime as dt
import re
from dataclasses import dataclass, field
from typing import Any

from apps.careplans.models import InterventionKind
from apps.clinical.thresholds import THRESHOLDS
from apps.core.text import format_date, format_number
from apps.patients.models import Phase, WorkStatus

INSTRUMENT_LABELS = {
    "nrs": "Pain NRS",
    "peg": "PEG",
    "odi": "ODI",
    "phq9": "PHQ-9",
    "gad7": "GAD-7",
    "sleep": "Sleep quality",
    "start_back": "STarT Back",
    "work_status": "Work status",
}

LABELS = {
    "checked_on": "Checked on",
    "episode_day": "Day of episode",
    "phase": "Phase",
    "plan_started_on": "Plan started",
    "days_since": "Days since",
    "interval_days": "Interval (days)",
    "counted_from": "Counted from",
    "last_measure": "Last outcome measure",
    "total_daily_mme": "Total daily MME",
    "daily_mme": "Daily MME",
    "last_pt_visit": "Last PT visit",
    "missed_visit": "Missed visit",
    "last_two": "Last two",
    "phq9": "PHQ-9",
    "item9": "Item 9 (self-harm)",
    "gad7": "GAD-7",
    "odi": "ODI",
    "peg": "PEG",
    "nrs": "Pain NRS",
}
SKIPPED = {"rule", "reason", "thresholds", "comparisons", "comparison"}
_ISO_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
_LONG_DECIMAL = re.compile(r"^-?\d+\.\d+$")


def number_text(value: Any, places: int = 1) -> str:
    """``"5.6667"`` -> ``"5.7"``: rules keep 4 decimals, people read one (apps.core.text)."""
    text = str(value)
    if _LONG_DECIMAL.match(text) or isinstance(value, float):
        text = format_number(value, places)
    return text


@dataclass(frozen=True)
class Comparison:
    instrument: str
    baseline: str
    latest: str
    change: str
    meaningful_if: str
    verdict: str  # "Improved", "Not meaningfully improved", "Worse", "" (unknown)


@dataclass
class EvidenceView:
    reason: str = ""
    facts: list[tuple[str, str]] = field(default_factory=list)
    comparisons: list[Comparison] = field(default_factory=list)
    details: list[tuple[str, list[str]]] = field(default_factory=list)
    thresholds: list[tuple[str, str]] = field(default_factory=list)

    def __bool__(self) -> bool:
        return bool(
            self.reason or self.facts or self.comparisons or self.details or self.thresholds
        )


def label_for(key: str) -> str:
    if key in LABELS:
        return LABELS[key]
    text = key.replace("_", " ").strip()
    text = re.sub(r"\bmme\b", "MME", text)
    return text[:1].upper() + text[1:]


def date_text(value: str | dt.date) -> str:
    day = dt.date.fromisoformat(value) if isinstance(value, str) else value
    return format_date(day)


def scalar_text(key: str, value: Any) -> str:
    if value is None or value == "":
        return "—"
    if isinstance(value, bool):
        return "Yes" if value else "No"
    if key == "phase" and value in Phase.values:
        return str(Phase(value).label)
    if key == "instrument":
        return INSTRUMENT_LABELS.get(str(value), str(value))
    if key == "work_status" and value in WorkStatus.values:
        return str(WorkStatus(value).label)
    if key == "kind" and value in InterventionKind.values:
        return str(InterventionKind(value).label)
    if isinstance(value, str) and _ISO_DATE.match(value):
        try:
            return date_text(value)
        except ValueError:
            return value
    return number_text(value)


def measure_text(m: dict[str, Any] | None) -> str:
    """``{"instrument": "nrs", "value": "7", "taken_on": "2026-03-03"}`` -> "Pain NRS 7 on 3 Mar
    2026"."""
    if not m:
        return "—"
    parts = []
    if m.get("instrument"):
        parts.append(INSTRUMENT_LABELS.get(m["instrument"], m["instrument"]))
    if m.get("value") not in (None, ""):
        parts.append(number_text(m["value"]))
    text = " ".join(parts)
    if m.get("taken_on"):
        text += f" on {scalar_text('taken_on', m['taken_on'])}"
    return text


def dict_text(d: dict[str, Any]) -> str:
    if {"instrument", "taken_on"} <= set(d):
        return measure_text(d)
    if {"kind", "status", "on"} <= set(d):
        kind = str(d["kind"]).replace("_", " ")
        return f"{kind.upper() if kind.startswith('pt') else kind} ({d['status']}) on {scalar_text('on', d['on'])}"
    items = []
    for key, value in d.items():
        if key.endswith("_id") or key == "id":
            continue
        if isinstance(value, dict):
            items.append(f"{label_for(key)}: {dict_text(value)}")
        elif isinstance(value, list):
            items.append(f"{label_for(key)}: {', '.join(value_lines(key, value))}")
        else:
            items.append(f"{label_for(key)}: {scalar_text(key, value)}")
    return "; ".join(items)


def value_lines(key: str, value: Any) -> list[str]:
    if isinstance(value, list):
        return [dict_text(v) if isinstance(v, dict) else scalar_text(key, v) for v in value]
    if isinstance(value, dict):
        return [dict_text(value)]
    return [scalar_text(key, value)]


def _comparison(c: dict[str, Any]) -> Comparison:
    def point(m: dict[str, Any] | None) -> str:
        if not m:
            return "—"
        text = number_text(m.get("value", "—"))
        if m.get("taken_on"):
            text += f" ({scalar_text('taken_on', m['taken_on'])})"
        return text

    change = number_text(c.get("change") or "")
    if change and not change.startswith("-") and change != "0":
        change = f"+{change}"
    if change and c.get("change_percent"):
        pct = (
            number_text(c["change_percent"], 0)
            if _LONG_DECIMAL.match(str(c["change_percent"]))
            else str(c["change_percent"])
        )
        change += f" ({'' if pct.startswith('-') or pct == '0' else '+'}{pct}%)"
    if "improved" in c:
        verdict = "Improved" if c["improved"] else "Not meaningfully improved"
    elif "worse" in c:
        verdict = "Worse" if c["worse"] else "Not meaningfully worse"
    else:
        verdict = ""
    return Comparison(
        instrument=INSTRUMENT_LABELS.get(str(c.get("instrument")), str(c.get("instrument", ""))),
        baseline=point(c.get("baseline")),
        latest=point(c.get("latest")),
        change=change or "—",
        meaningful_if=str(c.get("meaningful_if") or ""),
        verdict=verdict,
    )


def threshold_text(key: str, value: Any) -> tuple[str, str]:
    spec = THRESHOLDS.get(key)
    if spec is None:
        return label_for(key), str(value)
    unit = "%" if spec.unit == "%" else f" {spec.unit}"
    return spec.description.rstrip("."), f"{number_text(value)}{unit}"


def evidence_view(evidence: Any) -> EvidenceView:
    view = EvidenceView()
    if not isinstance(evidence, dict):
        return view
    view.reason = str(evidence.get("reason") or "")
    comparisons = list(evidence.get("comparisons") or [])
    if isinstance(evidence.get("comparison"), dict):
        comparisons.append(evidence["comparison"])
    view.comparisons = [_comparison(c) for c in comparisons if isinstance(c, dict)]
    thresholds = evidence.get("thresholds")
    if isinstance(thresholds, dict):
        view.thresholds = [threshold_text(k, v) for k, v in thresholds.items()]
    for key, value in evidence.items():
        if key in SKIPPED:
            continue
        if isinstance(value, list):
            if value:
                view.details.append((label_for(key), value_lines(key, value)))
        elif isinstance(value, dict):
            view.facts.append((label_for(key), dict_text(value)))
        else:
            view.facts.append((label_for(key), scalar_text(key, value)))
    return view
