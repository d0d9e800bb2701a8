from django.conf import settings
from django.db import models
from django.db.models import Q

from apps.core.models import TimeStampedModel


class Team(TimeStampedModel):
    """A standing multidisciplinary team of clinicians that shares a caseload."""

    name = models.CharField(max_length=120, unique=True)
    description = models.TextField(blank=True)
    members = models.ManyToManyField(  # type: ignore[var-annotated]
        settings.AUTH_USER_MODEL, through="TeamMembership", related_name="teams"
    )

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class TeamMembership(TimeStampedModel):
    team = models.ForeignKey(Team, on_delete=models.CASCADE, related_name="memberships")
    clinician = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="team_memberships"
    )
    is_lead = models.BooleanField(
        default=False, help_text="The team's lead physician: receives escalations."
    )

    class Meta:
        ordering = ["team", "clinician"]
        constraints = [
            models.UniqueConstraint(fields=["team", "clinician"], name="team_member_once"),
            models.UniqueConstraint(
                fields=["team"],
                condition=Q(is_lead=True),
                name="team_one_lead",
                violation_error_message="This team already has a lead physician.",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.clinician} in {self.team}"
