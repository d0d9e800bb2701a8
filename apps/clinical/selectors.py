"""Reading clinical thresholds: the admin's value where one is set, else the CLINICAL.md default."""

from decimal import Decimal

from .models import ClinicalSetting
from .thresholds import THRESHOLDS


def thresholds() -> dict[str, Decimal]:
    """Every threshold in one query: defaults overlaid with admins' settings."""
    values = {key: spec.default for key, spec in THRESHOLDS.items()}
    values.update(dict(ClinicalSetting.objects.values_list("key", "value")))
    return values


def threshold(key: str) -> Decimal:
    if key not in THRESHOLDS:
        raise KeyError(f"Unknown clinical threshold {key!r}")
    value = ClinicalSetting.objects.filter(key=key).values_list("value", flat=True).first()
    return THRESHOLDS[key].default if value is None else value
