"""Settings shared by every environment.

Everything that differs between machines comes from the environment (or a ``.env`` file) through
django-environ; ``.env.example`` documents each variable. With nothing set, the project runs on
an embedded setup: SQLite and Celery's filesystem broker, so a bare machine with Python works.
"""

import contextlib
from datetime import timedelta
from pathlib import Path

import environ

BASE_DIR = Path(__file__).resolve().parent.parent.parent

env = environ.Env()
environ.Env.read_env(BASE_DIR / ".env", overwrite=False)

VAR_DIR = Path(env("CARETEAM_VAR_DIR", default=str(BASE_DIR / "var")))
# Local state (SQLite database, broker folders, outbox, logs): created when possible (a
# production image may mount it read-only; nothing there needs it with PostgreSQL and Redis).
with contextlib.suppress(OSError):
    VAR_DIR.mkdir(parents=True, exist_ok=True)

SECRET_KEY = env("SECRET_KEY", default="")  # each environment sets its own (production: required)
DEBUG = env.bool("DEBUG", default=False)
ALLOWED_HOSTS: list[str] = env.list("ALLOWED_HOSTS", default=[])

INSTALLED_APPS = [
    "apps.core.admin_apps.CareTeamAdminConfig",  # django.contrib.admin, team-scoped
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "rest_framework",
    "django_filters",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "django_celery_beat",
    "knox",
    "simple_history",
    "axes",
    "django_otp",
    "django_otp.plugins.otp_totp",
    "csp",
    "apps.core",
    "apps.accounts",
    "apps.teams",
    "apps.patients",
    "apps.careplans",
    "apps.medications",
    "apps.assessments",
    "apps.scheduling",
    "apps.worklist",
    "apps.flags",
    "apps.messaging",
    "apps.conferences",
    "apps.audit",
    "apps.clinical",
    "apps.dashboard",
    "apps.api",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django_otp.middleware.OTPMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "apps.accounts.middleware.IdleTimeoutMiddleware",
    "apps.accounts.middleware.OTPRequiredMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "csp.middleware.CSPMiddleware",
    "apps.audit.middleware.AuditContextMiddleware",
    "simple_history.middleware.HistoryRequestMiddleware",
    # django-axes last, as its documentation asks.
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "careteam.urls"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "apps.dashboard.context_processors.notifications",
                "apps.accounts.context_processors.session_security",
            ],
            # {% submission_key %} in every template, like {% csrf_token %} (apps/core/idempotency.py).
            "builtins": ["apps.core.templatetags.submission"],
        },
    },
]

# Every form control gets an accessible name, admin inlines and split date-times included
# (apps/core/forms.py).
FORM_RENDERER = "apps.core.forms.FormRenderer"

WSGI_APPLICATION = "careteam.wsgi.application"

# --- Database -----------------------------------------------------------------------------------
# DATABASE_URL selects PostgreSQL (production, CI). Without it: SQLite in var/, tuned so that the
# web server, the Celery worker and beat can write at once without "database is locked":
# WAL journal, a busy timeout and BEGIN IMMEDIATE transactions (Django 5.1+ SQLite options).
SQLITE_OPTIONS = {
    "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; PRAGMA foreign_keys=ON;",
    "transaction_mode": "IMMEDIATE",
    "timeout": 20,
}
DATABASES = {
    "default": env.db("DATABASE_URL", default=f"sqlite:///{VAR_DIR / 'careteam.sqlite3'}"),
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    DATABASES["default"]["OPTIONS"] = {**SQLITE_OPTIONS, **DATABASES["default"].get("OPTIONS", {})}
else:
    DATABASES["default"]["CONN_MAX_AGE"] = env.int("CONN_MAX_AGE", default=60)
    DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
DATABASES["default"]["ATOMIC_REQUESTS"] = False

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
AUTH_USER_MODEL = "accounts.Clinician"
AUTHENTICATION_BACKENDS = [
    "apps.accounts.backends.LockoutBackend",  # django-axes lockout check first
    "django.contrib.auth.backends.ModelBackend",
]
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "/"
LOGOUT_REDIRECT_URL = "login"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {
        "NAME": "django.contrib.auth.password_validation.MinimumLengthValidator",
        "OPTIONS": {"min_length": 10},
    },
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

# --- Sessions and login protection ---------------------------------------------------------
# Idle browser sessions end after this many seconds (a warning shows shortly before).
SESSION_IDLE_TIMEOUT = env.int("SESSION_IDLE_TIMEOUT", default=15 * 60)
SESSION_IDLE_WARNING = env.int("SESSION_IDLE_WARNING", default=2 * 60)
SESSION_COOKIE_AGE = 12 * 60 * 60
SESSION_EXPIRE_AT_BROWSER_CLOSE = True
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
CSRF_COOKIE_SAMESITE = "Lax"
# django-axes: lock a username from an address after repeated failures.
AXES_FAILURE_LIMIT = env.int("AXES_FAILURE_LIMIT", default=5)
AXES_COOLOFF_TIME = env.float("AXES_COOLOFF_HOURS", default=0.25)
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_TEMPLATE = "accounts/locked_out.html"
AXES_VERBOSE = False
# Client address (lockout key, login throttle, audit trail): REMOTE_ADDR unless the app runs
# behind TRUSTED_PROXY_COUNT proxies that set CLIENT_IP_HEADER (apps/core/ip.py). Off by default:
# a client-sent X-Forwarded-For is never trusted.
TRUSTED_PROXY_COUNT = env.int("TRUSTED_PROXY_COUNT", default=0)
CLIENT_IP_HEADER = env("CLIENT_IP_HEADER", default="X-Forwarded-For")
AXES_CLIENT_IP_CALLABLE = "apps.core.ip.client_ip"
# Two-factor (django-otp TOTP): optional for clinicians; production requires it for superusers.
OTP_TOTP_ISSUER = "CareTeam"
OTP_REQUIRED_FOR_SUPERUSERS = env.bool("OTP_REQUIRED_FOR_SUPERUSERS", default=False)

# --- Content security policy (django-csp): no inline script anywhere -------------------------
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'"],
        # Inline style attributes are allowed (Django admin uses a few); inline *script* is not.
        "style-src": ["'self'", "'unsafe-inline'"],
        "img-src": ["'self'", "data:"],
        "font-src": ["'self'"],
        "connect-src": ["'self'"],
        "object-src": ["'none'"],
        "base-uri": ["'self'"],
        "form-action": ["'self'"],
        "frame-ancestors": ["'none'"],
    }
}
X_FRAME_OPTIONS = "DENY"
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CONTENT_TYPE_NOSNIFF = True

# --- Time -----------------------------------------------------------------------------------------
LANGUAGE_CODE = "en-us"
USE_I18N = True
USE_TZ = True
# The clinic's time zone: dates such as "day 7 of the episode" and "due today" are read in it.
TIME_ZONE = env("CLINIC_TIME_ZONE", default="America/New_York")

# --- Static files (served by WhiteNoise; nothing comes from a CDN) -------------------------------
STATIC_URL = "static/"
STATIC_ROOT = BASE_DIR / "staticfiles"
STATICFILES_DIRS = [BASE_DIR / "static"]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"},
}
MEDIA_ROOT = VAR_DIR / "media"

# --- Cache and broker -----------------------------------------------------------------------------
REDIS_URL = env("REDIS_URL", default="")
if REDIS_URL:
    # Django's RedisCache, except that an unreachable Redis reads as a cache miss instead of
    # raising (pages and the API keep answering; see apps/core/cache.py, docs/reliability.md).
    CACHES = {
        "default": {
            "BACKEND": "apps.core.cache.TolerantRedisCache",
            "LOCATION": REDIS_URL,
            "KEY_PREFIX": "careteam",
            "OPTIONS": {"socket_connect_timeout": 1, "socket_timeout": 1},
        }
    }
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}

CELERY_BROKER_DIR = VAR_DIR / "celery-broker"
if REDIS_URL:
    CELERY_BROKER_URL = REDIS_URL
    CELERY_BROKER_TRANSPORT_OPTIONS: dict[str, object] = {
        # A message not acknowledged within this time is delivered again (acks_late below).
        "visibility_timeout": env.int("CELERY_VISIBILITY_TIMEOUT", default=3600),
        # A Redis that hangs (rather than refusing) must not hang publishers and workers.
        "socket_timeout": 10,
        "socket_connect_timeout": 5,
    }
else:
    # Celery's filesystem transport: no service needed on a bare machine.
    CELERY_BROKER_URL = "filesystem://localhost//"
    for _folder in ("out", "processed", "control"):
        (CELERY_BROKER_DIR / _folder).mkdir(parents=True, exist_ok=True)
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        "data_folder_in": str(CELERY_BROKER_DIR / "out"),
        "data_folder_out": str(CELERY_BROKER_DIR / "out"),
        "processed_folder": str(CELERY_BROKER_DIR / "processed"),
        "control_folder": str(CELERY_BROKER_DIR / "control"),
        "store_processed": False,
    }
CELERY_TASK_IGNORE_RESULT = True
CELERY_RESULT_BACKEND = None
CELERY_RESULT_EXTENDED = False
CELERY_TASK_SERIALIZER = "json"
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TIMEZONE = TIME_ZONE
CELERY_BEAT_SCHEDULER = "django_celery_beat.schedulers:DatabaseScheduler"
CELERY_TASK_DEFAULT_QUEUE = env("CELERY_DEFAULT_QUEUE", default="careteam")
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
# Keep running tasks when the broker connection drops (Celery 6 changes the default): a task's
# row is its source of truth, and cancelling mid-send would widen the duplicate-send window.
CELERY_WORKER_CANCEL_LONG_RUNNING_TASKS_ON_CONNECTION_LOSS = False

# --- Email and SMS --------------------------------------------------------------------------------
EMAIL_BACKEND = env("EMAIL_BACKEND", default="django.core.mail.backends.smtp.EmailBackend")
EMAIL_HOST = env("EMAIL_HOST", default="localhost")
EMAIL_PORT = env.int("EMAIL_PORT", default=25)
EMAIL_HOST_USER = env("EMAIL_HOST_USER", default="")
EMAIL_HOST_PASSWORD = env("EMAIL_HOST_PASSWORD", default="")
EMAIL_USE_TLS = env.bool("EMAIL_USE_TLS", default=False)
EMAIL_TIMEOUT = env.int("EMAIL_TIMEOUT", default=10)
EMAIL_FILE_PATH = VAR_DIR / "outbox"
DEFAULT_FROM_EMAIL = env("DEFAULT_FROM_EMAIL", default="CareTeam <careteam@localhost>")
SMS_BACKEND = env("SMS_BACKEND", default="apps.messaging.sms.FileSMSBackend")
SMS_FILE_PATH = VAR_DIR / "sms"
# Delivery of outbound messages (apps.messaging.services.send_message):
# a transient failure retries after BASE * 2**(attempt-1) seconds, capped at MAX;
# a row left "sending" longer than CLAIM_TIMEOUT (its worker died) goes back to "pending".
MESSAGE_RETRY_BASE_SECONDS = env.int("MESSAGE_RETRY_BASE_SECONDS", default=60)
MESSAGE_RETRY_MAX_SECONDS = env.int("MESSAGE_RETRY_MAX_SECONDS", default=3600)
MESSAGE_CLAIM_TIMEOUT_SECONDS = env.int("MESSAGE_CLAIM_TIMEOUT_SECONDS", default=300)
MESSAGE_DISPATCH_BATCH_SIZE = env.int("MESSAGE_DISPATCH_BATCH_SIZE", default=500)
# Check-in invitations go out this many days before an outcome measure falls due (policy).
CHECKIN_LEAD_DAYS = env.int("CHECKIN_LEAD_DAYS", default=1)

# --- REST API -------------------------------------------------------------------------------------
# The API lives under /api/v1/ (apps.api). Integrations use django-rest-knox tokens (stored hashed,
# expiring); the browser uses its session, with CSRF. Deny by default: every view needs a user, and
# every object is reached through apps.patients.selectors (missing and forbidden: the same 404).
# One error body for every error: apps.api.exceptions.
REST_FRAMEWORK = {
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_AUTHENTICATION_CLASSES": [
        # Token first: its "WWW-Authenticate: Token" challenge makes a missing login a 401.
        "apps.api.authentication.TokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
    "DEFAULT_PARSER_CLASSES": ["apps.api.parsers.LimitedJSONParser"],
    "DEFAULT_FILTER_BACKENDS": [
        "django_filters.rest_framework.DjangoFilterBackend",
        "rest_framework.filters.SearchFilter",
        "rest_framework.filters.OrderingFilter",
    ],
    "DEFAULT_PAGINATION_CLASS": "apps.api.pagination.PageNumberPagination",
    "PAGE_SIZE": 25,
    # Token clients only (a browser session is not throttled); login attempts per address.
    "DEFAULT_THROTTLE_CLASSES": ["apps.api.throttling.TokenRateThrottle"],
    "DEFAULT_THROTTLE_RATES": {
        "token": env("API_TOKEN_THROTTLE_RATE", default="3600/hour"),
        "login": env("API_LOGIN_THROTTLE_RATE", default="30/minute"),
    },
    "EXCEPTION_HANDLER": "apps.api.exceptions.exception_handler",
    "DEFAULT_SCHEMA_CLASS": "apps.api.schema.AutoSchema",
    "COERCE_DECIMAL_TO_STRING": False,
    "TEST_REQUEST_DEFAULT_FORMAT": "json",
}
# API tokens (django-rest-knox): only a SHA-512 digest is stored; each token expires TOKEN_TTL after
# it is issued (no sliding refresh) and can be revoked in Django admin ("Auth tokens") or by
# POST /api/v1/auth/logout/ (this token) and /logoutall/ (every token of the user).
REST_KNOX = {
    "TOKEN_TTL": timedelta(hours=env.float("API_TOKEN_TTL_HOURS", default=10)),
    "AUTO_REFRESH": False,
    "AUTH_HEADER_PREFIX": "Token",
}
# Request bodies above this size are refused (API: a 413 in the API's error format).
DATA_UPLOAD_MAX_MEMORY_SIZE = env.int("DATA_UPLOAD_MAX_MEMORY_SIZE", default=1024 * 1024)
SPECTACULAR_SETTINGS = {
    "TITLE": "CareTeam API",
    "DESCRIPTION": "Care-team coordination for people with back pain.",  # full text: apps.api.docs
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "SERVE_AUTHENTICATION": [],  # the schema and the docs pages are public; the data is not
    "SCHEMA_PATH_PREFIX": r"/api/v1/",
    "COMPONENT_SPLIT_REQUEST": True,
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "SWAGGER_UI_SETTINGS": {"deepLinking": True, "persistAuthorization": True},
    "REDOC_DIST": "SIDECAR",
    "PREPROCESSING_HOOKS": ["apps.api.schema.only_api_v1"],
    "POSTPROCESSING_HOOKS": [
        "drf_spectacular.hooks.postprocess_schema_enums",
        "apps.api.schema.add_description",
    ],
    "ENUM_NAME_OVERRIDES": {
        "DisciplineEnum": "apps.core.choices.Discipline",
        "SeverityEnum": "apps.core.choices.Severity",
        "SexEnum": "apps.patients.models.Sex",
        "ReminderChannelEnum": "apps.patients.models.Channel",
        "WorkStatusEnum": "apps.patients.models.WorkStatus",
        "PhaseEnum": "apps.patients.models.Phase",
        "EpisodeStatusEnum": "apps.patients.models.EpisodeStatus",
        "InterventionKindEnum": "apps.careplans.models.InterventionKind",
        "InterventionStatusEnum": "apps.careplans.models.InterventionStatus",
        "GoalMeasureEnum": "apps.careplans.models.GoalMeasure",
        "AchievementStatusEnum": "apps.careplans.models.AchievementStatus",
        "CarePlanStatusEnum": "apps.careplans.models.PlanStatus",
        "DrugClassEnum": "apps.medications.models.DrugClass",
        "OpioidEnum": "apps.medications.models.OpioidDrug",
        "InstrumentEnum": "apps.assessments.models.Instrument",
        "ReporterEnum": "apps.assessments.models.Reporter",
        "SelfHarmEnum": "apps.assessments.models.SelfHarm",
        "AppointmentKindEnum": "apps.scheduling.models.AppointmentKind",
        "AppointmentStatusEnum": "apps.scheduling.models.AppointmentStatus",
        "TaskPriorityEnum": "apps.worklist.models.TaskPriority",
        "TaskStatusEnum": "apps.worklist.models.TaskStatus",
        "TaskSourceEnum": "apps.worklist.models.TaskSource",
        "FlagStatusEnum": "apps.flags.models.FlagStatus",
        "NotificationKindEnum": "apps.messaging.models.MessageKind",
    },
}

# --- Logging --------------------------------------------------------------------------------------
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {
        "plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"},
        "django.server": {
            "()": "django.utils.log.ServerFormatter",
            "format": "[{server_time}] {message}",
            "style": "{",
        },
    },
    # Every handler redacts (patient identifiers, check-in tokens, search terms): also the
    # development server's request lines, which Django logs on a handler of their own.
    "filters": {"redact": {"()": "apps.core.logging.RedactPatientIdentifiers"}},
    "handlers": {
        "console": {"class": "logging.StreamHandler", "formatter": "plain", "filters": ["redact"]},
        "django.server": {
            "class": "logging.StreamHandler",
            "formatter": "django.server",
            "filters": ["redact"],
        },
    },
    "root": {"handlers": ["console"], "level": env("LOG_LEVEL", default="INFO")},
    "loggers": {
        "django.db.backends": {"level": "WARNING"},
        "django.server": {"handlers": ["django.server"], "level": "INFO", "propagate": False},
        # Django's own "django" handlers (console only with DEBUG, mail_admins) are replaced by
        # the redacting root handler.
        "django": {"handlers": [], "level": "INFO", "propagate": True},
    },
}

# --- Product settings -----------------------------------------------------------------------------
# Public base URL used in links sent by email/SMS (check-in links, notification links).
SITE_URL = env("SITE_URL", default="http://127.0.0.1:8000")
RULES_BATCH_SIZE = env.int("RULES_BATCH_SIZE", default=500)
