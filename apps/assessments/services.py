"""Recording an assessment: validate the raw answers, compute the scores with
apps.clinical.scoring (the only place scores are computed), store both."""

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from apps.clinical import scoring
from apps.core.services import model_create
from apps.flags.triggers import patient_changed
from apps.patients.models import Episode, Patient, WorkStatus

from .models import Assessment, Instrument, Reporter


@dataclass(frozen=True)
class Scored:
    answers: dict[str, Any]
    score: Decimal | None = None
    subscore: Decimal | None = None
    band: str = ""
    self_harm: str = ""


def _dec(value: float | int | None) -> Decimal | None:
    if value is None:
        return None
    return Decimal(str(round(float(value), 4)))


def _require(answers: Any, *keys: str) -> dict[str, Any]:
    if not isinstance(answers, dict):
        raise ValueError("Answers must be an object of named answers.")
    missing = [k for k in keys if k not in answers]
    if missing:
        raise ValueError(f"Missing answer: {', '.join(missing)}.")
    extra = set(answers) - set(keys)
    if extra:
        raise ValueError(f"Unexpected answer: {', '.join(sorted(extra))}.")
    return answers


def score_answers(instrument: str, answers: Any) -> Scored:
    """Validate ``answers`` for ``instrument`` and compute its scores. Raises ValueError."""
    if instrument == Instrument.NRS:
        a = _require(answers, "value")
        return Scored({"value": a["value"]}, score=_dec(scoring.score_nrs(a["value"])))
    if instrument == Instrument.SLEEP:
        a = _require(answers, "value")
        return Scored({"value": a["value"]}, score=_dec(scoring.score_sleep_quality(a["value"])))
    if instrument == Instrument.PEG:
        a = _require(answers, "pain", "enjoyment", "activity")
        peg = scoring.score_peg(a["pain"], a["enjoyment"], a["activity"])
        return Scored(dict(a), score=_dec(peg))
    if instrument == Instrument.ODI:
        a = _require(answers, "sections")
        odi = scoring.score_odi(a["sections"])
        return Scored(
            {"sections": list(a["sections"])}, score=_dec(odi.percent), band=odi.band or ""
        )
    if instrument == Instrument.START_BACK:
        a = _require(answers, "agree", "bothersomeness")
        sb = scoring.score_start_back(a["agree"], a["bothersomeness"])
        return Scored(
            {"agree": list(a["agree"]), "bothersomeness": a["bothersomeness"]},
            score=_dec(sb.total),
            subscore=_dec(sb.psychosocial),
            band=sb.risk,
        )
    if instrument == Instrument.PHQ9:
        a = _require(answers, "items")
        phq = scoring.score_phq9(a["items"])
        return Scored(
            {"items": list(a["items"])},
            score=_dec(phq.total),
            band=phq.band or "",
            self_harm=phq.self_harm,
        )
    if instrument == Instrument.GAD7:
        a = _require(answers, "items")
        gad = scoring.score_gad7(a["items"])
        return Scored({"items": list(a["items"])}, score=_dec(gad.total), band=gad.band)
    if instrument == Instrument.WORK_STATUS:
        a = _require(answers, "status")
        if a["status"] not in WorkStatus.values:
            raise ValueError(
                f"Work status must be one of: {', '.join(WorkStatus.values)}; got {a['status']!r}."
            )
        return Scored({"status": a["status"]}, band=a["status"])
    raise ValueError(f"Unknown instrument {instrument!r}.")


@transaction.atomic
def assessment_record(
    *,
    actor: Any,
    patient: Patient,
    instrument: str,
    answers: Any,
    episode: Episode | None = None,
    taken_at: dt.datetime | None = None,
    reported_by: str = Reporter.CLINICIAN,
) -> Assessment:
    """Validate and score the answers, save the assessment, audit it.

    Bad answers raise ``ValidationError({"answers": ...})`` with the scoring module's message.
    """
    try:
        scored = score_answers(instrument, answers)
    except ValueError as exc:
        raise ValidationError({"answers": str(exc)}) from exc
    taken_at = taken_at or timezone.now()
    if timezone.is_naive(taken_at):  # read a wall-clock time in the clinic's zone
        taken_at = timezone.make_aware(taken_at)
    if taken_at > timezone.now() + dt.timedelta(minutes=5):
        raise ValidationError({"taken_at": "An assessment cannot be taken in the future."})
    if episode is None:
        episode = patient.episodes.active().order_by("-onset").first()
    elif episode.patient_id != patient.pk:
        raise ValidationError({"episode": "That episode belongs to another patient."})
    assessment = model_create(
        actor=actor,
        instance=Assessment(
            patient=patient,
            episode=episode,
            instrument=instrument,
            answers=scored.answers,
            score=scored.score,
            subscore=scored.subscore,
            band=scored.band,
            self_harm=scored.self_harm,
            taken_at=taken_at,
            reported_by=reported_by,
            recorded_by=actor if getattr(actor, "is_authenticated", False) else None,
        ),
    )
    if instrument == Instrument.WORK_STATUS:
        _update_work_status(actor=actor, patient=patient, assessment=assessment)
    patient_changed(patient)
    return assessment


def _update_work_status(*, actor: Any, patient: Patient, assessment: Assessment) -> None:
    """The patient's work status follows their latest work-status assessment.

    A back-dated assessment older than the latest one does not overwrite the current status.
    The "since" date is the clinic-local date it was taken (not the UTC date).
    """
    newer = (
        Assessment.objects.filter(patient=patient, instrument=Instrument.WORK_STATUS)
        .exclude(pk=assessment.pk)
        .filter(taken_at__gt=assessment.taken_at)
        .exists()
    )
    status = assessment.answers["status"]
    if newer or patient.work_status == status:
        return
    from apps.patients.services import patient_update

    patient_update(
        actor=actor,
        patient=patient,
        work_status=status,
        work_status_since=timezone.localdate(assessment.taken_at),
    )
