"""Writes for patients, episodes, care teams, red-flag screens and notes (apps.patients.services).

Every write is validated, atomic and leaves an audit event naming who did it, to which patient,
from which surface, and which fields changed (names only, never values).
"""

import datetime as dt

import pytest
import time_machine
from django.core.exceptions import ValidationError
from django.http import Http404
from django.utils import timezone

from apps.audit.context import RequestMeta, audit_context
from apps.audit.models import AuditEvent
from apps.core.choices import Discipline
from apps.core.dates import clinic_today
from apps.patients.models import ClinicalNote, Episode, Phase, RedFlagFinding
from apps.patients.selectors import patient_get_for_user, patients_visible_to
from apps.patients.services import (
    care_team_assign,
    care_team_end,
    episode_close,
    episode_open,
    note_add,
    patient_archive,
    patient_create,
    patient_update,
    red_flag_record,
)
from tests.factories import (
    AssessmentFactory,
    ClinicianFactory,
    EpisodeFactory,
    PatientFactory,
    TeamMembershipFactory,
)

pytestmark = pytest.mark.django_db


def _events(patient, action=None):
    events = AuditEvent.objects.filter(patient=patient)
    if action:
        events = events.filter(action=action)
    return list(events.order_by("at", "pk"))


# --- patient_create ----------------------------------------------------------------------------


def test_creating_a_patient_records_who_created_it_and_from_where(clinician_on_team, team):
    with audit_context(RequestMeta(surface="page", ip_address="10.0.0.7", path="/patients/new")):
        patient = patient_create(
            actor=clinician_on_team,
            mrn="MRN-0042",
            first_name="Ada",
            last_name="Lovelace",
            date_of_birth=dt.date(1980, 1, 31),
            team=team,
        )

    [event] = AuditEvent.objects.all()
    assert event.action == "create"
    assert event.actor == clinician_on_team
    assert event.patient == patient
    assert event.object_type == "patients.patient"
    assert event.object_id == str(patient.pk)
    assert event.surface == "page"
    assert event.ip_address == "10.0.0.7"
    assert event.path == "/patients/new"


def test_a_patient_created_by_a_job_is_audited_as_a_job_with_no_actor(team):
    patient = patient_create(
        actor=None,
        mrn="MRN-0043",
        first_name="Ada",
        last_name="Lovelace",
        date_of_birth=dt.date(1980, 1, 31),
        team=team,
    )

    [event] = _events(patient)
    assert event.actor is None
    assert event.surface == "job"


def test_patient_create_refuses_fields_it_does_not_know(clinician_on_team, team):
    with pytest.raises(TypeError, match="archived_at"):
        patient_create(
            actor=clinician_on_team,
            mrn="MRN-0044",
            first_name="Ada",
            last_name="Lovelace",
            date_of_birth=dt.date(1980, 1, 31),
            team=team,
            archived_at=timezone.now(),
        )


# --- patient_update ----------------------------------------------------------------------------


def test_an_update_audits_the_names_of_changed_fields_only(clinician_on_team, patient):
    patient_update(
        actor=clinician_on_team,
        patient=patient,
        phone="555-0100",
        first_name=patient.first_name,  # unchanged: not reported
    )

    [event] = _events(patient, "update")
    assert event.changed_fields == ["phone"]
    assert event.actor == clinician_on_team
    # The trail says *that* the phone changed, never what it became.
    assert "555-0100" not in repr(
        AuditEvent.objects.filter(pk=event.pk).values().get()  # every stored column
    )
    patient.refresh_from_db()
    assert patient.phone == "555-0100"


def test_an_update_that_changes_nothing_writes_no_audit_event(clinician_on_team, patient):
    patient_update(actor=clinician_on_team, patient=patient, first_name=patient.first_name)

    assert _events(patient, "update") == []


@time_machine.travel(dt.datetime(2024, 6, 3, 15, 0, tzinfo=dt.UTC), tick=False)
def test_a_work_status_change_records_since_when(clinician_on_team, patient):
    patient_update(actor=clinician_on_team, patient=patient, work_status="off_work")

    patient.refresh_from_db()
    assert patient.work_status == "off_work"
    assert patient.work_status_since == dt.date(2024, 6, 3)
    [event] = _events(patient, "update")
    assert event.changed_fields == ["work_status", "work_status_since"]


def test_an_update_without_a_work_status_change_keeps_since(clinician_on_team, patient):
    patient.work_status_since = dt.date(2023, 1, 1)
    patient.save()

    patient_update(actor=clinician_on_team, patient=patient, work_status=patient.work_status)
    patient_update(actor=clinician_on_team, patient=patient, phone="555-0101")

    patient.refresh_from_db()
    assert patient.work_status_since == dt.date(2023, 1, 1)


def test_an_invalid_update_saves_nothing_and_leaves_the_patient_unchanged(
    clinician_on_team, patient
):
    original_tz = patient.timezone

    with pytest.raises(ValidationError) as caught:
        patient_update(actor=clinician_on_team, patient=patient, timezone="Nowhere/Special")

    assert "timezone" in caught.value.message_dict
    assert patient.timezone == original_tz  # the caller's object is not left half-changed
    patient.refresh_from_db()
    assert patient.timezone == original_tz
    assert _events(patient, "update") == []


# --- patient_archive ---------------------------------------------------------------------------


def test_archiving_hides_the_patient_from_every_caseload(clinician_on_team, admin, patient):
    patient_archive(actor=clinician_on_team, patient=patient)

    assert patient not in patients_visible_to(clinician_on_team)
    assert patient not in patients_visible_to(admin)
    with pytest.raises(Http404):
        patient_get_for_user(clinician_on_team, patient.pk)


def test_archiving_keeps_the_patients_history(clinician_on_team, patient):
    episode = EpisodeFactory(patient=patient)
    AssessmentFactory(episode=episode)
    note_add(actor=clinician_on_team, patient=patient, body="Walking 20 minutes a day.")

    patient_archive(actor=clinician_on_team, patient=patient)

    patient.refresh_from_db()
    assert patient.archived_at is not None
    assert patient.episodes.count() == 1
    assert patient.assessments.count() == 1
    assert patient.notes.count() == 1
    assert patient_get_for_user(clinician_on_team, patient.pk, include_archived=True) == patient
    [event] = _events(patient, "archive")
    assert event.changed_fields == ["archived_at"]


def test_archiving_twice_keeps_the_first_archive_time_and_one_audit_event(
    clinician_on_team, patient
):
    stale_copy = type(patient).objects.get(pk=patient.pk)
    patient_archive(actor=clinician_on_team, patient=patient)
    first_archived_at = patient.archived_at

    patient_archive(actor=clinician_on_team, patient=patient)
    patient_archive(actor=clinician_on_team, patient=stale_copy)  # e.g. a second browser tab

    patient.refresh_from_db()
    assert patient.archived_at == first_archived_at
    assert stale_copy.archived_at == first_archived_at
    assert len(_events(patient, "archive")) == 1


# --- episode_open / episode_close --------------------------------------------------------------


def test_opening_an_episode_audits_it(clinician_on_team, patient):
    onset = clinic_today() - dt.timedelta(days=2)

    episode = episode_open(
        actor=clinician_on_team, patient=patient, onset=onset, summary="Lifting injury"
    )

    assert episode.status == "active"
    assert episode.onset == onset
    [event] = _events(patient, "create")
    assert event.object_type == "patients.episode"
    assert event.object_id == str(episode.pk)


def test_it_refuses_a_second_active_episode(clinician_on_team, patient):
    episode_open(actor=clinician_on_team, patient=patient, onset=clinic_today())

    with pytest.raises(ValidationError) as caught:
        episode_open(actor=clinician_on_team, patient=patient, onset=clinic_today())

    assert caught.value.message_dict == {
        "onset": ["This patient already has an active episode; close it before opening another."]
    }
    assert patient.episodes.count() == 1


def test_a_new_episode_may_open_once_the_last_one_is_closed(clinician_on_team, patient):
    first = episode_open(
        actor=clinician_on_team, patient=patient, onset=clinic_today() - dt.timedelta(days=60)
    )
    episode_close(actor=clinician_on_team, episode=first, closed_on=clinic_today())

    second = episode_open(actor=clinician_on_team, patient=patient, onset=clinic_today())

    assert set(patient.episodes.values_list("status", flat=True)) == {"active", "closed"}
    assert second.status == "active"


def test_it_refuses_an_onset_in_the_future(clinician_on_team, patient):
    with pytest.raises(ValidationError) as caught:
        episode_open(
            actor=clinician_on_team, patient=patient, onset=clinic_today() + dt.timedelta(days=1)
        )

    assert caught.value.message_dict == {"onset": ["Onset cannot be in the future."]}
    assert not patient.episodes.exists()


def test_closing_an_episode_records_the_date(clinician_on_team, patient):
    episode = EpisodeFactory(patient=patient, onset=clinic_today() - dt.timedelta(days=40))

    episode_close(actor=clinician_on_team, episode=episode)

    episode.refresh_from_db()
    assert episode.status == "closed"
    assert episode.closed_on == clinic_today()
    [event] = _events(patient, "update")
    assert event.changed_fields == ["closed_on", "status"]


def test_closing_a_closed_episode_is_refused(clinician_on_team, patient):
    episode = EpisodeFactory(patient=patient, onset=clinic_today() - dt.timedelta(days=40))
    episode_close(actor=clinician_on_team, episode=episode)

    with pytest.raises(ValidationError) as caught:
        episode_close(actor=clinician_on_team, episode=episode)

    assert caught.value.message_dict == {"status": ["This episode is already closed."]}


def test_a_refused_close_can_be_retried_with_a_valid_date(clinician_on_team, patient):
    episode = EpisodeFactory(patient=patient, onset=clinic_today() - dt.timedelta(days=40))
    with pytest.raises(ValidationError):
        episode_close(
            actor=clinician_on_team, episode=episode, closed_on=episode.onset - dt.timedelta(1)
        )

    episode_close(actor=clinician_on_team, episode=episode, closed_on=clinic_today())

    episode.refresh_from_db()
    assert (episode.status, episode.closed_on) == ("closed", clinic_today())


# --- Phase of an episode -----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("day", "phase"),
    [
        (0, Phase.ACUTE),
        (27, Phase.ACUTE),
        (28, Phase.SUBACUTE),
        (84, Phase.SUBACUTE),
        (85, Phase.CHRONIC),
        (400, Phase.CHRONIC),
    ],
)
def test_the_phase_follows_weeks_since_onset(day, phase):
    episode = Episode(onset=dt.date(2024, 1, 1))

    assert episode.phase_on(dt.date(2024, 1, 1) + dt.timedelta(days=day)) == phase


@pytest.mark.parametrize(
    ("today", "phase"),
    [
        (dt.date(2024, 1, 28), Phase.ACUTE),  # day 27
        (dt.date(2024, 1, 29), Phase.SUBACUTE),  # day 28
        (dt.date(2024, 3, 25), Phase.SUBACUTE),  # day 84
        (dt.date(2024, 3, 26), Phase.CHRONIC),  # day 85
    ],
)
def test_the_phase_shown_today_moves_on_with_the_calendar(patient, today, phase):
    episode = EpisodeFactory(patient=patient, onset=dt.date(2024, 1, 1))

    # Noon in the clinic's zone, so "today" is the same date wherever the test runs.
    with time_machine.travel(
        dt.datetime.combine(today, dt.time(12), tzinfo=timezone.get_default_timezone()),
        tick=False,
    ):
        assert episode.day_on() == (today - episode.onset).days
        assert episode.phase == phase


def test_the_day_changes_at_the_clinics_midnight_not_utcs(patient):
    episode = EpisodeFactory(patient=patient, onset=dt.date(2024, 1, 1))
    clinic_zone = timezone.get_default_timezone()

    # 23:30 on day 27 in the clinic is already the next day in UTC (the clinic is behind UTC).
    late_evening = dt.datetime(2024, 1, 28, 23, 30, tzinfo=clinic_zone)
    with time_machine.travel(late_evening, tick=False):
        assert episode.day_on() == 27
        assert episode.phase == Phase.ACUTE


# --- Care team ---------------------------------------------------------------------------------


def test_it_refuses_a_care_team_member_from_another_team(
    clinician_on_team, clinician_off_team, patient
):
    episode = EpisodeFactory(patient=patient)

    with pytest.raises(ValidationError) as caught:
        care_team_assign(
            actor=clinician_on_team,
            episode=episode,
            clinician=clinician_off_team,
            role=Discipline.PHYSICIAN,
        )

    assert caught.value.message_dict == {
        "clinician": ["The clinician must belong to the patient's team to join its care team."]
    }
    assert not episode.care_team.exists()


def test_a_team_member_joins_the_care_team_from_today(clinician_on_team, patient):
    episode = EpisodeFactory(patient=patient)

    member = care_team_assign(
        actor=clinician_on_team,
        episode=episode,
        clinician=clinician_on_team,
        role=Discipline.PHYSICIAN,
    )

    assert member.start == clinic_today()
    assert member.is_current_on(clinic_today())
    assert [e.object_type for e in _events(patient, "create")] == ["patients.careteammember"]


def test_a_clinician_cannot_hold_the_same_role_twice_at_once(clinician_on_team, patient):
    episode = EpisodeFactory(patient=patient)
    care_team_assign(
        actor=clinician_on_team, episode=episode, clinician=clinician_on_team, role="physician"
    )

    with pytest.raises(ValidationError) as caught:
        care_team_assign(
            actor=clinician_on_team, episode=episode, clinician=clinician_on_team, role="physician"
        )

    assert caught.value.messages == ["This clinician already holds this role on the episode."]


def test_a_failed_lead_assignment_keeps_the_previous_lead(clinician_on_team, team, patient):
    episode = EpisodeFactory(patient=patient)
    lead = care_team_assign(
        actor=clinician_on_team,
        episode=episode,
        clinician=clinician_on_team,
        role="physician",
        is_lead=True,
    )

    with pytest.raises(ValidationError):
        # Same clinician, same role, still current: refused, and the demotion is rolled back.
        care_team_assign(
            actor=clinician_on_team,
            episode=episode,
            clinician=clinician_on_team,
            role="physician",
            is_lead=True,
        )

    lead.refresh_from_db()
    assert lead.is_lead is True


def test_ending_a_role_keeps_it_in_the_history(clinician_on_team, team, patient):
    episode = EpisodeFactory(patient=patient, onset=clinic_today() - dt.timedelta(days=10))
    therapist = ClinicianFactory(discipline=Discipline.PHYSICAL_THERAPIST)
    TeamMembershipFactory(team=team, clinician=therapist)
    member = care_team_assign(
        actor=clinician_on_team,
        episode=episode,
        clinician=therapist,
        role=Discipline.PHYSICAL_THERAPIST,
        start=episode.onset,
    )

    care_team_end(actor=clinician_on_team, member=member)

    member.refresh_from_db()
    assert member.end == clinic_today()
    assert not member.is_current_on(clinic_today() + dt.timedelta(days=1))
    assert episode.care_team.count() == 1


# --- Red flags ---------------------------------------------------------------------------------


def test_recording_a_red_flag_marks_the_episode_as_screened(clinician_on_team, patient):
    episode = EpisodeFactory(patient=patient)
    assert episode.red_flags_screened_on is None

    finding = red_flag_record(
        actor=clinician_on_team, episode=episode, sign="night_pain", note="Wakes at 3 am"
    )

    episode.refresh_from_db()
    assert episode.red_flags_screened_on == clinic_today()
    assert finding.noted_by == clinician_on_team
    assert finding.category == "cancer"
    assert {e.object_type for e in _events(patient)} == {
        "patients.redflagfinding",
        "patients.episode",
    }


def test_a_later_red_flag_keeps_the_first_screening_date(clinician_on_team, patient):
    episode = EpisodeFactory(patient=patient, onset=clinic_today() - dt.timedelta(days=20))
    first_day = clinic_today() - dt.timedelta(days=5)
    red_flag_record(actor=clinician_on_team, episode=episode, sign="fever", noted_on=first_day)

    red_flag_record(actor=clinician_on_team, episode=episode, sign="trauma")

    episode.refresh_from_db()
    assert episode.red_flags_screened_on == first_day
    assert RedFlagFinding.objects.filter(episode=episode).count() == 2


def test_the_same_open_red_flag_cannot_be_recorded_twice(clinician_on_team, patient):
    episode = EpisodeFactory(patient=patient)
    red_flag_record(actor=clinician_on_team, episode=episode, sign="fever")

    with pytest.raises(ValidationError):
        red_flag_record(actor=clinician_on_team, episode=episode, sign="fever")

    assert episode.red_flags.count() == 1


def test_an_unknown_red_flag_sign_is_refused(clinician_on_team, patient):
    episode = EpisodeFactory(patient=patient)

    with pytest.raises(ValidationError) as caught:
        red_flag_record(actor=clinician_on_team, episode=episode, sign="headache")

    assert "sign" in caught.value.message_dict
    episode.refresh_from_db()
    assert episode.red_flags_screened_on is None


# --- Notes -------------------------------------------------------------------------------------


@pytest.mark.parametrize("body", ["", "   ", "\n\t"], ids=repr)
def test_it_refuses_an_empty_note(clinician_on_team, patient, body):
    with pytest.raises(ValidationError) as caught:
        note_add(actor=clinician_on_team, patient=patient, body=body)

    assert caught.value.message_dict == {"body": ["Write the note before saving it."]}
    assert not ClinicalNote.objects.exists()


def test_a_note_is_saved_with_its_author_and_audited_without_its_text(clinician_on_team, patient):
    episode = EpisodeFactory(patient=patient)

    note = note_add(
        actor=clinician_on_team, patient=patient, episode=episode, body="Back at work part-time."
    )

    assert note.author == clinician_on_team
    assert note.episode == episode
    [event] = _events(patient)
    assert event.object_type == "patients.clinicalnote"
    assert "Back at work" not in repr(AuditEvent.objects.filter(pk=event.pk).values().get())


def test_a_note_cannot_be_filed_against_another_patients_episode(clinician_on_team, team, patient):
    other_episode = EpisodeFactory(patient=PatientFactory(team=team))

    with pytest.raises(ValidationError) as caught:
        note_add(
            actor=clinician_on_team, patient=patient, episode=other_episode, body="Wrong chart?"
        )

    assert caught.value.message_dict == {"episode": ["That episode belongs to another patient."]}
    assert not ClinicalNote.objects.exists()


def test_it_refuses_a_note_written_by_someone_outside_the_patients_team(
    clinician_off_team, patient
):
    with pytest.raises(ValidationError) as caught:
        note_add(actor=clinician_off_team, patient=patient, body="Seen in clinic.")

    assert caught.value.message_dict == {
        "author": ["Only a member of the patient's team can write a note."]
    }
    assert not patient.notes.exists()
