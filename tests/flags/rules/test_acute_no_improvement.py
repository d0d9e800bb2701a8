"""acute_no_improvement: an acute episode past the check day (default day 7) without a
meaningful drop in pain NRS (2 points or 30%), or with no pain score since day 4.

CLINICAL.md: acute back pain usually subsides within 4-7 days; with no improvement after 4-7
days the patient should contact the doctor.
"""

import datetime as dt

import pytest

from apps.flags.models import FlagStatus

pytestmark = pytest.mark.django_db

RULE = "acute_no_improvement"
ONSET = dt.date(2025, 3, 3)  # day 0 of the episode


def day(n: int) -> dt.date:
    return ONSET + dt.timedelta(days=n)


def _pain_7_then_6(clinic, **roles):
    """Pain 7/10 at onset and 6/10 on day 5: one point (14%), not a meaningful drop."""
    episode = clinic.episode(onset=ONSET, **roles)
    baseline = clinic.nrs(episode, 7, on=day(0))
    latest = clinic.nrs(episode, 6, on=day(5))
    return episode, baseline, latest


def test_it_flags_no_improvement_on_day_seven(clinic):
    with clinic.travel(day(7)):
        episode, _, _ = _pain_7_then_6(clinic)

        flag = clinic.evaluate(episode)[RULE]

    assert flag.severity == "warning"
    assert flag.status == FlagStatus.OPEN
    assert flag.episode_id == episode.pk
    assert flag.summary.startswith("Day 7 of acute back pain: pain 7 → 6")
    task = clinic.task(flag)
    assert task.assignee == clinic.physician
    assert task.discipline == "physician"
    assert (task.priority, task.due_on) == ("routine", day(9))


def test_it_does_not_flag_on_day_six(clinic):
    with clinic.travel(day(6)) as traveller:
        episode, _, _ = _pain_7_then_6(clinic)

        assert RULE not in clinic.evaluate(episode)

        traveller.move_to(clinic.at(day(7)))
        assert RULE in clinic.evaluate(episode)


def test_it_does_not_flag_a_drop_of_two_points(clinic):
    with clinic.travel(day(7)):
        episode = clinic.episode(onset=ONSET)
        clinic.nrs(episode, 8, on=day(0))
        clinic.nrs(episode, 6, on=day(5))

        assert RULE not in clinic.evaluate(episode)


def test_a_drop_of_exactly_thirty_percent_counts_as_improvement(clinic):
    clinic.setting("mcid_nrs_points", 4)  # only the 30% rule can be met by a 3-point drop
    with clinic.travel(day(7)):
        improved = clinic.episode(onset=ONSET)
        clinic.nrs(improved, 10, on=day(0))
        clinic.nrs(improved, 7, on=day(5))
        not_improved = clinic.episode(onset=ONSET)
        clinic.nrs(not_improved, 10, on=day(0))
        clinic.nrs(not_improved, 8, on=day(5))

        assert RULE not in clinic.evaluate(improved)
        assert RULE in clinic.evaluate(not_improved)


def test_it_flags_an_episode_with_no_pain_score_since_day_four(clinic):
    with clinic.travel(day(7)):
        episode = clinic.episode(onset=ONSET)
        first = clinic.nrs(episode, 8, on=day(0))
        # 23:30 in New York is already day 4 in UTC: the clinic's date is what counts.
        clinic.nrs(episode, 3, on=day(3), hour=23, minute=30)

        flag = clinic.evaluate(episode)[RULE]

    assert flag.fingerprint == "no-recent-measure"
    assert flag.summary == "Day 7 of acute back pain with no pain score since day 4"
    assert flag.evidence["reason"] == "No pain score recorded since day 4 of the episode."
    assert flag.evidence["first"]["assessment_id"] == first.pk


def test_a_pain_score_on_day_four_is_recent_enough(clinic):
    with clinic.travel(day(7)):
        episode = clinic.episode(onset=ONSET)
        clinic.nrs(episode, 8, on=day(0))
        clinic.nrs(episode, 8, on=day(4), hour=0, minute=30)

        flag = clinic.evaluate(episode)[RULE]

    assert flag.evidence["reason"] == "Pain has not improved meaningfully since the first measure."
    assert flag.evidence["comparison"]["latest"]["taken_on"] == day(4).isoformat()


def test_it_leaves_the_episode_alone_once_it_is_subacute(clinic):
    with clinic.travel(day(27)) as traveller:
        episode, _, _ = _pain_7_then_6(clinic)

        assert RULE in clinic.evaluate(episode)  # day 27: still acute

        traveller.move_to(clinic.at(day(28)))
        flags = clinic.evaluate(episode)  # day 28: subacute

    assert RULE not in flags
    cleared = episode.patient.flags.get(rule_code=RULE)
    assert cleared.status == FlagStatus.RESOLVED
    assert cleared.auto_resolved is True
    assert cleared.resolution_evidence["phase"] == "subacute"


def test_it_resolves_itself_when_pain_improves(clinic):
    with clinic.travel(day(7)) as traveller:
        episode, _, _ = _pain_7_then_6(clinic)
        flag = clinic.evaluate(episode)[RULE]

        traveller.move_to(clinic.at(day(8)))
        clinic.nrs(episode, 4, on=day(8))
        assert RULE not in clinic.evaluate(episode)

    flag.refresh_from_db()
    assert flag.status == FlagStatus.RESOLVED
    assert flag.resolution_evidence["reason"] == "Pain improved meaningfully."
    assert flag.resolution_evidence["comparison"]["latest"]["value"] == "4"
    assert clinic.task(flag).status == "completed"


def test_it_goes_to_the_physician_queue_when_the_episode_has_no_physician(clinic):
    with clinic.travel(day(7)):
        episode, _, _ = _pain_7_then_6(clinic, roles=("physical_therapist",))

        task = clinic.task(clinic.evaluate(episode)[RULE])

    assert task.assignee is None
    assert task.discipline == "physician"


def test_its_evidence_names_the_scores_and_thresholds(clinic):
    with clinic.travel(day(7)):
        episode, baseline, latest = _pain_7_then_6(clinic)

        evidence = clinic.evaluate(episode)[RULE].evidence

    assert evidence["checked_on"] == "2025-03-10"
    assert (evidence["episode_day"], evidence["phase"]) == (7, "acute")
    assert evidence["thresholds"] == {
        "acute_check_day": "7",
        "acute_recent_measure_day": "4",
        "acute_settled_pain_max": "3",
        "mcid_nrs_points": "2",
        "mcid_percent": "30",
    }
    assert evidence["comparison"] == {
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
            "value": "6",
            "taken_on": "2025-03-08",
        },
        "change": "-1",
        "change_percent": "-14.2857",
        "meaningful_if": "a change of 2 points or 30% of baseline",
    }


def test_an_admin_check_day_of_five_moves_the_check_and_is_reported(clinic):
    with clinic.travel(day(5)):
        episode, _, _ = _pain_7_then_6(clinic)
        assert RULE not in clinic.evaluate(episode)  # default: day 7

        clinic.setting("acute_check_day", 5)
        flag = clinic.evaluate(episode)[RULE]

    assert flag.evidence["thresholds"]["acute_check_day"] == "5"
    assert flag.evidence["episode_day"] == 5


def test_an_admin_point_threshold_changes_what_counts_as_improvement(clinic):
    with clinic.travel(day(7)):
        episode = clinic.episode(onset=ONSET)
        clinic.nrs(episode, 8, on=day(0))
        clinic.nrs(episode, 6, on=day(5))  # 2 points, 25%
        assert RULE not in clinic.evaluate(episode)

        clinic.setting("mcid_nrs_points", 3)
        flag = clinic.evaluate(episode)[RULE]

    assert flag.evidence["thresholds"]["mcid_nrs_points"] == "3"
    assert flag.evidence["comparison"]["meaningful_if"] == "a change of 3 points or 30% of baseline"


def test_a_single_mild_pain_score_after_day_four_counts_as_settled(clinic):
    """Pain at or below 3/10 (setting acute_settled_pain_max) has subsided."""
    with clinic.travel(day(8)):
        episode = clinic.episode(onset=ONSET)
        clinic.nrs(episode, 3, on=day(5))
        assert RULE not in clinic.evaluate(episode)

        clinic.nrs(episode, 4, on=day(8))  # a second score, no meaningful drop from 3
        assert RULE in clinic.evaluate(episode)


def test_a_single_moderate_pain_score_after_day_four_is_flagged(clinic):
    with clinic.travel(day(8)):
        episode = clinic.episode(onset=ONSET)
        clinic.nrs(episode, 4, on=day(5))
        assert RULE in clinic.evaluate(episode)
