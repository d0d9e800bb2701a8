from django.conf import settings
from django.db import models

from apps.core.choices import Discipline
from apps.core.models import TimeStampedModel


class ConferenceStatus(models.TextChoices):
    PLANNED = "planned", "Planned"
    HELD = "held", "Held"
    CANCELLED = "cancelled", "Cancelled"


class CaseConference(TimeStampedModel):
    """A team's multidisciplinary case review."""

    team = models.ForeignKey("teams.Team", on_delete=models.PROTECT, related_name="conferences")
    scheduled_for = models.DateTimeField()
    status = models.CharField(
        max_length=12, choices=ConferenceStatus.choices, default=ConferenceStatus.PLANNED
    )
    chair = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True
    )
    notes = models.TextField(blank=True)

    class Meta:
        ordering = ["-scheduled_for"]

    def __str__(self) -> str:
        return f"{self.team} case conference {self.scheduled_for:%Y-%m-%d}"


class AgendaReason(models.TextChoices):
    STALLED = "stalled_recovery", "Stalled recovery"
    URGENT_FLAG = "urgent_flag", "Urgent flag"
    MANUAL = "manual", "Added by a clinician"


class AgendaItem(TimeStampedModel):
    conference = models.ForeignKey(
        CaseConference, on_delete=models.CASCADE, related_name="agenda_items"
    )
    patient = models.ForeignKey(
        "patients.Patient", on_delete=models.PROTECT, related_name="agenda_items"
    )
    reason = models.CharField(max_length=24, choices=AgendaReason.choices)
    evidence = models.JSONField(default=dict, blank=True)
    order = models.PositiveIntegerField(default=0)
    discussed = models.BooleanField(default=False)

    class Meta:
        ordering = ["order", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["conference", "patient"], name="agenda_patient_once_per_conference"
            )
        ]

    def __str__(self) -> str:
        return f"{self.patient} – {self.get_reason_display()}"


class ConferenceInput(TimeStampedModel):
    """One discipline's input on an agenda item."""

    agenda_item = models.ForeignKey(AgendaItem, on_delete=models.CASCADE, related_name="inputs")
    discipline = models.CharField(max_length=32, choices=Discipline.choices)
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True
    )
    text = models.TextField()

    class Meta:
        ordering = ["created_at"]

    def __str__(self) -> str:
        return f"{self.get_discipline_display()} input"
