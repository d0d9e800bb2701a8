"""red_flag — a red-flag sign recorded on the episode and not yet cleared.

Source: CLINICAL.md "Red flags (triage)": cauda equina, cancer, infection, fracture signs need
urgent physician assessment. A cauda equina sign (loss of bladder or bowel control, saddle
anaesthesia, severe or progressive leg deficit) is an emergency: its one task is "Immediately"
(stat), due today, above every "Urgent" task on the worklist.
"""

from apps.core.choices import Discipline, Severity
from apps.patients.models import RED_FLAG_CATEGORY_OF_SIGN, RedFlagCategory, RedFlagSign

from ..snapshot import EpisodeSnapshot
from .base import Outcome, Route, Rule, Thresholds


class RedFlag(Rule):
    code = "red_flag"
    title = "Red flag"

    def evaluate(self, snap: EpisodeSnapshot, t: Thresholds) -> Outcome:
        if not snap.red_flags:
            return self.clear(snap, t, "No uncleared red-flag sign.")
        signs = [
            {
                "finding_id": f["id"],
                "sign": str(RedFlagSign(f["sign"]).label),
                "noted_on": f["noted_on"].isoformat(),
            }
            for f in snap.red_flags
        ]
        holders = snap.role_holders(Discipline.PHYSICIAN)
        cauda_equina = any(
            RED_FLAG_CATEGORY_OF_SIGN.get(RedFlagSign(f["sign"])) == RedFlagCategory.CAUDA_EQUINA
            for f in snap.red_flags
        )
        reason = (
            "Possible cauda equina: emergency physician assessment today."
            if cauda_equina
            else "Red-flag sign recorded: urgent physician assessment."
        )
        return Outcome(
            True,
            self.evidence(snap, t, reason=reason, signs=signs),
            summary="Red flag: " + ", ".join(s["sign"] for s in signs),
            severity=Severity.URGENT,
            fingerprint="findings:" + ",".join(sorted(str(f["id"]) for f in snap.red_flags)),
            route=Route(
                (Discipline.PHYSICIAN,),
                holders[0].clinician_id if holders else None,
                priority="stat" if cauda_equina else None,
            ),
        )
