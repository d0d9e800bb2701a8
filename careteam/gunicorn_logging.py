"""Gunicorn's access log without check-in tokens or search terms.

Gunicorn writes the access log itself (not through Django's LOGGING), so its request line
(``%(r)s``), path, query string and referer would carry ``/checkin/<token>/`` and ``?q=<name>``.
This logger class redacts every atom with ``apps.core.logging.redact`` before formatting; the
timestamp (``%(t)s``) and the address are kept as they are. Used by ``gunicorn.conf.py``.
"""

from typing import Any

from gunicorn.glogging import Logger

from apps.core.logging import redact

KEEP = frozenset({"t", "h"})


class RedactingLogger(Logger):  # type: ignore[misc]
    def atoms(self, resp: Any, req: Any, environ: Any, request_time: Any) -> dict[str, Any]:
        atoms: dict[str, Any] = super().atoms(resp, req, environ, request_time)
        return {
            key: redact(value) if isinstance(value, str) and key not in KEEP else value
            for key, value in atoms.items()
        }
