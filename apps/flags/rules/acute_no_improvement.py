"""acute_no_improvement — an acute episode past the check day without meaningful pain relief.

Source: patient-education pathway (DESIGN.md) and CLINICAL.md "Phases of an episode": acute back
pain usually subsides within 4-7 days; with no improvement after 4-7 days the patient should
contact the doctor. Default check day 7 (setting ``acute_check_day``, 4-7). Improvement is the
CLINICAL.md meaningful-change rule on pain NRS (2 points or 30%, Farrar 2001). A pain measure is
also required on or after day 4 (``acute_recent_measure_day``). With a single pain score on or
after that day, pain at or below ``acute_settled_pain_max`` (3/10, mild: CareTeam policy) counts as
having subsided; improvement cannot be shown from one measure otherwise.
"""

from apps.core.choices import Discipline, Severity

from ..snapshot import EpisodeSnapshot
from .base import Outcome, Route, Rule, Thresholds, comparison, days, improved, measure_json


class AcuteNoImprovement(Rule):
    code = "acute_no_improvement"
    title = "Acute pain not improving"
    threshold_keys = (
        "acute_check_day",
        "acute_recent_measure_day",
        "acute_settled_pain_max",
        "mcid_nrs_points",
        "mcid_percent",
    )

    def evaluate(self, snap: EpisodeSnapshot, t: Thresholds) -> Outcome:
        check_day = days(t["acute_check_day"])
        if snap.phase != "acute":
            return self.clear(snap, t, "The episode is no longer in its acute phase.")
        if snap.day < check_day:
            return self.clear(snap, t, f"Day {snap.day} is before the day-{check_day} check.")
        pain = [m for m in snap.series("nrs") if m.taken_on >= snap.onset]
        recent_day = days(t["acute_recent_measure_day"])
        route = Route((Discipline.PHYSICIAN,), _physician(snap))
        recent = [m for m in pain if (m.taken_on - snap.onset).days >= recent_day]
        if not recent:
            return Outcome(
                True,
                self.evidence(
                    snap,
                    t,
                    reason=f"No pain score recorded since day {recent_day} of the episode.",
                    first=measure_json(pain[0]) if pain else None,
                ),
                summary=f"Day {snap.day} of acute back pain with no pain score since day {recent_day}",
                severity=Severity.WARNING,
                fingerprint="no-recent-measure",
                route=route,
            )
        baseline, latest = pain[0], pain[-1]
        if baseline.value == 0:
            return self.clear(snap, t, "The first pain score was 0.")
        if (
            latest.id == baseline.id
            and latest.value is not None
            and latest.value <= t["acute_settled_pain_max"]
        ):
            return self.clear(
                snap, t, "A single pain score, already mild.", latest=measure_json(latest)
            )
        if latest.id != baseline.id and improved("nrs", baseline, latest, t):
            return self.clear(
                snap,
                t,
                "Pain improved meaningfully.",
                comparison=comparison("nrs", baseline, latest, t),
            )
        return Outcome(
            True,
            self.evidence(
                snap,
                t,
                reason="Pain has not improved meaningfully since the first measure.",
                comparison=comparison("nrs", baseline, latest, t),
            ),
            summary=(
                f"Day {snap.day} of acute back pain: pain {baseline.display} → {latest.display}, "
                "no meaningful improvement — contact the doctor"
            ),
            severity=Severity.WARNING,
            fingerprint=f"nrs:{baseline.id}:{latest.id}",
            route=route,
        )


def _physician(snap: EpisodeSnapshot) -> int | None:
    holders = snap.role_holders(Discipline.PHYSICIAN)
    return holders[0].clinician_id if holders else None
