"""red_flag: a red-flag sign (cauda equina, cancer, infection, fracture) recorded on the episode
and not cleared needs urgent physician assessment.
"""

import datetime as dt

import pytest
from django.utils import timezone

from apps.conferences.models import AgendaItem, CaseConference
from apps.core.services import model_update
from apps.flags.engine import evaluate_patient
from apps.flags.models import FlagStatus

pytestmark = pytest.mark.django_db

RULE = "red_flag"
ONSET = dt.date(2025, 3, 3)
TODAY = ONSET + dt.timedelta(days=5)


def test_it_flags_a_red_flag_sign_as_urgent_for_the_physician(clinic):
    with clinic.travel(TODAY):
        episode = clinic.episode(onset=ONSET)
        clinic.red_flag(episode, "night_pain", on=TODAY)

        flag = clinic.evaluate(episode)[RULE]

    assert flag.severity == "urgent"
    assert flag.summary == "Red flag: Night pain"
    task = clinic.task(flag)
    assert task.assignee == clinic.physician
    assert (task.discipline, task.priority, task.due_on) == ("physician", "urgent", TODAY)


@pytest.mark.parametrize("sign", ["bladder_bowel", "saddle_anaesthesia", "leg_deficit"])
def test_a_possible_cauda_equina_is_one_immediately_task_due_today(clinic, sign):
    # Fails before the Route.priority override: the task was "urgent", below nothing.
    with clinic.travel(TODAY):
        episode = clinic.episode(onset=ONSET)
        clinic.red_flag(episode, sign, on=TODAY)

        flag = clinic.evaluate(episode)[RULE]

    assert flag.evidence["reason"] == "Possible cauda equina: emergency physician assessment today."
    assert [(t.priority, t.get_priority_display(), t.due_on) for t in flag.tasks.all()] == [
        ("stat", "Immediately", TODAY)
    ]


def test_several_signs_make_one_flag_with_one_task(clinic):
    with clinic.travel(TODAY):
        episode = clinic.episode(onset=ONSET)
        for sign in ("cancer_history", "weight_loss", "night_pain"):
            clinic.red_flag(episode, sign, on=TODAY)

        flag = clinic.evaluate(episode)[RULE]
        clinic.evaluate(episode)

    assert flag.summary == "Red flag: History of cancer, Unexplained weight loss, Night pain"
    assert episode.patient.tasks.filter(status="open").count() == 1


def test_a_new_cauda_equina_sign_on_an_open_flag_keeps_its_task_immediately(clinic):
    with clinic.travel(TODAY) as traveller:
        episode = clinic.episode(onset=ONSET)
        clinic.red_flag(episode, "saddle_anaesthesia", on=TODAY)
        clinic.evaluate(episode)
        traveller.shift(dt.timedelta(days=1))
        clinic.red_flag(episode, "fever", on=TODAY + dt.timedelta(days=1))

        flag = clinic.evaluate(episode)[RULE]

    assert [t.priority for t in flag.tasks.all()] == ["stat"]


def test_evaluating_the_patient_after_the_screen_raises_it(clinic):
    with clinic.travel(TODAY):
        episode = clinic.episode(onset=ONSET)
        clinic.red_flag(episode, "saddle_anaesthesia", on=TODAY)

        summary = evaluate_patient(episode.patient_id, now=timezone.now())

    assert summary.raised[RULE] == 1
    assert clinic.open_flags(episode)[RULE].severity == "urgent"


def test_it_does_not_flag_a_cleared_sign(clinic):
    with clinic.travel(TODAY):
        episode = clinic.episode(onset=ONSET)
        finding = clinic.red_flag(episode, "fever", on=ONSET)
        model_update(actor=clinic.physician, instance=finding, data={"cleared_on": TODAY})

        assert RULE not in clinic.evaluate(episode)


def test_clearing_the_sign_resolves_the_flag(clinic):
    with clinic.travel(TODAY) as traveller:
        episode = clinic.episode(onset=ONSET)
        finding = clinic.red_flag(episode, "fever", on=TODAY)
        flag = clinic.evaluate(episode)[RULE]

        traveller.move_to(clinic.at(TODAY + dt.timedelta(days=1)))
        model_update(
            actor=clinic.physician, instance=finding, data={"cleared_on": TODAY + dt.timedelta(1)}
        )
        clinic.evaluate(episode)

    flag.refresh_from_db()
    assert (flag.status, flag.auto_resolved) == (FlagStatus.RESOLVED, True)


def test_without_a_physician_on_the_episode_it_waits_in_the_physician_queue(clinic):
    with clinic.travel(TODAY):
        episode = clinic.episode(onset=ONSET, roles=("physical_therapist",))
        clinic.red_flag(episode, "trauma", on=TODAY)

        task = clinic.task(clinic.evaluate(episode)[RULE])

    assert (task.assignee, task.discipline, task.priority) == (None, "physician", "urgent")


def test_an_urgent_red_flag_goes_on_the_next_case_conference(clinic):
    with clinic.travel(TODAY):
        conference = CaseConference.objects.create(
            team=clinic.team, scheduled_for=clinic.at(TODAY + dt.timedelta(days=2))
        )
        episode = clinic.episode(onset=ONSET)
        clinic.red_flag(episode, "night_pain", on=TODAY)

        flag = clinic.evaluate(episode)[RULE]

    item = AgendaItem.objects.get(conference=conference, patient=episode.patient)
    assert (item.reason, item.evidence["rule"]) == ("urgent_flag", RULE)
    assert item.evidence["flag_id"] == flag.pk


def test_its_evidence_lists_every_open_sign(clinic):
    with clinic.travel(TODAY):
        episode = clinic.episode(onset=ONSET)
        fever = clinic.red_flag(episode, "fever", on=ONSET + dt.timedelta(days=1))
        weight = clinic.red_flag(episode, "weight_loss", on=TODAY)

        flag = clinic.evaluate(episode)[RULE]

    assert flag.evidence["reason"] == "Red-flag sign recorded: urgent physician assessment."
    assert sorted(flag.evidence["signs"], key=lambda s: s["finding_id"]) == [
        {"finding_id": fever.pk, "sign": "Fever", "noted_on": "2025-03-04"},
        {"finding_id": weight.pk, "sign": "Unexplained weight loss", "noted_on": "2025-03-08"},
    ]
    assert flag.evidence["thresholds"] == {}
    assert flag.fingerprint == "findings:" + ",".join(sorted([str(fever.pk), str(weight.pk)]))


def test_its_task_reads_like_a_sentence_with_no_doubled_title_or_rule_code(clinic):
    with clinic.travel(TODAY):
        episode = clinic.episode(onset=ONSET)
        clinic.red_flag(episode, "bladder_bowel", on=TODAY)

        task = clinic.task(clinic.evaluate(episode)[RULE])

    assert task.title == "Red flag: Loss of bladder or bowel control"
    assert RULE not in task.reason
    assert task.reason == "Raised by the Red flag rule: Loss of bladder or bowel control"
