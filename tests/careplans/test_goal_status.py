"""Goal status derived from the measures: met / on track / off track / overdue."""

import datetime as dt
from fractions import Fraction

from apps.careplans.progress import goal_status

START = dt.date(2026, 1, 1)
DUE = START + dt.timedelta(days=40)


def _status(latest, *, today, baseline=8, target=3, measure="nrs"):
    return goal_status(
        measure=measure,
        baseline=None if baseline is None else Fraction(baseline),
        target=None if target is None else Fraction(target),
        latest=None if latest is None else Fraction(latest),
        started_on=START,
        due_on=DUE,
        today=today,
    ).code


def test_it_is_met_when_the_latest_measure_reaches_the_target_even_after_the_due_date():
    assert _status(3, today=DUE + dt.timedelta(days=5)) == "met"


def test_it_is_overdue_when_the_due_date_passed_and_the_target_is_not_met():
    assert _status(4, today=DUE + dt.timedelta(days=1)) == "overdue"


def test_it_is_on_track_when_progress_keeps_up_with_the_linear_expectation():
    # halfway through the plan, 3 of 5 points gained
    assert _status(5, today=START + dt.timedelta(days=20)) == "on_track"


def test_it_is_off_track_when_progress_lags_the_linear_expectation():
    # three quarters through the plan, 1 of 5 points gained
    assert _status(7, today=START + dt.timedelta(days=30)) == "off_track"


def test_higher_is_better_for_sleep_quality():
    assert (
        _status(8, today=START + dt.timedelta(days=10), baseline=3, target=7, measure="sleep")
        == "met"
    )


def test_it_is_not_measured_without_a_measure():
    assert _status(None, today=START + dt.timedelta(days=10)) == "not_measured"


def test_a_return_to_work_goal_is_met_when_the_patient_works_and_overdue_when_not():
    from types import SimpleNamespace

    from apps.careplans.progress import status_of_goal

    goal = SimpleNamespace(measure="work_status", baseline=None, target=None, due_on=DUE)
    late = DUE + dt.timedelta(days=1)
    kwargs = {"latest": None, "started_on": START, "today": late}
    assert status_of_goal(goal, working=True, **kwargs).code == "met"
    assert status_of_goal(goal, working=False, **kwargs).code == "overdue"
