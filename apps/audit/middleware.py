"""Sets the audit context (surface, IP, user agent) for each request, and writes the request's
one read row when its response showed patient data (``apps.audit.reads``)."""

from collections.abc import Callable

from django.http import HttpRequest, HttpResponse

from apps.core.ip import client_ip

from .context import RequestMeta, audit_context
from .reads import collecting_reads, read_should_be_recorded
from .services import audit_read


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
        with audit_context(meta), collecting_reads() as reads:
            response = self.get_response(request)
            if read_should_be_recorded(reads, request.method or "", response.status_code):
                match = request.resolver_match
                audit_read(
                    actor=getattr(request, "user", None),
                    log=reads,
                    route=match.view_name if match is not None else "",
                )
        return response
