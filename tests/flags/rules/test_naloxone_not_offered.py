"""naloxone_not_offered: overdose risk is raised (total >= 50 MME/day, or an opioid with a
benzodiazepine) and naloxone has not been offered (CDC 2022).
"""

import datetime as dt

import pytest

from apps.flags.models import FlagStatus
from apps.medications.services import medication_review
from tests.factories import ClinicianFactory, TeamMembershipFactory

pytestmark = pytest.mark.django_db

RULE = "naloxone_not_offered"
ONSET = dt.date(2025, 1, 6)
START = ONSET + dt.timedelta(days=10)
TODAY = START + dt.timedelta(days=3)


def _on_morphine(clinic, mg, **fields):
    episode = clinic.episode(onset=ONSET)
    order = clinic.opioid(episode, daily_dose=mg, start=START, **fields)
    return episode, order


def test_it_flags_50_mme_without_naloxone(clinic):
    with clinic.travel(TODAY):
        episode, _ = _on_morphine(clinic, 50)

        flag = clinic.evaluate(episode)[RULE]

    assert flag.severity == "warning"
    assert flag.summary == "Offer naloxone: total 50 MME/day ≥ 50"
    task = clinic.task(flag)
    assert task.assignee == clinic.physician
    assert (task.discipline, task.priority) == ("physician", "routine")


def test_it_does_not_flag_49_mme(clinic):
    with clinic.travel(TODAY):
        episode, _ = _on_morphine(clinic, 49)

        assert RULE not in clinic.evaluate(episode)


def test_it_does_not_flag_when_naloxone_was_offered(clinic):
    with clinic.travel(TODAY):
        episode, order = _on_morphine(clinic, 60)
        medication_review(actor=clinic.physician, order=order, naloxone_offered=True)

        assert RULE not in clinic.evaluate(episode)


def test_offering_naloxone_resolves_the_flag(clinic):
    with clinic.travel(TODAY) as traveller:
        episode, order = _on_morphine(clinic, 60)
        flag = clinic.evaluate(episode)[RULE]

        traveller.move_to(clinic.at(TODAY + dt.timedelta(days=1)))
        medication_review(actor=clinic.physician, order=order, naloxone_offered=True)
        clinic.evaluate(episode)

    flag.refresh_from_db()
    assert (flag.status, flag.auto_resolved) == (FlagStatus.RESOLVED, True)
    assert flag.resolution_evidence["naloxone_offered_on"] == "2025-01-20"
    assert clinic.task(flag).status == "completed"


def test_it_flags_a_low_dose_opioid_with_a_benzodiazepine(clinic):
    with clinic.travel(TODAY):
        episode, _ = _on_morphine(clinic, 10)
        clinic.medication(
            episode, drug="lorazepam", drug_class="benzodiazepine", daily_dose=2, start=START
        )

        flag = clinic.evaluate(episode)[RULE]

    assert flag.summary == "Offer naloxone: opioid with a benzodiazepine (lorazepam)"
    assert flag.evidence["benzodiazepines"] == ["lorazepam"]


def test_a_benzodiazepine_alone_is_not_flagged(clinic):
    with clinic.travel(TODAY):
        episode = clinic.episode(onset=ONSET)
        clinic.medication(
            episode, drug="lorazepam", drug_class="benzodiazepine", daily_dose=2, start=START
        )

        assert RULE not in clinic.evaluate(episode)


def test_a_prescriber_outside_the_team_leaves_it_in_the_physician_queue(clinic, team):
    # Orders name a member of the patient's team; this prescriber has since left the team.
    prescriber = ClinicianFactory(username="left_the_team", discipline="physician")
    membership = TeamMembershipFactory(team=team, clinician=prescriber)
    with clinic.travel(TODAY):
        episode, _ = _on_morphine(clinic, 60, prescriber=prescriber)
        membership.delete()

        task = clinic.task(clinic.evaluate(episode)[RULE])

    assert (task.assignee, task.discipline) == (None, "physician")


def test_its_evidence_names_the_dose_and_threshold(clinic):
    with clinic.travel(TODAY):
        episode, order = _on_morphine(clinic, 50)

        evidence = clinic.evaluate(episode)[RULE].evidence

    assert evidence["reason"] == "Raised overdose risk: total 50 MME/day ≥ 50"
    assert evidence["total_daily_mme"] == "50"
    assert evidence["opioids"] == [
        {"medication_id": order.pk, "drug": "morphine", "daily_mme": "50"}
    ]
    assert evidence["benzodiazepines"] == []
    assert evidence["naloxone_offered_on"] is None
    assert evidence["thresholds"] == {"naloxone_mme": "50"}


def test_an_admin_threshold_changes_the_decision_and_the_evidence(clinic):
    with clinic.travel(TODAY):
        episode, _ = _on_morphine(clinic, 45)
        assert RULE not in clinic.evaluate(episode)

        clinic.setting("naloxone_mme", 40)
        flag = clinic.evaluate(episode)[RULE]

    assert flag.evidence["thresholds"] == {"naloxone_mme": "40"}
    assert flag.summary == "Offer naloxone: total 45 MME/day ≥ 40"
