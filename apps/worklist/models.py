from django.conf import settings
from django.db import models
from django.db.models import Q

from apps.core.choices import Discipline
from apps.core.models import TimeStampedModel


class TaskPriority(models.TextChoices):
    """FHIR R4 request priority."""

    ROUTINE = "routine", "Routine"
    URGENT = "urgent", "Urgent"
    ASAP = "asap", "ASAP"
    STAT = "stat", "Immediately"


PRIORITY_RANK = {"routine": 1, "urgent": 2, "asap": 3, "stat": 4}

#: Priorities whose completion needs an outcome note (what was done).
URGENT_PRIORITIES = ("urgent", "asap", "stat")


class TaskStatus(models.TextChoices):
    OPEN = "open", "Open"
    IN_PROGRESS = "in_progress", "In progress"
    COMPLETED = "completed", "Completed"
    CANCELLED = "cancelled", "Cancelled"


OPEN_TASK_STATUSES = (TaskStatus.OPEN, TaskStatus.IN_PROGRESS)


class TaskSource(models.TextChoices):
    MANUAL = "manual", "Created by a clinician"
    FLAG = "flag", "Raised by a monitoring rule"
    CONFERENCE = "conference", "Case-conference decision"
    PLAN = "plan", "Care-plan follow-up"


class Task(TimeStampedModel):
    """A worklist item owned by a person, or by a discipline's queue in a team."""

    team = models.ForeignKey("teams.Team", on_delete=models.PROTECT, related_name="tasks")
    patient = models.ForeignKey(
        "patients.Patient", on_delete=models.PROTECT, related_name="tasks", null=True, blank=True
    )
    episode = models.ForeignKey(
        "patients.Episode", on_delete=models.SET_NULL, related_name="tasks", null=True, blank=True
    )
    title = models.CharField(max_length=200)
    reason = models.TextField(help_text="Why this task exists.")
    assignee = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="assigned_tasks",
    )
    discipline = models.CharField(
        max_length=32,
        choices=Discipline.choices,
        blank=True,
        help_text="The discipline queue that owns the task while nobody has claimed it.",
    )
    due_on = models.DateField(db_index=True)
    priority = models.CharField(
        max_length=8, choices=TaskPriority.choices, default=TaskPriority.ROUTINE
    )
    status = models.CharField(max_length=16, choices=TaskStatus.choices, default=TaskStatus.OPEN)
    source = models.CharField(max_length=16, choices=TaskSource.choices, default=TaskSource.MANUAL)
    flag = models.ForeignKey(
        "flags.Flag", on_delete=models.SET_NULL, null=True, blank=True, related_name="tasks"
    )
    agenda_item = models.ForeignKey(
        "conferences.AgendaItem",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="decisions",
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="created_tasks",
    )
    completed_at = models.DateTimeField(null=True, blank=True)
    completed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="completed_tasks",
    )
    escalated_at = models.DateTimeField(null=True, blank=True)
    outcome_note = models.TextField(
        blank=True, help_text="What was done: required to complete an urgent task."
    )

    @property
    def needs_outcome_note(self) -> bool:
        return self.priority in URGENT_PRIORITIES

    class Meta:
        ordering = ["due_on", "-priority"]
        indexes = [models.Index(fields=["status", "due_on"])]
        constraints = [
            models.CheckConstraint(
                condition=Q(assignee__isnull=False) | ~Q(discipline=""),
                name="task_has_owner",
                violation_error_message="Assign the task to a person or to a discipline's queue.",
            ),
            models.UniqueConstraint(
                fields=["flag"],
                condition=Q(flag__isnull=False, status__in=["open", "in_progress"]),
                name="task_one_open_per_flag",
                violation_error_message="This flag already has an open task.",
            ),
        ]

    def __str__(self) -> str:
        return self.title
