"""Recording an assessment: validate the raw answers, compute the scores with
apps.clinical.scoring (the only place scores are computed), store both."""

import datetime as dt
from collections.abc import Sequence
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


class IncompleteAnswers(ValueError):
    """Too few items answered to store the instrument (CLINICAL.md "Policies").

    ``missing`` names the unanswered items that must be answered, 1-based, so a form can show
    an error beside each of them; the message names them for an API client.
    """

    def __init__(self, message: str, missing: Sequence[int]) -> None:
        super().__init__(message)
        self.missing = list(missing)


def _numbers(numbers: Sequence[int]) -> str:
    return ", ".join(str(n) for n in numbers)


def _require_enough_answered(instrument: str, values: Any) -> None:
    """No instrument is stored with fewer answered items than CLINICAL.md allows:

    - ODI: scored only with at least 8 of the 10 sections answered, so at least 8;
    - PHQ-9: at most 2 items missing (the total is prorated). Item 9 (thoughts of self-harm)
      may be among them only as CLINICAL.md says: never imputed, the finding is "unknown" and
      raises the self-harm flag. The clinician form asks for it explicitly (an answer or "left
      blank by the patient"), never by default.

    Every other instrument needs every item (checked by its scoring function).
    """
    if not isinstance(values, list | tuple):
        return  # the scoring function names the shape it needs
    missing = [n for n, v in enumerate(values, start=1) if v is None or v == ""]
    if instrument == Instrument.ODI and len(values) == 10 and len(missing) > 2:
        raise IncompleteAnswers(
            f"The ODI needs at least 8 of its 10 sections answered; {10 - len(missing)} "
            f"answered (sections {_numbers(missing)} unanswered).",
            missing,
        )
    if instrument == Instrument.PHQ9 and len(values) == 9 and len(missing) > 2:
        raise IncompleteAnswers(
            f"The PHQ-9 needs at least 7 of its 9 items answered; {9 - len(missing)} "
            f"answered (items {_numbers(missing)} unanswered).",
            missing,
        )


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
        _require_enough_answered(instrument, a["sections"])
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
        _require_enough_answered(instrument, a["items"])
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

    Bad answers raise ``ValidationError({"answers": ...})`` with the scoring module's message;
    too few answered items (``IncompleteAnswers``) too, with ``.missing`` item numbers kept on
    the error so a form can mark each unanswered field.
    """
    try:
        scored = score_answers(instrument, answers)
    except IncompleteAnswers as exc:
        error = ValidationError({"answers": str(exc)})
        error.missing = exc.missing  # type: ignore[attr-defined]
        raise error from exc
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
