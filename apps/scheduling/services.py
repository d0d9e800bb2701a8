"""Writes for appointments (follow-up visits)."""

import datetime as dt
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction

from apps.core.services import model_create

from .models import Appointment, AppointmentStatus


@transaction.atomic
def appointment_book(
    *,
    actor: Any,
    patient: Any,
    episode: Any,
    clinician: Any,
    discipline: str,
    kind: str,
    starts_at: dt.datetime,
    duration_minutes: int = 30,
    status: str = AppointmentStatus.BOOKED,
    location: str = "",
    notes: str = "",
) -> Appointment:
    """Book (or record) an appointment of ``patient`` with ``clinician``.

    ``status`` other than "booked" records a past visit as it happened (attended, no-show...).
    """
    if episode is not None and episode.patient_id != patient.pk:
        raise ValidationError({"episode": "That episode belongs to another patient."})
    if clinician is not None and not clinician.teams.filter(pk=patient.team_id).exists():
        raise ValidationError(
            {"clinician": "The clinician must belong to the patient's team to see the patient."}
        )
    return model_create(
        actor=actor,
        instance=Appointment(
            patient=patient,
            episode=episode,
            clinician=clinician,
            discipline=discipline,
            kind=kind,
            starts_at=starts_at,
            duration_minutes=duration_minutes,
            status=status,
            location=location,
            notes=notes,
        ),
    )
