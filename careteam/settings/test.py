"""Settings for the test suite.

Uses DATABASE_URL / REDIS_URL when set (CI: PostgreSQL and Redis); otherwise SQLite and the
filesystem broker. The SQLite test database is a file, so that a real Celery worker started by a
test can open the same database.
"""

import os

from .base import *  # noqa: F403
from .base import DATABASES, VAR_DIR, env

DEBUG = False
SECRET_KEY = env("SECRET_KEY", default="test-only-secret-key-not-for-production-0123456789abcdef")
ALLOWED_HOSTS = ["testserver", "localhost", "127.0.0.1"]
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
# locmem unless a test's Celery worker is pointed at a real SMTP server on localhost
# (tests/messaging/test_delivery_integration.py sets EMAIL_BACKEND/HOST/PORT in its env).
EMAIL_BACKEND = env("EMAIL_BACKEND", default="django.core.mail.backends.locmem.EmailBackend")
EMAIL_HOST = env("EMAIL_HOST", default="127.0.0.1")
EMAIL_PORT = env.int("EMAIL_PORT", default=25)
EMAIL_TIMEOUT = env.int("EMAIL_TIMEOUT", default=5)
SMS_BACKEND = env("SMS_BACKEND", default="apps.messaging.sms.LocmemSMSBackend")
MESSAGE_RETRY_BASE_SECONDS = env.int("MESSAGE_RETRY_BASE_SECONDS", default=1)
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # One file per test process, so parallel runs never share (and corrupt) a database.
    DATABASES["default"]["TEST"] = {"NAME": str(VAR_DIR / f"test-careteam-{os.getpid()}.sqlite3")}
WHITENOISE_USE_FINDERS = True
WHITENOISE_AUTOREFRESH = True
if DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql":
    # Django flushes a test database with TRUNCATE; the audit table refuses TRUNCATE except in a
    # test_ database whose session says so (apps/audit/migrations/0003_refuse_truncate.py).
    _options = DATABASES["default"].setdefault("OPTIONS", {})
    _options["options"] = (
        _options.get("options", "") + " -c careteam.audit_truncate=allow"
    ).strip()
