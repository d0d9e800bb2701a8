"""work_absence — off work for 28 days without a return-to-work intervention.

Source: DESIGN.md pathway step 5: returning to work in any capacity is strongly recommended.
Setting (policy): ``work_absence_days`` (28). Off-work time is counted from the patient's
work-status date (or the episode onset when none was recorded).
"""

from apps.core.choices import Discipline, Severity
from apps.patients.models import WorkStatus

from ..snapshot import EpisodeSnapshot
from .base import Outcome, Route, Rule, Thresholds, days


def work_status_label(value: str) -> str:
    return str(WorkStatus(value).label) if value in WorkStatus.values else value.replace("_", " ")


class WorkAbsence(Rule):
    code = "work_absence"
    title = "Off work, no return-to-work plan"
    threshold_keys = ("work_absence_days",)

    def evaluate(self, snap: EpisodeSnapshot, t: Thresholds) -> Outcome:
        limit = days(t["work_absence_days"])
        if snap.work_status != "off_work":
            return self.clear(
                snap,
                t,
                f"Work status is {work_status_label(snap.work_status).lower()}.",
                work_status=snap.work_status,
            )
        since = snap.work_status_since or snap.onset
        off = (snap.today - since).days
        plans = [
            i
            for i in snap.interventions
            if i.kind == "return_to_work" and i.status in ("planned", "active")
        ]
        data = {"work_status": "off_work", "off_work_since": since.isoformat(), "days_off": off}
        if plans:
            return self.clear(snap, t, "A return-to-work plan is in place.", **data)
        if off < limit:
            return self.clear(snap, t, f"Off work for {off} days.", **data)
        return Outcome(
            True,
            self.evidence(
                snap, t, reason=f"Off work {limit}+ days without a return-to-work plan.", **data
            ),
            summary=f"Off work for {off} days with no return-to-work plan",
            severity=Severity.WARNING,
            fingerprint=f"since:{since.isoformat()}",
            route=Route((Discipline.CARE_COORDINATOR,)),
        )
