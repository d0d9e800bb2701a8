from django.conf import settings
from django.db import models
from django.utils import timezone


class AuditAction(models.TextChoices):
    VIEW = "view", "Viewed"
    CREATE = "create", "Created"
    UPDATE = "update", "Changed"
    DELETE = "delete", "Deleted"
    EXPORT = "export", "Exported"
    ARCHIVE = "archive", "Archived"


class Surface(models.TextChoices):
    PAGE = "page", "Web page"
    API = "api", "REST API"
    ADMIN = "admin", "Django admin"
    JOB = "job", "Background job"
    COMMAND = "command", "Management command"
    CHECKIN = "checkin", "Patient check-in link"


class AuditEventQuerySet(models.QuerySet["AuditEvent"]):
    def update(self, **kwargs):  # type: ignore[no-untyped-def]
        raise PermissionError("Audit events are append-only.")

    def delete(self):  # type: ignore[no-untyped-def]
        raise PermissionError("Audit events are append-only.")


class AuditEvent(models.Model):
    """Append-only: who read or changed which patient's record, when, from where, how."""

    at = models.DateTimeField(default=timezone.now, db_index=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    patient = models.ForeignKey(
        "patients.Patient", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    action = models.CharField(max_length=10, choices=AuditAction.choices)
    object_type = models.CharField(max_length=60)
    object_id = models.CharField(max_length=40, blank=True)
    changed_fields = models.JSONField(default=list, blank=True)
    surface = models.CharField(max_length=10, choices=Surface.choices)
    ip_address = models.GenericIPAddressField(null=True, blank=True)
    user_agent = models.CharField(max_length=300, blank=True)
    path = models.CharField(max_length=300, blank=True)
    # Reads: the URL pattern's name (``dashboard:patient``, ``api:assessment-list``,
    # ``admin:patients_patient_changelist``) and every patient the response showed — a list page
    # names the patients of its rows in this one row (``patient`` is set when there is one).
    route = models.CharField(max_length=120, blank=True, default="")
    patient_ids = models.JSONField(default=list, blank=True)

    objects = AuditEventQuerySet.as_manager()

    class Meta:
        ordering = ["-at"]
        indexes = [
            models.Index(fields=["patient", "at"]),
            models.Index(fields=["actor", "at"]),
        ]

    def __str__(self) -> str:
        return f"{self.at:%Y-%m-%d %H:%M} {self.actor} {self.action} {self.object_type}"

    def save(self, *args, **kwargs):  # type: ignore[no-untyped-def]
        if self.pk is not None and not self._state.adding:
            raise PermissionError("Audit events are append-only.")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):  # type: ignore[no-untyped-def]
        raise PermissionError("Audit events are append-only.")
