"""Recording an outcome measure (apps.assessments.services.assessment_record).

The raw answers are validated and scored by apps.clinical.scoring, the only place scores are
computed; what is stored is exactly what the scoring module says. Bad answers come back as a
ValidationError on "answers" with the scoring module's own message, and nothing is saved.
"""

import datetime as dt
from decimal import Decimal

import pytest
import time_machine
from django.core.exceptions import ValidationError
from django.utils import timezone

from apps.assessments.models import Assessment
from apps.assessments.services import assessment_record
from apps.audit.models import AuditEvent
from apps.clinical import scoring
from apps.core.dates import clinic_today
from tests.factories import EpisodeFactory, PatientFactory

pytestmark = pytest.mark.django_db

CLINIC_TZ = timezone.get_default_timezone


def _record(actor, patient, instrument, answers, **kwargs):
    assessment = assessment_record(
        actor=actor, patient=patient, instrument=instrument, answers=answers, **kwargs
    )
    assessment.refresh_from_db()  # what the database kept, not what we handed it
    return assessment


def _four_places(value):
    return None if value is None else Decimal(str(round(float(value), 4)))


# --- Scores are the scoring module's -----------------------------------------------------------

SCORED_CASES = [
    # (instrument, answers, expected score, subscore, band, self_harm, scoring module's result)
    pytest.param("nrs", {"value": 7}, "7", None, "", "", lambda: scoring.score_nrs(7), id="nrs-7"),
    pytest.param(
        "sleep",
        {"value": 3},
        "3",
        None,
        "",
        "",
        lambda: scoring.score_sleep_quality(3),
        id="sleep-3",
    ),
    pytest.param(
        "peg",
        {"pain": 7, "enjoyment": 6, "activity": 8},
        "7",
        None,
        "",
        "",
        lambda: scoring.score_peg(7, 6, 8),
        id="peg-7,6,8",
    ),
    pytest.param(
        "peg",
        {"pain": 5, "enjoyment": 4, "activity": 4},
        "4.3333",
        None,
        "",
        "",
        lambda: scoring.score_peg(5, 4, 4),
        id="peg-5,4,4",
    ),
    pytest.param(
        "odi",
        {"sections": [2, 1, 3, 2, 2, 1, 1, 0, 2, 2]},
        "32",
        None,
        "moderate",
        "",
        lambda: scoring.score_odi([2, 1, 3, 2, 2, 1, 1, 0, 2, 2]).percent,
        id="odi-all-sections",
    ),
    pytest.param(
        "odi",
        {"sections": [2, 1, 3, 2, 2, 1, 1, None, 2, 2]},
        "35.5556",
        None,
        "moderate",
        "",
        lambda: scoring.score_odi([2, 1, 3, 2, 2, 1, 1, None, 2, 2]).percent,
        id="odi-section-8-missing",
    ),
    pytest.param(
        "odi",
        {"sections": [5] * 10},
        "100",
        None,
        "bed-bound",
        "",
        lambda: scoring.score_odi([5] * 10).percent,
        id="odi-all-5",
    ),
    pytest.param(
        "start_back",
        {"agree": [False] * 4 + [True, True, True, False], "bothersomeness": "very_much"},
        "4",
        "4",
        "high",
        "",
        lambda: scoring.score_start_back([False] * 4 + [True] * 3 + [False], "very_much").total,
        id="start-back-high",
    ),
    pytest.param(
        "start_back",
        {"agree": [True] * 4 + [False] * 4, "bothersomeness": "slightly"},
        "4",
        "0",
        "medium",
        "",
        lambda: scoring.score_start_back([True] * 4 + [False] * 4, "slightly").total,
        id="start-back-medium",
    ),
    pytest.param(
        "start_back",
        {"agree": [False] * 8, "bothersomeness": "not_at_all"},
        "0",
        "0",
        "low",
        "",
        lambda: scoring.score_start_back([False] * 8, "not_at_all").total,
        id="start-back-low",
    ),
    pytest.param(
        "phq9",
        {"items": [3, 3, 2, 2, 2, 1, 1, 0, 1]},
        "15",
        None,
        "moderately-severe",
        "yes",
        lambda: scoring.score_phq9([3, 3, 2, 2, 2, 1, 1, 0, 1]).total,
        id="phq9-15-self-harm",
    ),
    pytest.param(
        "phq9",
        {"items": [0, 0, 0, 0, 0, 0, 0, 0, 2]},
        "2",
        None,
        "minimal",
        "yes",
        lambda: scoring.score_phq9([0] * 8 + [2]).total,
        id="phq9-low-total-still-self-harm",
    ),
    pytest.param(
        "phq9",
        {"items": [2, 2, 2, 2, 1, 1, 1, 1, None]},
        "13.5",
        None,
        "moderate",
        "unknown",
        lambda: scoring.score_phq9([2, 2, 2, 2, 1, 1, 1, 1, None]).total,
        id="phq9-item-9-missing",
    ),
    pytest.param(
        "gad7",
        {"items": [2, 2, 2, 1, 1, 1, 0]},
        "9",
        None,
        "mild",
        "",
        lambda: scoring.score_gad7([2, 2, 2, 1, 1, 1, 0]).total,
        id="gad7-9",
    ),
]


@pytest.mark.parametrize(
    ("instrument", "answers", "score", "subscore", "band", "self_harm", "module_result"),
    SCORED_CASES,
)
def test_the_stored_score_is_the_scoring_modules_result(
    clinician_on_team,
    patient,
    instrument,
    answers,
    score,
    subscore,
    band,
    self_harm,
    module_result,
):
    assessment = _record(clinician_on_team, patient, instrument, answers)

    assert assessment.score == Decimal(score)
    assert assessment.score == _four_places(module_result())
    assert assessment.subscore == (None if subscore is None else Decimal(subscore))
    assert assessment.band == band
    assert assessment.self_harm == self_harm
    assert assessment.answers == answers


def test_the_odi_keeps_four_decimals_not_a_rounded_percent(clinician_on_team, patient):
    assessment = _record(
        clinician_on_team, patient, "odi", {"sections": [2, 1, 3, 2, 2, 1, 1, None, 2, 2]}
    )

    assert assessment.score == Decimal("35.5556")  # 16/45, not 35.5 or 36
    assert str(assessment.score.normalize()) == "35.5556"


def test_the_start_back_subscale_is_the_psychosocial_items(clinician_on_team, patient):
    # Items 5 and 6 agreed, item 9 "extremely": total 3 (low), subscale 3.
    assessment = _record(
        clinician_on_team,
        patient,
        "start_back",
        {"agree": [False] * 4 + [True, True, False, False], "bothersomeness": "extremely"},
    )

    assert (assessment.score, assessment.subscore, assessment.band) == (
        Decimal("3"),
        Decimal("3"),
        "low",
    )


# --- Incomplete instruments are refused (CLINICAL.md "Policies") ------------------------------


def _refused(actor, patient, instrument, answers):
    with pytest.raises(ValidationError) as caught:
        assessment_record(actor=actor, patient=patient, instrument=instrument, answers=answers)
    return caught.value


def test_an_odi_with_fewer_than_8_sections_answered_is_refused(clinician_on_team, patient):
    error = _refused(
        clinician_on_team, patient, "odi", {"sections": [1, 1, 1, 1, 1, 1, 1, None, None, None]}
    )

    assert error.message_dict["answers"] == [
        "The ODI needs at least 8 of its 10 sections answered; 7 answered "
        "(sections 8, 9, 10 unanswered)."
    ]
    assert error.missing == [8, 9, 10]
    assert not Assessment.objects.exists()


def test_an_odi_with_8_sections_answered_is_scored(clinician_on_team, patient):
    assessment = _record(
        clinician_on_team, patient, "odi", {"sections": [1, 1, 1, 1, 1, 1, 1, 1, None, None]}
    )

    assert assessment.score == Decimal("20")  # 8 of 40 points, exact


def test_a_blank_phq9_is_refused_and_raises_no_safety_flag_task_or_notice(
    clinician_on_team, patient
):
    """The defect: a PHQ-9 with no answers was saved, replaced the trend and raised a
    self-harm warning with a task and a notice."""
    from apps.flags.models import Flag
    from apps.messaging.models import Notification
    from apps.worklist.models import Task

    error = _refused(clinician_on_team, patient, "phq9", {"items": [None] * 9})

    assert "at least 7 of its 9 items answered; 0 answered" in error.message_dict["answers"][0]
    assert error.missing == list(range(1, 10))
    assert not Assessment.objects.exists()
    assert not Flag.objects.exists() and not Task.objects.exists()
    assert not Notification.objects.exists()


def test_a_phq9_with_three_missing_items_is_refused(clinician_on_team, patient):
    error = _refused(
        clinician_on_team, patient, "phq9", {"items": [1, None, None, None, 1, 1, 1, 1, 1]}
    )

    assert error.missing == [2, 3, 4]
    assert not Assessment.objects.exists()


def test_a_phq9_with_two_missing_items_is_prorated(clinician_on_team, patient):
    assessment = _record(
        clinician_on_team, patient, "phq9", {"items": [1, None, None, 1, 1, 1, 1, 1, 0]}
    )

    assert assessment.score == Decimal("7.7143")  # 6 x 9 / 7, kept to four places
    assert assessment.self_harm == "no"


# --- Bad answers -------------------------------------------------------------------------------


def _module_message(call):
    with pytest.raises(ValueError) as caught:
        call()
    return str(caught.value)


BAD_ANSWERS = [
    pytest.param("nrs", {"value": 11}, lambda: scoring.score_nrs(11), id="nrs-11"),
    pytest.param("nrs", {"value": 7.5}, lambda: scoring.score_nrs(7.5), id="nrs-fraction"),
    pytest.param("nrs", {"value": True}, lambda: scoring.score_nrs(True), id="nrs-bool"),
    pytest.param(
        "sleep", {"value": -1}, lambda: scoring.score_sleep_quality(-1), id="sleep-negative"
    ),
    pytest.param(
        "peg",
        {"pain": 7, "enjoyment": 11, "activity": 8},
        lambda: scoring.score_peg(7, 11, 8),
        id="peg-out-of-range",
    ),
    pytest.param(
        "odi",
        {"sections": [2, 1, 3, 2, 6, 1, 1, 0, 2, 2]},
        lambda: scoring.score_odi([2, 1, 3, 2, 6, 1, 1, 0, 2, 2]),
        id="odi-section-6",
    ),
    pytest.param(
        "odi", {"sections": [1] * 9}, lambda: scoring.score_odi([1] * 9), id="odi-9-sections"
    ),
    pytest.param(
        "start_back",
        {"agree": [True] * 8, "bothersomeness": "a lot"},
        lambda: scoring.score_start_back([True] * 8, "a lot"),
        id="start-back-unknown-answer",
    ),
    pytest.param(
        "start_back",
        {"agree": [1] * 8, "bothersomeness": "slightly"},
        lambda: scoring.score_start_back([1] * 8, "slightly"),
        id="start-back-numbers-for-agree",
    ),
    pytest.param(
        "phq9", {"items": [1] * 8}, lambda: scoring.score_phq9([1] * 8), id="phq9-8-items"
    ),
    pytest.param(
        "phq9",
        {"items": [1, 1, 1, 1, 4, 1, 1, 1, 1]},
        lambda: scoring.score_phq9([1, 1, 1, 1, 4, 1, 1, 1, 1]),
        id="phq9-item-4",
    ),
    pytest.param(
        "gad7",
        {"items": [1, 1, None, 1, 1, 1, 1]},
        lambda: scoring.score_gad7([1, 1, None, 1, 1, 1, 1]),
        id="gad7-missing-item",
    ),
    pytest.param(
        "gad7", {"items": "1111111"}, lambda: scoring.score_gad7("1111111"), id="gad7-text"
    ),
]


@pytest.mark.parametrize(("instrument", "answers", "module_call"), BAD_ANSWERS)
def test_bad_answers_are_refused_with_the_scoring_modules_message(
    clinician_on_team, patient, instrument, answers, module_call
):
    with pytest.raises(ValidationError) as caught:
        assessment_record(
            actor=clinician_on_team, patient=patient, instrument=instrument, answers=answers
        )

    assert caught.value.message_dict == {"answers": [_module_message(module_call)]}
    assert not Assessment.objects.exists()
    assert not AuditEvent.objects.exists()


@pytest.mark.parametrize(
    ("instrument", "answers", "message"),
    [
        ("nrs", {}, "Missing answer: value."),
        ("nrs", {"value": 5, "comment": "hi"}, "Unexpected answer: comment."),
        ("nrs", [5], "Answers must be an object of named answers."),
        ("nrs", None, "Answers must be an object of named answers."),
        ("peg", {"pain": 5}, "Missing answer: enjoyment, activity."),
        (
            "work_status",
            {"status": "on_holiday"},
            "Work status must be one of: working, modified_duty, off_work, not_employed, "
            "retired, student; got 'on_holiday'.",
        ),
        ("vas", {"value": 5}, "Unknown instrument 'vas'."),
    ],
    ids=["missing", "extra", "list", "none", "peg-partial", "work-status", "unknown-instrument"],
)
def test_malformed_answers_are_refused_under_answers(
    clinician_on_team, patient, instrument, answers, message
):
    with pytest.raises(ValidationError) as caught:
        assessment_record(
            actor=clinician_on_team, patient=patient, instrument=instrument, answers=answers
        )

    assert caught.value.message_dict == {"answers": [message]}
    assert not Assessment.objects.exists()


def test_a_refused_work_status_leaves_the_patient_unchanged(clinician_on_team, patient):
    with pytest.raises(ValidationError):
        assessment_record(
            actor=clinician_on_team,
            patient=patient,
            instrument="work_status",
            answers={"status": "on_holiday"},
        )

    patient.refresh_from_db()
    assert patient.work_status == "working"


# --- When and for which episode ----------------------------------------------------------------


def test_an_assessment_in_the_future_is_refused(clinician_on_team, patient):
    with pytest.raises(ValidationError) as caught:
        assessment_record(
            actor=clinician_on_team,
            patient=patient,
            instrument="nrs",
            answers={"value": 4},
            taken_at=timezone.now() + dt.timedelta(hours=1),
        )

    assert caught.value.message_dict == {
        "taken_at": ["An assessment cannot be taken in the future."]
    }
    assert not Assessment.objects.exists()


def test_a_device_clock_a_minute_ahead_is_tolerated(clinician_on_team, patient):
    assessment = _record(
        clinician_on_team,
        patient,
        "nrs",
        {"value": 4},
        taken_at=timezone.now() + dt.timedelta(minutes=1),
    )

    assert assessment.score == Decimal("4")


def test_a_back_dated_assessment_keeps_its_date(clinician_on_team, patient):
    taken = timezone.now() - dt.timedelta(days=3)

    assessment = _record(clinician_on_team, patient, "nrs", {"value": 4}, taken_at=taken)

    assert assessment.taken_at == taken


def test_a_wall_clock_time_is_read_in_the_clinics_zone(clinician_on_team, patient):
    naive = dt.datetime(2024, 3, 4, 9, 30)

    assessment = _record(clinician_on_team, patient, "nrs", {"value": 4}, taken_at=naive)

    assert assessment.taken_at == naive.replace(tzinfo=CLINIC_TZ())


def test_an_episode_of_another_patient_is_refused(clinician_on_team, team, patient):
    someone_elses = EpisodeFactory(patient=PatientFactory(team=team))

    with pytest.raises(ValidationError) as caught:
        assessment_record(
            actor=clinician_on_team,
            patient=patient,
            instrument="nrs",
            answers={"value": 4},
            episode=someone_elses,
        )

    assert caught.value.message_dict == {"episode": ["That episode belongs to another patient."]}
    assert not Assessment.objects.exists()


def test_without_an_episode_it_is_filed_under_the_active_one(clinician_on_team, patient):
    old = EpisodeFactory(
        patient=patient,
        onset=clinic_today() - dt.timedelta(days=400),
        status="closed",
        closed_on=clinic_today() - dt.timedelta(days=300),
    )
    active = EpisodeFactory(patient=patient, onset=clinic_today() - dt.timedelta(days=5))

    assessment = _record(clinician_on_team, patient, "nrs", {"value": 4})

    assert assessment.episode == active
    assert assessment.episode != old


def test_without_an_active_episode_it_is_kept_without_one(clinician_on_team, patient):
    assessment = _record(clinician_on_team, patient, "nrs", {"value": 4})

    assert assessment.episode is None


def test_who_reported_it_and_who_entered_it_are_kept(clinician_on_team, patient):
    assessment = _record(
        clinician_on_team,
        patient,
        "peg",
        {"pain": 5, "enjoyment": 5, "activity": 5},
        reported_by="patient",
    )

    assert assessment.reported_by == "patient"
    assert assessment.recorded_by == clinician_on_team


# --- Work status -------------------------------------------------------------------------------


def test_a_work_status_assessment_updates_the_patients_work_status(clinician_on_team, patient):
    taken = dt.datetime(2024, 5, 6, 11, 0, tzinfo=CLINIC_TZ())

    assessment = _record(
        clinician_on_team, patient, "work_status", {"status": "modified_duty"}, taken_at=taken
    )

    patient.refresh_from_db()
    assert patient.work_status == "modified_duty"
    assert patient.work_status_since == dt.date(2024, 5, 6)
    assert assessment.score is None
    assert assessment.band == "modified_duty"


def test_work_status_since_is_the_clinics_date_not_utcs(clinician_on_team, patient, settings):
    settings.TIME_ZONE = "America/New_York"
    # 04:30 UTC on 11 February is still 23:30 on 10 February in the clinic (New York).
    with time_machine.travel(dt.datetime(2024, 2, 11, 4, 30, tzinfo=dt.UTC), tick=False):
        _record(clinician_on_team, patient, "work_status", {"status": "off_work"})

    patient.refresh_from_db()
    assert patient.work_status_since == dt.date(2024, 2, 10)


def test_work_status_since_is_the_clinics_date_for_a_time_given_in_utc(
    clinician_on_team, patient, settings
):
    settings.TIME_ZONE = "America/New_York"
    in_utc = dt.datetime(2024, 2, 11, 4, 30, tzinfo=dt.UTC)  # e.g. parsed from an API payload

    _record(clinician_on_team, patient, "work_status", {"status": "off_work"}, taken_at=in_utc)

    patient.refresh_from_db()
    assert patient.work_status_since == dt.date(2024, 2, 10)


def test_the_same_work_status_again_keeps_the_original_since_date(clinician_on_team, patient):
    patient.work_status = "off_work"
    patient.work_status_since = dt.date(2024, 1, 2)
    patient.save()

    _record(clinician_on_team, patient, "work_status", {"status": "off_work"})

    patient.refresh_from_db()
    assert patient.work_status_since == dt.date(2024, 1, 2)


def test_a_back_dated_work_status_does_not_overwrite_a_newer_one(clinician_on_team, patient):
    now = timezone.now()
    _record(clinician_on_team, patient, "work_status", {"status": "working"}, taken_at=now)
    _record(
        clinician_on_team,
        patient,
        "work_status",
        {"status": "off_work"},
        taken_at=now - dt.timedelta(days=30),
    )

    patient.refresh_from_db()
    assert patient.work_status == "working"


def test_a_work_status_change_is_audited_on_the_patient(clinician_on_team, patient):
    _record(clinician_on_team, patient, "work_status", {"status": "off_work"})

    update = AuditEvent.objects.get(patient=patient, action="update")
    assert update.object_type == "patients.patient"
    assert update.changed_fields == ["work_status", "work_status_since"]


# --- Audit -------------------------------------------------------------------------------------


def test_recording_an_assessment_writes_an_audit_row(clinician_on_team, patient):
    assessment = _record(clinician_on_team, patient, "phq9", {"items": [1] * 9})

    event = AuditEvent.objects.get(action="create")
    assert event.actor == clinician_on_team
    assert event.patient == patient
    assert event.object_type == "assessments.assessment"
    assert event.object_id == str(assessment.pk)
    assert event.changed_fields == []
