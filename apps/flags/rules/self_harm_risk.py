"""self_harm_risk — the latest PHQ-9 answers item 9 (thoughts of self-harm) with 1 or more
(urgent), or leaves it unanswered (warning: complete item 9).

Source: CLINICAL.md PHQ-9 policy: item 9 >= 1 is a safety finding whatever the total; a missing
item 9 is "unknown" and is never imputed. Routed to the episode's psychologist or psychiatrist.
"""

from apps.core.choices import Severity
from apps.core.text import format_date

from ..snapshot import EpisodeSnapshot
from .base import PSYCH, Outcome, Route, Rule, Thresholds, measure_json


class SelfHarmRisk(Rule):
    code = "self_harm_risk"
    title = "Self-harm risk (PHQ-9 item 9)"
    # A safety finding is closed by a clinician (with a note), never by a later questionnaire.
    auto_resolve = False

    def evaluate(self, snap: EpisodeSnapshot, t: Thresholds) -> Outcome:
        phq = [m for m in snap.series("phq9") if m.taken_on >= snap.onset]
        if not phq:
            return self.clear(snap, t, "No PHQ-9 recorded in this episode.")
        latest = phq[-1]
        data = {"phq9": measure_json(latest), "item9": latest.self_harm}
        holders = snap.role_holders(*PSYCH)
        route = Route(PSYCH, holders[0].clinician_id if holders else None)
        if latest.self_harm == "yes":
            return Outcome(
                True,
                self.evidence(
                    snap, t, reason="PHQ-9 item 9 answered 1 or more: a safety finding.", **data
                ),
                summary=f"PHQ-9 on {format_date(latest.taken_on)}: thoughts of self-harm reported (item 9)",
                severity=Severity.URGENT,
                fingerprint=f"phq9:{latest.id}:yes",
                route=route,
            )
        if latest.self_harm == "unknown":
            return Outcome(
                True,
                self.evidence(
                    snap, t, reason="PHQ-9 item 9 was not answered: complete item 9.", **data
                ),
                summary=f"PHQ-9 on {format_date(latest.taken_on)} has no answer to item 9 — complete it",
                severity=Severity.WARNING,
                fingerprint=f"phq9:{latest.id}:unknown",
                route=route,
            )
        return self.clear(snap, t, "Latest PHQ-9 item 9 answered 0.", **data)
