"""opioid_review_due: an active opioid with no review within 28 days of starting or of a dose
increase, or 90 days since its last review (CDC 2022: re-evaluate within 1-4 weeks of starting
or escalating, then at least every 3 months). Fires on the day the review falls due.
"""

import datetime as dt

import pytest

from apps.medications.services import medication_order_update, medication_review, medication_stop
from tests.factories import ClinicianFactory, TeamMembershipFactory

pytestmark = pytest.mark.django_db

RULE = "opioid_review_due"
ONSET = dt.date(2025, 1, 6)
START = ONSET + dt.timedelta(days=10)


def after(n: int, start: dt.date = START) -> dt.date:
    return start + dt.timedelta(days=n)


def _on_morphine(clinic, **fields):
    episode = clinic.episode(onset=ONSET)
    order = clinic.opioid(episode, daily_dose=30, start=START, **fields)
    return episode, order


def test_it_flags_an_opioid_not_reviewed_28_days_after_starting(clinic):
    with clinic.travel(after(28)):
        episode, _ = _on_morphine(clinic)

        flag = clinic.evaluate(episode)[RULE]

    assert flag.severity == "warning"
    assert flag.summary == "Opioid review due: morphine"
    task = clinic.task(flag)
    assert task.assignee == clinic.physician  # the prescriber, a member of the team
    assert (task.discipline, task.priority, task.due_on) == ("physician", "routine", after(30))


def test_it_does_not_flag_27_days_after_starting(clinic):
    with clinic.travel(after(27)) as traveller:
        episode, _ = _on_morphine(clinic)

        assert RULE not in clinic.evaluate(episode)

        traveller.move_to(clinic.at(after(28)))
        assert RULE in clinic.evaluate(episode)


def test_it_does_not_flag_an_opioid_reviewed_within_28_days(clinic):
    with clinic.travel(after(28)):
        episode, order = _on_morphine(clinic)
        medication_review(actor=clinic.physician, order=order, reviewed_on=after(27))

        assert RULE not in clinic.evaluate(episode)


def test_a_dose_increase_restarts_the_28_day_clock(clinic):
    increased_on = after(40)
    with clinic.travel(after(14)) as traveller:
        episode, order = _on_morphine(clinic)
        medication_review(actor=clinic.physician, order=order)  # day 14: reviewed

        traveller.move_to(clinic.at(increased_on))
        medication_order_update(actor=clinic.physician, order=order, daily_dose=45)
        assert order.dose_changed_on == increased_on

        traveller.move_to(clinic.at(after(27, increased_on)))
        assert RULE not in clinic.evaluate(episode)

        traveller.move_to(clinic.at(after(28, increased_on)))
        flag = clinic.evaluate(episode)[RULE]

    [item] = flag.evidence["opioids"]
    assert item["started_or_increased_on"] == increased_on.isoformat()
    assert item["last_reviewed_on"] == after(14).isoformat()
    assert item["why"] == "No review within 28 days of starting or increasing the dose."
    assert item["days_since"] == 28


def test_it_flags_90_days_after_the_last_review_and_not_89(clinic):
    reviewed_on = after(20)
    with clinic.travel(reviewed_on) as traveller:
        episode, order = _on_morphine(clinic)
        medication_review(actor=clinic.physician, order=order)

        traveller.move_to(clinic.at(after(89, reviewed_on)))
        assert RULE not in clinic.evaluate(episode)

        traveller.move_to(clinic.at(after(90, reviewed_on)))
        flag = clinic.evaluate(episode)[RULE]

    [item] = flag.evidence["opioids"]
    assert item["why"] == "Last review more than 90 days ago."
    assert (item["last_reviewed_on"], item["days_since"]) == (reviewed_on.isoformat(), 90)


def test_it_does_not_flag_a_stopped_opioid(clinic):
    with clinic.travel(after(28)):
        episode, order = _on_morphine(clinic)
        medication_stop(actor=clinic.physician, order=order, stop_date=after(27))

        assert RULE not in clinic.evaluate(episode)


def test_it_does_not_flag_a_non_opioid(clinic):
    with clinic.travel(after(60)):
        episode = clinic.episode(onset=ONSET)
        clinic.medication(
            episode, drug="celecoxib", drug_class="cox2_inhibitor", daily_dose=200, start=START
        )

        assert RULE not in clinic.evaluate(episode)


def test_a_prescriber_outside_the_team_leaves_it_in_the_physician_queue(clinic, team):
    # Orders name a member of the patient's team; this prescriber has since left the team.
    prescriber = ClinicianFactory(username="left_the_team", discipline="physician")
    membership = TeamMembershipFactory(team=team, clinician=prescriber)
    with clinic.travel(after(28)):
        episode, _ = _on_morphine(clinic, prescriber=prescriber)
        membership.delete()

        task = clinic.task(clinic.evaluate(episode)[RULE])

    assert (task.assignee, task.discipline) == (None, "physician")


def test_its_evidence_names_the_order_dates_and_thresholds(clinic):
    with clinic.travel(after(28)):
        episode, order = _on_morphine(clinic)

        evidence = clinic.evaluate(episode)[RULE].evidence

    assert evidence["thresholds"] == {
        "opioid_first_review_days": "28",
        "opioid_review_interval_days": "90",
    }
    assert evidence["opioids"] == [
        {
            "medication_id": order.pk,
            "drug": "morphine",
            "started_or_increased_on": START.isoformat(),
            "last_reviewed_on": None,
            "why": "No review within 28 days of starting or increasing the dose.",
            "days_since": 28,
        }
    ]


def test_an_admin_first_review_of_14_days_changes_the_decision_and_the_evidence(clinic):
    with clinic.travel(after(14)):
        episode, _ = _on_morphine(clinic)
        assert RULE not in clinic.evaluate(episode)

        clinic.setting("opioid_first_review_days", 14)
        flag = clinic.evaluate(episode)[RULE]

    assert flag.evidence["thresholds"]["opioid_first_review_days"] == "14"
    assert flag.evidence["opioids"][0]["why"] == (
        "No review within 14 days of starting or increasing the dose."
    )
