"""work_absence: off work for 28 days without a return-to-work intervention, counted from the
patient's work-status date (or the episode's onset when none was recorded).

DESIGN.md pathway step 5: returning to work in any capacity is strongly recommended.
"""

import datetime as dt

import pytest

pytestmark = pytest.mark.django_db

RULE = "work_absence"
ONSET = dt.date(2025, 1, 6)
OFF_SINCE = ONSET + dt.timedelta(days=3)


def after(n: int, start: dt.date = OFF_SINCE) -> dt.date:
    return start + dt.timedelta(days=n)


def _off_work(clinic):
    """Off work since OFF_SINCE, recorded with a work-status assessment that day."""
    episode = clinic.episode(onset=ONSET)
    clinic.work_status(episode, "off_work", on=OFF_SINCE)
    return episode


def test_it_flags_28_days_off_work_without_a_return_to_work_plan(clinic):
    with clinic.travel(after(28)):
        episode = _off_work(clinic)

        flag = clinic.evaluate(episode)[RULE]

    assert flag.severity == "warning"
    assert flag.summary == "Off work for 28 days with no return-to-work plan"
    task = clinic.task(flag)
    assert (task.assignee, task.discipline) == (None, "care_coordinator")
    assert (task.priority, task.due_on) == ("routine", after(30))


def test_it_does_not_flag_27_days_off_work(clinic):
    with clinic.travel(after(27)) as traveller:
        episode = _off_work(clinic)

        assert RULE not in clinic.evaluate(episode)

        traveller.move_to(clinic.at(after(28)))
        assert RULE in clinic.evaluate(episode)


@pytest.mark.parametrize("status", ["planned", "active"])
def test_it_does_not_flag_when_a_return_to_work_plan_exists(clinic, status):
    with clinic.travel(after(28)):
        episode = _off_work(clinic)
        plan = clinic.plan(episode, start=after(10))
        clinic.intervention(plan, "return_to_work", start=after(10), status=status)

        assert RULE not in clinic.evaluate(episode)


def test_the_pathway_templates_include_a_return_to_work_plan(clinic):
    with clinic.travel(after(28)):
        episode = _off_work(clinic)
        clinic.plan(episode, start=after(10), template="acute-conservative-care")

        assert RULE not in clinic.evaluate(episode)


def test_it_does_not_flag_a_patient_back_at_work(clinic):
    with clinic.travel(after(40)):
        episode = _off_work(clinic)
        clinic.work_status(episode, "modified_duty", on=after(30))

        assert RULE not in clinic.evaluate(episode)


def test_without_a_work_status_date_it_counts_from_onset(clinic):
    with clinic.travel(after(27, ONSET)) as traveller:
        episode = clinic.episode(onset=ONSET, work_status="off_work", work_status_since=None)
        assert RULE not in clinic.evaluate(episode)

        traveller.move_to(clinic.at(after(28, ONSET)))
        flag = clinic.evaluate(episode)[RULE]

    assert flag.evidence["off_work_since"] == ONSET.isoformat()


def test_its_evidence_names_the_dates_and_threshold(clinic):
    with clinic.travel(after(28)):
        episode = _off_work(clinic)

        evidence = clinic.evaluate(episode)[RULE].evidence

    assert evidence["reason"] == "Off work 28+ days without a return-to-work plan."
    assert evidence["work_status"] == "off_work"
    assert evidence["off_work_since"] == OFF_SINCE.isoformat()
    assert evidence["days_off"] == 28
    assert evidence["thresholds"] == {"work_absence_days": "28"}


def test_an_admin_threshold_changes_the_decision_and_the_evidence(clinic):
    clinic.setting("work_absence_days", 42)
    with clinic.travel(after(41)) as traveller:
        episode = _off_work(clinic)
        assert RULE not in clinic.evaluate(episode)

        traveller.move_to(clinic.at(after(42)))
        flag = clinic.evaluate(episode)[RULE]

    assert flag.evidence["thresholds"] == {"work_absence_days": "42"}
