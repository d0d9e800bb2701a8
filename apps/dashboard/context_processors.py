"""Template context for every page: the unread-notification count shown in the header.

Lazy: the one COUNT query runs only when a template shows the count (never for anonymous users).
"""

from typing import Any

from django.http import HttpRequest
from django.utils.functional import SimpleLazyObject

from .selectors import unread_count


def notifications(request: HttpRequest) -> dict[str, Any]:
    user = getattr(request, "user", None)
    return {"unread_notifications": SimpleLazyObject(lambda: unread_count(user))}
