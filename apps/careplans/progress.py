"""A goal's status, derived from its measures (the one place that computes it).

- **met**: the latest measure reaches the target;
- **overdue**: the due date has passed and the target is not met;
- **on track** / **off track**: progress from baseline towards target is at least / below the
  linear progress expected from the plan's start to the goal's due date, at today's date;
- **not measured**: no measure yet, or no baseline/target to compare with.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from fractions import Fraction
from typing import Any

LOWER_IS_BETTER = {"nrs", "peg", "odi", "phq9", "gad7"}


@dataclass(frozen=True)
class GoalStatus:
    code: str  # met | on_track | off_track | overdue | not_measured
    label: str


MET = GoalStatus("met", "Met")
ON_TRACK = GoalStatus("on_track", "On track")
OFF_TRACK = GoalStatus("off_track", "Off track")
OVERDUE = GoalStatus("overdue", "Overdue")
NOT_MEASURED = GoalStatus("not_measured", "Not measured yet")


def goal_status(
    *,
    measure: str,
    baseline: Fraction | None,
    target: Fraction | None,
    latest: Fraction | None,
    started_on: dt.date,
    due_on: dt.date,
    today: dt.date,
) -> GoalStatus:
    lower = measure in LOWER_IS_BETTER
    if (
        latest is not None
        and target is not None
        and ((latest <= target) if lower else (latest >= target))
    ):
        return MET
    if today > due_on:
        return OVERDUE
    if latest is None or baseline is None or target is None:
        return NOT_MEASURED
    gap = (baseline - target) if lower else (target - baseline)
    if gap <= 0:
        return ON_TRACK
    done = Fraction((baseline - latest) if lower else (latest - baseline)) / gap
    span = (due_on - started_on).days
    expected = Fraction(1) if span <= 0 else Fraction(max(0, (today - started_on).days), span)
    return ON_TRACK if done >= expected else OFF_TRACK


def status_of_goal(
    goal: Any,
    *,
    latest: Fraction | None,
    working: bool,
    started_on: dt.date,
    today: dt.date,
) -> GoalStatus:
    """The status of a ``Goal`` from its latest measure in the episode (``latest``; for a
    return-to-work goal, ``working``: the patient works in any capacity). Every screen and the
    FHIR export call this, so they agree."""
    if goal.measure == "work_status":
        return goal_status(
            measure="work_status",
            baseline=Fraction(0),
            target=Fraction(1),
            latest=Fraction(1 if working else 0),
            started_on=started_on,
            due_on=goal.due_on,
            today=today,
        )
    return goal_status(
        measure=goal.measure,
        baseline=None if goal.baseline is None else Fraction(goal.baseline),
        target=None if goal.target is None else Fraction(goal.target),
        latest=latest,
        started_on=started_on,
        due_on=goal.due_on,
        today=today,
    )


# FHIR R4 goal-achievement codes that follow from the status alone; on track / off track / not
# measured leave the trend (improving, worsening, no-change, in-progress) to the exporter.
FHIR_ACHIEVEMENT = {MET.code: "achieved", OVERDUE.code: "not-achieved"}
