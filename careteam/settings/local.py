"""Settings for a developer's machine and the demo (`make run`)."""

from .base import *  # noqa: F403
from .base import VAR_DIR, env

DEBUG = env.bool("DEBUG", default=True)
# A fixed key is fine for the local demo only; production has no default (see production.py).
SECRET_KEY = env("SECRET_KEY", default="local-demo-insecure-key-change-me-0123456789abcdefghij")
ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", default=["127.0.0.1", "localhost", "[::1]"])
# In the demo, email goes to files in var/outbox/ that a user can open.
EMAIL_BACKEND = env("EMAIL_BACKEND", default="django.core.mail.backends.filebased.EmailBackend")
EMAIL_FILE_PATH = VAR_DIR / "outbox"
# Serve static files straight from the app folders (no collectstatic needed on a dev machine).
WHITENOISE_USE_FINDERS = True
WHITENOISE_AUTOREFRESH = DEBUG
