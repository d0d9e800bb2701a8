"""Writes for worklist tasks."""

import datetime as dt
from typing import Any

from django.core.exceptions import NON_FIELD_ERRORS, ValidationError
from django.db import transaction
from django.utils import timezone

from apps.core.services import model_create, model_update

from .models import OPEN_TASK_STATUSES, Task, TaskStatus


@transaction.atomic
def task_create(
    *,
    actor: Any,
    team: Any,
    title: str,
    reason: str,
    due_on: dt.date,
    patient: Any = None,
    episode: Any = None,
    assignee: Any = None,
    discipline: str = "",
    priority: str = "routine",
    source: str = "manual",
    flag: Any = None,
    agenda_item: Any = None,
) -> Task:
    if patient is not None and patient.team_id != team.pk:
        # Otherwise another team's worklist would show this patient (the access rule).
        raise ValidationError({"patient": "The task must belong to the patient's own team."})
    if episode is not None and patient is not None and episode.patient_id != patient.pk:
        raise ValidationError({"episode": "That episode belongs to another patient."})
    if assignee is not None and not assignee.teams.filter(pk=team.pk).exists():
        raise ValidationError({"assignee": "Assign the task to a member of the patient's team."})
    return model_create(
        actor=actor,
        instance=Task(
            team=team,
            patient=patient,
            episode=episode,
            title=title,
            reason=reason,
            due_on=due_on,
            assignee=assignee,
            discipline=discipline,
            priority=priority,
            source=source,
            flag=flag,
            agenda_item=agenda_item,
            created_by=actor if getattr(actor, "is_authenticated", False) else None,
        ),
    )


@transaction.atomic
def task_claim(*, actor: Any, task: Task) -> Task:
    if task.status not in OPEN_TASK_STATUSES:
        raise ValidationError({"status": "Only an open task can be claimed."})
    if not actor.teams.filter(pk=task.team_id).exists():
        raise ValidationError({"assignee": "Only a member of the task's team can claim it."})
    model_update(
        actor=actor,
        instance=task,
        data={"assignee": actor, "status": TaskStatus.IN_PROGRESS},
    )
    return task


@transaction.atomic
def task_complete(*, actor: Any, task: Task, note: str = "") -> Task:
    """Close the task; an urgent one (Urgent, ASAP, Immediately) needs an outcome note."""
    note = (note or "").strip()
    if task.status not in OPEN_TASK_STATUSES:
        raise ValidationError({"status": "This task is already closed."})
    if task.needs_outcome_note and not note:
        raise ValidationError(
            {"outcome_note": "Say what was done before completing this urgent task."}
        )
    if (
        getattr(actor, "is_authenticated", False)
        and not actor.is_superuser
        and not actor.teams.filter(pk=task.team_id).exists()
    ):
        raise ValidationError(
            {NON_FIELD_ERRORS: "Only a member of the task's team can complete it."}
        )
    model_update(
        actor=actor,
        instance=task,
        data={
            "status": TaskStatus.COMPLETED,
            "completed_at": timezone.now(),
            "completed_by": actor,
            "outcome_note": note,
        },
    )
    return task
