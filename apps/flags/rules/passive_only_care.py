"""passive_only_care — only passive modalities (heat, ice, massage, ultrasound) for 14 days and
no active exercise programme.

Source: DESIGN.md pathway step 4: active, exercise-oriented physical therapy is the cornerstone;
heat, ice, massage and ultrasound give temporary relief but rarely long-term benefit. Setting
(policy): ``passive_only_days`` (14).
"""

from apps.core.choices import Discipline, Severity
from apps.core.text import format_date

from ..snapshot import EpisodeSnapshot
from .base import Outcome, Route, Rule, Thresholds, days

PASSIVE = ("passive_modality", "cold_heat")
ACTIVE = ("exercise_programme", "pt_visits")


class PassiveOnlyCare(Rule):
    code = "passive_only_care"
    title = "Passive care only"
    threshold_keys = ("passive_only_days",)

    def evaluate(self, snap: EpisodeSnapshot, t: Thresholds) -> Outcome:
        limit = days(t["passive_only_days"])
        current = [i for i in snap.interventions if i.is_current(snap.today)]
        active = [i for i in current if i.kind in ACTIVE]
        passive = [
            i
            for i in current
            if i.kind in PASSIVE
            and i.status == "active"
            and (snap.today - i.start_date).days >= limit
        ]
        data = {
            "passive": [{"kind": i.kind, "since": i.start_date.isoformat()} for i in passive],
            "active_exercise": [i.kind for i in active],
        }
        if active:
            return self.clear(snap, t, "An active exercise programme is in place.", **data)
        if not passive:
            return self.clear(snap, t, f"No passive-only care for {limit} days.", **data)
        since = min(i.start_date for i in passive)
        return Outcome(
            True,
            self.evidence(snap, t, reason=f"Only passive modalities for {limit}+ days.", **data),
            summary=f"Only passive care since {format_date(since)}, no active exercise programme",
            severity=Severity.WARNING,
            fingerprint=f"since:{since.isoformat()}",
            route=Route((Discipline.PHYSICAL_THERAPIST,)),
        )
