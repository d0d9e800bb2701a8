import datetime as dt

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone

from apps.core.models import TimeStampedModel


class MessageChannel(models.TextChoices):
    EMAIL = "email", "Email"
    SMS = "sms", "SMS"


class MessageStatus(models.TextChoices):
    PENDING = "pending", "Pending"
    SENDING = "sending", "Sending (claimed by a worker)"
    SENT = "sent", "Sent"
    FAILED = "failed", "Failed"
    CANCELLED = "cancelled", "Cancelled"


class MessageKind(models.TextChoices):
    APPOINTMENT_REMINDER = "appointment_reminder", "Appointment reminder"
    CHECKIN = "checkin", "Assessment check-in"
    URGENT_FLAG = "urgent_flag", "Urgent flag notice"
    DIGEST = "digest", "Daily digest"
    ESCALATION = "escalation", "Escalation"


class OutboundMessage(TimeStampedModel):
    """Every reminder or notice sent outside the app, as a row.

    The idempotency key makes "the same reminder for the same appointment/flag/day" one row; a
    worker claims a row with a conditional UPDATE (pending -> sending) before it sends anything.
    """

    idempotency_key = models.CharField(max_length=200, unique=True)
    kind = models.CharField(max_length=24, choices=MessageKind.choices)
    channel = models.CharField(max_length=8, choices=MessageChannel.choices)
    patient = models.ForeignKey(
        "patients.Patient",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="messages",
        help_text="The patient the message is about (or to).",
    )
    appointment = models.ForeignKey(
        "scheduling.Appointment",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="reminders",
        help_text="For appointment reminders: re-checked at send time (cancelled → not sent).",
    )
    checkin = models.ForeignKey(
        "messaging.CheckIn",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="messages",
        help_text="For check-in invitations: not sent once the check-in is used or expired.",
    )
    recipient_clinician = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="messages",
    )
    to_address = models.CharField(max_length=254)
    subject = models.CharField(max_length=200, blank=True)
    body = models.TextField()
    status = models.CharField(
        max_length=12, choices=MessageStatus.choices, default=MessageStatus.PENDING
    )
    send_after = models.DateTimeField(default=timezone.now, db_index=True)
    attempts = models.PositiveIntegerField(default=0)
    max_attempts = models.PositiveIntegerField(default=5)
    last_error = models.TextField(blank=True)
    claimed_at = models.DateTimeField(null=True, blank=True)
    claimed_by = models.CharField(max_length=120, blank=True)
    sent_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-send_after"]
        indexes = [models.Index(fields=["status", "send_after"])]
        constraints = [
            models.CheckConstraint(
                condition=Q(status="sent", sent_at__isnull=False) | ~Q(status="sent"),
                name="message_sent_has_time",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} to {self.to_address} ({self.status})"


class Notification(TimeStampedModel):
    """An in-app notification for a clinician (the inbox), read or unread."""

    recipient = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="notifications"
    )
    patient = models.ForeignKey(
        "patients.Patient",
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="notifications",
    )
    kind = models.CharField(max_length=24, choices=MessageKind.choices)
    title = models.CharField(max_length=200)
    body = models.TextField(blank=True)
    url = models.CharField(max_length=300, blank=True)
    idempotency_key = models.CharField(max_length=200, unique=True)
    read_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        indexes = [models.Index(fields=["recipient", "read_at"])]

    def __str__(self) -> str:
        return self.title


class CheckIn(TimeStampedModel):
    """A one-time link that lets a patient report their outcome measures without logging in.

    The link carries ``signing.dumps({"c": id, "n": nonce})``: tamper-evident, and useless once
    ``used_at`` is set (a conditional UPDATE marks it used, so a double submit records nothing
    twice) or ``expires_at`` has passed.
    """

    patient = models.ForeignKey(
        "patients.Patient", on_delete=models.CASCADE, related_name="checkins"
    )
    episode = models.ForeignKey(
        "patients.Episode",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="checkins",
    )
    expires_at = models.DateTimeField()
    used_at = models.DateTimeField(null=True, blank=True)
    nonce = models.CharField(max_length=64, unique=True)

    class Meta:
        ordering = ["-created_at"]
        verbose_name = "check-in link"

    def __str__(self) -> str:
        state = "used" if self.used_at else "open"
        return f"Check-in {self.pk} ({state}, expires {self.expires_at:%Y-%m-%d})"

    def is_expired(self, now: dt.datetime | None = None) -> bool:
        return self.expires_at <= (now or timezone.now())
