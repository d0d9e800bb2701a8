"""Vocabularies shared across the domain."""

from django.db import models


class Discipline(models.TextChoices):
    """A clinician's discipline; also the roles held on an episode's care team."""

    PHYSICIAN = "physician", "Physician"
    PHYSICAL_THERAPIST = "physical_therapist", "Physical therapist"
    PSYCHOLOGIST = "psychologist", "Psychologist"
    PSYCHIATRIST = "psychiatrist", "Psychiatrist"
    PAIN_SPECIALIST = "pain_specialist", "Pain-management specialist"
    CARE_COORDINATOR = "care_coordinator", "Care coordinator"
    NURSE = "nurse", "Nurse"


class Severity(models.TextChoices):
    INFO = "info", "Info"
    WARNING = "warning", "Warning"
    URGENT = "urgent", "Urgent"


SEVERITY_RANK = {Severity.INFO: 1, Severity.WARNING: 2, Severity.URGENT: 3}
