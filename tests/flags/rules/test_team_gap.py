"""team_gap: a chronic episode (day 85 on: more than 12 weeks) whose care team lacks a
physician, a physical therapist, a psychologist or psychiatrist, or a pain-management specialist.

DESIGN.md pathway step 2: chronic, disabling pain needs a multidisciplinary team.
"""

import datetime as dt

import pytest

from apps.patients.services import care_team_end

pytestmark = pytest.mark.django_db

RULE = "team_gap"
ONSET = dt.date(2024, 10, 7)


def day(n: int) -> dt.date:
    return ONSET + dt.timedelta(days=n)


NO_PAIN_SPECIALIST = ("physician", "physical_therapist", "psychologist")


def test_it_flags_a_chronic_episode_without_a_pain_specialist(clinic):
    with clinic.travel(day(85)):
        episode = clinic.episode(onset=ONSET, roles=NO_PAIN_SPECIALIST)

        flag = clinic.evaluate(episode)[RULE]

    assert flag.severity == "warning"
    assert flag.summary == "Care team lacks: pain-management specialist"
    task = clinic.task(flag)
    assert (task.assignee, task.discipline) == (None, "care_coordinator")
    assert (task.priority, task.due_on) == ("routine", day(87))


def test_it_does_not_flag_a_subacute_episode_on_day_84(clinic):
    with clinic.travel(day(84)) as traveller:
        episode = clinic.episode(onset=ONSET, roles=NO_PAIN_SPECIALIST)

        assert RULE not in clinic.evaluate(episode)

        traveller.move_to(clinic.at(day(85)))
        assert RULE in clinic.evaluate(episode)


def test_it_does_not_flag_a_complete_team(clinic):
    with clinic.travel(day(85)):
        episode = clinic.episode(
            onset=ONSET,
            roles=("physician", "physical_therapist", "psychiatrist", "pain_specialist"),
        )

        assert RULE not in clinic.evaluate(episode)


def test_adding_the_missing_discipline_resolves_the_flag(clinic):
    with clinic.travel(day(85)) as traveller:
        episode = clinic.episode(onset=ONSET, roles=NO_PAIN_SPECIALIST)
        flag = clinic.evaluate(episode)[RULE]

        traveller.move_to(clinic.at(day(86)))
        clinic.assign(episode, "pain_specialist", start=day(86))
        assert RULE not in clinic.evaluate(episode)

    flag.refresh_from_db()
    assert flag.status == "resolved"
    assert flag.resolution_evidence["reason"] == "Every required discipline is on the care team."


def test_a_role_that_has_ended_leaves_a_gap(clinic):
    with clinic.travel(day(90)):
        episode = clinic.episode(
            onset=ONSET,
            roles=("physician", "physical_therapist", "psychologist", "pain_specialist"),
        )
        pt = episode.care_team.get(role="physical_therapist")
        care_team_end(actor=clinic.coordinator, member=pt, end=day(88))

        flag = clinic.evaluate(episode)[RULE]

    assert flag.evidence["missing"] == ["physical therapist"]


def test_its_evidence_names_what_is_missing_and_present(clinic):
    with clinic.travel(day(85)):
        episode = clinic.episode(onset=ONSET, roles=("physician", "care_coordinator"))

        flag = clinic.evaluate(episode)[RULE]

    assert flag.evidence["reason"] == "Chronic pain needs a multidisciplinary team."
    assert flag.evidence["missing"] == [
        "physical therapist",
        "psychologist or psychiatrist",
        "pain-management specialist",
    ]
    assert flag.evidence["roles"] == ["care_coordinator", "physician"]
    assert (flag.evidence["episode_day"], flag.evidence["phase"]) == (85, "chronic")
    assert flag.evidence["thresholds"] == {}  # no setting: the phases are fixed by guideline
    assert flag.fingerprint == (
        "missing:physical therapist,psychologist or psychiatrist,pain-management specialist"
    )
