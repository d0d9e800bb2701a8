"""naloxone_not_offered — naloxone not offered although risk is raised: total opioid dose
>= 50 MME/day, or an opioid together with a benzodiazepine.

Source: CDC 2022 guideline: offer naloxone when risk of overdose is increased, including at
>= 50 MME/day and with concurrent benzodiazepine use. Setting: ``naloxone_mme`` (50).
"""

from apps.core.choices import Discipline, Severity
from apps.core.text import format_number
from apps.medications.models import OPIOID_CLASSES

from ..snapshot import EpisodeSnapshot
from .base import Outcome, Route, Rule, Thresholds, _num
from .opioid_high_dose import total_mme


class NaloxoneNotOffered(Rule):
    code = "naloxone_not_offered"
    title = "Naloxone not offered"
    threshold_keys = ("naloxone_mme",)

    def evaluate(self, snap: EpisodeSnapshot, t: Thresholds) -> Outcome:
        active = snap.active_medications()
        opioids = [m for m in active if m.drug_class in OPIOID_CLASSES]
        if not opioids:
            return self.clear(snap, t, "No active opioid.")
        total, orders = total_mme(snap)
        benzos = [m.drug for m in active if m.drug_class == "benzodiazepine"]
        reasons = []
        if total >= t["naloxone_mme"]:
            reasons.append(
                f"total {format_number(total)} MME/day ≥ {format_number(t['naloxone_mme'])}"
            )
        if benzos:
            reasons.append(f"opioid with a benzodiazepine ({', '.join(benzos)})")
        offered = [m.naloxone_offered_on for m in opioids if m.naloxone_offered_on is not None]
        data = {
            "total_daily_mme": _num(total),
            "opioids": orders,
            "benzodiazepines": benzos,
            "naloxone_offered_on": max(offered).isoformat() if offered else None,
        }
        if not reasons:
            return self.clear(snap, t, "Overdose risk not raised by these rules.", **data)
        if offered:
            return self.clear(snap, t, "Naloxone has been offered.", **data)
        prescriber = next((m.prescriber_id for m in opioids if m.prescriber_id), None)
        return Outcome(
            True,
            self.evidence(snap, t, reason="Raised overdose risk: " + "; ".join(reasons), **data),
            summary="Offer naloxone: " + "; ".join(reasons),
            severity=Severity.WARNING,
            fingerprint=";".join(sorted(str(m.id) for m in opioids)) + (":benzo" if benzos else ""),
            route=Route((Discipline.PHYSICIAN,), prescriber),
        )
