"""assessment_overdue — no outcome measure (pain NRS, PEG or ODI) in 14 days, 7 in the acute
phase.

Source: CareTeam monitoring policy (CLINICAL.md: recovery is judged on measured outcomes; acute
pain should settle within 4-7 days, so the acute interval is a week). Settings:
``assessment_interval_days`` (14), ``assessment_interval_acute_days`` (7). Fires when the days
since the episode's last measure (or since onset, if none) reach the interval.
"""

from apps.core.choices import Discipline, Severity
from apps.core.text import format_date

from ..snapshot import EpisodeSnapshot
from .base import Outcome, Route, Rule, Thresholds, days, measure_json

OUTCOMES = ("nrs", "peg", "odi")


class AssessmentOverdue(Rule):
    code = "assessment_overdue"
    title = "Outcome measure overdue"
    threshold_keys = ("assessment_interval_days", "assessment_interval_acute_days")

    def evaluate(self, snap: EpisodeSnapshot, t: Thresholds) -> Outcome:
        interval = days(
            t["assessment_interval_acute_days"]
            if snap.phase == "acute"
            else t["assessment_interval_days"]
        )
        # This episode's measures only: a score from an earlier episode must not make a new
        # episode overdue on its first day (the clock then starts at onset).
        latest = max(
            (m for i in OUTCOMES for m in snap.series(i) if m.taken_on >= snap.onset),
            key=lambda m: m.taken_at,
            default=None,
        )
        since = latest.taken_on if latest else snap.onset
        waited = (snap.today - since).days
        data = {
            "last_measure": measure_json(latest),
            "days_since": waited,
            "interval_days": interval,
            "counted_from": "last outcome measure" if latest else "episode onset",
        }
        if waited < interval:
            return self.clear(snap, t, f"Last outcome measure {waited} days ago.", **data)
        what = f"last on {format_date(latest.taken_on)}" if latest else "none recorded"
        return Outcome(
            True,
            self.evidence(snap, t, reason=f"No outcome measure in {interval} days.", **data),
            summary=f"No outcome measure for {waited} days ({what})",
            severity=Severity.WARNING,
            fingerprint=f"since:{since.isoformat()}",
            route=Route((Discipline.CARE_COORDINATOR,)),
        )
