"""Writes for care plans: applying a template creates the whole plan in one step."""

import datetime as dt
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction

from apps.assessments.models import Assessment
from apps.core.dates import clinic_today
from apps.core.services import model_create, model_update
from apps.flags.triggers import patient_changed
from apps.patients.models import Episode, EpisodeStatus
from apps.worklist.services import task_create

from .models import CarePlan, Goal, Intervention, InterventionStatus, PlanTemplate

# Goal.baseline keeps 2 decimal places; scores are stored with 4 (e.g. PEG 4.3333, ODI 35.5556).
BASELINE_QUANTUM = Decimal("0.0001")


def _latest_score(episode: Episode, measure: str, on_or_before: dt.date) -> Decimal | None:
    """The latest score of ``measure`` in this episode (taken from its onset up to the plan's
    start, clinic-local dates), rounded to the goal's precision; None when there is none.

    A measure from an earlier episode is not this episode's baseline.
    """
    latest = (
        Assessment.objects.filter(
            patient_id=episode.patient_id,
            instrument=measure,
            score__isnull=False,
            taken_at__date__gte=episode.onset,
            taken_at__date__lte=on_or_before,
        )
        .order_by("-taken_at")
        .values_list("score", flat=True)
        .first()
    )
    if latest is None:
        return None
    return Decimal(latest).quantize(BASELINE_QUANTUM, rounding=ROUND_HALF_UP)


@transaction.atomic
def plan_template_apply(
    *,
    actor: Any,
    episode: Episode,
    template: PlanTemplate,
    start_date: dt.date | None = None,
) -> CarePlan:
    """Create the episode's care plan from ``template``: interventions, goals (with baselines
    from the latest measures) and a task to book each first follow-up, due at its offset."""
    start = start_date or clinic_today()
    if not template.is_active:
        raise ValidationError({"template": "This plan template is retired; choose an active one."})
    if episode.status != EpisodeStatus.ACTIVE:
        raise ValidationError({"episode": "A plan can only be applied to an active episode."})
    if CarePlan.objects.filter(episode=episode).exists():
        raise ValidationError({"template": "This episode already has a care plan."})
    if start < episode.onset:
        raise ValidationError({"start_date": "The plan cannot start before the episode's onset."})
    plan = model_create(
        actor=actor,
        instance=CarePlan(
            episode=episode,
            title=template.name,
            started_on=start,
            template=template,
            created_by=actor if getattr(actor, "is_authenticated", False) else None,
        ),
    )
    for item in template.interventions.all():
        begins = start + dt.timedelta(days=item.start_offset_days)
        model_create(
            actor=actor,
            audit=False,
            instance=Intervention(
                plan=plan,
                kind=item.kind,
                discipline=item.discipline,
                description=item.description,
                status=InterventionStatus.ACTIVE
                if begins <= max(start, clinic_today())
                else InterventionStatus.PLANNED,
                start_date=begins,
                end_date=begins + dt.timedelta(days=item.duration_days)
                if item.duration_days
                else None,
            ),
        )
    for goal in template.goals.all():
        model_create(
            actor=actor,
            audit=False,
            instance=Goal(
                plan=plan,
                measure=goal.measure,
                description=goal.description,
                baseline=_latest_score(episode, goal.measure, start),
                target=goal.target,
                due_on=start + dt.timedelta(days=goal.due_offset_days),
            ),
        )
    for follow_up in template.follow_ups.all():
        task_create(
            actor=actor,
            team=episode.patient.team,
            patient=episode.patient,
            episode=episode,
            title=follow_up.title,
            reason=f"First follow-up of the plan “{template.name}”.",
            due_on=start + dt.timedelta(days=follow_up.offset_days),
            discipline=follow_up.discipline,
            source="plan",
        )
    patient_changed(episode.patient_id)
    return plan


@transaction.atomic
def intervention_add(*, actor: Any, plan: CarePlan, **fields: Any) -> Intervention:
    result = model_create(actor=actor, instance=Intervention(plan=plan, **fields))
    patient_changed(plan.episode.patient_id)
    return result


@transaction.atomic
def intervention_update(*, actor: Any, intervention: Intervention, **fields: Any) -> Intervention:
    model_update(actor=actor, instance=intervention, data=fields)
    patient_changed(intervention.plan.episode.patient_id)
    return intervention


@transaction.atomic
def goal_add(*, actor: Any, plan: CarePlan, **fields: Any) -> Goal:
    return model_create(actor=actor, instance=Goal(plan=plan, **fields))
