"""assessment_overdue: no outcome measure (pain NRS, PEG or ODI) for 14 days, or 7 in the acute
phase, counted from the last measure or, when there is none, from the episode's onset.
"""

import datetime as dt

import pytest

from apps.core.text import format_date
from apps.patients.models import EpisodeStatus
from tests.factories import EpisodeFactory

pytestmark = pytest.mark.django_db

RULE = "assessment_overdue"
ONSET = dt.date(2025, 1, 6)
LAST_MEASURE = ONSET + dt.timedelta(days=40)  # subacute


def after(n: int, start: dt.date = LAST_MEASURE) -> dt.date:
    return start + dt.timedelta(days=n)


def _subacute_with_pain_score(clinic):
    episode = clinic.episode(onset=ONSET)
    measure = clinic.nrs(episode, 5, on=LAST_MEASURE)
    return episode, measure


def test_it_flags_fourteen_days_without_a_measure(clinic):
    with clinic.travel(after(14)):
        episode, _ = _subacute_with_pain_score(clinic)

        flag = clinic.evaluate(episode)[RULE]

    assert flag.severity == "warning"
    assert flag.summary == f"No outcome measure for 14 days (last on {format_date(LAST_MEASURE)})"
    task = clinic.task(flag)
    assert (task.assignee, task.discipline) == (None, "care_coordinator")
    assert (task.priority, task.due_on) == ("routine", after(16))


def test_it_does_not_flag_thirteen_days_without_a_measure(clinic):
    with clinic.travel(after(13)) as traveller:
        episode, _ = _subacute_with_pain_score(clinic)

        assert RULE not in clinic.evaluate(episode)

        traveller.move_to(clinic.at(after(14)))
        assert RULE in clinic.evaluate(episode)


def test_in_the_acute_phase_seven_days_is_overdue_and_six_is_not(clinic):
    onset = dt.date(2025, 3, 3)
    with clinic.travel(after(6, onset)) as traveller:
        episode = clinic.episode(onset=onset)
        clinic.nrs(episode, 6, on=onset)

        assert RULE not in clinic.evaluate(episode)

        traveller.move_to(clinic.at(after(7, onset)))
        flag = clinic.evaluate(episode)[RULE]

    assert flag.evidence["phase"] == "acute"
    assert flag.evidence["interval_days"] == 7


def test_without_any_measure_it_counts_from_onset(clinic):
    onset = dt.date(2025, 3, 3)
    with clinic.travel(after(6, onset)) as traveller:
        episode = clinic.episode(onset=onset)
        assert RULE not in clinic.evaluate(episode)

        traveller.move_to(clinic.at(after(7, onset)))
        flag = clinic.evaluate(episode)[RULE]

    assert flag.summary == "No outcome measure for 7 days (none recorded)"
    assert flag.evidence["counted_from"] == "episode onset"
    assert flag.evidence["last_measure"] is None
    assert flag.fingerprint == f"since:{onset}"


def test_a_peg_or_an_odi_is_an_outcome_measure(clinic):
    with clinic.travel(after(14)):
        with_peg, _ = _subacute_with_pain_score(clinic)
        clinic.peg(with_peg, 5, 5, 5, on=after(10))
        with_odi, _ = _subacute_with_pain_score(clinic)
        clinic.odi(with_odi, [2, 2, 2, 2, 2, 2, 2, 2, 2, 2], on=after(10))

        assert RULE not in clinic.evaluate(with_peg)
        assert RULE not in clinic.evaluate(with_odi)


def test_a_phq9_or_a_sleep_score_is_not_an_outcome_measure(clinic):
    with clinic.travel(after(14)):
        episode, _ = _subacute_with_pain_score(clinic)
        clinic.phq9(episode, [1, 1, 1, 1, 0, 0, 0, 0, 0], on=after(10))
        clinic.sleep(episode, 6, on=after(10))

        assert RULE in clinic.evaluate(episode)


def test_the_day_of_a_measure_is_the_clinics_date(clinic):
    with clinic.travel(after(14)):
        episode = clinic.episode(onset=ONSET)
        # 23:30 in New York is the next day in UTC; the clinic's date counts.
        clinic.nrs(episode, 5, on=LAST_MEASURE, hour=23, minute=30)

        flag = clinic.evaluate(episode)[RULE]

    assert flag.evidence["last_measure"]["taken_on"] == LAST_MEASURE.isoformat()
    assert flag.evidence["days_since"] == 14


def test_a_measure_from_an_earlier_episode_does_not_make_a_new_episode_overdue(clinic):
    onset = dt.date(2025, 3, 3)
    with clinic.travel(after(6, onset)) as traveller:
        episode = clinic.episode(onset=onset)
        earlier = EpisodeFactory(
            patient=episode.patient,
            onset=dt.date(2024, 1, 8),
            status=EpisodeStatus.CLOSED,
            closed_on=dt.date(2024, 3, 1),
        )
        clinic.nrs(earlier, 3, on=dt.date(2024, 2, 20))

        assert RULE not in clinic.evaluate(episode)  # day 6 of the new episode

        traveller.move_to(clinic.at(after(7, onset)))
        flag = clinic.evaluate(episode)[RULE]

    assert flag.evidence["counted_from"] == "episode onset"


def test_its_evidence_names_the_last_measure_and_thresholds(clinic):
    with clinic.travel(after(14)):
        episode, measure = _subacute_with_pain_score(clinic)

        evidence = clinic.evaluate(episode)[RULE].evidence

    assert evidence["reason"] == "No outcome measure in 14 days."
    assert evidence["last_measure"] == {
        "assessment_id": measure.pk,
        "instrument": "nrs",
        "value": "5",
        "taken_on": LAST_MEASURE.isoformat(),
    }
    assert evidence["counted_from"] == "last outcome measure"
    assert (evidence["days_since"], evidence["interval_days"]) == (14, 14)
    assert evidence["thresholds"] == {
        "assessment_interval_days": "14",
        "assessment_interval_acute_days": "7",
    }


def test_an_admin_interval_changes_the_decision_and_the_evidence(clinic):
    with clinic.travel(after(14)) as traveller:
        episode, _ = _subacute_with_pain_score(clinic)
        clinic.setting("assessment_interval_days", 21)

        assert RULE not in clinic.evaluate(episode)

        traveller.move_to(clinic.at(after(21)))
        flag = clinic.evaluate(episode)[RULE]

    assert flag.evidence["interval_days"] == 21
    assert flag.evidence["thresholds"]["assessment_interval_days"] == "21"
