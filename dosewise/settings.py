"""Dosewise settings: one module, driven by environment variables.

Every variable is read here and nowhere else. A malformed value stops start-up with a message
naming the variable, so a typo never becomes a silent default in a clinical system.
"""

from __future__ import annotations

import os
import re
from datetime import date, time, timedelta
from pathlib import Path

import dj_database_url
from csp.constants import NONE, SELF
from django.core.exceptions import ImproperlyConfigured

BASE_DIR = Path(__file__).resolve().parent.parent

_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"0", "false", "no", "off", ""}


def env_str(name: str, default: str = "") -> str:
    return os.environ.get(name, default)


def env_bool(name: str, default: bool) -> bool:
    raw = os.environ.get(name)
    if raw is None:
        return default
    value = raw.strip().lower()
    if value in _TRUE:
        return True
    if value in _FALSE:
        return False
    raise ImproperlyConfigured(f"{name} must be true or false (1/0, yes/no, on/off), got {raw!r}")


def env_int(name: str, default: int, *, minimum: int = 0, maximum: int | None = None) -> int:
    raw = os.environ.get(name)
    if raw is None or raw.strip() == "":
        return default
    try:
        value = int(raw)
    except ValueError:
        raise ImproperlyConfigured(f"{name} must be a whole number, got {raw!r}") from None
    if value < minimum:
        raise ImproperlyConfigured(f"{name} must be at least {minimum}, got {value}")
    if maximum is not None and value > maximum:
        raise ImproperlyConfigured(f"{name} must be at most {maximum}, got {value}")
    return value


def env_date(name: str, default: str) -> date:
    raw = os.environ.get(name) or default
    try:
        return date.fromisoformat(raw)
    except ValueError:
        raise ImproperlyConfigured(f"{name} must be a date YYYY-MM-DD, got {raw!r}") from None


def env_dotted_path(name: str, default: str) -> str:
    """A dotted path to a class (imported later, by the code that uses it; a system check
    imports it at start-up)."""
    raw = os.environ.get(name, "").strip() or default
    if not re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*(\.[A-Za-z_][A-Za-z0-9_]*)+", raw):
        raise ImproperlyConfigured(f"{name} must be a dotted path to a class, got {raw!r}")
    return raw


def env_quiet_hours(name: str, default: str) -> tuple[time, time] | None:
    """A daily window "HH:MM-HH:MM" (may wrap midnight: 21:00-08:00), or empty for none."""
    raw = os.environ.get(name, default).strip()
    if not raw:
        return None
    start, sep, end = raw.partition("-")
    try:
        if not sep:
            raise ValueError(raw)
        window = (time.fromisoformat(start.strip()), time.fromisoformat(end.strip()))
    except ValueError:
        raise ImproperlyConfigured(
            f"{name} must be HH:MM-HH:MM (e.g. 21:00-08:00) or empty, got {raw!r}"
        ) from None
    if window[0] == window[1]:
        raise ImproperlyConfigured(f"{name} must start and end at different times, got {raw!r}")
    return window


def env_list(name: str, default: list[str]) -> list[str]:
    raw = os.environ.get(name)
    if raw is None:
        return default
    return [item.strip() for item in raw.split(",") if item.strip()]


DEBUG = env_bool("DEBUG", False)
# Set by the test runner (dosewise/testing_env.py): fast password hashing and a throwaway key.
# Never set in production.
TESTING = env_bool("DOSEWISE_TESTING", False)

VAR_DIR = Path(env_str("DOSEWISE_VAR_DIR", str(BASE_DIR / "var")))

# The key comes from SECRET_KEY, else from var/secret-key (written once by `make run`, so every
# manage.py command of that checkout signs with the same key), else a throwaway key in DEBUG.
SECRET_KEY = env_str("SECRET_KEY")
_key_file = VAR_DIR / "secret-key"
if not SECRET_KEY and _key_file.is_file():
    SECRET_KEY = _key_file.read_text().strip()
if not SECRET_KEY:
    if DEBUG or TESTING:
        SECRET_KEY = "insecure-development-key-never-use-in-production"  # noqa: S105
    else:
        raise ImproperlyConfigured(
            f"SECRET_KEY must be set when DEBUG is off (or put a key in {_key_file})"
        )

# Only these host names are answered; a deployment lists its own.
ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", ["127.0.0.1", "localhost"])
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS", [])

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django_otp",
    "django_otp.plugins.otp_totp",
    "django_otp.plugins.otp_static",
    "axes",
    "django_htmx",
    "template_partials",
    "csp",
    "ninja",  # serves Swagger UI from our own static files (the CSP allows no CDN)
    "dosewise.audit",
    "dosewise.accounts",
    "dosewise.patients",
    "dosewise.clinical",
    "dosewise.prescribing",
    "dosewise.monitoring",
    "dosewise.portal",
    "dosewise.notifications",
    "dosewise.scheduling",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "dosewise.audit.middleware.RequestContextMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django_otp.middleware.OTPMiddleware",
    "dosewise.accounts.middleware.TwoFactorEnforcementMiddleware",
    "dosewise.accounts.middleware.ActiveOrganizationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "csp.middleware.CSPMiddleware",
    # Last, so that it sees the final authentication result of the request.
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "dosewise.urls"
WSGI_APPLICATION = "dosewise.wsgi.application"
ASGI_APPLICATION = "dosewise.asgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "dosewise" / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "dosewise.accounts.context_processors.clinic",
            ],
        },
    }
]

# --- Database -----------------------------------------------------------------------------
DEFAULT_DATABASE_URL = f"sqlite:///{VAR_DIR / 'dosewise.sqlite3'}"
_database_url = env_str("DATABASE_URL") or DEFAULT_DATABASE_URL
try:
    # Tests: no persistent connections, so live-server threads never hold the test database.
    _database = dj_database_url.parse(_database_url, conn_max_age=0 if TESTING else 60)
except ValueError as exc:
    raise ImproperlyConfigured(f"DATABASE_URL is not a usable database URL: {exc}") from None
if _database["ENGINE"] not in {
    "django.db.backends.sqlite3",
    "django.db.backends.postgresql",
}:
    raise ImproperlyConfigured("DATABASE_URL must point at PostgreSQL or SQLite")
if _database["ENGINE"] == "django.db.backends.sqlite3":
    # WAL lets readers go on while one writer writes; immediate transactions take the write
    # lock at BEGIN, so the web server and a background worker wait (busy timeout) instead of
    # failing with "database is locked" half-way through a transaction.
    _database["CONN_MAX_AGE"] = 0
    _database["OPTIONS"] = {
        "transaction_mode": "IMMEDIATE",
        "timeout": 20,
        "init_command": (
            "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; PRAGMA foreign_keys=ON;"
        ),
    }
    if _database["NAME"] and _database["NAME"] != ":memory:":
        Path(_database["NAME"]).parent.mkdir(parents=True, exist_ok=True)
DATABASES = {"default": _database}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --- Accounts, passwords, sessions -----------------------------------------------------------
AUTH_USER_MODEL = "accounts.User"
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
PASSWORD_HASHERS = [
    "django.contrib.auth.hashers.Argon2PasswordHasher",
]
if TESTING:
    # Tests create many users; a fast hasher keeps the suite quick. Production stays argon2.
    PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {
        "NAME": "django.contrib.auth.password_validation.MinimumLengthValidator",
        "OPTIONS": {"min_length": 12},
    },
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "accounts:login"
LOGIN_REDIRECT_URL = "patients:patient-list"
# How long a waiting-room tablet link stays open after the clinician creates it (single use).
KIOSK_LINK_MINUTES = env_int("KIOSK_LINK_MINUTES", 30, minimum=1)

SESSION_IDLE_MINUTES = env_int("SESSION_IDLE_MINUTES", 15, minimum=1)
# Saving the session on every request turns the cookie age into an idle timeout.
SESSION_COOKIE_AGE = SESSION_IDLE_MINUTES * 60
SESSION_SAVE_EVERY_REQUEST = True
SESSION_EXPIRE_AT_BROWSER_CLOSE = True
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
SECURE_COOKIES = env_bool("SECURE_COOKIES", not DEBUG and not TESTING)
SESSION_COOKIE_SECURE = SECURE_COOKIES
CSRF_COOKIE_SECURE = SECURE_COOKIES
CSRF_COOKIE_HTTPONLY = True

# Lockout: 5 failures within 15 minutes for the same username from the same address.
# Per address alone would lock out a whole clinic behind one router.
AXES_FAILURE_LIMIT = 5
AXES_COOLOFF_TIME = timedelta(minutes=15)
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_CALLABLE = "dosewise.accounts.views.locked_out"
PROXY_COUNT = env_int("PROXY_COUNT", 0)
AXES_CLIENT_IP_CALLABLE = "dosewise.audit.middleware.client_address"
AXES_VERBOSE = False

OTP_TOTP_ISSUER = "Dosewise"

# --- Security headers ---------------------------------------------------------------------
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", False)
SECURE_HSTS_SECONDS = env_int("SECURE_HSTS_SECONDS", 0)
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [SELF],
        "script-src": [SELF],
        "style-src": [SELF],
        "img-src": [SELF, "data:"],
        "connect-src": [SELF],
        "font-src": [SELF],
        "object-src": [NONE],
        "base-uri": [NONE],
        "frame-ancestors": [NONE],
        "form-action": [SELF],
    }
}

# --- Email ----------------------------------------------------------------------------------
EMAIL_BACKEND = env_dotted_path("EMAIL_BACKEND", "django.core.mail.backends.console.EmailBackend")
EMAIL_HOST = env_str("EMAIL_HOST", "localhost")
EMAIL_PORT = env_int("EMAIL_PORT", 25, minimum=1, maximum=65535)
EMAIL_HOST_USER = env_str("EMAIL_HOST_USER")
EMAIL_HOST_PASSWORD = env_str("EMAIL_HOST_PASSWORD")
EMAIL_USE_TLS = env_bool("EMAIL_USE_TLS", False)
# Seconds an SMTP connection may block; kept well under REMINDER_CLAIM_SECONDS so a slow server
# never outlives a worker's claim on a reminder (another worker would then send it again).
EMAIL_TIMEOUT = env_int("EMAIL_TIMEOUT", 30, minimum=1, maximum=600)
# Where the file backend (django.core.mail.backends.filebased.EmailBackend, `make run`) writes.
EMAIL_FILE_PATH = Path(env_str("EMAIL_FILE_PATH", str(VAR_DIR / "mail")))
DEFAULT_FROM_EMAIL = env_str("DEFAULT_FROM_EMAIL", "Dosewise <dosewise@localhost>")
SITE_URL = env_str("SITE_URL", "http://127.0.0.1:8000").rstrip("/")

# --- Reminders (dosewise.notifications, `manage.py run_worker`) --------------------------------
# Text messages: a class with send(to, body) (dosewise/notifications/sms.py); the file backend
# writes one file per message to SMS_FILE_PATH, the console backend prints them.
SMS_BACKEND = env_dotted_path("SMS_BACKEND", "dosewise.notifications.sms.ConsoleSmsBackend")
SMS_FILE_PATH = Path(env_str("SMS_FILE_PATH", str(VAR_DIR / "sms")))
# An appointment reminder goes this many hours before the visit starts.
REMINDER_APPOINTMENT_HOURS = env_int("REMINDER_APPOINTMENT_HOURS", 24, minimum=1, maximum=168)
# Local hour of the day at which lab and questionnaire reminders of a due date go out.
REMINDER_SEND_HOUR = env_int("REMINDER_SEND_HOUR", 9, minimum=0, maximum=23)
# Nothing is sent inside this daily window (clinic time zone) unless the patient set their own.
REMINDER_QUIET_HOURS = env_quiet_hours("REMINDER_QUIET_HOURS", "21:00-08:00")
# A failed send is retried after REMINDER_RETRY_SECONDS, doubling each time, until
# REMINDER_MAX_ATTEMPTS attempts have failed; then it is `failed` and shown to staff.
REMINDER_MAX_ATTEMPTS = env_int("REMINDER_MAX_ATTEMPTS", 5, minimum=1, maximum=20)
REMINDER_RETRY_SECONDS = env_int("REMINDER_RETRY_SECONDS", 300, minimum=1, maximum=86_400)
# How long a worker's claim on a reminder lasts; a worker that dies mid-send loses its claim
# after this and another worker retries the reminder.
REMINDER_CLAIM_SECONDS = env_int("REMINDER_CLAIM_SECONDS", 300, minimum=30, maximum=3_600)
# Seconds `run_worker` sleeps between two rounds (plan, then deliver what is due).
REMINDER_WORKER_INTERVAL = env_int("REMINDER_WORKER_INTERVAL", 60, minimum=1, maximum=3_600)
if EMAIL_TIMEOUT >= REMINDER_CLAIM_SECONDS:
    raise ImproperlyConfigured(
        "EMAIL_TIMEOUT must be shorter than REMINDER_CLAIM_SECONDS, or a slow mail server "
        "could outlive a worker's claim and the reminder be sent twice"
    )

# --- Static files, i18n -----------------------------------------------------------------------
STATIC_URL = "/static/"
STATIC_ROOT = VAR_DIR / "static"
STATICFILES_DIRS = [BASE_DIR / "dosewise" / "static"]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedStaticFilesStorage"},
}
WHITENOISE_USE_FINDERS = True
LANGUAGE_CODE = "en-us"
TIME_ZONE = env_str("TIME_ZONE", "America/New_York")
USE_I18N = True
USE_TZ = True

NINJA_PAGINATION_PER_PAGE = 50

# DEA telemedicine flexibilities (Fourth Temporary Extension): controlled substances may be
# prescribed by telemedicine without a prior in-person visit until this date. A dated setting
# because the rule changes by regulation, not by code.
DEA_TELEMEDICINE_FLEXIBILITIES_END = env_date("DEA_TELEMEDICINE_FLEXIBILITIES_END", "2026-12-31")

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": env_str("LOG_LEVEL", "INFO")},
    "loggers": {"axes": {"level": "WARNING"}},
}
