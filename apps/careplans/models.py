from django.conf import settings
from django.db import models
from django.db.models import F, Q
from simple_history.models import HistoricalRecords

from apps.core.choices import Discipline
from apps.core.dates import clinic_today
from apps.core.models import TimeStampedModel


class InterventionKind(models.TextChoices):
    ACTIVITY_ADVICE = "activity_advice", "Activity advice (stay active)"
    MEDICATION = "medication", "Medication"
    COLD_HEAT = "cold_heat", "Cold / heat"
    EXERCISE_PROGRAMME = "exercise_programme", "Exercise programme (home)"
    PT_VISITS = "pt_visits", "Physical therapy follow-up visits"
    PSYCHOLOGICAL_THERAPY = "psychological_therapy", "Psychological therapy"
    PASSIVE_MODALITY = "passive_modality", "Passive modality (massage, ultrasound…)"
    SLEEP = "sleep", "Sleep"
    RETURN_TO_WORK = "return_to_work", "Return-to-work plan"
    EDUCATION = "education", "Education"


# Heat, ice, massage and ultrasound give temporary relief, rarely long-term benefit (DESIGN.md).
PASSIVE_KINDS = frozenset({InterventionKind.PASSIVE_MODALITY, InterventionKind.COLD_HEAT})
ACTIVE_KINDS = frozenset({InterventionKind.EXERCISE_PROGRAMME, InterventionKind.PT_VISITS})


class InterventionStatus(models.TextChoices):
    PLANNED = "planned", "Planned"
    ACTIVE = "active", "Active"
    COMPLETED = "completed", "Completed"
    STOPPED = "stopped", "Stopped"


class GoalMeasure(models.TextChoices):
    NRS = "nrs", "Pain NRS (0–10)"
    PEG = "peg", "PEG (0–10)"
    ODI = "odi", "ODI (%)"
    PHQ9 = "phq9", "PHQ-9"
    GAD7 = "gad7", "GAD-7"
    SLEEP = "sleep", "Sleep quality (0–10)"
    WORK = "work_status", "Return to work"
    OTHER = "other", "Other (described)"


class AchievementStatus(models.TextChoices):
    """FHIR R4 goal-achievement value set."""

    IN_PROGRESS = "in-progress", "In progress"
    IMPROVING = "improving", "Improving"
    WORSENING = "worsening", "Worsening"
    NO_CHANGE = "no-change", "No change"
    ACHIEVED = "achieved", "Achieved"
    SUSTAINING = "sustaining", "Sustaining"
    NOT_ACHIEVED = "not-achieved", "Not achieved"
    NO_PROGRESS = "no-progress", "No progress"
    NOT_ATTAINABLE = "not-attainable", "Not attainable"


class PlanStatus(models.TextChoices):
    ACTIVE = "active", "Active"
    COMPLETED = "completed", "Completed"
    REVOKED = "revoked", "Revoked"


class PlanTemplate(TimeStampedModel):
    """A reusable plan: interventions, goals and first follow-ups created in one step."""

    name = models.CharField(max_length=120, unique=True)
    slug = models.SlugField(unique=True)
    description = models.TextField(blank=True)
    is_active = models.BooleanField(default=True)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class PlanTemplateIntervention(models.Model):
    template = models.ForeignKey(
        PlanTemplate, on_delete=models.CASCADE, related_name="interventions"
    )
    kind = models.CharField(max_length=32, choices=InterventionKind.choices)
    discipline = models.CharField(max_length=32, choices=Discipline.choices)
    description = models.CharField(max_length=255)
    start_offset_days = models.PositiveIntegerField(default=0)
    duration_days = models.PositiveIntegerField(null=True, blank=True)
    order = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["order", "id"]

    def __str__(self) -> str:
        return self.description


class PlanTemplateGoal(models.Model):
    template = models.ForeignKey(PlanTemplate, on_delete=models.CASCADE, related_name="goals")
    measure = models.CharField(max_length=16, choices=GoalMeasure.choices)
    description = models.CharField(max_length=255)
    target = models.DecimalField(max_digits=6, decimal_places=2, null=True, blank=True)
    due_offset_days = models.PositiveIntegerField()
    order = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["order", "id"]

    def __str__(self) -> str:
        return self.description


class PlanTemplateFollowUp(models.Model):
    """A first follow-up the template asks for: becomes a task to book it, due at the offset."""

    template = models.ForeignKey(PlanTemplate, on_delete=models.CASCADE, related_name="follow_ups")
    discipline = models.CharField(max_length=32, choices=Discipline.choices)
    appointment_kind = models.CharField(max_length=32)
    title = models.CharField(max_length=200)
    offset_days = models.PositiveIntegerField()
    order = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["order", "id"]

    def __str__(self) -> str:
        return self.title


class CarePlan(TimeStampedModel):
    """The care plan of an episode. Its start date is the baseline for recovery rules."""

    episode = models.OneToOneField(
        "patients.Episode", on_delete=models.CASCADE, related_name="care_plan"
    )
    title = models.CharField(max_length=200)
    status = models.CharField(max_length=16, choices=PlanStatus.choices, default=PlanStatus.ACTIVE)
    started_on = models.DateField(default=clinic_today)
    template = models.ForeignKey(
        PlanTemplate, on_delete=models.SET_NULL, null=True, blank=True, related_name="plans"
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True
    )

    history = HistoricalRecords(excluded_fields=["updated_at"])

    class Meta:
        ordering = ["-started_on"]

    def __str__(self) -> str:
        return self.title


class Goal(TimeStampedModel):
    plan = models.ForeignKey(CarePlan, on_delete=models.CASCADE, related_name="goals")
    measure = models.CharField(max_length=16, choices=GoalMeasure.choices)
    description = models.CharField(max_length=255)
    baseline = models.DecimalField(max_digits=9, decimal_places=4, null=True, blank=True)
    target = models.DecimalField(max_digits=9, decimal_places=4, null=True, blank=True)
    due_on = models.DateField()
    achievement_status = models.CharField(
        max_length=16, choices=AchievementStatus.choices, default=AchievementStatus.IN_PROGRESS
    )

    history = HistoricalRecords(excluded_fields=["updated_at"])

    class Meta:
        ordering = ["due_on", "id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(target__isnull=True) | Q(target__gte=0),
                name="goal_target_not_negative",
                violation_error_message="A goal's target cannot be negative.",
            ),
        ]

    def __str__(self) -> str:
        return self.description


class Intervention(TimeStampedModel):
    plan = models.ForeignKey(CarePlan, on_delete=models.CASCADE, related_name="interventions")
    kind = models.CharField(max_length=32, choices=InterventionKind.choices)
    discipline = models.CharField(max_length=32, choices=Discipline.choices)
    description = models.CharField(max_length=255)
    status = models.CharField(
        max_length=16, choices=InterventionStatus.choices, default=InterventionStatus.PLANNED
    )
    start_date = models.DateField(default=clinic_today)
    end_date = models.DateField(null=True, blank=True)

    history = HistoricalRecords(excluded_fields=["updated_at"])

    class Meta:
        ordering = ["kind", "start_date"]
        constraints = [
            models.CheckConstraint(
                condition=Q(end_date__isnull=True) | Q(end_date__gte=F("start_date")),
                name="intervention_end_after_start",
                violation_error_message="An intervention cannot end before it starts.",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()}: {self.description}"
