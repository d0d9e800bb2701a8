"""Applying a plan template (apps.careplans.services.plan_template_apply).

One step creates the episode's whole plan: every intervention of the template (dated from the
plan's start), its goals (with a baseline from the latest measure), and a task to book each
first follow-up, waiting in that discipline's queue on the patient's team.
"""

import datetime as dt
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from apps.assessments.services import assessment_record
from apps.audit.models import AuditEvent
from apps.careplans.models import CarePlan, PlanTemplate
from apps.careplans.services import plan_template_apply
from apps.core.dates import clinic_today
from apps.patients.services import episode_close
from apps.worklist.models import Task
from tests.factories import EpisodeFactory

pytestmark = pytest.mark.django_db

ACUTE = "acute-conservative-care"
CHRONIC = "chronic-multidisciplinary-programme"


def _template(slug):
    return PlanTemplate.objects.get(slug=slug)


@pytest.fixture
def episode(patient):
    return EpisodeFactory(patient=patient, onset=clinic_today() - dt.timedelta(days=10))


def _at_days_ago(days):
    """Mid-morning in the clinic, ``days`` days ago (now, for 0: never in the future)."""
    if days == 0:
        return timezone.now()
    day = clinic_today() - dt.timedelta(days=days)
    return dt.datetime.combine(day, dt.time(10), tzinfo=timezone.get_default_timezone())


def test_both_pathway_templates_are_shipped():
    assert _template(ACUTE).name == "Acute conservative care"
    assert _template(CHRONIC).name == "Chronic multidisciplinary programme"
    assert _template(ACUTE).interventions.count() == 5
    assert _template(CHRONIC).interventions.count() == 7


def test_the_acute_template_never_prescribes_bed_rest():
    text = " ".join(_template(ACUTE).interventions.values_list("description", flat=True))

    assert "bed rest" not in text.lower()
    assert "active" in text.lower()


@pytest.mark.parametrize("slug", [ACUTE, CHRONIC])
def test_the_plan_gets_every_intervention_dated_from_its_start(clinician_on_team, episode, slug):
    template = _template(slug)
    start = clinic_today()

    plan = plan_template_apply(
        actor=clinician_on_team, episode=episode, template=template, start_date=start
    )

    expected = [
        (
            item.kind,
            item.discipline,
            item.description,
            start + dt.timedelta(days=item.start_offset_days),
            None
            if item.duration_days is None
            else start + dt.timedelta(days=item.start_offset_days + item.duration_days),
            "active" if item.start_offset_days == 0 else "planned",
        )
        for item in template.interventions.all()
    ]
    actual = [
        (i.kind, i.discipline, i.description, i.start_date, i.end_date, i.status)
        for i in plan.interventions.order_by("id")
    ]
    assert actual == expected
    assert plan.title == template.name
    assert plan.template == template
    assert plan.started_on == start
    assert plan.created_by == clinician_on_team


@pytest.mark.parametrize("slug", [ACUTE, CHRONIC])
def test_the_plan_gets_every_goal_due_at_its_offset(clinician_on_team, episode, slug):
    template = _template(slug)
    start = clinic_today()

    plan = plan_template_apply(
        actor=clinician_on_team, episode=episode, template=template, start_date=start
    )

    expected = [
        (g.measure, g.description, g.target, start + dt.timedelta(days=g.due_offset_days))
        for g in template.goals.all()
    ]
    actual = [(g.measure, g.description, g.target, g.due_on) for g in plan.goals.order_by("id")]
    assert actual == expected
    assert {g.achievement_status for g in plan.goals.all()} == {"in-progress"}


@pytest.mark.parametrize("slug", [ACUTE, CHRONIC])
def test_each_follow_up_becomes_a_task_in_its_disciplines_queue(
    clinician_on_team, team, episode, slug
):
    template = _template(slug)
    start = clinic_today()

    plan_template_apply(
        actor=clinician_on_team, episode=episode, template=template, start_date=start
    )

    expected = [
        (f.title, f.discipline, start + dt.timedelta(days=f.offset_days))
        for f in template.follow_ups.all()
    ]
    tasks = Task.objects.filter(episode=episode).order_by("id")
    assert [(t.title, t.discipline, t.due_on) for t in tasks] == expected
    for task in tasks:
        assert task.team == team
        assert task.patient == episode.patient
        assert task.assignee is None  # waiting in the queue until someone claims it
        assert task.status == "open"
        assert task.source == "plan"
        assert task.created_by == clinician_on_team
        assert template.name in task.reason


def test_the_acute_plan_books_the_day_7_physician_review(clinician_on_team, episode):
    start = clinic_today()

    plan_template_apply(
        actor=clinician_on_team, episode=episode, template=_template(ACUTE), start_date=start
    )

    review = Task.objects.get(episode=episode, discipline="physician")
    assert review.due_on == start + dt.timedelta(days=7)
    call = Task.objects.get(episode=episode, discipline="care_coordinator")
    assert call.due_on == start + dt.timedelta(days=3)


def test_the_chronic_plan_routes_to_all_four_disciplines(clinician_on_team, episode):
    plan_template_apply(actor=clinician_on_team, episode=episode, template=_template(CHRONIC))

    assert set(Task.objects.filter(episode=episode).values_list("discipline", flat=True)) == {
        "physical_therapist",
        "psychologist",
        "pain_specialist",
        "physician",
    }


def test_a_goals_baseline_is_the_latest_score_of_its_measure(clinician_on_team, episode):
    patient = episode.patient
    for days_ago, pain in [(5, 8), (1, 6)]:
        assessment_record(
            actor=clinician_on_team,
            patient=patient,
            episode=episode,
            instrument="nrs",
            answers={"value": pain},
            taken_at=_at_days_ago(days_ago),
        )

    plan = plan_template_apply(actor=clinician_on_team, episode=episode, template=_template(ACUTE))

    assert list(plan.goals.filter(measure="nrs").values_list("baseline", flat=True)) == [
        Decimal("6"),
        Decimal("6"),
    ]
    # No work-status score exists: no baseline, rather than a made-up one.
    assert plan.goals.get(measure="work_status").baseline is None


def test_a_goal_without_a_measurement_has_no_baseline(clinician_on_team, episode):
    plan = plan_template_apply(
        actor=clinician_on_team, episode=episode, template=_template(CHRONIC)
    )

    assert set(plan.goals.values_list("baseline", flat=True)) == {None}


def test_fractional_scores_become_baselines_without_failing(clinician_on_team, episode):
    patient = episode.patient
    # PEG 5,4,4 -> 4.3333...; ODI with section 8 missing -> 35.5556 (4 decimals stored).
    assessment_record(
        actor=clinician_on_team,
        patient=patient,
        instrument="peg",
        answers={"pain": 5, "enjoyment": 4, "activity": 4},
        taken_at=_at_days_ago(1),
    )
    assessment_record(
        actor=clinician_on_team,
        patient=patient,
        instrument="odi",
        answers={"sections": [2, 1, 3, 2, 2, 1, 1, None, 2, 2]},
        taken_at=_at_days_ago(1),
    )

    plan = plan_template_apply(
        actor=clinician_on_team, episode=episode, template=_template(CHRONIC)
    )

    baselines = {g.measure: g.baseline for g in plan.goals.all()}
    assert baselines["peg"] == Decimal("4.3333")
    assert baselines["odi"] == Decimal("35.5556")


def test_a_measure_taken_after_the_plans_start_is_not_its_baseline(clinician_on_team, episode):
    assessment_record(
        actor=clinician_on_team,
        patient=episode.patient,
        instrument="nrs",
        answers={"value": 4},
        taken_at=_at_days_ago(0),
    )

    plan = plan_template_apply(
        actor=clinician_on_team,
        episode=episode,
        template=_template(ACUTE),
        start_date=clinic_today() - dt.timedelta(days=2),
    )

    assert plan.goals.filter(measure="nrs").first().baseline is None


def test_a_measure_from_an_earlier_episode_is_not_this_episodes_baseline(
    clinician_on_team, patient
):
    old = EpisodeFactory(patient=patient, onset=clinic_today() - dt.timedelta(days=400))
    assessment_record(
        actor=clinician_on_team,
        patient=patient,
        episode=old,
        instrument="nrs",
        answers={"value": 9},
        taken_at=_at_days_ago(390),
    )
    episode_close(
        actor=clinician_on_team, episode=old, closed_on=clinic_today() - dt.timedelta(300)
    )
    current = EpisodeFactory(patient=patient, onset=clinic_today() - dt.timedelta(days=3))

    plan = plan_template_apply(actor=clinician_on_team, episode=current, template=_template(ACUTE))

    assert plan.goals.filter(measure="nrs").first().baseline is None


def test_applying_a_template_is_audited(clinician_on_team, episode):
    plan = plan_template_apply(actor=clinician_on_team, episode=episode, template=_template(ACUTE))

    events = AuditEvent.objects.filter(patient=episode.patient, action="create")
    assert events.filter(object_type="careplans.careplan", object_id=str(plan.pk)).exists()
    assert events.filter(object_type="worklist.task").count() == 2
    assert {e.actor for e in events} == {clinician_on_team}


def test_applying_a_second_template_to_the_same_episode_is_refused(clinician_on_team, episode):
    plan_template_apply(actor=clinician_on_team, episode=episode, template=_template(ACUTE))

    with pytest.raises(ValidationError) as caught:
        plan_template_apply(actor=clinician_on_team, episode=episode, template=_template(CHRONIC))

    assert caught.value.message_dict == {"template": ["This episode already has a care plan."]}
    assert CarePlan.objects.filter(episode=episode).count() == 1
    assert Task.objects.filter(episode=episode).count() == 2  # only the first plan's tasks


def test_applying_to_a_closed_episode_is_refused(clinician_on_team, episode):
    episode_close(actor=clinician_on_team, episode=episode)

    with pytest.raises(ValidationError) as caught:
        plan_template_apply(actor=clinician_on_team, episode=episode, template=_template(ACUTE))

    assert caught.value.message_dict == {
        "episode": ["A plan can only be applied to an active episode."]
    }
    assert not CarePlan.objects.exists()
    assert not Task.objects.exists()


def test_a_plan_cannot_start_before_the_episodes_onset(clinician_on_team, episode):
    with pytest.raises(ValidationError) as caught:
        plan_template_apply(
            actor=clinician_on_team,
            episode=episode,
            template=_template(ACUTE),
            start_date=episode.onset - dt.timedelta(days=1),
        )

    assert caught.value.message_dict == {
        "start_date": ["The plan cannot start before the episode's onset."]
    }
    assert not CarePlan.objects.exists()


def test_a_plan_may_start_on_the_day_of_onset(clinician_on_team, episode):
    plan = plan_template_apply(
        actor=clinician_on_team,
        episode=episode,
        template=_template(ACUTE),
        start_date=episode.onset,
    )

    assert plan.started_on == episode.onset


def test_a_retired_template_cannot_be_applied(clinician_on_team, episode):
    template = _template(ACUTE)
    template.is_active = False
    template.save()

    with pytest.raises(ValidationError) as caught:
        plan_template_apply(actor=clinician_on_team, episode=episode, template=template)

    assert caught.value.message_dict == {
        "template": ["This plan template is retired; choose an active one."]
    }


def test_a_plan_applied_by_a_job_has_no_author_but_still_gets_its_tasks(episode):
    plan = plan_template_apply(actor=None, episode=episode, template=_template(ACUTE))

    assert plan.created_by is None
    assert Task.objects.filter(episode=episode, created_by__isnull=True).count() == 2


def test_an_admin_edit_to_a_template_shapes_the_next_plan(clinician_on_team, episode):
    template = _template(ACUTE)
    template.follow_ups.filter(discipline="physician").update(offset_days=5)
    template.interventions.create(
        kind="exercise_programme",
        discipline="physical_therapist",
        description="Gentle walking programme",
        start_offset_days=2,
        duration_days=12,
        order=99,
    )
    start = clinic_today()

    plan = plan_template_apply(actor=clinician_on_team, episode=episode, template=template)

    walking = plan.interventions.get(description="Gentle walking programme")
    assert (walking.start_date, walking.end_date, walking.status) == (
        start + dt.timedelta(days=2),
        start + dt.timedelta(days=14),
        "planned",
    )
    assert Task.objects.get(episode=episode, discipline="physician").due_on == (
        start + dt.timedelta(days=5)
    )
