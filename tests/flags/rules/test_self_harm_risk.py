"""self_harm_risk: the latest PHQ-9 answers item 9 (thoughts of self-harm) with 1 or more
(urgent, whatever the total), or leaves it unanswered (warning: never imputed). Routed to the
episode's psychologist or psychiatrist.
"""

import datetime as dt

import pytest

from apps.core.text import format_date

pytestmark = pytest.mark.django_db

RULE = "self_harm_risk"
ONSET = dt.date(2025, 1, 6)
TODAY = ONSET + dt.timedelta(days=40)
TAKEN = TODAY - dt.timedelta(days=1)

ITEM9_ONE_TOTAL_MINIMAL = [0, 0, 0, 0, 0, 0, 0, 0, 1]  # total 1, band minimal
ITEM9_MISSING = [2, 2, 2, 2, 1, 1, 1, 1, None]  # total 13.5 prorated, item 9 unknown
ITEM9_ZERO = [3, 3, 2, 2, 2, 1, 1, 0, 0]


def test_item_9_answered_1_is_urgent_whatever_the_total(clinic):
    with clinic.travel(TODAY):
        episode = clinic.episode(onset=ONSET, roles=("physician", "psychologist"))
        phq9 = clinic.phq9(episode, ITEM9_ONE_TOTAL_MINIMAL, on=TAKEN)

        flag = clinic.evaluate(episode)[RULE]

    assert flag.severity == "urgent"
    assert flag.fingerprint == f"phq9:{phq9.pk}:yes"
    assert flag.summary == f"PHQ-9 on {format_date(TAKEN)}: thoughts of self-harm reported (item 9)"
    task = clinic.task(flag)
    assert task.assignee == clinic.staff["psychologist"]
    assert (task.priority, task.due_on) == ("urgent", TODAY)


def test_a_missing_item_9_is_a_warning(clinic):
    with clinic.travel(TODAY):
        episode = clinic.episode(onset=ONSET, roles=("physician", "psychologist"))
        clinic.phq9(episode, ITEM9_MISSING, on=TAKEN)

        flag = clinic.evaluate(episode)[RULE]

    assert flag.severity == "warning"
    assert flag.summary == f"PHQ-9 on {format_date(TAKEN)} has no answer to item 9 — complete it"
    task = clinic.task(flag)
    assert task.assignee == clinic.staff["psychologist"]
    assert task.priority == "routine"


def test_item_9_answered_0_is_not_flagged_even_with_a_high_total(clinic):
    with clinic.travel(TODAY):
        episode = clinic.episode(onset=ONSET, roles=("physician", "psychologist"))
        clinic.phq9(episode, ITEM9_ZERO, on=TAKEN)  # total 14, moderate

        assert RULE not in clinic.evaluate(episode)


def test_it_reads_the_latest_phq9(clinic):
    with clinic.travel(TODAY):
        episode = clinic.episode(onset=ONSET, roles=("physician", "psychologist"))
        clinic.phq9(episode, ITEM9_ZERO, on=TAKEN - dt.timedelta(days=14))
        latest = clinic.phq9(episode, [0, 0, 0, 0, 0, 0, 0, 0, 2], on=TAKEN)

        flag = clinic.evaluate(episode)[RULE]

    assert flag.evidence["phq9"]["assessment_id"] == latest.pk


def test_it_goes_to_the_episodes_psychiatrist_when_there_is_no_psychologist(clinic):
    with clinic.travel(TODAY):
        episode = clinic.episode(onset=ONSET, roles=("physician", "psychiatrist"))
        clinic.phq9(episode, ITEM9_ONE_TOTAL_MINIMAL, on=TAKEN)

        task = clinic.task(clinic.evaluate(episode)[RULE])

    assert task.assignee == clinic.staff["psychiatrist"]


def test_without_a_psychologist_or_psychiatrist_it_waits_in_the_psychology_queue(clinic):
    with clinic.travel(TODAY):
        episode = clinic.episode(onset=ONSET, roles=("physician",))
        clinic.phq9(episode, ITEM9_ONE_TOTAL_MINIMAL, on=TAKEN)

        task = clinic.task(clinic.evaluate(episode)[RULE])

    assert (task.assignee, task.discipline) == (None, "psychologist")


def test_its_evidence_names_the_phq9_and_item_9(clinic):
    with clinic.travel(TODAY):
        episode = clinic.episode(onset=ONSET, roles=("physician", "psychologist"))
        phq9 = clinic.phq9(episode, ITEM9_MISSING, on=TAKEN)

        evidence = clinic.evaluate(episode)[RULE].evidence

    assert evidence["reason"] == "PHQ-9 item 9 was not answered: complete item 9."
    assert evidence["item9"] == "unknown"
    assert evidence["phq9"] == {
        "assessment_id": phq9.pk,
        "instrument": "phq9",
        "value": "13.5",
        "taken_on": TAKEN.isoformat(),
    }
    assert evidence["thresholds"] == {}  # item 9 >= 1 is fixed by CLINICAL.md, not a setting
