"""One error body for every API error.

Every 4xx the API returns, whoever raised it (DRF, a service, the database, the URL resolver,
the size limit, the throttle), has the same shape::

    {"error": {"status": 400, "code": "invalid", "message": "Invalid input.",
               "fields": {"onset": ["Onset cannot be in the future."]}}}

``fields`` is present only for validation errors (400 ``invalid``): each key is the name of the
request field in error (nested fields as ``answers.items.3``, errors not tied to one field as
``non_field_errors``), each value a list of messages. A 404 never says whether the object is
missing or belongs to another team.
"""

import logging
from collections.abc import Mapping
from typing import Any

from django.core.exceptions import NON_FIELD_ERRORS, ObjectDoesNotExist, RequestDataTooBig
from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import IntegrityError
from django.http import Http404, HttpRequest, JsonResponse
from django.views.decorators.csrf import csrf_exempt
from rest_framework import exceptions, status
from rest_framework.response import Response
from rest_framework.settings import api_settings
from rest_framework.views import set_rollback

logger = logging.getLogger(__name__)

NOT_FOUND_MESSAGE = "Not found."


class Conflict(exceptions.APIException):
    status_code = status.HTTP_409_CONFLICT
    default_detail = "The request conflicts with the current state of the record; reload and retry."
    default_code = "conflict"


class RequestTooLarge(exceptions.APIException):
    status_code = status.HTTP_413_REQUEST_ENTITY_TOO_LARGE
    default_detail = "The request body is too large."
    default_code = "request_too_large"


class LockedOut(exceptions.APIException):
    status_code = status.HTTP_429_TOO_MANY_REQUESTS
    default_detail = "Too many failed sign-in attempts: this account is locked for a while."
    default_code = "locked_out"


def django_error_detail(exc: DjangoValidationError) -> dict[str, Any]:
    """A Django ValidationError (from a service or full_clean) as DRF field errors."""
    if hasattr(exc, "error_dict"):
        return {
            (api_settings.NON_FIELD_ERRORS_KEY if field == NON_FIELD_ERRORS else field): messages
            for field, messages in exc.message_dict.items()
        }
    return {api_settings.NON_FIELD_ERRORS_KEY: exc.messages}


def remap_fields(detail: Any, field_map: Mapping[str, str]) -> Any:
    """Rename the keys of a field-error dict (service names → request field names)."""
    if not isinstance(detail, dict) or not field_map:
        return detail
    renamed: dict[str, Any] = {}
    for key, value in detail.items():
        target = field_map.get(key, key)
        if target in renamed and isinstance(renamed[target], list) and isinstance(value, list):
            renamed[target] = renamed[target] + value
        else:
            renamed[target] = value
    return renamed


def flatten_errors(detail: Any, prefix: str = "") -> dict[str, list[str]]:
    """{"answers": {"items": {3: ["..."]}}} → {"answers.items.3": ["..."]}."""
    flat: dict[str, list[str]] = {}

    def key_for(part: Any) -> str:
        return f"{prefix}.{part}" if prefix else str(part)

    if isinstance(detail, dict):
        for key, value in detail.items():
            for name, messages in flatten_errors(value, key_for(key)).items():
                flat.setdefault(name, []).extend(messages)
    elif isinstance(detail, list):
        messages = [str(item) for item in detail if not isinstance(item, (dict, list))]
        if messages:
            flat.setdefault(prefix or api_settings.NON_FIELD_ERRORS_KEY, []).extend(messages)
        for index, item in enumerate(detail):
            if isinstance(item, (dict, list)) and item:
                for name, nested in flatten_errors(item, key_for(index)).items():
                    flat.setdefault(name, []).extend(nested)
    elif detail not in (None, ""):
        flat.setdefault(prefix or api_settings.NON_FIELD_ERRORS_KEY, []).append(str(detail))
    return flat


def error_body(
    status_code: int, code: str, message: str, fields: dict[str, list[str]] | None = None
) -> dict[str, Any]:
    error: dict[str, Any] = {"status": status_code, "code": code, "message": message}
    if fields is not None:
        error["fields"] = fields
    return {"error": error}


def _as_api_exception(exc: Exception) -> exceptions.APIException | None:
    if isinstance(exc, exceptions.APIException):
        return exc
    if isinstance(exc, DjangoValidationError):
        return exceptions.ValidationError(django_error_detail(exc))
    if isinstance(exc, IntegrityError):
        # A constraint the service's own checks did not catch: a concurrent write won the race.
        logger.info("API conflict: %s", exc)
        return Conflict()
    if isinstance(exc, (Http404, ObjectDoesNotExist)):
        return exceptions.NotFound(NOT_FOUND_MESSAGE)
    if isinstance(exc, DjangoPermissionDenied):
        return exceptions.PermissionDenied()
    if isinstance(exc, RequestDataTooBig):
        return RequestTooLarge()
    return None


def exception_handler(exc: Exception, context: dict[str, Any]) -> Response | None:
    """DRF EXCEPTION_HANDLER: every error in the one format; anything else is a real 500."""
    api_exc = _as_api_exception(exc)
    if api_exc is None:
        return None
    headers: dict[str, str] = {}
    auth_header = getattr(api_exc, "auth_header", None)
    if auth_header:
        headers["WWW-Authenticate"] = auth_header
    wait = getattr(api_exc, "wait", None)
    if wait is not None:
        headers["Retry-After"] = str(max(1, int(wait)))

    code = api_exc.default_code
    fields: dict[str, list[str]] | None = None
    if isinstance(api_exc, exceptions.ValidationError):
        code = "invalid"
        fields = flatten_errors(api_exc.detail)
        message = _summary(fields)
    elif isinstance(api_exc, exceptions.NotFound):
        message = NOT_FOUND_MESSAGE  # the same body for missing and forbidden
    else:
        detail = api_exc.detail
        message = (
            str(detail) if not isinstance(detail, (dict, list)) else str(api_exc.default_detail)
        )
    set_rollback()
    return Response(
        error_body(api_exc.status_code, str(code), message, fields),
        status=api_exc.status_code,
        headers=headers,
    )


def _summary(fields: dict[str, list[str]]) -> str:
    if len(fields) == 1:
        name, messages = next(iter(fields.items()))
        if messages:
            return (
                messages[0]
                if name == api_settings.NON_FIELD_ERRORS_KEY
                else f"{name}: {messages[0]}"
            )
    return "Invalid input: see the fields in error."


@csrf_exempt  # it changes nothing, and a POST to a wrong URL must get this 404, not a CSRF 403
def api_not_found(request: HttpRequest, *args: Any, **kwargs: Any) -> JsonResponse:
    """Any URL under /api/ that matches no endpoint (API URLs end with a slash)."""
    body = error_body(
        404,
        "not_found",
        "No such API endpoint. API URLs end with a slash; see /api/docs/ for the list.",
    )
    return JsonResponse(body, status=404)
