"""A flag's evidence rendered readably: reason, comparisons with baseline/latest values and
dates, thresholds; anything else generically."""

from apps.dashboard.evidence import evidence_view
from tests.dashboard.conftest import STALLED_EVIDENCE


def test_stalled_recovery_evidence():
    view = evidence_view(STALLED_EVIDENCE)
    assert view.reason.startswith("No meaningful improvement")
    (c,) = view.comparisons
    assert (c.instrument, c.baseline, c.latest) == (
        "Pain NRS",
        "7 (20 Feb 2026)",
        "6 (30 Mar 2026)",
    )
    assert c.change == "-1 (-14%)" and c.verdict == "Not meaningfully improved"
    assert ("Plan started", "20 Feb 2026") in view.facts and (
        "Phase",
        "Subacute (4–12 weeks)",
    ) in view.facts
    assert ("Pain NRS: absolute drop that is meaningful", "2 points") in view.thresholds
    assert (
        "Relative drop from baseline that is meaningful (NRS, ODI, PEG)",
        "30%",
    ) in view.thresholds


def test_other_shapes_render_generically():
    view = evidence_view(
        {
            "reason": "Total daily MME at or above 90.",
            "total_daily_mme": "120",
            "opioids": [{"medication_id": "3", "drug": "morphine ER", "daily_mme": "120"}],
            "last_measure": {
                "assessment_id": 9,
                "instrument": "peg",
                "value": "6.6667",
                "taken_on": "2026-03-02",
            },
            "missing": ["physician", "psychologist or psychiatrist"],
        }
    )
    assert ("Total daily MME", "120") in view.facts
    assert ("Last outcome measure", "PEG 6.7 on 2 Mar 2026") in view.facts
    assert ("Opioids", ["Drug: morphine ER; Daily MME: 120"]) in view.details
    assert ("Missing", ["physician", "psychologist or psychiatrist"]) in view.details


def test_nothing_to_show():
    assert not evidence_view({})
    assert not evidence_view(None)
