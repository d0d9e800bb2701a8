from django.conf import settings
from django.db import models
from django.db.models import F, Q
from simple_history.models import HistoricalRecords

from apps.core.dates import clinic_today
from apps.core.models import TimeStampedModel


class DrugClass(models.TextChoices):
    ACETAMINOPHEN = "acetaminophen", "Acetaminophen"
    NSAID = "nsaid", "NSAID"
    COX2 = "cox2_inhibitor", "COX-2 inhibitor (e.g. celecoxib)"
    TCA = "tricyclic", "Tricyclic antidepressant (e.g. low-dose doxepin)"
    ANTICONVULSANT = "anticonvulsant", "Anticonvulsant (e.g. gabapentin)"
    OPIOID_SHORT = "opioid_short", "Opioid, short-acting"
    OPIOID_LONG = "opioid_long", "Opioid, long-acting"
    MUSCLE_RELAXANT = "muscle_relaxant", "Muscle relaxant"
    BENZODIAZEPINE = "benzodiazepine", "Benzodiazepine"
    OTHER = "other", "Other"


OPIOID_CLASSES = frozenset({DrugClass.OPIOID_SHORT, DrugClass.OPIOID_LONG})


class OpioidDrug(models.TextChoices):
    """Opioids with a CDC 2022 MME conversion factor (see apps.clinical.scoring.daily_mme)."""

    CODEINE = "codeine", "Codeine"
    FENTANYL_PATCH = "fentanyl_patch", "Fentanyl transdermal (mcg/hr)"
    HYDROCODONE = "hydrocodone", "Hydrocodone"
    HYDROMORPHONE = "hydromorphone", "Hydromorphone"
    METHADONE = "methadone", "Methadone"
    MORPHINE = "morphine", "Morphine"
    OXYCODONE = "oxycodone", "Oxycodone"
    OXYMORPHONE = "oxymorphone", "Oxymorphone"
    TAPENTADOL = "tapentadol", "Tapentadol"
    TRAMADOL = "tramadol", "Tramadol"


class MedicationOrderQuerySet(models.QuerySet["MedicationOrder"]):
    def active_on(self, day):  # type: ignore[no-untyped-def]
        return self.filter(start_date__lte=day).filter(
            Q(stop_date__isnull=True) | Q(stop_date__gte=day)
        )


class MedicationOrder(TimeStampedModel):
    episode = models.ForeignKey(
        "patients.Episode", on_delete=models.CASCADE, related_name="medications"
    )
    drug = models.CharField(max_length=120, help_text="Drug name as prescribed, e.g. celecoxib.")
    drug_class = models.CharField(max_length=20, choices=DrugClass.choices)
    opioid = models.CharField(
        max_length=20,
        choices=OpioidDrug.choices,
        blank=True,
        help_text="For opioids: the substance used to compute morphine milligram equivalents.",
    )
    dose = models.DecimalField(max_digits=8, decimal_places=2, help_text="Amount per dose")
    dose_unit = models.CharField(max_length=16, default="mg")
    frequency = models.CharField(max_length=60, help_text="e.g. every 6 hours, twice daily")
    daily_dose = models.DecimalField(
        max_digits=9,
        decimal_places=2,
        help_text="Total per day (mg/day; for a fentanyl patch, mcg/hr).",
    )
    daily_mme = models.DecimalField(
        "daily MME",
        max_digits=9,
        decimal_places=2,
        null=True,
        blank=True,
        editable=False,
        help_text="Morphine milligram equivalents per day, computed (CDC 2022 factors).",
    )
    start_date = models.DateField(default=clinic_today)
    stop_date = models.DateField(null=True, blank=True)
    dose_changed_on = models.DateField(
        null=True,
        blank=True,
        help_text="Date of the last dose increase (restarts the review clock).",
    )
    prescriber = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="prescriptions",
    )
    last_reviewed_on = models.DateField(null=True, blank=True)
    naloxone_offered_on = models.DateField(null=True, blank=True)
    indication = models.CharField(max_length=200, blank=True)

    objects = MedicationOrderQuerySet.as_manager()

    history = HistoricalRecords(excluded_fields=["updated_at"])

    class Meta:
        ordering = ["-start_date"]
        constraints = [
            models.CheckConstraint(
                condition=Q(stop_date__isnull=True) | Q(stop_date__gte=F("start_date")),
                name="medication_stop_after_start",
                violation_error_message="A medication cannot stop before it starts.",
            ),
            models.CheckConstraint(
                condition=Q(dose__gt=0) & Q(daily_dose__gt=0),
                name="medication_dose_positive",
                violation_error_message="Doses must be greater than zero.",
            ),
            models.CheckConstraint(
                condition=~Q(drug_class__in=["opioid_short", "opioid_long"]) | ~Q(opioid=""),
                name="medication_opioid_named",
                violation_error_message="Choose the opioid substance so its MME can be computed.",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.drug} {self.dose} {self.dose_unit} {self.frequency}"

    @property
    def is_opioid(self) -> bool:
        return self.drug_class in OPIOID_CLASSES

    @property
    def naloxone_offered(self) -> bool:
        return self.naloxone_offered_on is not None

    def is_active_on(self, day) -> bool:  # type: ignore[no-untyped-def]
        return self.start_date <= day and (self.stop_date is None or self.stop_date >= day)
