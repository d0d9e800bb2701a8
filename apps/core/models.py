from django.conf import settings
from django.db import models
from django.utils import timezone


class TimeStampedModel(models.Model):
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        abstract = True


class WorkerHeartbeat(models.Model):
    """Last time a Celery worker ran the heartbeat task (scheduled by beat). Shown on /healthz."""

    worker = models.CharField(max_length=200, unique=True)
    last_seen = models.DateTimeField()
    beats = models.PositiveBigIntegerField(default=0)

    class Meta:
        ordering = ["-last_seen"]

    def __str__(self) -> str:
        return f"{self.worker} at {self.last_seen:%Y-%m-%d %H:%M:%S}"


class IdempotencyKey(models.Model):
    """One claimed one-time submission key: a form's hidden ``submission_key`` or an API request's
    ``Idempotency-Key`` header, per user (apps/core/idempotency.py).

    The row is inserted at the start of the request's transaction and committed together with
    what the request created, so a concurrent request with the same key waits on the unique
    constraint and then finds the stored outcome. Only successful outcomes are kept: a form shown
    again with errors or an API error leaves no row, so the corrected submission goes through.
    """

    class Surface(models.TextChoices):
        FORM = "form", "Browser form"
        API = "api", "API"

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="idempotency_keys"
    )
    key = models.CharField(max_length=255)
    surface = models.CharField(max_length=8, choices=Surface.choices)
    scope = models.CharField(max_length=300, help_text="Method and path of the first request.")
    fingerprint = models.CharField(max_length=64, help_text="SHA-256 of the first request's data.")
    response_status = models.PositiveSmallIntegerField()
    response_location = models.CharField(max_length=500, blank=True)
    response_body = models.JSONField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now, db_index=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["user", "key"], name="core_idempotency_key_per_user")
        ]

    def __str__(self) -> str:
        return f"{self.surface} {self.scope} ({self.key[:12]})"
