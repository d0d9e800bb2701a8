"""Login protection: django-axes locks an account after repeated failures."""

from typing import Any

from axes.backends import AxesStandaloneBackend
from django.http import HttpRequest


class LockoutBackend(AxesStandaloneBackend):
    """Axes' lockout check for every login that comes with a request (login page, admin,
    API token login). Authentication without a request (internal calls such as the test
    client's ``login()``) is left to the next backend instead of failing."""

    def authenticate(self, request: HttpRequest | None, *args: Any, **kwargs: Any) -> Any:
        if request is None:
            return None
        return super().authenticate(request, *args, **kwargs)
