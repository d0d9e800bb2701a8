"""Writes for patients, episodes, their care teams and red-flag screens."""

import datetime as dt
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from apps.audit.services import audit_record
from apps.core.dates import clinic_today
from apps.core.services import model_create, model_update
from apps.flags.triggers import patient_changed
from apps.teams.selectors import is_team_member

from .models import (
    CareTeamMember,
    ClinicalNote,
    Episode,
    EpisodeStatus,
    Patient,
    RedFlagFinding,
)

PATIENT_FIELDS = frozenset(
    {
        "mrn",
        "first_name",
        "last_name",
        "date_of_birth",
        "sex",
        "email",
        "phone",
        "preferred_channel",
        "quiet_hours_start",
        "quiet_hours_end",
        "timezone",
        "work_status",
        "work_status_since",
        "team",
    }
)


def _only(fields: dict[str, Any], allowed: frozenset[str]) -> dict[str, Any]:
    unknown = set(fields) - allowed
    if unknown:
        raise TypeError(f"Unexpected fields: {', '.join(sorted(unknown))}")
    return fields


@transaction.atomic
def patient_create(*, actor: Any, **fields: Any) -> Patient:
    return model_create(actor=actor, instance=Patient(**_only(fields, PATIENT_FIELDS)))


@transaction.atomic
def patient_update(*, actor: Any, patient: Patient, **fields: Any) -> Patient:
    data = _only(fields, PATIENT_FIELDS)
    if "work_status" in data and data["work_status"] != patient.work_status:
        data.setdefault("work_status_since", clinic_today())
    model_update(actor=actor, instance=patient, data=data)
    patient_changed(patient)
    return patient


@transaction.atomic
def patient_archive(*, actor: Any, patient: Patient) -> Patient:
    """Archive (never delete): the patient leaves caseloads and jobs, history is kept."""
    now = timezone.now()
    # Conditional UPDATE: a second archive (another tab, a stale instance, a concurrent request)
    # neither moves the original archive time nor writes a second audit event.
    archived = Patient.objects.filter(pk=patient.pk, archived_at__isnull=True).update(
        archived_at=now, updated_at=now
    )
    patient.refresh_from_db(fields=["archived_at", "updated_at"])
    if archived:
        audit_record(actor=actor, action="archive", obj=patient, changed_fields=["archived_at"])
    patient_changed(patient)
    return patient


@transaction.atomic
def episode_archive(*, actor: Any, episode: Episode) -> Episode:
    """Archive (never delete) an episode: it leaves caseloads and jobs, its history stays."""
    now = timezone.now()
    archived = Episode.objects.filter(pk=episode.pk, archived_at__isnull=True).update(
        archived_at=now, updated_at=now
    )
    episode.refresh_from_db(fields=["archived_at", "updated_at"])
    if archived:
        audit_record(actor=actor, action="archive", obj=episode, changed_fields=["archived_at"])
    patient_changed(episode.patient_id)
    return episode


@transaction.atomic
def episode_open(*, actor: Any, patient: Patient, onset: dt.date, summary: str = "") -> Episode:
    # Lock the patient row so that two concurrent requests cannot both open an episode
    # (nothing in the schema enforces one active episode per patient).
    list(Patient.objects.select_for_update().filter(pk=patient.pk).values_list("pk", flat=True))
    if patient.episodes.filter(status=EpisodeStatus.ACTIVE, archived_at__isnull=True).exists():
        raise ValidationError(
            {
                "onset": "This patient already has an active episode; close it before opening another."
            }
        )
    result = model_create(
        actor=actor, instance=Episode(patient=patient, onset=onset, summary=summary)
    )
    patient_changed(patient)
    return result


@transaction.atomic
def episode_close(*, actor: Any, episode: Episode, closed_on: dt.date | None = None) -> Episode:
    closed_on = closed_on or clinic_today()
    if episode.status == EpisodeStatus.CLOSED:
        raise ValidationError({"status": "This episode is already closed."})
    model_update(
        actor=actor,
        instance=episode,
        data={"status": EpisodeStatus.CLOSED, "closed_on": closed_on},
    )
    patient_changed(episode.patient_id)
    return episode


@transaction.atomic
def care_team_assign(
    *,
    actor: Any,
    episode: Episode,
    clinician: Any,
    role: str,
    start: dt.date | None = None,
    is_lead: bool = False,
) -> CareTeamMember:
    """Give ``clinician`` a role on the episode's care team; a new lead replaces the old one."""
    start = start or clinic_today()
    if not clinician.teams.filter(pk=episode.patient.team_id).exists():
        raise ValidationError(
            {"clinician": "The clinician must belong to the patient's team to join its care team."}
        )
    if is_lead:
        for current in episode.care_team.filter(is_lead=True, end__isnull=True):
            model_update(actor=actor, instance=current, data={"is_lead": False})
    result = model_create(
        actor=actor,
        instance=CareTeamMember(
            episode=episode, clinician=clinician, role=role, start=start, is_lead=is_lead
        ),
    )
    patient_changed(episode.patient_id)
    return result


@transaction.atomic
def care_team_end(
    *, actor: Any, member: CareTeamMember, end: dt.date | None = None
) -> CareTeamMember:
    model_update(actor=actor, instance=member, data={"end": end or clinic_today()})
    patient_changed(member.episode.patient_id)
    return member


@transaction.atomic
def red_flag_record(
    *, actor: Any, episode: Episode, sign: str, noted_on: dt.date | None = None, note: str = ""
) -> RedFlagFinding:
    finding = model_create(
        actor=actor,
        instance=RedFlagFinding(
            episode=episode,
            sign=sign,
            noted_on=noted_on or clinic_today(),
            noted_by=actor if getattr(actor, "is_authenticated", False) else None,
            note=note,
        ),
    )
    if episode.red_flags_screened_on is None:
        model_update(
            actor=actor, instance=episode, data={"red_flags_screened_on": finding.noted_on}
        )
    patient_changed(episode.patient_id)
    return finding


@transaction.atomic
def note_add(
    *, actor: Any, patient: Patient, body: str, episode: Episode | None = None
) -> ClinicalNote:
    if not body.strip():
        raise ValidationError({"body": "Write the note before saving it."})
    if not is_team_member(actor, patient.team_id):
        raise ValidationError({"author": "Only a member of the patient's team can write a note."})
    if episode is not None and episode.patient_id != patient.pk:
        raise ValidationError({"episode": "That episode belongs to another patient."})
    return model_create(
        actor=actor,
        instance=ClinicalNote(patient=patient, episode=episode, author=actor, body=body),
    )
