"""One-time submission keys: a resubmitted or concurrent duplicate request never writes twice.

One mechanism for both surfaces:

- **Browser forms.** Every create form carries a hidden ``submission_key`` (``{% submission_key %}``,
  a builtin template tag: apps/core/templatetags/submission.py), and its view is wrapped in
  ``@one_time_submission``. A double click, a resubmit of the same page or two tabs sending it
  all carry the same key: the first request saves, every other one is redirected to the first
  one's result with "Already saved". When the back button re-fetches the form page (a new key)
  and the browser puts the typed values back, the content is the same: the same user sending
  the same content to the same form within ``RESUBMIT_WINDOW`` is the same submission too. A
  create form posted without a key is refused (400) and saves nothing.
- **API.** A POST with an ``Idempotency-Key`` header (apps/api/idempotency.py): the same key and
  the same body replay the first response (status and body, ``Idempotent-Replayed: true``); the
  same key with another body or endpoint is a 422.

``run_once`` claims the key with an INSERT on the unique (user, key) constraint at the start of
one transaction that also holds the request's own writes and the stored outcome. A concurrent
request with the same key blocks on that INSERT until the first commits (then it finds the
outcome and replays it) or rolls back (then it goes ahead itself): two requests can never both
write. Waiting is bounded on PostgreSQL (``lock_timeout``): past it the caller gets
``KeyInProgress`` (a 409). Only successful outcomes are kept — a form shown again with its errors,
or an API error, deletes the claim, so the corrected request goes through with the same key.
Keys are purged after ``RETENTION`` (task ``core.purge_idempotency_keys``).
"""

import datetime as dt
import hashlib
import json
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from functools import wraps
from typing import Any, TypeVar

from django.contrib import messages
from django.db import IntegrityError, OperationalError, connection, transaction
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone

from .models import IdempotencyKey

R = TypeVar("R")

FORM_FIELD = "submission_key"
KEY_PATTERN = re.compile(r"^[\x21-\x7e]{1,255}$")  # visible ASCII, no spaces or control characters
WAIT_SECONDS = 10  # how long a duplicate waits for the first request (PostgreSQL lock_timeout)
RETENTION = {
    IdempotencyKey.Surface.FORM: dt.timedelta(days=7),  # a redirect URL only
    IdempotencyKey.Surface.API: dt.timedelta(hours=24),  # holds the response body: kept briefly
}


class KeyInProgress(Exception):
    """Another request with the same key is still running (it did not finish in WAIT_SECONDS)."""


@dataclass(frozen=True)
class Outcome:
    """What a successful request returned, stored for its replays."""

    status: int
    location: str = ""
    body: Any = None


@dataclass(frozen=True)
class Replay:
    """The key was used before: ``record`` holds the first request's outcome; ``same_request``
    says whether this request is the same one again (same endpoint and data)."""

    record: IdempotencyKey
    same_request: bool


def valid_key(key: str | None) -> bool:
    return bool(key) and KEY_PATTERN.match(key or "") is not None


def fingerprint(*parts: Any) -> str:
    """SHA-256 of the request's data in a canonical form (JSON, sorted keys)."""
    text = json.dumps(parts, sort_keys=True, default=str, separators=(",", ":"))
    return hashlib.sha256(text.encode()).hexdigest()


def _claim(**fields: Any) -> IdempotencyKey:
    with transaction.atomic():  # a savepoint: a duplicate key leaves the outer transaction usable
        if connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                # Only this INSERT waits at most WAIT_SECONDS: the setting is reset right after
                # it, and a failed INSERT rolls the savepoint back, the setting with it.
                cursor.execute(f"SET LOCAL lock_timeout = '{int(WAIT_SECONDS * 1000)}ms'")
                record = IdempotencyKey.objects.create(**fields)
                cursor.execute("SET LOCAL lock_timeout = DEFAULT")
            return record
        return IdempotencyKey.objects.create(**fields)


def run_once(
    *,
    user: Any,
    key: str,
    surface: str,
    scope: str,
    request_fingerprint: str,
    run: Callable[[], R],
    keep: Callable[[R], Outcome | None],
) -> R | Replay:
    """Run ``run()`` once per (user, key); ``keep(result)`` says what to store (``None``: the
    request did not succeed, forget the key). A later or concurrent call with the same key gets
    a ``Replay`` of the stored outcome instead of running again."""
    for _attempt in range(3):
        with transaction.atomic():
            try:
                record = _claim(
                    user=user,
                    key=key,
                    surface=surface,
                    scope=scope[:300],
                    fingerprint=request_fingerprint,
                    response_status=0,
                )
            except OperationalError as exc:
                if getattr(exc.__cause__, "sqlstate", "") == "55P03":  # lock_not_available
                    raise KeyInProgress(key) from exc
                raise
            except IntegrityError:
                existing = IdempotencyKey.objects.filter(user=user, key=key).first()
                if existing is None:
                    continue  # the first request rolled back between our INSERT and SELECT
                same = existing.scope == scope[:300] and existing.fingerprint == request_fingerprint
                return Replay(record=existing, same_request=same)
            result = run()
            outcome = keep(result)
            if outcome is None:
                record.delete()
            else:
                record.response_status = outcome.status
                record.response_location = outcome.location[:500]
                record.response_body = outcome.body
                record.save(update_fields=["response_status", "response_location", "response_body"])
            return result
    raise KeyInProgress(key)


def idempotency_keys_purge(*, now: dt.datetime | None = None) -> int:
    """Delete the keys older than their surface's ``RETENTION``; returns how many."""
    now = now or timezone.now()
    deleted = 0
    for surface, keep_for in RETENTION.items():
        n, _ = IdempotencyKey.objects.filter(
            surface=surface, created_at__lt=now - keep_for
        ).delete()
        deleted += n
    return deleted


# --- Browser forms ------------------------------------------------------------------------------

IGNORED_FIELDS = {"csrfmiddlewaretoken", FORM_FIELD}
# The same content sent again by the same user within this window is the same submission, even
# under a new key (see _same_submission_saved_recently). To save a second identical record on
# purpose within it, change something in it (e.g. the time or the wording).
RESUBMIT_WINDOW = dt.timedelta(minutes=10)
ALREADY_SAVED = "Already saved: this form had been sent once already, so nothing was added twice."
CHANGED_RESUBMIT = (
    "This form had already been saved, so the changes sent with it again were not saved. "
    "To add another, open the form again."
)


def _form_fingerprint(request: HttpRequest) -> str:
    items: Iterable[tuple[str, list[str]]] = request.POST.lists()
    return fingerprint(sorted((k, v) for k, v in items if k not in IGNORED_FIELDS))


def _same_submission_saved_recently(
    user: Any, key: str, scope: str, request_fingerprint: str
) -> IdempotencyKey | None:
    """The same form with the same content, saved by the same user under another key within
    ``RESUBMIT_WINDOW``: the back button re-fetched the form page (a new key) and the browser
    put the typed values back, then the form was sent again."""
    return (
        IdempotencyKey.objects.filter(
            user=user,
            surface=IdempotencyKey.Surface.FORM,
            scope=scope[:300],
            fingerprint=request_fingerprint,
            created_at__gte=timezone.now() - RESUBMIT_WINDOW,
        )
        .exclude(key=key)
        .order_by("-created_at")
        .first()
    )


def _redirect_outcome(response: HttpResponse) -> Outcome | None:
    if response.status_code in (301, 302, 303) and response.has_header("Location"):
        return Outcome(status=response.status_code, location=response["Location"])
    return None


def _problem(request: HttpRequest, status: int, title: str, text: str) -> HttpResponse:
    return render(
        request, "core/submission_problem.html", {"title": title, "text": text}, status=status
    )


def one_time_submission(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """Wrap a create form's view (inside ``login_required``): its POST must carry the form's
    ``submission_key`` and runs once per key; a repeat redirects to the first one's result."""

    @wraps(view)
    def wrapped(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if request.method != "POST" or not request.user.is_authenticated:
            return view(request, *args, **kwargs)  # (login_required, outside, sends to login)
        key = request.POST.get(FORM_FIELD, "")
        if not valid_key(key):
            return _problem(
                request,
                400,
                "Nothing was saved: the form is out of date",
                "This form was sent without its one-time submission key, so it was not saved. "
                "Go back, reload the page and send the form again.",
            )
        scope, request_fingerprint = f"POST {request.path}", _form_fingerprint(request)
        earlier = _same_submission_saved_recently(request.user, key, scope, request_fingerprint)
        if earlier is not None:
            messages.info(request, ALREADY_SAVED)
            return redirect(earlier.response_location or "/")
        try:
            result = run_once(
                user=request.user,
                key=key,
                surface=IdempotencyKey.Surface.FORM,
                scope=scope,
                request_fingerprint=request_fingerprint,
                run=lambda: view(request, *args, **kwargs),
                keep=_redirect_outcome,
            )
        except KeyInProgress:
            return _problem(
                request,
                409,
                "This form is still being saved",
                "The same form was sent twice and the first one is still being saved. Wait a "
                "moment, then open the patient's page to check it.",
            )
        if isinstance(result, Replay):
            if result.same_request:
                messages.info(request, ALREADY_SAVED)
            else:
                messages.warning(request, CHANGED_RESUBMIT)
            return redirect(result.record.response_location or "/")
        return result

    wrapped.one_time_submission = True  # type: ignore[attr-defined]
    return wrapped
