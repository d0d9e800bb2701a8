"""Writes to clinical settings."""

from django.db import transaction

from .models import ClinicalSetting
from .thresholds import THRESHOLDS


@transaction.atomic
def sync_clinical_settings() -> int:
    """Give every threshold in ``THRESHOLDS`` a row (at its default) so admins can see and edit
    all of them; existing rows keep their value. Returns how many rows were added."""
    existing = set(ClinicalSetting.objects.values_list("key", flat=True))
    missing = [
        ClinicalSetting(key=key, value=spec.default)
        for key, spec in THRESHOLDS.items()
        if key not in existing
    ]
    ClinicalSetting.objects.bulk_create(missing, ignore_conflicts=True)
    return len(missing)
