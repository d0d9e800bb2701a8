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


# Status changes a clinician records on a booked appointment (FHIR R4 appointment status).
RECORDABLE_STATUSES = (
    AppointmentStatus.FULFILLED,
    AppointmentStatus.NOSHOW,
    AppointmentStatus.CANCELLED,
)


@transaction.atomic
def appointment_set_status(*, actor: Any, appointment: Appointment, status: str) -> Appointment:
    """Record what happened to a booked appointment: attended, no-show or cancelled.

    Attended and no-show can only be recorded once the appointment has started; a cancelled
    appointment sends no reminder (the messaging job re-checks the status at send time).
    """
    from django.utils import timezone

    from apps.core.services import model_update
    from apps.flags.triggers import patient_changed

    if status not in RECORDABLE_STATUSES:
        raise ValidationError({"status": "Choose attended, no-show or cancelled."})
    current = Appointment.objects.select_for_update().get(pk=appointment.pk)
    if current.status != AppointmentStatus.BOOKED:
        raise ValidationError(
            {"status": f"This appointment is already {current.get_status_display().lower()}."}
        )
    if status != AppointmentStatus.CANCELLED and current.starts_at > timezone.now():
        raise ValidationError(
            {"status": "Attendance can be recorded once the appointment has started."}
        )
    model_update(actor=actor, instance=current, data={"status": status})
    appointment.status = current.status
    patient_changed(current.patient_id)
    return current
