"""worsening — pain NRS, PEG or ODI has risen by a meaningful amount from its baseline.

Source: CLINICAL.md "Meaningful change": worsening is a rise by the same thresholds as
improvement (NRS 2 points or 30%, ODI 10 points or 30%, PEG 30%). The baseline is the plan's
baseline when there is a plan, else the episode's first measure.
"""

from apps.core.choices import Discipline, Severity

from ..snapshot import EpisodeSnapshot
from .base import Outcome, Route, Rule, Thresholds, baseline_for_plan, comparison, worsened

INSTRUMENTS = ("nrs", "peg", "odi")


class Worsening(Rule):
    code = "worsening"
    title = "Worsening pain or function"
    threshold_keys = ("mcid_nrs_points", "mcid_odi_points", "mcid_percent")

    def evaluate(self, snap: EpisodeSnapshot, t: Thresholds) -> Outcome:
        compared, worse = [], []
        for instrument in INSTRUMENTS:
            # This episode's scored measures (an unscored ODI is no evidence either way).
            series = [
                m
                for m in snap.series(instrument)
                if m.taken_on >= snap.onset and m.value is not None
            ]
            if len(series) < 2:
                continue
            baseline = (
                baseline_for_plan(series, snap.plan_started_on) if snap.plan_started_on else None
            ) or series[0]
            latest = series[-1]
            if latest.id == baseline.id or latest.taken_on < baseline.taken_on:
                continue
            result = comparison(instrument, baseline, latest, t)
            result["worse"] = bool(worsened(instrument, baseline, latest, t))
            compared.append(result)
            if result["worse"]:
                worse.append((instrument, baseline, latest))
        if not worse:
            return self.clear(snap, t, "No meaningful rise from baseline.", comparisons=compared)
        text = "; ".join(f"{i.upper()} {b.display} → {latest.display}" for i, b, latest in worse)
        return Outcome(
            True,
            self.evidence(snap, t, reason="A meaningful rise from baseline.", comparisons=compared),
            summary=f"Worsening: {text}",
            severity=Severity.WARNING,
            fingerprint=";".join(f"{i}:{latest.id}" for i, _, latest in worse),
            route=Route((Discipline.PHYSICIAN,), _physician(snap)),
        )


def _physician(snap: EpisodeSnapshot) -> int | None:
    holders = snap.role_holders(Discipline.PHYSICIAN)
    return holders[0].clinician_id if holders else None
