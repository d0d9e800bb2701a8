"""Where the current change comes from (surface, IP, user agent), set per request or per job."""

import contextvars
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass


@dataclass(frozen=True)
class RequestMeta:
    surface: str = "job"
    ip_address: str | None = None
    user_agent: str = ""
    path: str = ""


_DEFAULT = RequestMeta()
_current: contextvars.ContextVar[RequestMeta | None] = contextvars.ContextVar(
    "careteam_audit_meta", default=None
)


def current_request_meta() -> RequestMeta:
    return _current.get() or _DEFAULT


@contextmanager
def audit_context(meta: RequestMeta) -> Iterator[None]:
    token = _current.set(meta)
    try:
        yield
    finally:
        _current.reset(token)
