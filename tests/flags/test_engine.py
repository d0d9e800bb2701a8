"""The rule engine's flag lifecycle: one open flag per patient and rule, evidence kept current,
auto-resolution with the evidence of clearing, owned tasks, agendas, no re-raising of a flag a
clinician resolved while nothing changed."""

import datetime as dt
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.db import IntegrityError

from apps.audit.models import AuditEvent
from apps.conferences.models import AgendaItem, CaseConference
from apps.core.choices import Discipline
from apps.flags import engine
from apps.flags.models import Flag, FlagStatus
from apps.flags.services import flag_resolve
from apps.medications.services import medication_order_create, medication_order_update
from apps.worklist.models import Task, TaskStatus
from tests.factories import ClinicianFactory, EpisodeFactory, FlagFactory, TeamMembershipFactory

pytestmark = pytest.mark.django_db

NY = ZoneInfo("America/New_York")
NOON = dt.datetime(2026, 3, 10, 12, 0, tzinfo=NY)


@pytest.fixture
def prescriber(team):
    doctor = ClinicianFactory(username="dr_prescriber", discipline=Discipline.PHYSICIAN)
    TeamMembershipFactory(team=team, clinician=doctor)
    return doctor


@pytest.fixture
def episode(patient):
    return EpisodeFactory(patient=patient, onset=dt.date(2026, 1, 2))


def _morphine(actor, episode, mg: int, start=dt.date(2026, 3, 1)):
    return medication_order_create(
        actor=actor,
        episode=episode,
        drug="morphine ER",
        drug_class="opioid_long",
        opioid="morphine",
        dose=Decimal(mg) / 2,
        frequency="twice daily",
        daily_dose=Decimal(mg),
        start_date=start,
        prescriber=actor,
        naloxone_offered_on=start,
        last_reviewed_on=start,
    )


def _flag(patient, code):
    return Flag.objects.get(
        patient=patient, rule_code=code, status__in=["open", "acknowledged", "snoozed"]
    )


@time_machine.travel(NOON, tick=False)
def test_it_raises_one_flag_with_an_owned_task_and_evidence(prescriber, episode):
    _morphine(prescriber, episode, 60)

    summary = engine.evaluate_episodes([episode.id])

    flag = _flag(episode.patient, "opioid_high_dose")
    assert flag.severity == "warning"
    assert flag.evidence["total_daily_mme"] == "60"
    assert flag.evidence["thresholds"] == {"mme_warning": "50", "mme_urgent": "90"}
    task = Task.objects.get(flag=flag)
    assert task.assignee == prescriber
    assert task.discipline == Discipline.PHYSICIAN
    assert task.status == TaskStatus.OPEN
    assert summary.raised["opioid_high_dose"] == 1
    assert AuditEvent.objects.filter(
        object_type="flags.flag", object_id=str(flag.pk), action="create", surface="job"
    ).exists()


@time_machine.travel(NOON, tick=False)
def test_running_twice_changes_nothing(prescriber, episode):
    _morphine(prescriber, episode, 60)
    engine.evaluate_episodes([episode.id])
    flags = list(Flag.objects.values())
    tasks = Task.objects.count()
    audits = AuditEvent.objects.count()

    summary = engine.evaluate_episodes([episode.id])

    assert list(Flag.objects.values()) == flags
    assert Task.objects.count() == tasks
    assert AuditEvent.objects.count() == audits
    assert sum(summary.raised.values()) == sum(summary.updated.values()) == 0


def test_the_database_allows_one_open_flag_per_patient_and_rule(patient):
    FlagFactory(patient=patient, rule_code="red_flag")
    with pytest.raises(IntegrityError):
        FlagFactory(patient=patient, rule_code="red_flag")


@time_machine.travel(NOON, tick=False)
def test_a_worsening_finding_updates_the_open_flag_and_its_task(prescriber, episode):
    order = _morphine(prescriber, episode, 60)
    engine.evaluate_episodes([episode.id])
    flag = _flag(episode.patient, "opioid_high_dose")

    medication_order_update(
        actor=prescriber, order=order, daily_dose=Decimal(120), dose=Decimal(60)
    )
    engine.evaluate_episodes([episode.id])

    flag.refresh_from_db()
    assert flag.severity == "urgent"
    assert flag.evidence["total_daily_mme"] == "120"
    assert Flag.objects.filter(patient=episode.patient, rule_code="opioid_high_dose").count() == 1
    assert Task.objects.get(flag=flag).priority == "urgent"


@time_machine.travel(NOON, tick=False)
def test_it_resolves_itself_with_the_evidence_of_clearing(prescriber, episode):
    order = _morphine(prescriber, episode, 60)
    engine.evaluate_episodes([episode.id])
    flag = _flag(episode.patient, "opioid_high_dose")

    medication_order_update(actor=prescriber, order=order, daily_dose=Decimal(30), dose=Decimal(15))
    summary = engine.evaluate_episodes([episode.id])

    flag.refresh_from_db()
    assert flag.status == FlagStatus.RESOLVED
    assert flag.auto_resolved is True
    assert flag.resolution_evidence["total_daily_mme"] == "30"
    assert "Total 30 MME/day" in flag.resolution_note
    assert Task.objects.get(flag=flag).status == TaskStatus.COMPLETED
    assert summary.resolved["opioid_high_dose"] == 1


@time_machine.travel(NOON, tick=False)
def test_a_flag_a_clinician_resolved_is_not_raised_again_while_nothing_changed(prescriber, episode):
    order = _morphine(prescriber, episode, 60)
    engine.evaluate_episodes([episode.id])
    flag_resolve(
        actor=prescriber,
        flag=_flag(episode.patient, "opioid_high_dose"),
        note="Tapering plan agreed",
    )

    engine.evaluate_episodes([episode.id])
    assert not Flag.objects.filter(
        patient=episode.patient, rule_code="opioid_high_dose", status="open"
    )

    medication_order_update(
        actor=prescriber, order=order, daily_dose=Decimal(100), dose=Decimal(50)
    )
    engine.evaluate_episodes([episode.id])
    assert _flag(episode.patient, "opioid_high_dose").severity == "urgent"


@time_machine.travel(NOON, tick=False)
def test_a_snoozed_flag_reopens_when_the_snooze_ends(prescriber, episode):
    _morphine(prescriber, episode, 60)
    engine.evaluate_episodes([episode.id])
    flag = _flag(episode.patient, "opioid_high_dose")
    Flag.objects.filter(pk=flag.pk).update(status="snoozed", snoozed_until=dt.date(2026, 3, 12))

    engine.evaluate_episodes([episode.id])
    flag.refresh_from_db()
    assert flag.status == "snoozed"

    with time_machine.travel(dt.datetime(2026, 3, 12, 9, 0, tzinfo=NY), tick=False):
        engine.evaluate_episodes([episode.id])
    flag.refresh_from_db()
    assert flag.status == "open"
    assert flag.snoozed_until is None


@time_machine.travel(NOON, tick=False)
def test_stalled_or_urgent_patients_join_the_teams_next_conference(prescriber, episode, team):
    conference = CaseConference.objects.create(team=team, scheduled_for=NOON + dt.timedelta(days=2))
    CaseConference.objects.create(team=team, scheduled_for=NOON + dt.timedelta(days=9))
    _morphine(prescriber, episode, 120)

    engine.evaluate_episodes([episode.id])
    engine.evaluate_episodes([episode.id])

    item = AgendaItem.objects.get(patient=episode.patient)
    assert item.conference == conference
    assert item.reason == "urgent_flag"
    assert item.evidence["rule"] == "opioid_high_dose"


@time_machine.travel(NOON, tick=False)
def test_closing_the_episode_resolves_its_open_flags(prescriber, episode):
    from apps.patients.services import episode_close

    _morphine(prescriber, episode, 60)
    engine.evaluate_episodes([episode.id])
    episode_close(actor=prescriber, episode=episode)

    engine.evaluate_patient(episode.patient_id)

    flag = Flag.objects.get(patient=episode.patient, rule_code="opioid_high_dose")
    assert flag.status == "resolved"
    assert flag.resolution_evidence == {"reason": "The patient has no active episode."}


@time_machine.travel(NOON, tick=False)
def test_it_reads_a_batch_in_a_fixed_number_of_queries(
    prescriber, team, django_assert_max_num_queries
):
    episodes = [EpisodeFactory(patient__team=team, onset=dt.date(2026, 1, 2)) for _ in range(3)]
    engine.evaluate_episodes([e.id for e in episodes])
    more = [EpisodeFactory(patient__team=team, onset=dt.date(2026, 1, 2)) for _ in range(12)]
    everyone = [e.id for e in episodes + more]
    engine.evaluate_episodes(everyone)  # settle the flags of the new episodes

    # The steady state (nothing changed) must not grow with the number of episodes:
    # 1 thresholds, 8 snapshot reads, 1 existing flags, 1 dismissed fingerprints,
    # 1 team directory, plus the savepoint of the atomic block.
    with django_assert_max_num_queries(14):
        engine.evaluate_episodes(everyone)


def test_day_counters_alone_do_not_count_as_a_change(team, clinician_on_team):
    """A flag whose evidence only differs by day counts ("for 15 days") is refreshed silently:
    no audit row, not reported as updated."""
    from apps.patients.services import patient_update

    episode = EpisodeFactory(patient__team=team, onset=dt.date(2026, 1, 2))
    with time_machine.travel(NOON, tick=False):
        patient_update(
            actor=clinician_on_team,
            patient=episode.patient,
            work_status="off_work",
            work_status_since=dt.date(2026, 1, 5),
        )
        engine.evaluate_episodes([episode.id])
    flag = _flag(episode.patient, "work_absence")
    audits = AuditEvent.objects.filter(object_id=str(flag.pk), object_type="flags.flag").count()

    with time_machine.travel(NOON + dt.timedelta(days=1), tick=False):
        summary = engine.evaluate_episodes([episode.id])

    flag.refresh_from_db()
    assert summary.updated["work_absence"] == 0
    assert (
        AuditEvent.objects.filter(object_id=str(flag.pk), object_type="flags.flag").count()
        == audits
    )
    assert flag.evidence["days_off"] == (dt.date(2026, 3, 11) - dt.date(2026, 1, 5)).days


def test_a_self_harm_flag_stays_open_until_a_clinician_resolves_it(team, clinician_on_team):
    from apps.assessments.services import assessment_record

    episode = EpisodeFactory(patient__team=team, onset=dt.date(2026, 1, 2))
    with time_machine.travel(NOON, tick=False):
        assessment_record(
            actor=clinician_on_team,
            patient=episode.patient,
            instrument="phq9",
            answers={"items": [1, 1, 1, 1, 1, 1, 1, 1, 2]},
        )
        engine.evaluate_episodes([episode.id])
        assessment_record(
            actor=clinician_on_team,
            patient=episode.patient,
            instrument="phq9",
            answers={"items": [1, 1, 1, 1, 1, 1, 1, 1, 0]},
            taken_at=NOON + dt.timedelta(minutes=1),
        )
    with time_machine.travel(NOON + dt.timedelta(hours=1), tick=False):
        engine.evaluate_episodes([episode.id])
        flag = _flag(episode.patient, "self_harm_risk")
        assert flag.status == "open"
        flag_resolve(
            actor=clinician_on_team, flag=flag, note="Seen by psychologist; safety plan in place"
        )
        engine.evaluate_episodes([episode.id])
    assert not Flag.objects.filter(
        patient=episode.patient, rule_code="self_harm_risk", status="open"
    ).exists()


def test_a_task_goes_to_the_psychiatry_queue_when_the_team_has_no_psychologist(
    team, clinician_on_team
):
    from apps.assessments.services import assessment_record

    TeamMembershipFactory(
        team=team, clinician=ClinicianFactory(username="dr_psych", discipline="psychiatrist")
    )
    episode = EpisodeFactory(patient__team=team, onset=dt.date(2026, 1, 2))
    with time_machine.travel(NOON, tick=False):
        assessment_record(
            actor=clinician_on_team,
            patient=episode.patient,
            instrument="phq9",
            answers={"items": [1, 1, 1, 1, 1, 1, 1, 1, 2]},
        )
        engine.evaluate_episodes([episode.id])
    assert (
        Task.objects.get(flag=_flag(episode.patient, "self_harm_risk")).discipline == "psychiatrist"
    )
