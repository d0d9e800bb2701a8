from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone

from apps.core.choices import Severity
from apps.core.models import TimeStampedModel


class FlagStatus(models.TextChoices):
    OPEN = "open", "Open"
    ACKNOWLEDGED = "acknowledged", "Acknowledged"
    SNOOZED = "snoozed", "Snoozed"
    RESOLVED = "resolved", "Resolved"


OPEN_FLAG_STATUSES = (FlagStatus.OPEN, FlagStatus.ACKNOWLEDGED, FlagStatus.SNOOZED)

# Safety findings (DESIGN.md: red flags need same-day action; PHQ-9 item 9 is a safety finding
# whatever the total): never snoozed, on any surface. A database constraint holds it too.
SAFETY_RULES = frozenset({"red_flag", "self_harm_risk"})


class Flag(TimeStampedModel):
    """A monitoring rule's finding on a patient, with the evidence that triggered it.

    At most one flag per patient and rule is not resolved (database constraint).
    """

    patient = models.ForeignKey("patients.Patient", on_delete=models.PROTECT, related_name="flags")
    episode = models.ForeignKey(
        "patients.Episode", on_delete=models.SET_NULL, null=True, blank=True, related_name="flags"
    )
    rule_code = models.CharField(max_length=40, db_index=True)
    severity = models.CharField(max_length=8, choices=Severity.choices)
    status = models.CharField(max_length=16, choices=FlagStatus.choices, default=FlagStatus.OPEN)
    summary = models.CharField(max_length=255)
    evidence = models.JSONField(default=dict, blank=True)
    fingerprint = models.CharField(
        max_length=200,
        blank=True,
        help_text="What exactly triggered the flag. A flag resolved by a clinician is not raised "
        "again while the fingerprint stays the same (e.g. the same PHQ-9, the same dose).",
    )
    raised_at = models.DateTimeField(default=timezone.now)
    last_evaluated_at = models.DateTimeField(default=timezone.now)
    acknowledged_at = models.DateTimeField(null=True, blank=True)
    acknowledged_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    snoozed_until = models.DateField(null=True, blank=True)
    resolved_at = models.DateTimeField(null=True, blank=True)
    resolved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    acknowledgement_note = models.TextField(
        blank=True, help_text="Why it was acknowledged: required for an urgent flag."
    )
    resolution_note = models.TextField(blank=True)
    auto_resolved = models.BooleanField(default=False)
    resolution_evidence = models.JSONField(
        null=True, blank=True, help_text="For auto-resolved flags: the evidence of clearing."
    )
    escalated_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-raised_at"]
        indexes = [models.Index(fields=["status", "severity"])]
        constraints = [
            models.UniqueConstraint(
                fields=["patient", "rule_code"],
                condition=~Q(status="resolved"),
                name="flag_one_open_per_patient_rule",
                violation_error_message="This patient already has an open flag for this rule.",
            ),
            models.CheckConstraint(
                condition=~Q(status="snoozed") | Q(snoozed_until__isnull=False),
                name="flag_snooze_has_date",
                violation_error_message="Give the date the snooze ends.",
            ),
            models.CheckConstraint(
                condition=~Q(status="resolved") | Q(resolved_at__isnull=False),
                name="flag_resolved_has_time",
                violation_error_message="A resolved flag needs its resolution time.",
            ),
            models.CheckConstraint(
                condition=~(Q(status="snoozed") & Q(rule_code__in=sorted(SAFETY_RULES))),
                name="flag_safety_never_snoozed",
                violation_error_message="A safety flag (red flag, self-harm risk) cannot be "
                "snoozed.",
            ),
        ]

    @property
    def is_safety(self) -> bool:
        return self.rule_code in SAFETY_RULES

    @property
    def can_snooze(self) -> bool:
        return not self.is_safety

    @property
    def needs_reason_to_acknowledge(self) -> bool:
        return self.severity == Severity.URGENT

    def __str__(self) -> str:
        from .rules import rule_label  # the rules import this module

        return f"{rule_label(self.rule_code)} ({self.get_severity_display()}) – {self.patient}"
