"""followup_overdue — an exercise programme with no PT visit in 21 days and none booked, or a
missed visit (no-show) not rebooked within 7 days.

Source: DESIGN.md — active, exercise-oriented physical therapy is the cornerstone; programmes are
individualised by a spine-oriented PT with follow-up visits to fine-tune them. Settings (policy):
``pt_visit_gap_days`` (21), ``noshow_rebook_days`` (7).
"""

from typing import Any

from apps.core.choices import Discipline, Severity

from ..snapshot import EpisodeSnapshot, Visit
from .base import Outcome, Route, Rule, Thresholds, days

ATTENDED = ("fulfilled", "arrived")


def _visit(v: Visit | None) -> dict[str, str] | None:
    if v is None:
        return None
    return {
        "appointment_id": str(v.id),
        "kind": v.kind,
        "status": v.status,
        "on": v.starts_on.isoformat(),
    }


class FollowupOverdue(Rule):
    code = "followup_overdue"
    title = "Follow-up overdue"
    threshold_keys = ("pt_visit_gap_days", "noshow_rebook_days")

    def evaluate(self, snap: EpisodeSnapshot, t: Thresholds) -> Outcome:
        today = snap.today
        problems: list[dict[str, Any]] = []
        route = Route((Discipline.PHYSICAL_THERAPIST,), _pt(snap))

        programme = [
            i
            for i in snap.interventions
            if i.kind == "exercise_programme" and i.status == "active" and i.start_date <= today
        ]
        pt_visits = [v for v in snap.visits if v.kind == "pt_visit"]
        if programme:
            gap = days(t["pt_visit_gap_days"])
            attended = [v for v in pt_visits if v.status in ATTENDED and v.starts_on <= today]
            booked = [v for v in pt_visits if v.status == "booked" and v.starts_on >= today]
            last = attended[-1] if attended else None
            since = last.starts_on if last else min(i.start_date for i in programme)
            if (today - since).days >= gap and not booked:
                problems.append(
                    {
                        "problem": f"Exercise programme with no PT visit in {gap} days and none booked.",
                        "last_pt_visit": _visit(last),
                        "counted_from": since.isoformat(),
                        "days_since": (today - since).days,
                    }
                )

        rebook = days(t["noshow_rebook_days"])
        for missed in [v for v in snap.visits if v.status == "noshow"][-1:]:
            later = [
                v
                for v in snap.visits
                if v.discipline == missed.discipline
                and v.starts_at > missed.starts_at
                and v.status in ("booked", *ATTENDED)
            ]
            waited = (today - missed.starts_on).days
            if not later and waited >= rebook:
                problems.append(
                    {
                        "problem": f"Missed visit not rebooked within {rebook} days.",
                        "missed_visit": _visit(missed),
                        "days_since": waited,
                    }
                )
                if not programme or len(problems) == 1:
                    route = Route((Discipline.CARE_COORDINATOR,))
        if not problems:
            return self.clear(snap, t, "Follow-up visits are on track.")
        summary = " ".join(str(p["problem"]) for p in problems)
        return Outcome(
            True,
            self.evidence(snap, t, reason=summary, problems=problems),
            summary=summary,
            severity=Severity.WARNING,
            fingerprint="|".join(
                f"{p['problem']}@{p.get('counted_from') or (p.get('missed_visit') or {}).get('appointment_id')}"
                for p in problems
            )[:200],
            route=route,
        )


def _pt(snap: EpisodeSnapshot) -> int | None:
    holders = snap.role_holders(Discipline.PHYSICAL_THERAPIST)
    return holders[0].clinician_id if holders else None
