from decimal import Decimal

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models

from apps.core.models import TimeStampedModel

from .thresholds import THRESHOLDS


class ClinicalSetting(TimeStampedModel):
    """An admin's override of a clinical threshold (defaults and sources in thresholds.py)."""

    # One of THRESHOLDS' keys (checked in clean(); admin offers them as choices). Not a model
    # `choices`, so adding a threshold needs no migration.
    key = models.CharField(max_length=60, unique=True)
    value = models.DecimalField(max_digits=10, decimal_places=2)
    changed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True
    )

    class Meta:
        ordering = ["key"]

    def __str__(self) -> str:
        return f"{self.key} = {self.value}"

    @property
    def spec(self):  # type: ignore[no-untyped-def]
        return THRESHOLDS[self.key]

    def clean(self) -> None:
        super().clean()
        spec = THRESHOLDS.get(self.key)
        if spec is None:
            raise ValidationError({"key": f"“{self.key}” is not a clinical threshold."})
        if self.value is None:
            return
        value = Decimal(self.value)
        if not spec.minimum <= value <= spec.maximum:
            raise ValidationError(
                {"value": f"Must be between {spec.minimum} and {spec.maximum} {spec.unit}."}
            )
