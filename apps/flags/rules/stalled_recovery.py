"""stalled_recovery — a subacute or chronic episode on a plan for 4+ weeks with no meaningful
improvement in pain NRS, PEG or ODI from the plan's baseline.

Source: CLINICAL.md — most improvement happens in weeks 1-4 and little after week 7 (Kongsted;
Pengel 2003 BMJ); meaningful change NRS 2 points or 30% (Farrar 2001), ODI 10 points or 30%
(Ostelo 2008), PEG 30% (CDC 2022). Settings: ``stalled_plan_weeks`` (4), ``mcid_*``.
A stalled patient goes on the team's next case-conference agenda.
"""

import datetime as dt

from apps.core.choices import Discipline, Severity
from apps.core.text import format_date

from ..snapshot import EpisodeSnapshot
from .base import Outcome, Route, Rule, Thresholds, baseline_for_plan, comparison, improved

INSTRUMENTS = ("nrs", "peg", "odi")


class StalledRecovery(Rule):
    code = "stalled_recovery"
    title = "Stalled recovery"
    threshold_keys = ("stalled_plan_weeks", "mcid_nrs_points", "mcid_odi_points", "mcid_percent")

    def evaluate(self, snap: EpisodeSnapshot, t: Thresholds) -> Outcome:
        if snap.phase == "acute":
            return self.clear(snap, t, "The episode is in its acute phase.")
        if snap.plan_started_on is None or snap.plan_status != "active":
            return self.clear(snap, t, "The episode has no active care plan.")
        weeks = int(t["stalled_plan_weeks"])
        if snap.today < snap.plan_started_on + dt.timedelta(weeks=weeks):
            return self.clear(
                snap,
                t,
                f"The plan started {format_date(snap.plan_started_on)}, under {weeks} weeks ago.",
            )
        compared = []
        for instrument in INSTRUMENTS:
            # Only this episode's scored measures: an earlier episode's score is not this plan's
            # baseline (as plan goals take theirs), and an ODI that could not be scored (fewer
            # than 8 sections) is no evidence either way.
            series = [
                m
                for m in snap.series(instrument)
                if m.taken_on >= snap.onset and m.value is not None
            ]
            baseline = baseline_for_plan(series, snap.plan_started_on)
            if baseline is None or baseline.value in (None, 0):
                continue
            later = [m for m in series if m.taken_on > baseline.taken_on]
            if not later:
                continue
            latest = later[-1]
            result = comparison(instrument, baseline, latest, t)
            result["improved"] = bool(improved(instrument, baseline, latest, t))
            compared.append(result)
        if not compared:
            return self.clear(snap, t, "No measure since the plan's baseline to compare with.")
        better = [c["instrument"] for c in compared if c["improved"]]
        if better:
            return self.clear(
                snap, t, f"Meaningful improvement in {', '.join(better)}.", comparisons=compared
            )
        names = ", ".join(c["instrument"].upper() for c in compared)
        return Outcome(
            True,
            self.evidence(
                snap,
                t,
                reason=f"No meaningful improvement in {names} since the plan's baseline.",
                plan_started_on=snap.plan_started_on.isoformat(),
                comparisons=compared,
            ),
            summary=(
                f"No meaningful improvement in {names} after "
                f"{(snap.today - snap.plan_started_on).days // 7} weeks on the plan"
            ),
            severity=Severity.WARNING,
            fingerprint=f"plan:{snap.plan_id}",
            route=Route((Discipline.CARE_COORDINATOR,)),
        )
