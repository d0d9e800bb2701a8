"""The patient check-in page: a signed one-time link, no login.

The page shows nothing about the patient but their first name; it is never cached or indexed,
and its URL (the only credential) never leaves this site as a referrer: ``same-origin``. Not
``no-referrer``: with it, Chromium sends ``Origin: null`` on the form's POST and Django's CSRF
check refuses it (403), so no patient could submit (tests/browser/test_checkin.py). The page
loads nothing from another origin (Content-Security-Policy), so the referrer only ever goes to
this site, where the access log redacts the token.
"""

from collections.abc import Callable
from functools import wraps
from typing import Any

from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods

from apps.audit.context import RequestMeta, audit_context
from apps.core.ip import client_ip

from .forms import CheckInForm
from .selectors import checkin_from_token
from .services import CheckInOutcome, checkin_submit
from .tokens import InvalidToken

PAGES = {
    "invalid": (
        400,
        "This link is not valid",
        "Please check that you opened the whole link from your message. "
        "If it still does not work, contact your care team.",
    ),
    "expired": (
        410,
        "This link has expired — your care team will send a new one",
        "Check-in links work for a limited time. You do not need to do anything: "
        "your care team will send you a new link.",
    ),
    "used": (
        410,
        "This check-in has already been completed",
        "Thank you — your answers have already reached your care team. "
        "Nothing more is needed from this link.",
    ),
}


def _private(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """No caching, no indexing, no referrer to another site: the URL is the credential."""

    @wraps(view)
    def wrapped(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        response = view(request, *args, **kwargs)
        response["Cache-Control"] = "no-store, no-cache, must-revalidate, private, max-age=0"
        response["X-Robots-Tag"] = "noindex, nofollow"
        response["Referrer-Policy"] = "same-origin"
        return response

    return never_cache(wrapped)


def _message_page(request: HttpRequest, page: str) -> HttpResponse:
    status, title, text = PAGES[page]
    return render(
        request, "messaging/checkin_message.html", {"title": title, "text": text}, status=status
    )


@_private
@require_http_methods(["GET", "POST"])
def checkin(request: HttpRequest, token: str) -> HttpResponse:
    meta = RequestMeta(
        surface="checkin",
        ip_address=client_ip(request),
        user_agent=request.META.get("HTTP_USER_AGENT", ""),
        path=request.path,
    )
    with audit_context(meta):
        return _checkin(request, token)


def _checkin(request: HttpRequest, token: str) -> HttpResponse:
    try:
        link = checkin_from_token(token)
    except InvalidToken:
        return _message_page(request, "invalid")
    now = timezone.now()
    if link.used_at is not None:
        return _message_page(request, "used")
    if link.is_expired(now) or link.patient.archived_at is not None:
        return _message_page(request, "expired")

    form = CheckInForm(request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        try:
            outcome = checkin_submit(checkin=link, data=form.cleaned_data, now=now)
        except ValidationError as exc:
            form.add_error(None, "; ".join(exc.messages))
        else:
            if outcome == CheckInOutcome.ALREADY_USED:
                return _message_page(request, "used")
            if outcome == CheckInOutcome.EXPIRED:
                return _message_page(request, "expired")
            return render(
                request, "messaging/checkin_done.html", {"first_name": link.patient.first_name}
            )
    # Invalid answers: the form again, each error next to its question, answers kept.
    return render(
        request, "messaging/checkin.html", {"form": form, "first_name": link.patient.first_name}
    )
