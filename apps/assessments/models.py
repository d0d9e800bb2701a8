from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from simple_history.models import HistoricalRecords

from apps.core.models import TimeStampedModel


class Instrument(models.TextChoices):
    NRS = "nrs", "Pain NRS"
    PEG = "peg", "PEG"
    ODI = "odi", "Oswestry Disability Index"
    START_BACK = "start_back", "STarT Back"
    PHQ9 = "phq9", "PHQ-9"
    GAD7 = "gad7", "GAD-7"
    SLEEP = "sleep", "Sleep quality"
    WORK_STATUS = "work_status", "Work status"


# Instruments that measure recovery (pain and function): what "outcome measure" means for rules.
OUTCOME_INSTRUMENTS = (Instrument.NRS, Instrument.PEG, Instrument.ODI)

# Score ranges (CLINICAL.md "Instruments and scoring"), enforced by a database check constraint.
SCORE_RANGES = {
    Instrument.NRS: (0, 10),
    Instrument.PEG: (0, 10),
    Instrument.ODI: (0, 100),
    Instrument.START_BACK: (0, 9),
    Instrument.PHQ9: (0, 27),
    Instrument.GAD7: (0, 21),
    Instrument.SLEEP: (0, 10),
}


def _score_in_range() -> Q:
    cond = Q(instrument=Instrument.WORK_STATUS, score__isnull=True)
    for instrument, (low, high) in SCORE_RANGES.items():
        cond |= Q(instrument=instrument, score__isnull=True) | Q(
            instrument=instrument, score__gte=low, score__lte=high
        )
    return cond


class Reporter(models.TextChoices):
    CLINICIAN = "clinician", "Clinician"
    PATIENT = "patient", "Patient"


class SelfHarm(models.TextChoices):
    YES = "yes", "Yes"
    NO = "no", "No"
    UNKNOWN = "unknown", "Unknown (item 9 missing)"


class Assessment(TimeStampedModel):
    """An outcome measure. Raw answers in ``answers``; scores computed by apps.clinical.scoring.

    Scores are written only by ``apps.assessments.services.assessment_record``, never typed in.
    """

    patient = models.ForeignKey(
        "patients.Patient", on_delete=models.PROTECT, related_name="assessments"
    )
    episode = models.ForeignKey(
        "patients.Episode",
        on_delete=models.PROTECT,
        related_name="assessments",
        null=True,
        blank=True,
    )
    instrument = models.CharField(max_length=16, choices=Instrument.choices)
    answers = models.JSONField(help_text="Raw answers (ODI and STarT Back by section/item number).")
    score = models.DecimalField(
        max_digits=9, decimal_places=4, null=True, blank=True, editable=False
    )
    subscore = models.DecimalField(
        max_digits=9,
        decimal_places=4,
        null=True,
        blank=True,
        editable=False,
        help_text="STarT Back psychosocial subscale.",
    )
    band = models.CharField(max_length=24, blank=True, editable=False)
    self_harm = models.CharField(max_length=8, choices=SelfHarm.choices, blank=True, editable=False)
    taken_at = models.DateTimeField(default=timezone.now, db_index=True)
    reported_by = models.CharField(
        max_length=16, choices=Reporter.choices, default=Reporter.CLINICIAN
    )
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True
    )

    history = HistoricalRecords(excluded_fields=["updated_at"])

    class Meta:
        ordering = ["-taken_at"]
        indexes = [models.Index(fields=["patient", "instrument", "taken_at"])]
        constraints = [
            models.CheckConstraint(
                condition=_score_in_range(),
                name="assessment_score_in_range",
                violation_error_message="The score is outside the instrument's range.",
            ),
            models.CheckConstraint(
                condition=Q(subscore__isnull=True) | Q(subscore__gte=0, subscore__lte=5),
                name="assessment_subscore_in_range",
                violation_error_message="The STarT Back psychosocial subscale is 0–5.",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_instrument_display()} {self.score if self.score is not None else ''}".strip()
