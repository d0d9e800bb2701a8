"""passive_only_care: only passive modalities (heat, ice, massage, ultrasound) for 14 days and
no active exercise programme or PT visits.

DESIGN.md pathway step 4: active, exercise-oriented physical therapy is the cornerstone;
passive modalities give temporary relief but rarely long-term benefit.
"""

import datetime as dt

import pytest

from apps.core.text import format_date

pytestmark = pytest.mark.django_db

RULE = "passive_only_care"
ONSET = dt.date(2025, 1, 6)
START = ONSET + dt.timedelta(days=30)


def after(n: int) -> dt.date:
    return START + dt.timedelta(days=n)


def _passive_only(clinic, kind="passive_modality"):
    episode = clinic.episode(onset=ONSET, roles=("physician", "physical_therapist"))
    plan = clinic.plan(episode, start=START)
    clinic.intervention(plan, kind, start=START)
    return episode, plan


def test_it_flags_14_days_of_passive_care_only(clinic):
    with clinic.travel(after(14)):
        episode, _ = _passive_only(clinic)

        flag = clinic.evaluate(episode)[RULE]

    assert flag.severity == "warning"
    assert (
        flag.summary
        == f"Only passive care since {format_date(START)}, no active exercise programme"
    )
    task = clinic.task(flag)
    assert (task.assignee, task.discipline) == (None, "physical_therapist")
    assert (task.priority, task.due_on) == ("routine", after(16))


def test_it_does_not_flag_13_days_of_passive_care(clinic):
    with clinic.travel(after(13)) as traveller:
        episode, _ = _passive_only(clinic)

        assert RULE not in clinic.evaluate(episode)

        traveller.move_to(clinic.at(after(14)))
        assert RULE in clinic.evaluate(episode)


def test_cold_and_heat_are_passive_too(clinic):
    with clinic.travel(after(14)):
        episode, _ = _passive_only(clinic, kind="cold_heat")

        assert RULE in clinic.evaluate(episode)


@pytest.mark.parametrize("active_kind", ["exercise_programme", "pt_visits"])
def test_it_does_not_flag_passive_care_alongside_active_care(clinic, active_kind):
    with clinic.travel(after(14)):
        episode, plan = _passive_only(clinic)
        clinic.intervention(plan, active_kind, start=after(10))

        assert RULE not in clinic.evaluate(episode)


def test_a_finished_exercise_programme_is_not_active_care(clinic):
    with clinic.travel(after(20)):
        episode, plan = _passive_only(clinic)
        clinic.intervention(plan, "exercise_programme", start=START, end=after(10))

        assert RULE in clinic.evaluate(episode)


def test_a_passive_modality_that_ended_is_not_flagged(clinic):
    with clinic.travel(after(20)):
        episode = clinic.episode(onset=ONSET)
        plan = clinic.plan(episode, start=START)
        clinic.intervention(plan, "passive_modality", start=START, end=after(15))

        assert RULE not in clinic.evaluate(episode)


def test_its_evidence_names_the_passive_items_and_threshold(clinic):
    with clinic.travel(after(14)):
        episode, _ = _passive_only(clinic)

        evidence = clinic.evaluate(episode)[RULE].evidence

    assert evidence["reason"] == "Only passive modalities for 14+ days."
    assert evidence["passive"] == [{"kind": "passive_modality", "since": START.isoformat()}]
    assert evidence["active_exercise"] == []
    assert evidence["thresholds"] == {"passive_only_days": "14"}


def test_an_admin_threshold_changes_the_decision_and_the_evidence(clinic):
    clinic.setting("passive_only_days", 21)
    with clinic.travel(after(14)) as traveller:
        episode, _ = _passive_only(clinic)
        assert RULE not in clinic.evaluate(episode)

        traveller.move_to(clinic.at(after(21)))
        flag = clinic.evaluate(episode)[RULE]

    assert flag.evidence["thresholds"] == {"passive_only_days": "21"}
