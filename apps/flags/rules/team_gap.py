"""team_gap — a chronic episode whose care team lacks a physician, a physical therapist, a
psychologist or psychiatrist, or a pain-management specialist.

Source: DESIGN.md pathway step 2: chronic, persistent, disabling pain needs a multidisciplinary
team — medical physician, physical therapist, psychologist or psychiatrist, and pain-management
specialist — addressing psychological as well as physical aspects.
"""

from apps.core.choices import Discipline, Severity

from ..snapshot import EpisodeSnapshot
from .base import PSYCH, Outcome, Route, Rule, Thresholds

REQUIRED: list[tuple[str, tuple[str, ...]]] = [
    ("physician", (Discipline.PHYSICIAN,)),
    ("physical therapist", (Discipline.PHYSICAL_THERAPIST,)),
    ("psychologist or psychiatrist", PSYCH),
    ("pain-management specialist", (Discipline.PAIN_SPECIALIST,)),
]


class TeamGap(Rule):
    code = "team_gap"
    title = "Care team incomplete"

    def evaluate(self, snap: EpisodeSnapshot, t: Thresholds) -> Outcome:
        if snap.phase != "chronic":
            return self.clear(snap, t, "The episode is not chronic.")
        missing = [label for label, roles in REQUIRED if not snap.role_holders(*roles)]
        present = sorted({m.role for m in snap.care_team})
        if not missing:
            return self.clear(
                snap, t, "Every required discipline is on the care team.", roles=present
            )
        return Outcome(
            True,
            self.evidence(
                snap,
                t,
                reason="Chronic pain needs a multidisciplinary team.",
                missing=missing,
                roles=present,
            ),
            summary="Care team lacks: " + ", ".join(missing),
            severity=Severity.WARNING,
            fingerprint="missing:" + ",".join(missing),
            route=Route((Discipline.CARE_COORDINATOR,)),
        )
