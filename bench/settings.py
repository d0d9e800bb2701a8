"""Production settings for the benchmark and the load test, on plain HTTP on localhost.

Everything comes from ``careteam.settings.production`` (DEBUG off, PostgreSQL and Redis from
DATABASE_URL / REDIS_URL, cached connections, django-axes, CSP, audit…). The only differences:

- no HTTPS: no SSL redirect, no HSTS, cookies not marked Secure (TLS ends at a proxy in
  production; the benchmark talks HTTP to 127.0.0.1);
- static files are served by WhiteNoise from the app folders (no ``collectstatic`` run, which
  would write outside bench/); the pages measured do not depend on it;
- ``bench.timing.ServerTimingMiddleware`` first in the chain: it adds a ``Server-Timing``
  header with the time spent in the server and the number of SQL statements (DEBUG stays off).
"""

import os

os.environ.setdefault("SECRET_KEY", "bench-only-" + "x" * 50)
os.environ.setdefault("ALLOWED_HOSTS", "127.0.0.1,localhost,testserver")
os.environ.setdefault("SECURE_SSL_REDIRECT", "false")
os.environ.setdefault("SECURE_HSTS_SECONDS", "0")

from careteam.settings.production import *  # noqa: F403
from careteam.settings.production import BASE_DIR, LOGGING, MIDDLEWARE

SESSION_COOKIE_SECURE = False
CSRF_COOKIE_SECURE = False
SECURE_PROXY_SSL_HEADER = None
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
WHITENOISE_USE_FINDERS = True
STATIC_ROOT = BASE_DIR / "bench" / "tmp" / "static"  # empty: files come from the finders
STATIC_ROOT.mkdir(parents=True, exist_ok=True)
MIDDLEWARE = ["bench.timing.ServerTimingMiddleware", *MIDDLEWARE]
# Production logging (with its patient-identifier redaction), warnings and errors only.
LOGGING = {**LOGGING, "root": {**LOGGING["root"], "level": os.environ.get("LOG_LEVEL", "WARNING")}}
