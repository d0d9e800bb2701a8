"""followup_overdue: an active exercise programme with no PT visit for 21 days and none booked,
or a missed visit (no-show) not rebooked within 7 days.

DESIGN.md: exercise programmes are individualised by a spine-oriented PT, with follow-up visits
to fine-tune them.
"""

import datetime as dt

import pytest

pytestmark = pytest.mark.django_db

RULE = "followup_overdue"
ONSET = dt.date(2025, 1, 6)
PROGRAMME_START = ONSET + dt.timedelta(days=30)
LAST_VISIT = PROGRAMME_START + dt.timedelta(days=2)


def after(n: int, start: dt.date = LAST_VISIT) -> dt.date:
    return start + dt.timedelta(days=n)


def _exercising(clinic, *, visit: bool = True, roles=("physician", "physical_therapist")):
    """An active home exercise programme from PROGRAMME_START, and (by default) one PT visit
    attended on LAST_VISIT."""
    episode = clinic.episode(onset=ONSET, roles=roles)
    plan = clinic.plan(episode, start=PROGRAMME_START)
    clinic.intervention(plan, "exercise_programme", start=PROGRAMME_START)
    last = clinic.visit(episode, on=LAST_VISIT) if visit else None
    return episode, last


def test_it_flags_a_programme_without_a_pt_visit_for_21_days(clinic):
    with clinic.travel(after(21)):
        episode, _ = _exercising(clinic)

        flag = clinic.evaluate(episode)[RULE]

    assert flag.severity == "warning"
    assert flag.summary == "Exercise programme with no PT visit in 21 days and none booked."
    task = clinic.task(flag)
    assert task.assignee == clinic.staff["physical_therapist"]
    assert (task.discipline, task.priority, task.due_on) == (
        "physical_therapist",
        "routine",
        after(23),
    )


def test_it_does_not_flag_20_days_after_the_last_pt_visit(clinic):
    with clinic.travel(after(20)) as traveller:
        episode, _ = _exercising(clinic)

        assert RULE not in clinic.evaluate(episode)

        traveller.move_to(clinic.at(after(21)))
        assert RULE in clinic.evaluate(episode)


def test_it_does_not_flag_when_a_pt_visit_is_booked(clinic):
    with clinic.travel(after(21)):
        episode, _ = _exercising(clinic)
        clinic.visit(episode, on=after(25), status="booked")

        assert RULE not in clinic.evaluate(episode)


def test_without_a_visit_it_counts_from_the_programmes_start(clinic):
    with clinic.travel(after(20, PROGRAMME_START)) as traveller:
        episode, _ = _exercising(clinic, visit=False)
        assert RULE not in clinic.evaluate(episode)

        traveller.move_to(clinic.at(after(21, PROGRAMME_START)))
        flag = clinic.evaluate(episode)[RULE]

    problem = flag.evidence["problems"][0]
    assert problem["last_pt_visit"] is None
    assert problem["counted_from"] == PROGRAMME_START.isoformat()


def test_it_goes_to_the_pt_queue_when_the_episode_has_no_pt(clinic):
    with clinic.travel(after(21)):
        episode, _ = _exercising(clinic, roles=("physician",))

        task = clinic.task(clinic.evaluate(episode)[RULE])

    assert (task.assignee, task.discipline) == (None, "physical_therapist")


def test_it_flags_a_no_show_not_rebooked_within_7_days(clinic):
    missed_on = ONSET + dt.timedelta(days=20)
    with clinic.travel(after(6, missed_on)) as traveller:
        episode = clinic.episode(onset=ONSET)
        missed = clinic.visit(
            episode, on=missed_on, status="noshow", kind="physician_visit", discipline="physician"
        )
        assert RULE not in clinic.evaluate(episode)  # 6 days

        traveller.move_to(clinic.at(after(7, missed_on)))
        flag = clinic.evaluate(episode)[RULE]

    assert flag.summary == "Missed visit not rebooked within 7 days."
    assert flag.evidence["problems"] == [
        {
            "problem": "Missed visit not rebooked within 7 days.",
            "missed_visit": {
                "appointment_id": str(missed.pk),
                "kind": "physician_visit",
                "status": "noshow",
                "on": missed_on.isoformat(),
            },
            "days_since": 7,
        }
    ]
    task = clinic.task(flag)
    assert (task.assignee, task.discipline) == (None, "care_coordinator")


def test_it_does_not_flag_a_no_show_that_was_rebooked(clinic):
    missed_on = ONSET + dt.timedelta(days=20)
    with clinic.travel(after(10, missed_on)):
        episode = clinic.episode(onset=ONSET)
        clinic.visit(
            episode, on=missed_on, status="noshow", kind="physician_visit", discipline="physician"
        )
        clinic.visit(
            episode,
            on=after(14, missed_on),
            status="booked",
            kind="physician_visit",
            discipline="physician",
        )

        assert RULE not in clinic.evaluate(episode)


def test_a_visit_with_another_discipline_is_not_a_rebooking(clinic):
    missed_on = ONSET + dt.timedelta(days=20)
    with clinic.travel(after(10, missed_on)):
        episode = clinic.episode(onset=ONSET)
        clinic.visit(
            episode, on=missed_on, status="noshow", kind="physician_visit", discipline="physician"
        )
        clinic.visit(episode, on=after(14, missed_on), status="booked")  # a PT visit

        assert RULE in clinic.evaluate(episode)


def test_its_evidence_names_the_last_visit_dates_and_thresholds(clinic):
    with clinic.travel(after(21)):
        episode, last = _exercising(clinic)

        evidence = clinic.evaluate(episode)[RULE].evidence

    assert evidence["thresholds"] == {"pt_visit_gap_days": "21", "noshow_rebook_days": "7"}
    assert evidence["problems"] == [
        {
            "problem": "Exercise programme with no PT visit in 21 days and none booked.",
            "last_pt_visit": {
                "appointment_id": str(last.pk),
                "kind": "pt_visit",
                "status": "fulfilled",
                "on": LAST_VISIT.isoformat(),
            },
            "counted_from": LAST_VISIT.isoformat(),
            "days_since": 21,
        }
    ]


def test_an_admin_gap_changes_the_decision_and_the_evidence(clinic):
    clinic.setting("pt_visit_gap_days", 28)
    with clinic.travel(after(21)) as traveller:
        episode, _ = _exercising(clinic)
        assert RULE not in clinic.evaluate(episode)

        traveller.move_to(clinic.at(after(28)))
        flag = clinic.evaluate(episode)[RULE]

    assert flag.evidence["thresholds"]["pt_visit_gap_days"] == "28"
    assert flag.summary == "Exercise programme with no PT visit in 28 days and none booked."


def test_an_admin_rebooking_window_changes_the_decision(clinic):
    clinic.setting("noshow_rebook_days", 3)
    missed_on = ONSET + dt.timedelta(days=20)
    with clinic.travel(after(3, missed_on)):
        episode = clinic.episode(onset=ONSET)
        clinic.visit(episode, on=missed_on, status="noshow")

        flag = clinic.evaluate(episode)[RULE]

    assert flag.evidence["thresholds"]["noshow_rebook_days"] == "3"
