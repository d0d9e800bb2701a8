"""Reading worklist tasks: a task belongs to a team; its patient, if any, must be visible."""

from typing import Any

from django.db.models import Case, IntegerField, Q, QuerySet, Value, When
from django.http import Http404

from apps.audit.reads import object_shown
from apps.core.ids import parse_id
from apps.patients.selectors import patients_visible_to, teams_of

from .models import PRIORITY_RANK, Task

#: Clinical urgency of a task's priority (Immediately > ASAP > Urgent > Routine).
PRIORITY_ORDER = Case(
    *[When(priority=p, then=Value(rank)) for p, rank in PRIORITY_RANK.items()],
    default=Value(0),
    output_field=IntegerField(),
)


def by_urgency(tasks: QuerySet[Task]) -> QuerySet[Task]:
    """Most urgent first, then the earliest due: the one order of the worklist page and API.

    The priority choices do not sort alphabetically by urgency ("stat" < "urgent"), so rank them.
    """
    return tasks.annotate(priority_rank=PRIORITY_ORDER).order_by("-priority_rank", "due_on", "pk")


def tasks_visible_to(user: Any) -> QuerySet[Task]:
    return Task.objects.filter(team__in=teams_of(user)).filter(
        Q(patient__isnull=True) | Q(patient__in=patients_visible_to(user))
    )


def task_get_for_user(user: Any, task_id: Any) -> Task:
    pk = parse_id(task_id)
    if pk is None:
        raise Http404("No such task.")
    try:
        task = tasks_visible_to(user).get(pk=pk)
    except Task.DoesNotExist:
        raise Http404("No such task.") from None
    object_shown(task)  # registered as shown (apps.audit.reads)
    return task
