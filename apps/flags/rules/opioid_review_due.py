"""opioid_review_due — an active opioid without a review within 28 days of starting or of a dose
increase, or 90 days since the last review.

Source: CDC 2022 Clinical Practice Guideline for Prescribing Opioids for Pain: re-evaluate
benefits and harms within 1-4 weeks of starting or escalating, and regularly after (at least
every 3 months). Settings: ``opioid_first_review_days`` (28), ``opioid_review_interval_days`` (90).
Fires on the day the review falls due (day 28 or day 90) when none has been recorded.
"""

from apps.core.choices import Discipline, Severity
from apps.medications.models import OPIOID_CLASSES

from ..snapshot import EpisodeSnapshot
from .base import Outcome, Route, Rule, Thresholds, days


class OpioidReviewDue(Rule):
    code = "opioid_review_due"
    title = "Opioid review due"
    threshold_keys = ("opioid_first_review_days", "opioid_review_interval_days")

    def evaluate(self, snap: EpisodeSnapshot, t: Thresholds) -> Outcome:
        first, interval = (
            days(t["opioid_first_review_days"]),
            days(t["opioid_review_interval_days"]),
        )
        opioids = [m for m in snap.active_medications() if m.drug_class in OPIOID_CLASSES]
        if not opioids:
            return self.clear(snap, t, "No active opioid.")
        due = []
        checked = []
        for m in opioids:
            clock = max(d for d in (m.start_date, m.dose_changed_on) if d is not None)
            reviewed_since = m.last_reviewed_on is not None and m.last_reviewed_on >= clock
            item = {
                "medication_id": m.id,
                "drug": m.drug,
                "started_or_increased_on": clock.isoformat(),
                "last_reviewed_on": m.last_reviewed_on.isoformat() if m.last_reviewed_on else None,
            }
            if not reviewed_since and (snap.today - clock).days >= first:
                item["why"] = f"No review within {first} days of starting or increasing the dose."
                item["days_since"] = (snap.today - clock).days
                due.append((m, item))
            elif reviewed_since and (snap.today - m.last_reviewed_on).days >= interval:  # type: ignore[operator]
                item["why"] = f"Last review more than {interval} days ago."
                item["days_since"] = (snap.today - m.last_reviewed_on).days  # type: ignore[operator]
                due.append((m, item))
            checked.append(item)
        if not due:
            return self.clear(snap, t, "Opioid reviews are up to date.", opioids=checked)
        prescriber = next((m.prescriber_id for m, _ in due if m.prescriber_id), None)
        names = ", ".join(m.drug for m, _ in due)
        return Outcome(
            True,
            self.evidence(snap, t, reason="Opioid review due.", opioids=[i for _, i in due]),
            summary=f"Opioid review due: {names}",
            severity=Severity.WARNING,
            fingerprint=";".join(
                f"{m.id}:{i['started_or_increased_on']}:{i['last_reviewed_on']}" for m, i in due
            )[:200],
            route=Route((Discipline.PHYSICIAN,), prescriber),
        )
