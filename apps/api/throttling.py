"""Throttles. Rates come from REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"], read on every request (so
a settings override applies at once): "token" for integrations, "login" for the token endpoint.

Browser sessions are not throttled: the rate limit protects the server from an integration that
loops, and sign-in attempts from guessing (django-axes also locks an account after failures).
"""

from typing import Any

from knox.models import AuthToken
from rest_framework.settings import api_settings
from rest_framework.throttling import AnonRateThrottle, UserRateThrottle

from apps.core.ip import client_ip


class _RateFromSettings:
    scope: str

    def get_rate(self) -> str | None:
        rate = api_settings.DEFAULT_THROTTLE_RATES.get(self.scope)
        return None if rate is None else str(rate)


class TokenRateThrottle(_RateFromSettings, UserRateThrottle):
    """Requests per user, for requests authenticated with a knox token only."""

    scope = "token"

    def allow_request(self, request: Any, view: Any) -> bool:
        if not isinstance(getattr(request, "auth", None), AuthToken):
            return True
        return super().allow_request(request, view)


class LoginRateThrottle(_RateFromSettings, AnonRateThrottle):
    """Token requests (username + password) per client address."""

    scope = "login"

    def get_ident(self, request: Any) -> str:
        # DRF's default trusts a client-sent X-Forwarded-For (NUM_PROXIES unset): one client
        # could rotate it to escape the limit. Use the one client-address rule instead.
        return client_ip(request) or ""
