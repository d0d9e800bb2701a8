"""worsening: pain NRS, PEG or ODI has risen by a meaningful amount (NRS 2 points or 30%, ODI
10 points or 30%, PEG 30%, exact arithmetic) from the plan's baseline, or from the episode's
first measure when there is no plan.
"""

import datetime as dt

import pytest

from apps.patients.models import EpisodeStatus
from tests.factories import EpisodeFactory

pytestmark = pytest.mark.django_db

RULE = "worsening"
ONSET = dt.date(2025, 3, 3)
TODAY = ONSET + dt.timedelta(days=10)


def day(n: int) -> dt.date:
    return ONSET + dt.timedelta(days=n)


def _pain_7_then_9(clinic, **kwargs):
    """NRS 7 at onset, 9 a week later: up 2 points (28.6%)."""
    episode = clinic.episode(onset=ONSET, **kwargs)
    baseline = clinic.nrs(episode, 7, on=day(0))
    latest = clinic.nrs(episode, 9, on=day(7))
    return episode, baseline, latest


def test_it_flags_pain_up_two_points(clinic):
    with clinic.travel(TODAY):
        episode, _, latest = _pain_7_then_9(clinic)

        flag = clinic.evaluate(episode)[RULE]

    assert flag.severity == "warning"
    assert flag.summary == "Worsening: NRS 7 → 9"
    assert flag.fingerprint == f"nrs:{latest.pk}"
    task = clinic.task(flag)
    assert task.assignee == clinic.physician
    assert (task.discipline, task.priority, task.due_on) == ("physician", "routine", day(12))


def test_it_does_not_flag_pain_up_one_point(clinic):
    with clinic.travel(TODAY):
        episode = clinic.episode(onset=ONSET)
        clinic.nrs(episode, 5, on=day(0))
        clinic.nrs(episode, 6, on=day(7))  # 1 point, 20%

        assert RULE not in clinic.evaluate(episode)


@pytest.mark.parametrize(
    ("baseline", "latest", "worse"),
    [
        ((7, 7, 6), (9, 9, 8), True),  # sums 20 -> 26: 6.667 -> 8.667, exactly 30%
        ((7, 7, 7), (9, 9, 9), False),  # sums 21 -> 27: 28.6%
        ((7, 7, 7), (10, 9, 9), True),  # sums 21 -> 28: 33%
    ],
    ids=["peg-20-to-26-exactly-30pct", "peg-21-to-27", "peg-21-to-28"],
)
def test_peg_rise_is_judged_in_exact_arithmetic(clinic, baseline, latest, worse):
    with clinic.travel(TODAY):
        episode = clinic.episode(onset=ONSET)
        clinic.peg(episode, *baseline, on=day(0))
        clinic.peg(episode, *latest, on=day(7))

        assert (RULE in clinic.evaluate(episode)) is worse


def test_odi_up_ten_points_is_worsening(clinic):
    with clinic.travel(TODAY):
        worse = clinic.episode(onset=ONSET)
        clinic.odi(worse, [3, 3, 3, 3, 3, 0, 0, 0, 0, 0], on=day(0))  # 30%
        clinic.odi(worse, [4, 4, 4, 4, 4, 0, 0, 0, 0, 0], on=day(7))  # 40%
        steady = clinic.episode(onset=ONSET)
        clinic.odi(steady, [3, 3, 3, 3, 3, 0, 0, 0, 0, 0], on=day(0))  # 30%
        clinic.odi(steady, [4, 4, 3, 3, 3, 0, 0, 0, 0, 0], on=day(7))  # 34%

        assert RULE in clinic.evaluate(worse)
        assert RULE not in clinic.evaluate(steady)


def test_it_compares_with_the_plans_baseline(clinic):
    with clinic.travel(day(20)):
        episode = clinic.episode(onset=ONSET)
        clinic.nrs(episode, 8, on=day(0))
        plan_baseline = clinic.nrs(episode, 4, on=day(10))
        clinic.plan(episode, start=day(10))
        clinic.nrs(episode, 6, on=day(18))  # better than day 0, 2 points worse than the plan's

        flag = clinic.evaluate(episode)[RULE]

    comparison = flag.evidence["comparisons"][0]
    assert comparison["baseline"]["assessment_id"] == plan_baseline.pk


def test_it_ignores_measures_from_an_earlier_episode(clinic):
    with clinic.travel(TODAY):
        episode = clinic.episode(onset=ONSET)
        earlier = EpisodeFactory(
            patient=episode.patient,
            onset=dt.date(2024, 1, 8),
            status=EpisodeStatus.CLOSED,
            closed_on=dt.date(2024, 3, 1),
        )
        clinic.nrs(earlier, 2, on=dt.date(2024, 2, 20))
        clinic.nrs(episode, 5, on=day(0))
        clinic.nrs(episode, 6, on=day(7))

        assert RULE not in clinic.evaluate(episode)


def test_it_goes_to_the_physician_queue_when_the_episode_has_no_physician(clinic):
    with clinic.travel(TODAY):
        episode, _, _ = _pain_7_then_9(clinic, roles=())

        task = clinic.task(clinic.evaluate(episode)[RULE])

    assert (task.assignee, task.discipline) == (None, "physician")


def test_its_evidence_names_the_scores_and_thresholds(clinic):
    with clinic.travel(TODAY):
        episode, baseline, latest = _pain_7_then_9(clinic)

        evidence = clinic.evaluate(episode)[RULE].evidence

    assert evidence["thresholds"] == {
        "mcid_nrs_points": "2",
        "mcid_odi_points": "10",
        "mcid_percent": "30",
    }
    assert evidence["comparisons"] == [
        {
            "instrument": "nrs",
            "baseline": {
                "assessment_id": baseline.pk,
                "instrument": "nrs",
                "value": "7",
                "taken_on": "2025-03-03",
            },
            "latest": {
                "assessment_id": latest.pk,
                "instrument": "nrs",
                "value": "9",
                "taken_on": "2025-03-10",
            },
            "change": "2",
            "change_percent": "28.5714",
            "meaningful_if": "a change of 2 points or 30% of baseline",
            "worse": True,
        }
    ]


def test_an_admin_point_threshold_changes_the_decision_and_the_evidence(clinic):
    clinic.setting("mcid_nrs_points", 3)
    with clinic.travel(TODAY):
        episode, _, _ = _pain_7_then_9(clinic)

        assert RULE not in clinic.evaluate(episode)

        clinic.nrs(episode, 10, on=TODAY)  # now 3 points up
        flag = clinic.evaluate(episode)[RULE]

    assert flag.evidence["thresholds"]["mcid_nrs_points"] == "3"
    assert flag.evidence["comparisons"][0]["meaningful_if"] == (
        "a change of 3 points or 30% of baseline"
    )


def test_an_odi_that_could_not_be_scored_does_not_hide_a_worsening(clinic):
    with clinic.travel(TODAY):
        episode = clinic.episode(onset=ONSET)
        clinic.odi(episode, [3, 3, 3, 3, 3, 0, 0, 0, 0, 0], on=day(0))  # 30%
        worse = clinic.odi(episode, [4, 4, 4, 4, 4, 0, 0, 0, 0, 0], on=day(7))  # 40%
        # 7 of 10 sections: no score (CLINICAL.md), so it cannot be the latest comparison.
        clinic.unscored_odi(episode, [4, 4, 4, 4, 4, 0, 0, None, None, None], on=day(9))

        flag = clinic.evaluate(episode)[RULE]

    assert flag.evidence["comparisons"][0]["latest"]["assessment_id"] == worse.pk
