from django.contrib.auth.models import AbstractUser
from django.db import models

from apps.core.choices import Discipline


class Clinician(AbstractUser):
    """A user of CareTeam. Every user is a clinician of one discipline (admins may have none)."""

    discipline = models.CharField(max_length=32, choices=Discipline.choices, blank=True)
    title = models.CharField(max_length=40, blank=True, help_text="e.g. Dr, PT, RN")
    phone = models.CharField(max_length=32, blank=True)

    class Meta:
        ordering = ["last_name", "first_name", "username"]
        verbose_name = "clinician"

    def __str__(self) -> str:
        full = self.get_full_name()
        return (
            f"{full} ({self.get_discipline_display()})"
            if full and self.discipline
            else (full or self.username)
        )

    @property
    def display_name(self) -> str:
        name = self.get_full_name() or self.username
        return f"{self.title} {name}".strip()
