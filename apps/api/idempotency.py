"""``Idempotency-Key`` on API POSTs (the mechanism is apps/core/idempotency.py, shared with forms).

A POST that sends ``Idempotency-Key: <1–255 visible ASCII characters>`` runs at most once per
user and key:

- the same key with the same endpoint and body replays the first response — its status and
  body — with ``Idempotent-Replayed: true``, and writes nothing;
- the same key with another body or endpoint is a 422 ``idempotency_key_reused``;
- a concurrent request with the same key waits for the first and then replays it (409
  ``idempotency_key_in_progress`` if the first takes longer than a few seconds);
- only a successful (2xx) response is kept: after an error the same key may be sent again.

Keys are kept 24 hours. Without the header a POST runs as before.
"""

import json
from functools import partial
from typing import Any

from rest_framework import exceptions, status
from rest_framework.renderers import JSONRenderer
from rest_framework.request import Request
from rest_framework.response import Response

from apps.core import idempotency
from apps.core.models import IdempotencyKey

HEADER = "Idempotency-Key"
REPLAYED_HEADER = "Idempotent-Replayed"


class IdempotencyKeyReused(exceptions.APIException):
    status_code = status.HTTP_422_UNPROCESSABLE_ENTITY
    default_detail = (
        "This Idempotency-Key was already used for a different request (another body or "
        "endpoint): send a new key with a new request."
    )
    default_code = "idempotency_key_reused"


class IdempotencyKeyInProgress(exceptions.APIException):
    status_code = status.HTTP_409_CONFLICT
    default_detail = (
        "A request with this Idempotency-Key is still being processed: retry in a moment."
    )
    default_code = "idempotency_key_in_progress"


def _keep(response: Any) -> idempotency.Outcome | None:
    if not isinstance(response, Response) or not 200 <= response.status_code < 300:
        return None
    body = json.loads(JSONRenderer().render(response.data) or b"null")
    return idempotency.Outcome(
        status=response.status_code, location=response.get("Location", ""), body=body
    )


class IdempotentPostMixin:
    """For API views whose POSTs write: honours the ``Idempotency-Key`` header (after
    authentication, so keys are per user)."""

    def initial(self, request: Request, *args: Any, **kwargs: Any) -> None:
        super().initial(request, *args, **kwargs)  # type: ignore[misc]
        if request.method == "POST" and HEADER in request.headers:
            handler = getattr(self, "post", None)
            if handler is not None:
                # DRF looks the handler up after initial(): this request's POST runs once.
                setattr(self, "post", partial(self._run_once, handler))  # noqa: B010

    def _run_once(self, handler: Any, request: Request, *args: Any, **kwargs: Any) -> Any:
        key = request.headers.get(HEADER, "")
        if not idempotency.valid_key(key):
            raise exceptions.ValidationError(
                {HEADER: ["Send 1 to 255 visible ASCII characters (no spaces), e.g. a UUID."]}
            )
        data = request.data
        if not isinstance(data, (dict, list)):
            data = sorted(data.lists()) if hasattr(data, "lists") else str(data)
        try:
            result = idempotency.run_once(
                user=request.user,
                key=key,
                surface=IdempotencyKey.Surface.API,
                scope=f"POST {request.path}",
                request_fingerprint=idempotency.fingerprint(
                    sorted(request.query_params.lists()), data
                ),
                run=lambda: handler(request, *args, **kwargs),
                keep=_keep,
            )
        except idempotency.KeyInProgress:
            raise IdempotencyKeyInProgress() from None
        if not isinstance(result, idempotency.Replay):
            return result
        if not result.same_request:
            raise IdempotencyKeyReused()
        record = result.record
        headers = {REPLAYED_HEADER: "true"}
        if record.response_location:
            headers["Location"] = record.response_location
        return Response(record.response_body, status=record.response_status, headers=headers)
