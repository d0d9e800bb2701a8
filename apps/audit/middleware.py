"""Sets the audit context (surface, IP, user agent) for each request."""

from collections.abc import Callable

from django.http import HttpRequest, HttpResponse

from apps.core.ip import client_ip

from .context import RequestMeta, audit_context


def surface_for_path(path: str) -> str:
    if path.startswith("/api/"):
        return "api"
    if path.startswith("/admin/"):
        return "admin"
    if path.startswith("/checkin/"):
        return "checkin"
    return "page"


class AuditContextMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        meta = RequestMeta(
            surface=surface_for_path(request.path),
            ip_address=client_ip(request),
            user_agent=request.META.get("HTTP_USER_AGENT", ""),
            path=request.path,
        )
        with audit_context(meta):
            return self.get_response(request)
