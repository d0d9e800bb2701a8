import datetime as dt

from django.conf import settings
from django.db import models
from django.db.models import Q

from apps.core.choices import Discipline
from apps.core.models import TimeStampedModel


class AppointmentKind(models.TextChoices):
    PT_VISIT = "pt_visit", "Physical therapy visit"
    PHYSICIAN_VISIT = "physician_visit", "Physician visit"
    PSYCHOLOGY_SESSION = "psychology_session", "Psychology / psychiatry session"
    PAIN_CLINIC = "pain_clinic", "Pain clinic"
    COORDINATOR_CALL = "coordinator_call", "Care-coordinator call"
    NURSE_VISIT = "nurse_visit", "Nurse visit"


class AppointmentStatus(models.TextChoices):
    """FHIR R4 appointment status subset."""

    BOOKED = "booked", "Booked"
    ARRIVED = "arrived", "Arrived"
    FULFILLED = "fulfilled", "Attended"
    CANCELLED = "cancelled", "Cancelled"
    NOSHOW = "noshow", "No-show"


class Appointment(TimeStampedModel):
    patient = models.ForeignKey(
        "patients.Patient", on_delete=models.PROTECT, related_name="appointments"
    )
    episode = models.ForeignKey(
        "patients.Episode",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="appointments",
    )
    clinician = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="appointments",
    )
    discipline = models.CharField(max_length=32, choices=Discipline.choices)
    kind = models.CharField(max_length=32, choices=AppointmentKind.choices)
    starts_at = models.DateTimeField(db_index=True)
    duration_minutes = models.PositiveIntegerField(default=30)
    status = models.CharField(
        max_length=16, choices=AppointmentStatus.choices, default=AppointmentStatus.BOOKED
    )
    location = models.CharField(max_length=120, blank=True)
    notes = models.TextField(blank=True)

    class Meta:
        ordering = ["starts_at"]
        indexes = [models.Index(fields=["patient", "starts_at"])]
        constraints = [
            models.CheckConstraint(
                condition=Q(duration_minutes__gte=5, duration_minutes__lte=480),
                name="appointment_duration_sane",
                violation_error_message="An appointment lasts between 5 minutes and 8 hours.",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.starts_at:%Y-%m-%d %H:%M}"

    @property
    def ends_at(self) -> dt.datetime:
        return self.starts_at + dt.timedelta(minutes=self.duration_minutes)
