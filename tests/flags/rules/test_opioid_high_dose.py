"""opioid_high_dose: the total daily morphine milligram equivalents (MME, CDC 2022 factors) of
the active opioids at or above 50 (warning) or 90 (urgent).
"""

import datetime as dt

import pytest

from apps.conferences.models import AgendaItem, CaseConference
from apps.medications.services import medication_order_update, medication_stop
from tests.factories import ClinicianFactory, TeamMembershipFactory

pytestmark = pytest.mark.django_db

RULE = "opioid_high_dose"
ONSET = dt.date(2025, 1, 6)
START = ONSET + dt.timedelta(days=10)
TODAY = START + dt.timedelta(days=3)


@pytest.mark.parametrize(
    ("morphine_mg", "severity"),
    [(49, None), (50, "warning"), (89, "warning"), (90, "urgent")],
    ids=["49-mme", "50-mme", "89-mme", "90-mme"],
)
def test_the_total_daily_mme_decides_the_severity(clinic, morphine_mg, severity):
    with clinic.travel(TODAY):
        episode = clinic.episode(onset=ONSET)
        clinic.opioid(episode, daily_dose=morphine_mg, start=START)

        flag = clinic.evaluate(episode).get(RULE)

    assert (flag.severity if flag else None) == severity


def test_it_flags_50_mme_for_the_prescriber(clinic):
    with clinic.travel(TODAY):
        episode = clinic.episode(onset=ONSET)
        clinic.opioid(episode, daily_dose=50, start=START)

        flag = clinic.evaluate(episode)[RULE]

    assert flag.summary == "Opioids total 50 MME/day (≥ 50)"
    task = clinic.task(flag)
    assert task.assignee == clinic.physician
    assert (task.discipline, task.priority, task.due_on) == (
        "physician",
        "routine",
        TODAY + dt.timedelta(days=2),
    )


def test_an_urgent_dose_is_due_today_and_goes_on_the_case_conference(clinic):
    with clinic.travel(TODAY):
        conference = CaseConference.objects.create(
            team=clinic.team, scheduled_for=clinic.at(TODAY + dt.timedelta(days=1))
        )
        episode = clinic.episode(onset=ONSET)
        clinic.opioid(episode, daily_dose=90, start=START)

        flag = clinic.evaluate(episode)[RULE]

    task = clinic.task(flag)
    assert (task.assignee, task.priority, task.due_on) == (clinic.physician, "urgent", TODAY)
    item = AgendaItem.objects.get(conference=conference, patient=episode.patient)
    assert (item.reason, item.evidence["flag_id"]) == ("urgent_flag", flag.pk)


def test_it_adds_up_every_active_opioid(clinic):
    with clinic.travel(TODAY):
        episode = clinic.episode(onset=ONSET)
        # CLINICAL.md: hydrocodone 5 mg x 4 + oxycodone 10 mg x 2 -> 20 + 30 = 50 MME/day.
        clinic.opioid(episode, drug="hydrocodone", daily_dose=20, start=START)
        clinic.opioid(episode, drug="oxycodone", daily_dose=20, start=START)

        flag = clinic.evaluate(episode)[RULE]

    assert flag.evidence["total_daily_mme"] == "50"


def test_it_does_not_count_a_stopped_opioid(clinic):
    with clinic.travel(TODAY):
        episode = clinic.episode(onset=ONSET)
        stopped = clinic.opioid(episode, daily_dose=60, start=START)
        medication_stop(
            actor=clinic.physician, order=stopped, stop_date=TODAY - dt.timedelta(days=1)
        )
        clinic.opioid(episode, drug="tramadol", daily_dose=200, start=START)  # 40 MME

        assert RULE not in clinic.evaluate(episode)


def test_a_dose_increase_turns_the_warning_urgent(clinic):
    with clinic.travel(TODAY) as traveller:
        episode = clinic.episode(onset=ONSET)
        order = clinic.opioid(episode, drug="oxycodone", daily_dose=40, start=START)  # 60 MME
        flag = clinic.evaluate(episode)[RULE]
        assert flag.severity == "warning"

        traveller.move_to(clinic.at(TODAY + dt.timedelta(days=1)))
        medication_order_update(actor=clinic.physician, order=order, daily_dose=60)  # 90 MME
        clinic.evaluate(episode)

    flag.refresh_from_db()
    assert flag.severity == "urgent"
    assert flag.evidence["total_daily_mme"] == "90"
    assert clinic.task(flag).priority == "urgent"


def test_a_prescriber_outside_the_team_leaves_it_in_the_physician_queue(clinic, team):
    # Orders name a member of the patient's team; this prescriber has since left the team.
    prescriber = ClinicianFactory(username="left_the_team", discipline="physician")
    membership = TeamMembershipFactory(team=team, clinician=prescriber)
    with clinic.travel(TODAY):
        episode = clinic.episode(onset=ONSET)
        clinic.opioid(episode, daily_dose=60, start=START, prescriber=prescriber)
        membership.delete()

        task = clinic.task(clinic.evaluate(episode)[RULE])

    assert (task.assignee, task.discipline) == (None, "physician")


def test_its_evidence_names_each_opioids_mme_and_the_thresholds(clinic):
    with clinic.travel(TODAY):
        episode = clinic.episode(onset=ONSET)
        patch = clinic.opioid(episode, drug="fentanyl_patch", daily_dose=25, start=START)
        morphine = clinic.opioid(episode, daily_dose=15, start=START)

        evidence = clinic.evaluate(episode)[RULE].evidence

    assert evidence["reason"] == "Total daily MME at or above 50."
    assert evidence["total_daily_mme"] == "75"
    assert sorted(evidence["opioids"], key=lambda o: o["drug"]) == [
        {"medication_id": patch.pk, "drug": "fentanyl_patch", "daily_mme": "60"},
        {"medication_id": morphine.pk, "drug": "morphine", "daily_mme": "15"},
    ]
    assert evidence["thresholds"] == {"mme_warning": "50", "mme_urgent": "90"}


def test_admin_thresholds_change_the_decision_and_the_evidence(clinic):
    with clinic.travel(TODAY):
        episode = clinic.episode(onset=ONSET)
        clinic.opioid(episode, daily_dose=45, start=START)
        assert RULE not in clinic.evaluate(episode)

        clinic.setting("mme_warning", 40)
        assert clinic.evaluate(episode)[RULE].severity == "warning"

        clinic.setting("mme_urgent", 45)
        flag = clinic.evaluate(episode)[RULE]

    assert flag.severity == "urgent"
    assert flag.evidence["thresholds"] == {"mme_warning": "40", "mme_urgent": "45"}
    assert flag.summary == "Opioids total 45 MME/day (≥ 45)"
