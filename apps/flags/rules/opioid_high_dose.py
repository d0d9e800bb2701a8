"""opioid_high_dose — total daily morphine milligram equivalents (MME) of active opioids at or
above 50 (warning) or 90 (urgent).

Source: CDC 2022 guideline: pause and carefully reassess before reaching >= 50 MME/day; the 2016
guideline advised avoiding >= 90 MME/day. MME per order computed with the CDC 2022 conversion
factors (apps.clinical.scoring.daily_mme). Settings: ``mme_warning`` (50), ``mme_urgent`` (90).
"""

from decimal import Decimal
from typing import Any

from apps.core.choices import Discipline, Severity
from apps.core.text import format_number
from apps.medications.models import OPIOID_CLASSES

from ..snapshot import EpisodeSnapshot
from .base import Outcome, Route, Rule, Thresholds, _num


def total_mme(snap: EpisodeSnapshot) -> tuple[Decimal, list[dict[str, Any]]]:
    orders = [m for m in snap.active_medications() if m.drug_class in OPIOID_CLASSES]
    total = sum((m.daily_mme or Decimal(0) for m in orders), Decimal(0))
    return total, [
        {"medication_id": m.id, "drug": m.drug, "daily_mme": _num(m.daily_mme)} for m in orders
    ]


class OpioidHighDose(Rule):
    code = "opioid_high_dose"
    title = "High opioid dose"
    threshold_keys = ("mme_warning", "mme_urgent")

    def evaluate(self, snap: EpisodeSnapshot, t: Thresholds) -> Outcome:
        total, orders = total_mme(snap)
        data = {"total_daily_mme": _num(total), "opioids": orders}
        if total < t["mme_warning"]:
            return self.clear(snap, t, f"Total {format_number(total)} MME/day.", **data)
        urgent = total >= t["mme_urgent"]
        level = t["mme_urgent"] if urgent else t["mme_warning"]
        prescriber = next(
            (
                m.prescriber_id
                for m in snap.active_medications()
                if m.drug_class in OPIOID_CLASSES and m.prescriber_id
            ),
            None,
        )
        return Outcome(
            True,
            self.evidence(
                snap, t, reason=f"Total daily MME at or above {format_number(level)}.", **data
            ),
            summary=f"Opioids total {format_number(total)} MME/day (≥ {format_number(level)})",
            severity=Severity.URGENT if urgent else Severity.WARNING,
            fingerprint=f"mme:{_num(total)}",
            route=Route((Discipline.PHYSICIAN,), prescriber),
        )
