"""Reading worklist tasks: a task belongs to a team; its patient, if any, must be visible."""

from typing import Any

from django.db.models import Q, QuerySet
from django.http import Http404

from apps.core.ids import parse_id
from apps.patients.selectors import patients_visible_to, teams_of

from .models import Task


def tasks_visible_to(user: Any) -> QuerySet[Task]:
    return Task.objects.filter(team__in=teams_of(user)).filter(
        Q(patient__isnull=True) | Q(patient__in=patients_visible_to(user))
    )


def task_get_for_user(user: Any, task_id: Any) -> Task:
    pk = parse_id(task_id)
    if pk is None:
        raise Http404("No such task.")
    try:
        return tasks_visible_to(user).get(pk=pk)
    except Task.DoesNotExist:
        raise Http404("No such task.") from None
