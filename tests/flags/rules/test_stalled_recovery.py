"""stalled_recovery: a subacute or chronic episode on an active plan for 4+ weeks with no
meaningful improvement in pain NRS, PEG or ODI from the plan's baseline.

CLINICAL.md: most improvement happens in weeks 1-4; meaningful change is NRS 2 points or 30%,
ODI 10 points or 30%, PEG 30%, decided in exact arithmetic.
"""

import datetime as dt

import pytest

from apps.conferences.models import AgendaItem, CaseConference
from apps.patients.models import EpisodeStatus
from tests.factories import EpisodeFactory

pytestmark = pytest.mark.django_db

RULE = "stalled_recovery"
ONSET = dt.date(2025, 1, 6)
PLAN_START = ONSET + dt.timedelta(days=35)  # subacute, day 35


def plan_day(n: int) -> dt.date:
    return PLAN_START + dt.timedelta(days=n)


def _on_a_plan(clinic, **kwargs):
    episode = clinic.episode(onset=ONSET, **kwargs)
    plan = clinic.plan(episode, start=PLAN_START)
    return episode, plan


def _pain_7_then_6(clinic):
    """NRS 7 at the plan's start, 6 three weeks later: one point (14%), not meaningful."""
    episode, plan = _on_a_plan(clinic)
    baseline = clinic.nrs(episode, 7, on=plan_day(0))
    latest = clinic.nrs(episode, 6, on=plan_day(21))
    return episode, plan, baseline, latest


def test_it_flags_no_improvement_after_four_weeks_on_the_plan(clinic):
    with clinic.travel(plan_day(28)):
        episode, _, _, _ = _pain_7_then_6(clinic)

        flag = clinic.evaluate(episode)[RULE]

    assert flag.severity == "warning"
    assert flag.summary == "No meaningful improvement in NRS after 4 weeks on the plan"
    task = clinic.task(flag)
    assert task.assignee is None
    assert task.discipline == "care_coordinator"
    assert (task.priority, task.due_on) == ("routine", plan_day(30))


def test_it_does_not_flag_a_plan_twenty_seven_days_old(clinic):
    with clinic.travel(plan_day(27)) as traveller:
        episode, _, _, _ = _pain_7_then_6(clinic)

        assert RULE not in clinic.evaluate(episode)

        traveller.move_to(clinic.at(plan_day(28)))
        assert RULE in clinic.evaluate(episode)


def test_it_does_not_flag_when_any_measure_improved(clinic):
    with clinic.travel(plan_day(28)):
        episode, _ = _on_a_plan(clinic)
        clinic.peg(episode, 7, 7, 7, on=plan_day(0))
        clinic.peg(episode, 7, 7, 7, on=plan_day(21))  # PEG unchanged
        clinic.nrs(episode, 7, on=plan_day(0))
        clinic.nrs(episode, 5, on=plan_day(21))  # NRS down 2 points

        assert RULE not in clinic.evaluate(episode)


@pytest.mark.parametrize(
    ("baseline", "latest", "stalled"),
    [
        ((7, 7, 7), (5, 5, 4), False),  # sums 21 -> 14: 7.0 -> 4.667, 33% better
        ((7, 7, 7), (5, 5, 5), True),  # sums 21 -> 15: 28.6%, not meaningful
        ((7, 7, 6), (5, 5, 4), False),  # sums 20 -> 14: 6.667 -> 4.667, exactly 30%
    ],
    ids=["peg-21-to-14", "peg-21-to-15", "peg-20-to-14-exactly-30pct"],
)
def test_peg_change_is_judged_in_exact_arithmetic(clinic, baseline, latest, stalled):
    with clinic.travel(plan_day(28)):
        episode, _ = _on_a_plan(clinic)
        clinic.peg(episode, *baseline, on=plan_day(0))
        clinic.peg(episode, *latest, on=plan_day(21))

        assert (RULE in clinic.evaluate(episode)) is stalled


def test_odi_down_ten_points_is_improvement(clinic):
    with clinic.travel(plan_day(28)):
        episode, _ = _on_a_plan(clinic)
        clinic.odi(episode, [4, 4, 4, 4, 4, 0, 0, 0, 0, 0], on=plan_day(0))  # 40%
        clinic.odi(episode, [3, 3, 3, 3, 3, 0, 0, 0, 0, 0], on=plan_day(21))  # 30%
        improved = clinic.evaluate(episode)

        other, _ = _on_a_plan(clinic)
        clinic.odi(other, [4, 4, 4, 4, 4, 0, 0, 0, 0, 0], on=plan_day(0))  # 40%
        clinic.odi(other, [4, 3, 3, 3, 3, 0, 0, 0, 0, 0], on=plan_day(21))  # 32%
        not_improved = clinic.evaluate(other)

    assert RULE not in improved
    assert RULE in not_improved


def test_it_leaves_acute_episodes_to_the_acute_rule(clinic):
    clinic.setting("stalled_plan_weeks", 1)
    with clinic.travel(ONSET + dt.timedelta(days=27)) as traveller:
        episode = clinic.episode(onset=ONSET)
        clinic.plan(episode, start=ONSET)
        clinic.nrs(episode, 7, on=ONSET)
        clinic.nrs(episode, 7, on=ONSET + dt.timedelta(days=20))

        assert RULE not in clinic.evaluate(episode)  # day 27: acute

        traveller.move_to(clinic.at(ONSET + dt.timedelta(days=28)))
        assert RULE in clinic.evaluate(episode)  # day 28: subacute


def test_a_measure_from_an_earlier_episode_is_not_the_plans_baseline(clinic):
    with clinic.travel(plan_day(28)):
        episode, _ = _on_a_plan(clinic)
        earlier = EpisodeFactory(
            patient=episode.patient,
            onset=dt.date(2024, 1, 8),
            status=EpisodeStatus.CLOSED,
            closed_on=dt.date(2024, 3, 1),
        )
        clinic.nrs(earlier, 9, on=dt.date(2024, 1, 8))
        first = clinic.nrs(episode, 5, on=plan_day(3))  # first measure of this episode
        clinic.nrs(episode, 5, on=plan_day(21))

        flag = clinic.evaluate(episode)[RULE]

    assert flag.evidence["comparisons"][0]["baseline"]["assessment_id"] == first.pk


def test_a_stalled_patient_goes_on_the_next_case_conference(clinic):
    with clinic.travel(plan_day(28)):
        conference = CaseConference.objects.create(
            team=clinic.team, scheduled_for=clinic.at(plan_day(30), 14)
        )
        episode, _, _, _ = _pain_7_then_6(clinic)

        flag = clinic.evaluate(episode)[RULE]

    item = AgendaItem.objects.get(conference=conference, patient=episode.patient)
    assert item.reason == "stalled_recovery"
    assert item.evidence["flag_id"] == flag.pk


def test_its_evidence_names_the_scores_and_thresholds(clinic):
    with clinic.travel(plan_day(28)):
        episode, _, baseline, latest = _pain_7_then_6(clinic)

        evidence = clinic.evaluate(episode)[RULE].evidence

    assert evidence["plan_started_on"] == PLAN_START.isoformat()
    assert (evidence["episode_day"], evidence["phase"]) == (63, "subacute")
    assert evidence["thresholds"] == {
        "stalled_plan_weeks": "4",
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
                "taken_on": PLAN_START.isoformat(),
            },
            "latest": {
                "assessment_id": latest.pk,
                "instrument": "nrs",
                "value": "6",
                "taken_on": plan_day(21).isoformat(),
            },
            "change": "-1",
            "change_percent": "-14.2857",
            "meaningful_if": "a change of 2 points or 30% of baseline",
            "improved": False,
        }
    ]


def test_an_admin_threshold_changes_the_decision_and_the_evidence(clinic):
    with clinic.travel(plan_day(28)):
        episode, _ = _on_a_plan(clinic)
        clinic.peg(episode, 7, 7, 7, on=plan_day(0))
        clinic.peg(episode, 6, 5, 5, on=plan_day(21))  # sums 21 -> 16: 23.8% better
        flag = clinic.evaluate(episode)[RULE]
        assert flag.evidence["comparisons"][0]["meaningful_if"] == "a change of 30% of baseline"

        clinic.setting("mcid_percent", 20)
        assert RULE not in clinic.evaluate(episode)

    flag.refresh_from_db()
    assert flag.resolution_evidence["thresholds"]["mcid_percent"] == "20"
    assert flag.resolution_evidence["comparisons"][0]["improved"] is True


def test_an_admin_can_give_plans_longer_before_they_count_as_stalled(clinic):
    clinic.setting("stalled_plan_weeks", 6)
    with clinic.travel(plan_day(41)) as traveller:
        episode, _, _, _ = _pain_7_then_6(clinic)

        assert RULE not in clinic.evaluate(episode)

        traveller.move_to(clinic.at(plan_day(42)))
        flag = clinic.evaluate(episode)[RULE]

    assert flag.evidence["thresholds"]["stalled_plan_weeks"] == "6"


def test_an_odi_that_could_not_be_scored_is_not_evidence_of_a_stall(clinic):
    with clinic.travel(plan_day(28)):
        episode, _ = _on_a_plan(clinic)
        clinic.odi(episode, [4, 4, 4, 4, 4, 0, 0, 0, 0, 0], on=plan_day(0))  # 40%
        # Only 7 of 10 sections answered: no score (CLINICAL.md), so nothing to compare.
        clinic.unscored_odi(episode, [1, 1, 1, 1, 1, 0, 0, None, None, None], on=plan_day(21))

        assert RULE not in clinic.evaluate(episode)


def test_an_unscored_odi_does_not_hide_the_scored_ones(clinic):
    with clinic.travel(plan_day(28)):
        episode, _ = _on_a_plan(clinic)
        clinic.odi(episode, [4, 4, 4, 4, 4, 0, 0, 0, 0, 0], on=plan_day(0))  # 40%: baseline
        clinic.unscored_odi(episode, [4, 4, 4, 4, 4, 0, 0, None, None, None], on=plan_day(1))
        latest = clinic.odi(episode, [4, 4, 4, 4, 4, 0, 0, 0, 0, 0], on=plan_day(21))
        clinic.unscored_odi(episode, [4, 4, 4, 4, 4, 0, 0, None, None, None], on=plan_day(22))

        flag = clinic.evaluate(episode)[RULE]

    [comparison] = flag.evidence["comparisons"]
    assert comparison["baseline"]["value"] == "40"
    assert comparison["latest"]["assessment_id"] == latest.pk
