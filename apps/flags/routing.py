"""Turning a rule's Route into owners: a task assignee or discipline queue, and the clinicians
told at once about an urgent flag."""

import datetime as dt
from collections import defaultdict
from collections.abc import Iterable
from typing import Any

from apps.core.choices import Severity
from apps.teams.models import TeamMembership

from .rules import Route

# Severity -> (task priority, days until due).
TASK_TIMING = {
    Severity.URGENT: ("urgent", 0),
    Severity.WARNING: ("routine", 2),
    Severity.INFO: ("routine", 7),
}


class TeamDirectory:
    """Members of some teams with their disciplines, read in one query."""

    def __init__(self, team_ids: Iterable[int]) -> None:
        self.members: dict[int, list[tuple[int, str, bool]]] = defaultdict(list)
        for team_id, clinician_id, discipline, is_lead in TeamMembership.objects.filter(
            team_id__in=set(team_ids), clinician__is_active=True
        ).values_list("team_id", "clinician_id", "clinician__discipline", "is_lead"):
            self.members[team_id].append((clinician_id, discipline, is_lead))

    def is_member(self, team_id: int, clinician_id: int | None) -> bool:
        return clinician_id is not None and any(m[0] == clinician_id for m in self.members[team_id])

    def assignee(self, team_id: int, route: Route) -> int | None:
        return route.clinician_id if self.is_member(team_id, route.clinician_id) else None

    def queue(self, team_id: int, route: Route) -> str:
        """The discipline queue: the first of the route's disciplines the team has (a
        self-harm task goes to psychiatry when the team has no psychologist)."""
        present = {discipline for _, discipline, _ in self.members[team_id]}
        return next((d for d in route.disciplines if d in present), route.disciplines[0])

    def recipients(self, team_id: int, route: Route) -> list[int]:
        """Who hears about an urgent flag: the named clinician, else the discipline's members."""
        named = self.assignee(team_id, route)
        if named is not None:
            return [named]
        return [
            cid for cid, discipline, _ in self.members[team_id] if discipline in route.disciplines
        ]


def task_fields(severity: str, today: dt.date, priority: str | None = None) -> dict[str, Any]:
    """A flag task's priority and due date; ``priority`` is the rule's override (Route.priority)."""
    default, due_in = TASK_TIMING[Severity(severity)]
    return {"priority": priority or default, "due_on": today + dt.timedelta(days=due_in)}
