"""Reading flags. A flag is reached only through a patient the user may see."""

from typing import Any

from django.http import Http404

from apps.audit.reads import object_shown
from apps.core.ids import parse_id
from apps.patients.selectors import patients_visible_to

from .models import OPEN_FLAG_STATUSES, Flag


def flags_visible_to(user: Any):  # type: ignore[no-untyped-def]
    return Flag.objects.filter(patient__in=patients_visible_to(user))


def flag_get_for_user(user: Any, flag_id: Any) -> Flag:
    """The flag if its patient is visible to ``user``; Http404 for missing and forbidden alike."""
    pk = parse_id(flag_id)
    if pk is None:
        raise Http404("No such flag.")
    try:
        flag = flags_visible_to(user).select_related("patient").get(pk=pk)
    except Flag.DoesNotExist:
        raise Http404("No such flag.") from None
    object_shown(flag)  # registered as shown (apps.audit.reads)
    return flag


def open_flags_for_patient(patient: Any):  # type: ignore[no-untyped-def]
    return Flag.objects.filter(patient=patient, status__in=OPEN_FLAG_STATUSES).order_by(
        "-raised_at"
    )
