from django.contrib.auth.models import AbstractUser
from django.db import models
from django.utils.crypto import salted_hmac

from apps.core.choices import Discipline


class Clinician(AbstractUser):
    """A user of CareTeam. Every user is a clinician of one discipline (admins may have none)."""

    discipline = models.CharField(max_length=32, choices=Discipline.choices, blank=True)
    title = models.CharField(max_length=40, blank=True, help_text="e.g. Dr, PT, RN")
    phone = models.CharField(max_length=32, blank=True)
    session_epoch = models.PositiveIntegerField(
        default=0,
        editable=False,
        help_text="Raised by “log out everywhere”: every session signed before it ends.",
    )

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

    def get_session_auth_hash(self) -> str:
        """Sessions are bound to the password *and* the session epoch, so raising the epoch
        ("log out everywhere") ends every session of this user on every device."""
        return salted_hmac(
            "careteam.accounts.Clinician.get_session_auth_hash",
            f"{self.password}:{self.session_epoch}",
            algorithm="sha256",
        ).hexdigest()

    @property
    def display_name(self) -> str:
        name = self.get_full_name() or self.username
        return f"{self.title} {name}".strip()
