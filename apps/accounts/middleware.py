"""Session protection: idle timeout and two-factor enforcement."""

import time
from collections.abc import Callable

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import logout
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect, JsonResponse
from django.urls import reverse

LAST_SEEN_KEY = "careteam_last_seen"
# Pages a half-signed-in user (password ok, second factor pending) may still reach.
OTP_EXEMPT_PREFIXES = ("/accounts/otp/", "/accounts/logout/", "/static/", "/healthz", "/checkin/")


class IdleTimeoutMiddleware:
    """Log a browser session out after SESSION_IDLE_TIMEOUT seconds without a request.

    Token-authenticated API clients are unaffected (they have no session). The page shows a
    warning shortly before (static/js/idle-timeout.js reads the timeout from <body data-…>).
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated and hasattr(request, "session"):
            now = int(time.time())
            last = request.session.get(LAST_SEEN_KEY)
            timeout = settings.SESSION_IDLE_TIMEOUT
            if last is not None and now - int(last) > timeout:
                logout(request)
                minutes = max(1, timeout // 60)
                text = f"You were signed out after {minutes} minutes without activity."
                if request.path.startswith("/api/"):
                    return JsonResponse(
                        {"error": {"status": 401, "code": "session_expired", "message": text}},
                        status=401,
                    )
                messages.info(request, text)
                return HttpResponseRedirect(f"{reverse('login')}?next={request.path}")
            request.session[LAST_SEEN_KEY] = now
        return self.get_response(request)


class OTPRequiredMiddleware:
    """Two-factor: a user with a confirmed TOTP device must verify it after the password;
    when OTP_REQUIRED_FOR_SUPERUSERS is on (production), a superuser without one must set
    one up before anything else."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        user = getattr(request, "user", None)
        if (
            user is not None
            and user.is_authenticated
            and getattr(request, "session", None) is not None
            and request.session.get("_auth_user_backend") is not None
            and not request.path.startswith(OTP_EXEMPT_PREFIXES)
            and not user.is_verified()
        ):
            from django_otp import user_has_device

            needs_code = user_has_device(user, confirmed=True)
            needs_setup = user.is_superuser and settings.OTP_REQUIRED_FOR_SUPERUSERS
            if (needs_code or needs_setup) and request.path.startswith("/api/"):
                return JsonResponse(
                    {
                        "error": {
                            "status": 401,
                            "code": "second_factor_required",
                            "message": "Complete two-factor sign-in in the browser first.",
                        }
                    },
                    status=401,
                )
            if needs_code:
                return HttpResponseRedirect(f"{reverse('accounts:otp_verify')}?next={request.path}")
            if needs_setup:
                return HttpResponseRedirect(reverse("accounts:otp_setup"))
        return self.get_response(request)
