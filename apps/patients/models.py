import datetime as dt
import zoneinfo

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import F, Q
from django.urls import reverse
from simple_history.models import HistoricalRecords

from apps.core.choices import Discipline
from apps.core.dates import clinic_today
from apps.core.models import TimeStampedModel

# Phases of a low-back-pain episode (ACP-derived guideline, CLINICAL.md "Phases of an episode"):
# acute < 4 weeks, subacute 4-12 weeks, chronic > 12 weeks since onset.
ACUTE_MAX_DAYS = 4 * 7  # day 0..27 acute
SUBACUTE_MAX_DAYS = 12 * 7  # day 28..84 subacute, from day 85 chronic


def validate_timezone(value: str) -> None:
    try:
        zoneinfo.ZoneInfo(value)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError) as exc:
        raise ValidationError(
            f"“{value}” is not a known time zone, e.g. America/New_York."
        ) from exc


class Channel(models.TextChoices):
    EMAIL = "email", "Email"
    SMS = "sms", "SMS"
    NONE = "none", "No reminders"


class WorkStatus(models.TextChoices):
    WORKING = "working", "Working, full duties"
    MODIFIED_DUTY = "modified_duty", "Working, modified duties or hours"
    OFF_WORK = "off_work", "Off work because of back pain"
    NOT_EMPLOYED = "not_employed", "Not employed"
    RETIRED = "retired", "Retired"
    STUDENT = "student", "Student"


class Sex(models.TextChoices):
    FEMALE = "female", "Female"
    MALE = "male", "Male"
    OTHER = "other", "Other"
    UNKNOWN = "unknown", "Unknown"


class PatientQuerySet(models.QuerySet["Patient"]):
    def active(self) -> "PatientQuerySet":
        return self.filter(archived_at__isnull=True)


class Patient(TimeStampedModel):
    mrn = models.CharField("MRN", max_length=32, unique=True)
    first_name = models.CharField(max_length=80)
    last_name = models.CharField(max_length=80)
    date_of_birth = models.DateField()
    sex = models.CharField(max_length=16, choices=Sex.choices, default=Sex.UNKNOWN)
    email = models.EmailField(blank=True)
    phone = models.CharField(max_length=32, blank=True)
    preferred_channel = models.CharField(
        max_length=8, choices=Channel.choices, default=Channel.EMAIL
    )
    quiet_hours_start = models.TimeField(
        null=True, blank=True, help_text="No reminders from this local time…"
    )
    quiet_hours_end = models.TimeField(null=True, blank=True, help_text="…until this local time.")
    timezone = models.CharField(
        max_length=64, default="America/New_York", validators=[validate_timezone]
    )
    work_status = models.CharField(
        max_length=16, choices=WorkStatus.choices, default=WorkStatus.WORKING
    )
    work_status_since = models.DateField(null=True, blank=True)
    team = models.ForeignKey(
        "teams.Team", on_delete=models.PROTECT, related_name="patients", help_text="Caseload"
    )
    archived_at = models.DateTimeField(null=True, blank=True)

    objects = PatientQuerySet.as_manager()

    history = HistoricalRecords(excluded_fields=["updated_at"])

    class Meta:
        ordering = ["last_name", "first_name"]
        indexes = [models.Index(fields=["team", "last_name", "first_name"])]
        constraints = [
            models.CheckConstraint(
                condition=Q(quiet_hours_start__isnull=True, quiet_hours_end__isnull=True)
                | Q(quiet_hours_start__isnull=False, quiet_hours_end__isnull=False),
                name="patient_quiet_hours_both_or_neither",
                violation_error_message="Give both the start and the end of quiet hours, or neither.",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.last_name}, {self.first_name} ({self.mrn})"

    @property
    def full_name(self) -> str:
        return f"{self.first_name} {self.last_name}"

    def get_absolute_url(self) -> str:
        return reverse("dashboard:patient", args=[self.pk])

    def age_on(self, day: dt.date | None = None) -> int:
        day = day or clinic_today()
        dob = self.date_of_birth
        return day.year - dob.year - ((day.month, day.day) < (dob.month, dob.day))

    def clean(self) -> None:
        super().clean()
        if self.date_of_birth and self.date_of_birth > clinic_today():
            raise ValidationError({"date_of_birth": "Date of birth cannot be in the future."})


class Phase(models.TextChoices):
    ACUTE = "acute", "Acute (< 4 weeks)"
    SUBACUTE = "subacute", "Subacute (4–12 weeks)"
    CHRONIC = "chronic", "Chronic (> 12 weeks)"


def phase_for(onset: dt.date, on: dt.date) -> str:
    days = (on - onset).days
    if days < ACUTE_MAX_DAYS:
        return Phase.ACUTE
    if days <= SUBACUTE_MAX_DAYS:
        return Phase.SUBACUTE
    return Phase.CHRONIC


class EpisodeStatus(models.TextChoices):
    ACTIVE = "active", "Active"
    CLOSED = "closed", "Closed"


class EpisodeQuerySet(models.QuerySet["Episode"]):
    def active(self) -> "EpisodeQuerySet":
        return self.filter(
            status=EpisodeStatus.ACTIVE, archived_at__isnull=True, patient__archived_at__isnull=True
        )


class Episode(TimeStampedModel):
    """An episode of back pain. Its phase is derived from the onset date."""

    patient = models.ForeignKey(Patient, on_delete=models.PROTECT, related_name="episodes")
    onset = models.DateField(help_text="Date the back pain began.")
    status = models.CharField(
        max_length=8, choices=EpisodeStatus.choices, default=EpisodeStatus.ACTIVE
    )
    closed_on = models.DateField(null=True, blank=True)
    summary = models.CharField(
        max_length=200, blank=True, help_text="e.g. mechanical low back pain"
    )
    red_flags_screened_on = models.DateField(null=True, blank=True)
    archived_at = models.DateTimeField(null=True, blank=True)

    objects = EpisodeQuerySet.as_manager()

    history = HistoricalRecords(excluded_fields=["updated_at"])

    class Meta:
        ordering = ["-onset"]
        indexes = [models.Index(fields=["status", "onset"])]
        constraints = [
            models.UniqueConstraint(
                fields=["patient"],
                condition=Q(status="active", archived_at__isnull=True),
                name="episode_one_active_per_patient",
                violation_error_message="This patient already has an active episode.",
            ),
            models.CheckConstraint(
                condition=Q(closed_on__isnull=True) | Q(closed_on__gte=F("onset")),
                name="episode_closed_after_onset",
                violation_error_message="The episode cannot close before its onset.",
            ),
            models.CheckConstraint(
                condition=Q(status="active", closed_on__isnull=True)
                | Q(status="closed", closed_on__isnull=False),
                name="episode_closed_has_date",
                violation_error_message="A closed episode needs a closing date; an active one has none.",
            ),
        ]

    def __str__(self) -> str:
        return f"Episode from {self.onset:%Y-%m-%d} ({self.patient})"

    def day_on(self, on: dt.date | None = None) -> int:
        """Day of the episode, onset being day 0."""
        return ((on or clinic_today()) - self.onset).days

    def phase_on(self, on: dt.date | None = None) -> str:
        return phase_for(self.onset, on or clinic_today())

    @property
    def phase(self) -> str:
        return self.phase_on()

    def get_phase_display_now(self) -> str:
        return str(Phase(self.phase).label)

    def clean(self) -> None:
        super().clean()
        if self.onset and self.onset > clinic_today():
            raise ValidationError({"onset": "Onset cannot be in the future."})


class RedFlagCategory(models.TextChoices):
    """Triage red flags (CLINICAL.md, "Red flags")."""

    CAUDA_EQUINA = "cauda_equina", "Cauda equina"
    CANCER = "cancer", "Cancer"
    INFECTION = "infection", "Infection"
    FRACTURE = "fracture", "Fracture"


class RedFlagSign(models.TextChoices):
    BLADDER_BOWEL = "bladder_bowel", "Loss of bladder or bowel control"
    SADDLE_ANAESTHESIA = "saddle_anaesthesia", "Saddle anaesthesia"
    LEG_DEFICIT = "leg_deficit", "Severe or progressive leg neurological deficit"
    CANCER_HISTORY = "cancer_history", "History of cancer"
    NEW_ONSET_AGE = "new_onset_age", "New onset over 50 or under 20"
    WEIGHT_LOSS = "weight_loss", "Unexplained weight loss"
    NIGHT_PAIN = "night_pain", "Night pain"
    NO_IMPROVEMENT_MONTH = "no_improvement_month", "No improvement after 1 month"
    FEVER = "fever", "Fever"
    IMMUNOSUPPRESSION = "immunosuppression", "Immunosuppression"
    IV_DRUG_USE = "iv_drug_use", "IV drug use"
    TRAUMA = "trauma", "Significant trauma"
    OSTEOPOROSIS = "osteoporosis", "Osteoporosis"
    STEROID_USE = "steroid_use", "Long-term steroid use"


RED_FLAG_CATEGORY_OF_SIGN = {
    RedFlagSign.BLADDER_BOWEL: RedFlagCategory.CAUDA_EQUINA,
    RedFlagSign.SADDLE_ANAESTHESIA: RedFlagCategory.CAUDA_EQUINA,
    RedFlagSign.LEG_DEFICIT: RedFlagCategory.CAUDA_EQUINA,
    RedFlagSign.CANCER_HISTORY: RedFlagCategory.CANCER,
    RedFlagSign.NEW_ONSET_AGE: RedFlagCategory.CANCER,
    RedFlagSign.WEIGHT_LOSS: RedFlagCategory.CANCER,
    RedFlagSign.NIGHT_PAIN: RedFlagCategory.CANCER,
    RedFlagSign.NO_IMPROVEMENT_MONTH: RedFlagCategory.CANCER,
    RedFlagSign.FEVER: RedFlagCategory.INFECTION,
    RedFlagSign.IMMUNOSUPPRESSION: RedFlagCategory.INFECTION,
    RedFlagSign.IV_DRUG_USE: RedFlagCategory.INFECTION,
    RedFlagSign.TRAUMA: RedFlagCategory.FRACTURE,
    RedFlagSign.OSTEOPOROSIS: RedFlagCategory.FRACTURE,
    RedFlagSign.STEROID_USE: RedFlagCategory.FRACTURE,
}


class RedFlagFinding(TimeStampedModel):
    """A red-flag sign recorded on the episode's triage screen."""

    episode = models.ForeignKey(Episode, on_delete=models.CASCADE, related_name="red_flags")
    sign = models.CharField(max_length=32, choices=RedFlagSign.choices)
    noted_on = models.DateField(default=clinic_today)
    noted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True
    )
    note = models.TextField(blank=True)
    cleared_on = models.DateField(
        null=True, blank=True, help_text="Set when the sign has been assessed and ruled out."
    )

    class Meta:
        ordering = ["-noted_on"]
        constraints = [
            models.UniqueConstraint(
                fields=["episode", "sign"],
                condition=Q(cleared_on__isnull=True),
                name="red_flag_sign_once_while_open",
                violation_error_message="This red-flag sign is already recorded and not cleared.",
            ),
            models.CheckConstraint(
                condition=Q(cleared_on__isnull=True) | Q(cleared_on__gte=F("noted_on")),
                name="red_flag_cleared_after_noted",
                violation_error_message="A red flag cannot be cleared before it was noted.",
            ),
        ]

    def __str__(self) -> str:
        return self.get_sign_display()

    @property
    def category(self) -> str:
        return str(RED_FLAG_CATEGORY_OF_SIGN[RedFlagSign(self.sign)])


class CareTeamMember(TimeStampedModel):
    """Which clinician holds which role on the episode's care team, for which period."""

    episode = models.ForeignKey(Episode, on_delete=models.CASCADE, related_name="care_team")
    clinician = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="care_team_roles"
    )
    role = models.CharField(max_length=32, choices=Discipline.choices)
    start = models.DateField(default=clinic_today)
    end = models.DateField(null=True, blank=True)
    is_lead = models.BooleanField(default=False)

    class Meta:
        ordering = ["role", "start"]
        constraints = [
            models.UniqueConstraint(
                fields=["episode"],
                condition=Q(is_lead=True, end__isnull=True),
                name="care_team_one_current_lead",
                violation_error_message="This care team already has a lead.",
            ),
            models.UniqueConstraint(
                fields=["episode", "clinician", "role"],
                condition=Q(end__isnull=True),
                name="care_team_role_once_while_current",
                violation_error_message="This clinician already holds this role on the episode.",
            ),
            models.CheckConstraint(
                condition=Q(end__isnull=True) | Q(end__gte=F("start")),
                name="care_team_end_after_start",
                violation_error_message="The role cannot end before it starts.",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_role_display()}: {self.clinician}"

    def is_current_on(self, day: dt.date) -> bool:
        return self.start <= day and (self.end is None or self.end >= day)


class ClinicalNote(TimeStampedModel):
    patient = models.ForeignKey(Patient, on_delete=models.PROTECT, related_name="notes")
    episode = models.ForeignKey(
        Episode, on_delete=models.SET_NULL, null=True, blank=True, related_name="notes"
    )
    author = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    body = models.TextField()

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"Note by {self.author} on {self.created_at:%Y-%m-%d}"
