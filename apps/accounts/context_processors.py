from typing import Any

from django.conf import settings
from django.http import HttpRequest


def session_security(request: HttpRequest) -> dict[str, Any]:
    """Idle-timeout timings for <body data-idle-*> (read by static/js/idle-timeout.js)."""
    return {
        "idle_timeout": settings.SESSION_IDLE_TIMEOUT,
        "idle_warning": settings.SESSION_IDLE_WARNING,
    }
