"""What a rule is: a named check over an EpisodeSnapshot that explains itself.

A rule returns an ``Outcome`` every time: ``fired`` or not, always with the evidence it looked
at (measurements, dates and the thresholds used), so a raised flag shows why it was raised and
an auto-resolved flag shows why it cleared.
"""

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal
from fractions import Fraction
from typing import Any, ClassVar

from apps.clinical import scoring
from apps.core.choices import Discipline

from ..snapshot import EpisodeSnapshot, Measure

Thresholds = dict[str, Decimal]

PSYCH = (Discipline.PSYCHOLOGIST, Discipline.PSYCHIATRIST)


@dataclass(frozen=True)
class Route:
    """Who should act: a named clinician where one is known, else a discipline's queue."""

    disciplines: tuple[str, ...]
    clinician_id: int | None = None
    # The task's priority when the severity's default (routing.TASK_TIMING) is not enough: a
    # possible cauda equina is "Immediately" (stat), not merely "Urgent".
    priority: str | None = None


class Outcome:
    """A rule's verdict with its evidence (a dict, or a function that builds it on demand)."""

    __slots__ = ("_evidence", "fingerprint", "fired", "route", "severity", "summary")

    def __init__(
        self,
        fired: bool,
        evidence: dict[str, Any] | Callable[[], dict[str, Any]],
        summary: str = "",
        severity: str = "",
        fingerprint: str = "",
        route: Route | None = None,
    ) -> None:
        self.fired = fired
        self._evidence = evidence
        self.summary = summary
        self.severity = severity
        self.fingerprint = fingerprint
        self.route = route

    @property
    def evidence(self) -> dict[str, Any]:
        if callable(self._evidence):
            self._evidence = self._evidence()
        return self._evidence


@dataclass(frozen=True)
class RuleInfo:
    code: str
    title: str
    threshold_keys: tuple[str, ...] = field(default_factory=tuple)


class Rule:
    code: ClassVar[str]
    title: ClassVar[str]
    threshold_keys: ClassVar[tuple[str, ...]] = ()
    # False: an open flag stays open when the condition clears, until a clinician resolves it.
    auto_resolve: ClassVar[bool] = True

    def evaluate(self, snap: EpisodeSnapshot, t: Thresholds) -> Outcome:
        raise NotImplementedError

    # Helpers for evidence -------------------------------------------------------------------
    def used(self, t: Thresholds) -> dict[str, str]:
        key = tuple(t[k] for k in self.threshold_keys)
        cache = self.__dict__.setdefault("_used_cache", {})
        if key not in cache:
            cache[key] = {k: _num(t[k]) for k in self.threshold_keys}
        return dict(cache[key])

    def clear(self, snap: EpisodeSnapshot, t: Thresholds, reason: str, **data: Any) -> Outcome:
        # The evidence of a clear outcome is needed only to auto-resolve an open flag: build it
        # on demand (most patients have no open flag for most rules).
        return Outcome(False, lambda: self.evidence(snap, t, reason=reason, **data))

    def evidence(self, snap: EpisodeSnapshot, t: Thresholds, **data: Any) -> dict[str, Any]:
        return {
            "rule": self.code,
            "checked_on": snap.today.isoformat(),
            "episode_day": snap.day,
            "phase": snap.phase,
            "thresholds": self.used(t),
            **data,
        }


def _num(value: Decimal | Fraction | float | int | None) -> str:
    if value is None:
        return ""
    if isinstance(value, Fraction):
        value = float(value)
    text = f"{float(value):.4f}".rstrip("0").rstrip(".")
    return text or "0"


def measure_json(m: Measure | None) -> dict[str, Any] | None:
    if m is None:
        return None
    return {
        "assessment_id": m.id,
        "instrument": m.instrument,
        "value": _num(m.value),
        "taken_on": m.taken_on.isoformat(),
    }


def change_thresholds(instrument: str, t: Thresholds) -> dict[str, Any]:
    """Absolute and percent thresholds for meaningful change (CLINICAL.md "Meaningful change"):
    NRS 2 points or 30%, ODI 10 points or 30%, PEG 30% only."""
    absolute = {"nrs": t["mcid_nrs_points"], "odi": t["mcid_odi_points"], "peg": None}[instrument]
    return {"absolute": absolute, "percent": t["mcid_percent"]}


def improved(instrument: str, baseline: Measure, latest: Measure, t: Thresholds) -> bool | None:
    if baseline.value is None or latest.value is None:
        return None
    return scoring.is_meaningful_improvement(
        instrument, baseline.value, latest.value, **change_thresholds(instrument, t)
    )


def worsened(instrument: str, baseline: Measure, latest: Measure, t: Thresholds) -> bool | None:
    if baseline.value is None or latest.value is None:
        return None
    return scoring.is_meaningful_worsening(
        instrument, baseline.value, latest.value, **change_thresholds(instrument, t)
    )


def comparison(
    instrument: str, baseline: Measure, latest: Measure, t: Thresholds
) -> dict[str, Any]:
    th = change_thresholds(instrument, t)
    change = None
    if baseline.value is not None and latest.value is not None:
        change = latest.value - baseline.value
    pct = None
    if change is not None and baseline.value:
        pct = change * 100 / baseline.value
    return {
        "instrument": instrument,
        "baseline": measure_json(baseline),
        "latest": measure_json(latest),
        "change": _num(change),
        "change_percent": _num(pct),
        "meaningful_if": (
            f"a change of {_num(th['absolute'])} points or {_num(th['percent'])}% of baseline"
            if th["absolute"] is not None
            else f"a change of {_num(th['percent'])}% of baseline"
        ),
    }


def baseline_for_plan(series: list[Measure], plan_start: dt.date) -> Measure | None:
    """The plan's baseline: the last measure on or before the plan started, else the first one
    within its first week."""
    before = [m for m in series if m.taken_on <= plan_start]
    if before:
        return before[-1]
    first_week = [m for m in series if m.taken_on <= plan_start + dt.timedelta(days=7)]
    return first_week[0] if first_week else None


def days(value: Decimal) -> int:
    return int(value)
