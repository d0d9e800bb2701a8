"""The client's IP address, for lockout keys, throttles and the audit trail.

By default it is ``REMOTE_ADDR``: a header sent by the client (``X-Forwarded-For``) is never
trusted, or anyone could pick the address an account lockout or a throttle counts against.
Behind a TLS proxy every request comes from the proxy's address, so one stranger's failed
sign-ins would lock a clinician out: set ``TRUSTED_PROXY_COUNT`` to the number of proxies in
front of the app (and, if needed, ``CLIENT_IP_HEADER`` to the header they set). The client
address is then the one the outermost trusted proxy appended: the N-th entry from the right of
that header. Entries to its left were written by the client and are ignored.
"""

import ipaddress
from typing import Any

from django.conf import settings


def _valid(address: str) -> str | None:
    try:
        return str(ipaddress.ip_address(address.strip()))
    except ValueError:
        return None


def client_ip(request: Any) -> str | None:
    meta = getattr(request, "META", {})
    remote = meta.get("REMOTE_ADDR") or None
    count = int(getattr(settings, "TRUSTED_PROXY_COUNT", 0) or 0)
    if count <= 0:
        return remote
    header = getattr(settings, "CLIENT_IP_HEADER", "X-Forwarded-For")
    value = meta.get("HTTP_" + header.upper().replace("-", "_"), "")
    entries = [part.strip() for part in value.split(",") if part.strip()]
    if len(entries) < count:
        # The request did not come through every trusted proxy: use the connection's address.
        return remote
    return _valid(entries[-count]) or remote
