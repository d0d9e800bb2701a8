"""sleep_disruption — poor sleep on two consecutive sleep assessments and no sleep-targeted
intervention (a sleep item in the plan, or a low-dose tricyclic such as doxepin).

Source: DESIGN.md pathway step 3: poor sleep magnifies pain; low-dose tricyclic antidepressants
such as doxepin are used when chronic pain disrupts sleep. Setting (policy): ``poor_sleep_max``
(4 on a 0-10 sleep-quality scale, 0 worst). Severity: info.
"""

from apps.core.choices import Discipline, Severity
from apps.core.text import format_number

from ..snapshot import EpisodeSnapshot
from .base import Outcome, Route, Rule, Thresholds, measure_json


class SleepDisruption(Rule):
    code = "sleep_disruption"
    title = "Disrupted sleep"
    threshold_keys = ("poor_sleep_max",)

    def evaluate(self, snap: EpisodeSnapshot, t: Thresholds) -> Outcome:
        sleep = [m for m in snap.series("sleep") if m.taken_on >= snap.onset][-2:]
        data = {"last_two": [measure_json(m) for m in sleep]}
        if len(sleep) < 2 or any(m.value is None or m.value > t["poor_sleep_max"] for m in sleep):
            return self.clear(snap, t, "Not two consecutive poor-sleep scores.", **data)
        targeted = [
            i.kind
            for i in snap.interventions
            if i.kind == "sleep" and i.status in ("planned", "active")
        ]
        tca = [m.drug for m in snap.active_medications() if m.drug_class == "tricyclic"]
        if targeted or tca:
            return self.clear(
                snap,
                t,
                "Sleep is already targeted.",
                interventions=targeted,
                medications=tca,
                **data,
            )
        return Outcome(
            True,
            self.evidence(
                snap,
                t,
                reason=f"Sleep quality ≤ {format_number(t['poor_sleep_max'])} twice in a row.",
                **data,
            ),
            summary=f"Poor sleep twice in a row ({sleep[0].display}, {sleep[1].display}/10), nothing targets sleep",
            severity=Severity.INFO,
            fingerprint=f"sleep:{sleep[-1].id}",
            route=Route((Discipline.PHYSICIAN,)),
        )
