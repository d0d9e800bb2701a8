"""Reads about team membership: who is on a team, who leads it."""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet

from .models import Team, TeamMembership


def is_team_member(clinician: Any, team_id: Any) -> bool:
    """Whether ``clinician`` belongs to the team: the rule for every clinician named on a
    patient's record (prescriber, assignee, author, care-team member, appointment, chair)."""
    if clinician is None or team_id is None or getattr(clinician, "pk", None) is None:
        return False
    return TeamMembership.objects.filter(team_id=team_id, clinician_id=clinician.pk).exists()


def teams_led_by(user: Any) -> QuerySet[Team]:
    """The teams whose lead ``user`` is (membership changes are theirs, and superusers')."""
    if user is None or not getattr(user, "is_authenticated", False):
        return Team.objects.none()
    return Team.objects.filter(memberships__clinician_id=user.pk, memberships__is_lead=True)
