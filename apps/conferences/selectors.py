"""Reading case conferences. A conference is reached through its team (the user must belong to
it); an agenda item also through its patient (``patients_visible_to``). Missing and forbidden are
the same 404."""

from typing import Any

from django.db.models import Count, Prefetch, Q, QuerySet
from django.http import Http404

from apps.audit.reads import object_shown
from apps.core.ids import parse_id
from apps.patients.selectors import patients_visible_to, teams_of
from apps.worklist.models import Task

from .models import AgendaItem, CaseConference, ConferenceInput, ConferenceStatus


def conferences_visible_to(user: Any) -> QuerySet[CaseConference]:
    return CaseConference.objects.filter(team__in=teams_of(user))


def conference_list(user: Any) -> QuerySet[CaseConference]:
    """The user's teams' conferences, planned ones first (soonest first), then held ones."""
    return (
        conferences_visible_to(user)
        .select_related("team", "chair")
        .annotate(
            items=Count("agenda_items", distinct=True),
            open_items=Count(
                "agenda_items", filter=Q(agenda_items__discussed=False), distinct=True
            ),
        )
        .order_by("-scheduled_for")
    )


def conference_get_for_user(user: Any, conference_id: Any) -> CaseConference:
    pk = parse_id(conference_id)
    if pk is None:
        raise Http404("No such conference.")
    try:
        return conferences_visible_to(user).select_related("team", "chair").get(pk=pk)
    except CaseConference.DoesNotExist:
        raise Http404("No such conference.") from None


def agenda_item_get_for_user(user: Any, item_id: Any) -> AgendaItem:
    pk = parse_id(item_id)
    if pk is None:
        raise Http404("No such agenda item.")
    try:
        item = (
            AgendaItem.objects.filter(
                conference__team__in=teams_of(user), patient__in=patients_visible_to(user)
            )
            .select_related("conference__team", "patient")
            .get(pk=pk)
        )
    except AgendaItem.DoesNotExist:
        raise Http404("No such agenda item.") from None
    object_shown(item)  # registered as shown (apps.audit.reads)
    return item


def agenda_of(user: Any, conference: CaseConference) -> list[AgendaItem]:
    """The agenda with each item's patient, inputs (and authors) and decisions (and owners):
    three queries whatever the number of items."""
    return list(
        conference.agenda_items.filter(patient__in=patients_visible_to(user, include_archived=True))
        .select_related("patient")
        .prefetch_related(
            Prefetch(
                "inputs",
                queryset=ConferenceInput.objects.select_related("author").order_by("created_at"),
            ),
            Prefetch(
                "decisions",
                queryset=Task.objects.select_related("assignee").order_by("due_on", "pk"),
            ),
        )
        .order_by("order", "pk")
    )


def next_planned_conference(user: Any, team: Any) -> CaseConference | None:
    return (
        conferences_visible_to(user)
        .filter(team=team, status=ConferenceStatus.PLANNED)
        .order_by("scheduled_for")
        .first()
    )
