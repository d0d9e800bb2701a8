"""Writes for medication orders. Daily MME is computed here, with apps.clinical.scoring."""

import datetime as dt
from decimal import Decimal, InvalidOperation
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction

from apps.clinical import scoring
from apps.core.dates import clinic_today
from apps.core.services import model_create, model_update
from apps.flags.triggers import patient_changed
from apps.teams.selectors import is_team_member

from .models import OPIOID_CLASSES, MedicationOrder

ORDER_FIELDS = frozenset(
    {
        "drug",
        "drug_class",
        "opioid",
        "dose",
        "dose_unit",
        "frequency",
        "daily_dose",
        "start_date",
        "stop_date",
        "prescriber",
        "last_reviewed_on",
        "naloxone_offered_on",
        "indication",
        "dose_changed_on",
    }
)


def compute_daily_mme(order: MedicationOrder) -> Decimal | None:
    if order.drug_class not in OPIOID_CLASSES:
        return None
    if not order.opioid:
        raise ValidationError({"opioid": "Choose the opioid substance so its MME can be computed."})
    if order.daily_dose is None:
        return None
    try:
        dose = Decimal(str(order.daily_dose))
    except InvalidOperation as exc:
        raise ValidationError({"daily_dose": "Enter the total daily dose as a number."}) from exc
    try:
        mme = scoring.daily_mme(order.opioid, dose)
    except ValueError as exc:
        raise ValidationError({"daily_dose": str(exc)}) from exc
    return Decimal(str(round(mme, 2)))


def _check_fields(fields: dict[str, Any]) -> dict[str, Any]:
    unknown = set(fields) - ORDER_FIELDS
    if unknown:
        raise TypeError(f"Unexpected fields: {', '.join(sorted(unknown))}")
    if fields.get("drug_class") and fields["drug_class"] not in OPIOID_CLASSES:
        fields["opioid"] = ""
    return fields


def _check_prescriber(prescriber: Any, episode: Any) -> None:
    if prescriber is not None and not is_team_member(prescriber, episode.patient.team_id):
        raise ValidationError(
            {"prescriber": "The prescriber must be a member of the patient's team."}
        )


@transaction.atomic
def medication_order_create(*, actor: Any, episode: Any, **fields: Any) -> MedicationOrder:
    order = MedicationOrder(episode=episode, **_check_fields(fields))
    if (
        order.drug_class in OPIOID_CLASSES
        and order.prescriber is None
        and getattr(actor, "is_authenticated", False)
        and is_team_member(actor, episode.patient.team_id)
    ):
        order.prescriber = actor
    _check_prescriber(order.prescriber, episode)
    order.daily_mme = compute_daily_mme(order)
    result = model_create(actor=actor, instance=order)
    patient_changed(episode.patient_id)
    return result


@transaction.atomic
def medication_order_update(
    *, actor: Any, order: MedicationOrder, **fields: Any
) -> MedicationOrder:
    """Change an order. A higher daily dose restarts the opioid review clock (CDC 2022)."""
    data = _check_fields(fields)
    if "prescriber" in data:
        _check_prescriber(data["prescriber"], order.episode)
    probe = MedicationOrder(**{**{f: getattr(order, f) for f in ORDER_FIELDS}, **data})
    new_mme = compute_daily_mme(probe)
    try:
        new_daily_dose = (
            None if data.get("daily_dose") is None else Decimal(str(data["daily_dose"]))
        )
    except InvalidOperation as exc:
        raise ValidationError({"daily_dose": "Enter the total daily dose as a number."}) from exc
    # For an opioid, escalation is measured in MME/day: a switch to a more potent opioid at the
    # same mg is an increase, a rotation to more mg of a weaker one is not. Otherwise, mg/day.
    if new_mme is not None and order.daily_mme is not None:
        increased = new_mme > order.daily_mme
    else:
        increased = (
            new_daily_dose is not None
            and order.daily_dose is not None
            and new_daily_dose > order.daily_dose
        )
    if increased and "dose_changed_on" not in data:
        data["dose_changed_on"] = clinic_today()
    data["daily_mme"] = new_mme
    model_update(actor=actor, instance=order, data=data)
    patient_changed(order.episode.patient_id)
    return order


@transaction.atomic
def medication_review(
    *,
    actor: Any,
    order: MedicationOrder,
    reviewed_on: dt.date | None = None,
    naloxone_offered: bool = False,
) -> MedicationOrder:
    reviewed_on = reviewed_on or clinic_today()
    if reviewed_on < order.start_date:
        raise ValidationError({"last_reviewed_on": "A review cannot come before the start date."})
    data: dict[str, Any] = {"last_reviewed_on": reviewed_on}
    if naloxone_offered and order.naloxone_offered_on is None:
        data["naloxone_offered_on"] = reviewed_on
    model_update(actor=actor, instance=order, data=data)
    patient_changed(order.episode.patient_id)
    return order


@transaction.atomic
def medication_stop(
    *, actor: Any, order: MedicationOrder, stop_date: dt.date | None = None
) -> MedicationOrder:
    model_update(actor=actor, instance=order, data={"stop_date": stop_date or clinic_today()})
    patient_changed(order.episode.patient_id)
    return order
