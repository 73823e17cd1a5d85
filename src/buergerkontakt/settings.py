"""Bürgerkontakt settings.

Every knob is an environment variable with a safe default; all of them are listed in
``docs/configuration.md``. Nothing here needs editing for a deployment.
"""

from __future__ import annotations

import os
import secrets
from pathlib import Path

import dj_database_url
from django.core.exceptions import ImproperlyConfigured
from django.utils.csp import CSP
from django.utils.translation import gettext_lazy as _

from buergerkontakt.core import logs
from buergerkontakt.core import private_files as _private_files
from buergerkontakt.directory_auth import conf as directory_conf

BASE_DIR = Path(__file__).resolve().parents[2]
PACKAGE_DIR = Path(__file__).resolve().parent


def env(name: str, default: str = "") -> str:
    return os.environ.get(name, default)


_TRUE = {"1", "true", "yes", "on", "ja"}
_FALSE = {"0", "false", "no", "off", "nein"}


def env_bool(name: str, default: bool = False) -> bool:
    """A yes/no knob. Anything but a known spelling stops the start: `DEBUG=ture` must not mean "off"."""
    value = os.environ.get(name)
    if value is None or value.strip() == "":
        return default
    word = value.strip().lower()
    if word in _TRUE:
        return True
    if word in _FALSE:
        return False
    raise ImproperlyConfigured(
        f"Umgebungsvariable {name}: {value!r} ist kein Wahrheitswert "
        "(erlaubt: true/false, 1/0, ja/nein, yes/no, on/off)."
    )


def env_int(name: str, default: int) -> int:
    value = os.environ.get(name)
    if value is None or value.strip() == "":
        return default
    try:
        return int(value.strip())
    except ValueError:
        raise ImproperlyConfigured(
            f"Umgebungsvariable {name}: {value!r} ist keine ganze Zahl."
        ) from None


def env_list(name: str, default: str = "") -> list[str]:
    return [item.strip() for item in env(name, default).split(",") if item.strip()]


# Where the SQLite database, the generated demo secret key, mails and media live.
DATA_DIR = Path(env("BK_DATA_DIR", str(BASE_DIR / "var")))
DATA_DIR.mkdir(parents=True, exist_ok=True)


def _secret_key() -> str:
    """SECRET_KEY from the environment, else generated once and kept in DATA_DIR."""
    if key := env("SECRET_KEY"):
        return key
    path = DATA_DIR / "secret_key"
    if not path.exists():
        path.write_text(secrets.token_urlsafe(50))
        path.chmod(0o600)
    return path.read_text().strip()


SECRET_KEY = _secret_key()
# `manage.py check --deploy` refuses a generated key outside debug (core/checks.py).
SECRET_KEY_FROM_ENVIRONMENT = bool(env("SECRET_KEY"))
DEBUG = env_bool("DEBUG", False)
ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", "127.0.0.1,localhost")
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS")
# --- Deletion concept (docs/privacy/loeschkonzept.md) -------------------------------------------
# Periods in Berlin days: data of day D is removed on day D + N by the retention task.
# Appointments: name, contact, case number, needs and note removed N days after the appointment's day.
PRIVACY_APPOINTMENT_DAYS = env_int("PRIVACY_APPOINTMENT_DAYS", 30)
# Walk-in tickets: the emergency reason and call notes removed N days after the ticket's day.
PRIVACY_WALKIN_DAYS = env_int("PRIVACY_WALKIN_DAYS", 7)
# Callback tickets: the caller's details and free texts removed N days after the ticket was closed.
PRIVACY_CALLBACK_DAYS = env_int("PRIVACY_CALLBACK_DAYS", 30)
# Waitlist entries: details removed N days after the entry expired, was booked or withdrawn (0: that day).
PRIVACY_WAITLIST_DAYS = env_int("PRIVACY_WAITLIST_DAYS", 0)
# Mail and SMS files of the demo set-up: deleted N days after they were written.
PRIVACY_MESSAGE_FILE_DAYS = env_int("PRIVACY_MESSAGE_FILE_DAYS", 14)
# Calls from the telephone system: the caller's number removed N days after the call's day.
PRIVACY_CALL_DAYS = env_int("PRIVACY_CALL_DAYS", 30)
# Alarm timelines: who did what removed N months after the alarm (not for alarms of an incident report).
PRIVACY_ALARM_MONTHS = env_int("PRIVACY_ALARM_MONTHS", 6)
# Completed access/erasure requests (only a masked contact is left) are deleted after N days.
PRIVACY_REQUEST_DAYS = env_int("PRIVACY_REQUEST_DAYS", 1095)
# The confirmation link of a citizen's request is valid N days; unconfirmed requests are deleted then.
PRIVACY_LINK_DAYS = env_int("PRIVACY_LINK_DAYS", 7)
# Rows changed per transaction by the retention task.
PRIVACY_BATCH_SIZE = env_int("PRIVACY_BATCH_SIZE", 500)
# How often the retention task runs (seconds); it changes data only when a new Berlin day made some due.
PRIVACY_RETENTION_INTERVAL_SECONDS = env_int("PRIVACY_RETENTION_INTERVAL_SECONDS", 3600)

# Public base URL used in e-mails and signed links.
SITE_URL = env("SITE_URL", "http://127.0.0.1:8000").rstrip("/")

INSTALLED_APPS = [
    "buergerkontakt.admin_apps.BKAdminConfig",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "channels",
    "ninja",
    "django_htmx",
    "django_otp",
    "buergerkontakt.admin_apps.BKTOTPConfig",
    "buergerkontakt.admin_apps.BKStaticConfig",
    "buergerkontakt.admin_apps.BKAxesConfig",
    "rules.apps.AutodiscoverRulesConfig",
    "buergerkontakt.admin_apps.BKAuditlogConfig",
    "buergerkontakt.admin_apps.BKTasksConfig",
    "buergerkontakt.core",
    "buergerkontakt.directory",
    "buergerkontakt.appointments",
    "buergerkontakt.waitlist",
    "buergerkontakt.walkin",
    "buergerkontakt.callbacks",
    "buergerkontakt.alarms",
    "buergerkontakt.incidents",
    "buergerkontakt.telephony",
    "buergerkontakt.directory_auth",
    "buergerkontakt.setup",
    "buergerkontakt.reports",  # its demo step builds history on every other app's data
    "buergerkontakt.privacy",  # deletion concept and citizens' rights over every app above
]

# Demo mode (`make db`, `make run`, the tests): the demo app with `load_demo`, `demo_totp` and the demo
# logins in `run_platform`'s banner. Production never sets it and then imports no demo module.
DEMO_MODE = env_bool("DEMO_MODE", False)
if DEMO_MODE:
    INSTALLED_APPS.append("buergerkontakt.demo")

MIDDLEWARE = [
    "buergerkontakt.core.logs.request_log_middleware",
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "buergerkontakt.core.ratelimit.public_write_limit_middleware",
    "django_otp.middleware.OTPMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "buergerkontakt.core.idle.idle_timeout_middleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django.middleware.csp.ContentSecurityPolicyMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "auditlog.middleware.AuditlogMiddleware",
    "axes.middleware.AxesMiddleware",
]

# Requests whose middleware and view run at the same time in one worker process (the rest wait
# their turn on the event loop); 0 = no limit. See core/asgi_handler.py and docs/configuration.md.
REQUESTS_PER_WORKER = env_int("REQUESTS_PER_WORKER", 4)
# The pooled request threads of core/asgi_handler.py (ADR 0010); false = Django's own ASGIHandler
# (a new thread per request, no REQUESTS_PER_WORKER limit) – the off switch after an upgrade.
REQUEST_THREAD_POOL = env_bool("REQUEST_THREAD_POOL", True)

ROOT_URLCONF = "buergerkontakt.urls"
ASGI_APPLICATION = "buergerkontakt.asgi.application"
WSGI_APPLICATION = None

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [PACKAGE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "buergerkontakt.directory_auth.context_processors.directory_sign_in",
                "django.template.context_processors.i18n",
                "django.template.context_processors.csp",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "buergerkontakt.core.context_processors.platform",
                "buergerkontakt.telephony.context_processors.telephony",
            ],
        },
    },
]

# --- Database -------------------------------------------------------------------------------
DATABASE_URL = env("DATABASE_URL", f"sqlite:///{DATA_DIR / 'buergerkontakt.sqlite3'}")
DATABASES = {"default": dj_database_url.parse(DATABASE_URL, conn_max_age=env_int("DB_CONN_MAX_AGE", 0))}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # WAL lets readers run while one writer writes; IMMEDIATE takes the write lock at BEGIN so two
    # writers never deadlock on a lock upgrade; the timeout makes writers queue instead of failing.
    DATABASES["default"]["OPTIONS"] = {
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
        "transaction_mode": "IMMEDIATE",
        "timeout": 20,
    }
    DATABASES["default"]["TEST"] = {"NAME": str(DATA_DIR / "test.sqlite3")}
    # The database holds personal data: created 0600 before SQLite would create it with the
    # umask's mode; SQLite gives its WAL and shared-memory files the same mode (ADR 0015).
    if _private_files.is_sqlite_file(DATABASES["default"]["NAME"]):
        _private_files.private_file(DATABASES["default"]["NAME"])
else:
    # A database that is down or unreachable must not hold a request for long: opening a connection
    # gives up after DB_CONNECT_TIMEOUT seconds, and the page answers "vorübergehend nicht
    # erreichbar" (core/unavailable.py, docs/adr/0012-faults-and-recovery.md).
    DATABASES["default"].setdefault("OPTIONS", {})["connect_timeout"] = env_int("DB_CONNECT_TIMEOUT", 2)
if DATABASES["default"]["ENGINE"] != "django.db.backends.sqlite3" and env_int("DB_POOL_MAX_SIZE", 0) > 0:
    # PostgreSQL connection pool per worker process (psycopg-pool): under load every request in
    # flight would otherwise open its own connection and run into max_connections.
    # workers × DB_POOL_MAX_SIZE must stay below PostgreSQL's max_connections.
    DATABASES["default"]["CONN_MAX_AGE"] = 0
    DATABASES["default"].setdefault("OPTIONS", {})["pool"] = {
        "min_size": 1, "max_size": env_int("DB_POOL_MAX_SIZE", 0),
        # Waiting for a free connection: REQUESTS_PER_WORKER keeps requests in flight below the
        # pool size, so a wait means the database is gone – answer 503 soon instead of after 20 s.
        "timeout": env_int("DB_POOL_TIMEOUT", 2)}
# Longest pause between the pool's attempts to reach a database that went away (core/dbpool.py).
DB_RECONNECT_MAX_DELAY = float(env("DB_RECONNECT_MAX_DELAY", "1"))
AVAILABILITY_CACHE_SECONDS = env_int("AVAILABILITY_CACHE_SECONDS", 30)
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --- Redis: channel layer and cache ---------------------------------------------------------
REDIS_URL = env("REDIS_URL")
if REDIS_URL:
    CHANNEL_LAYERS = {
        "default": {
            "BACKEND": "channels_redis.core.RedisChannelLayer",
            "CONFIG": {
                # Reads wait up to 5 s for new messages; redis-py's own 5 s read timeout would cut
                # idle connections, so it is longer here.
                "hosts": [{"address": REDIS_URL, "socket_timeout": env_int("REDIS_SOCKET_TIMEOUT", 30)}],
                "prefix": env("REDIS_PREFIX", "bk"),
                # Messages queued per process; above it channels_redis drops silently. An alarm to
                # the whole building must never be cut off: well above the staff per process.
                "capacity": env_int("CHANNEL_LAYER_CAPACITY", 5000),
            },
        }
    }
    CACHES = {
        "default": {
            # django-redis: its connection pools are kept per process (not per request, as Django's
            # own RedisCache does under ASGI), so a request reuses the process's connections.
            "BACKEND": "django_redis.cache.RedisCache",
            "LOCATION": REDIS_URL,
            "KEY_PREFIX": env("REDIS_PREFIX", "bk"),
            "OPTIONS": {
                "CLIENT_CLASS": "django_redis.client.DefaultClient",
                # A hung Redis fails a cache call after a few seconds instead of holding the request.
                "SOCKET_CONNECT_TIMEOUT": env_int("REDIS_CONNECT_TIMEOUT", 2),
                "SOCKET_TIMEOUT": env_int("REDIS_CACHE_TIMEOUT", 5),
            },
        }
    }
else:
    CHANNEL_LAYERS = {"default": {"BACKEND": "channels.layers.InMemoryChannelLayer"}}
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}

# --- Background tasks -----------------------------------------------------------------------
TASKS = {
    "default": {
        "BACKEND": env("TASKS_BACKEND", "django_tasks_db.DatabaseBackend"),
    }
}

# A task whose worker has not written a heartbeat for this long (killed mid-task) runs again
# (core/taskworker.py); tasks must be idempotent. Heartbeats every sixth of it.
TASK_LEASE_SECONDS = env_int("TASK_LEASE_SECONDS", 30)

# --- Authentication -------------------------------------------------------------------------
AUTH_USER_MODEL = "core.User"
# Directory sign-in (LDAP / Active Directory, OpenID Connect): optional, see directory_auth/conf.py.
AUTHENTICATION_BACKENDS = directory_conf.authentication_backends(os.environ)
globals().update(directory_conf.ldap_settings(os.environ))
globals().update(directory_conf.oidc_settings(os.environ))
# Local passwords (break-glass accounts); an office signing in only through its directory switches
# them off.
LOCAL_LOGIN_ENABLED = env_bool("LOCAL_LOGIN_ENABLED", True)
# Directory sync (manage.py sync_directory; periodically via run_scheduler when LDAP is on).
LDAP_SYNC_INTERVAL_MINUTES = env_int("LDAP_SYNC_INTERVAL_MINUTES", 60)
LDAP_SYNC_MAX_LEAVERS = env_int("LDAP_SYNC_MAX_LEAVERS", 20)
LOGIN_URL = "core:login"
LOGIN_REDIRECT_URL = "core:staff_home"
LOGOUT_REDIRECT_URL = "directory:home"
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator",
     "OPTIONS": {"min_length": 10}},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
# Only the test suite sets this (a fast hasher for throw-away test users).
if env("PASSWORD_HASHERS"):
    PASSWORD_HASHERS = env_list("PASSWORD_HASHERS")
# Second factor (TOTP) for every staff sign-in. Only switch off for a local demo.
REQUIRE_2FA = env_bool("REQUIRE_2FA", True)
OTP_TOTP_ISSUER = env("OTP_TOTP_ISSUER", "Bürgerkontakt")
# Not even a superuser reads a TOTP secret or enrolment QR code in the admin; a device can only be
# reset (deleted), then the person enrols again.
OTP_ADMIN_HIDE_SENSITIVE_DATA = True
RECOVERY_CODE_COUNT = 10
# Login throttling (django-axes): lock username+IP after N failures for the cool-off time.
AXES_FAILURE_LIMIT = env_int("LOGIN_FAILURE_LIMIT", 5)
AXES_COOLOFF_TIME = env_int("LOGIN_COOLOFF_MINUTES", 15) / 60
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
AXES_VERBOSE = False  # axes would log user names; personal data stays out of logs
AXES_LOCKOUT_TEMPLATE = "core/locked_out.html"
AXES_IPWARE_PROXY_COUNT = env_int("PROXY_COUNT", 0)
AXES_ENABLED = env_bool("AXES_ENABLED", True)

# --- Internationalisation -------------------------------------------------------------------
LANGUAGE_CODE = "de"
LANGUAGES = [("de", _("Deutsch")), ("en", _("Englisch"))]
LOCALE_PATHS = [PACKAGE_DIR / "locale"]
TIME_ZONE = env("TIME_ZONE", "Europe/Berlin")
USE_I18N = True
USE_TZ = True
# Bundesland used for public holidays where a location does not set its own (ISO 3166-2 suffix).
DEFAULT_BUNDESLAND = env("DEFAULT_BUNDESLAND", "HE")

# --- Static files ---------------------------------------------------------------------------
STATIC_URL = "/static/"
STATIC_ROOT = Path(env("STATIC_ROOT", str(DATA_DIR / "static")))
STATIC_ROOT.mkdir(parents=True, exist_ok=True)
STATICFILES_DIRS = [PACKAGE_DIR / "static"]
WHITENOISE_USE_FINDERS = True
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage",
                "OPTIONS": {"location": str(DATA_DIR / "media")}},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}

# --- E-mail ---------------------------------------------------------------------------------
# Without EMAIL_HOST, mails are written as files to DATA_DIR/mail (never to the log).
_EMAIL_HOST = env("EMAIL_HOST")
MAIL_FILE_PATH = Path(env("EMAIL_FILE_PATH", str(DATA_DIR / "mail")))
if _EMAIL_HOST:
    MAILERS = {
        "default": {
            "BACKEND": "django.core.mail.backends.smtp.EmailBackend",
            "OPTIONS": {
                "host": _EMAIL_HOST,
                "port": env_int("EMAIL_PORT", 587),
                "username": env("EMAIL_HOST_USER"),
                "password": env("EMAIL_HOST_PASSWORD"),
                "use_tls": env_bool("EMAIL_USE_TLS", True),
                "use_ssl": env_bool("EMAIL_USE_SSL", False),
                "timeout": env_int("EMAIL_TIMEOUT", 20),
            },
        }
    }
else:
    MAILERS = {
        "default": {
            # Django's file backend with a private folder and files (0700/0600, ADR 0015).
            "BACKEND": "buergerkontakt.core.mail_backends.PrivateFileEmailBackend",
            "OPTIONS": {"file_path": str(MAIL_FILE_PATH)},
        }
    }
DEFAULT_FROM_EMAIL = env("DEFAULT_FROM_EMAIL", "Bürgerkontakt <noreply@buergerkontakt.invalid>")
SERVER_EMAIL = DEFAULT_FROM_EMAIL

# --- Security -------------------------------------------------------------------------------
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
SESSION_COOKIE_AGE = env_int("SESSION_COOKIE_AGE", 8 * 3600)
# Staff are signed out after this many seconds without activity (core/idle.py); 0 = off.
SESSION_IDLE_TIMEOUT = env_int("SESSION_IDLE_TIMEOUT", 30 * 60)
SESSION_COOKIE_SECURE = env_bool("SECURE_COOKIES", not DEBUG)
CSRF_COOKIE_SECURE = SESSION_COOKIE_SECURE
LANGUAGE_COOKIE_SECURE = SESSION_COOKIE_SECURE
LANGUAGE_COOKIE_SAMESITE = "Lax"
SECURE_HSTS_SECONDS = env_int("SECURE_HSTS_SECONDS", 0 if DEBUG else 31_536_000)
SECURE_HSTS_INCLUDE_SUBDOMAINS = env_bool("SECURE_HSTS_INCLUDE_SUBDOMAINS", False)
SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", False)
# The health check stays reachable over plain HTTP for load balancers on the internal network.
SECURE_REDIRECT_EXEMPT = [r"^healthz$"]
if env_bool("BEHIND_TLS_PROXY", False):
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
# Behind nginx: take the host name from X-Forwarded-Host (only if the proxy sets it itself).
USE_X_FORWARDED_HOST = env_bool("USE_X_FORWARDED_HOST", False)
# Content Security Policy (Django 6): no inline scripts or styles, nothing from other origins.
SECURE_CSP = {
    "default-src": [CSP.SELF],
    "script-src": [CSP.SELF],
    "style-src": [CSP.SELF],
    "img-src": [CSP.SELF, "data:"],
    "font-src": [CSP.SELF],
    "connect-src": [CSP.SELF],
    "media-src": [CSP.SELF],
    "object-src": [CSP.NONE],
    "base-uri": [CSP.SELF],
    "form-action": [CSP.SELF],
    "frame-ancestors": [CSP.NONE],
}

# --- Logging: structlog, no personal data (core/logs.py) ---------------------------------------
# LOG_FORMAT=json for a log collector; LOG_FILE adds JSON lines in a file. Access lines carry the
# URL pattern, never the path or query string (codes, secrets, e-mail addresses).
LOG_LEVEL = env("LOG_LEVEL", "INFO")
LOG_FORMAT = env("LOG_FORMAT", "console")
LOG_FILE = env("LOG_FILE")
LOGGING = logs.logging_config(level=LOG_LEVEL, fmt=LOG_FORMAT, file=LOG_FILE)
logs.configure_structlog()

# --- Proof of work against bots (ALTCHA, self-hosted) -----------------------------------------
# Quiet hours (Berlin time): no SMS to citizens, and waitlist answer deadlines do not run.
QUIET_HOURS = env("QUIET_HOURS", "20:00-07:00")
ALTCHA_COST = env_int("ALTCHA_COST", 5000)  # PBKDF2 iterations per attempt
ALTCHA_TTL_SECONDS = env_int("ALTCHA_TTL_SECONDS", 600)
# Proof of work can be switched off only explicitly (load benchmarks); never by default.
ALTCHA_ENABLED = env_bool("ALTCHA_ENABLED", True)
# The cost rises with demand (ADR 0015): a client's first ALTCHA_FREE_CHALLENGES challenges in
# ALTCHA_WINDOW_SECONDS cost ALTCHA_COST, each further ALTCHA_FREE_CHALLENGES double it; when all
# clients together fetch more than ALTCHA_BUSY_PER_MINUTE challenges a minute (a release peak),
# it doubles too. Never more than ALTCHA_COST_MAX.
ALTCHA_FREE_CHALLENGES = env_int("ALTCHA_FREE_CHALLENGES", 6)
ALTCHA_WINDOW_SECONDS = env_int("ALTCHA_WINDOW_SECONDS", 600)
ALTCHA_BUSY_PER_MINUTE = env_int("ALTCHA_BUSY_PER_MINUTE", 600)
ALTCHA_COST_MAX = env_int("ALTCHA_COST_MAX", 16 * ALTCHA_COST)

# --- Holds of online appointments (ADR 0015) ---------------------------------------------------
# Open holds (and bookings awaiting the e-mail confirmation) per client address at the same time;
# 0 = no cap (the load benchmark). A browser holds one time at a time: a new hold ends its last.
HOLD_MAX_PER_CLIENT = env_int("HOLD_MAX_PER_CLIENT", 3)
# A new hold lasts this many minutes; opening the details form extends it to the service group's
# hold time ("Reservierung (Minuten)"), so only a client that goes on holds for long.
HOLD_FIRST_MINUTES = env_int("HOLD_FIRST_MINUTES", 3)

# --- Rate limits (requests per period; 0 switches a rule off) ----------------------------------
RATE_LIMITS = {
    # holds (choosing a time) per client IP address
    "booking_ip": (env_int("RATE_BOOKING_PER_IP", 30), env_int("RATE_BOOKING_PER_IP_SECONDS", 600)),
    # completed bookings and waitlist registrations per e-mail address / phone number
    "booking_person": (env_int("RATE_BOOKING_PER_PERSON", 5),
                       env_int("RATE_BOOKING_PER_PERSON_SECONDS", 3600)),
    # look-ups of a booking code (guessing protection)
    "lookup_ip": (env_int("RATE_LOOKUP_PER_IP", 30), env_int("RATE_LOOKUP_PER_IP_SECONDS", 600)),
    # every write of a visitor who is not signed in (forms and API), per client address
    "public_write_ip": (env_int("RATE_PUBLIC_WRITE_PER_IP", 120),
                        env_int("RATE_PUBLIC_WRITE_PER_IP_SECONDS", 600)),
    # tickets and check-ins per kiosk in the waiting area
    "kiosk_screen": (env_int("RATE_KIOSK_PER_SCREEN", 300), env_int("RATE_KIOSK_PER_SCREEN_SECONDS", 3600)),
}
# Part of every counter's key; the tests give each test its own (fresh counters without a flush).
RATE_LIMIT_NAMESPACE = ""

# --- SMS gateway ------------------------------------------------------------------------------
# "log" (demo: writes a masked line to the log and the message to DATA_DIR/sms) or "http".
SMS_BACKEND = env("SMS_BACKEND", "log")
SMS_HTTP_URL = env("SMS_HTTP_URL")
SMS_HTTP_TOKEN = env("SMS_HTTP_TOKEN")
SMS_SENDER = env("SMS_SENDER", "Buergerkontakt")
SMS_FILE_PATH = Path(env("SMS_FILE_PATH", str(DATA_DIR / "sms")))

# --- API ------------------------------------------------------------------------------------
NINJA_PAGINATION_PER_PAGE = 50

# --- Callbacks (phone centre, Rückruftickets) -----------------------------------------------------
# How long a citizen's signed status link works, in days from when it was sent.
CALLBACK_STATUS_LINK_DAYS = env_int("CALLBACK_STATUS_LINK_DAYS", 60)
# API keys for creating tickets through /api/callbacks/ (telephony, portals): comma-separated
# "authority-slug=key" pairs; keys are compared as SHA-256 digests in constant time. Empty: off.
CALLBACK_API_KEYS = env_list("CALLBACK_API_KEYS")
# --- Telephony (CTI: caller log, screen pop, click-to-call) ------------------------------------------
# Keys of the telephone system for /api/telephony/ besides the admin's API keys with the scope
# "telephony": comma-separated "authority-slug=key" pairs. Empty: only keys from the admin.
TELEPHONY_API_KEYS = env_list("TELEPHONY_API_KEYS")
# Click-to-call: the PBX's originate URL (JSON POST {callId, from, to, ticket}); empty: off.
TELEPHONY_DIAL_URL = env("TELEPHONY_DIAL_URL")
TELEPHONY_DIAL_TOKEN = env("TELEPHONY_DIAL_TOKEN")  # sent as "Authorization: Bearer …" if set
TELEPHONY_DIAL_TIMEOUT = env_int("TELEPHONY_DIAL_TIMEOUT", 5)
# The 115 yardstick: an answer within this many seconds counts as "answered in time".
TELEPHONY_SERVICE_LEVEL_SECONDS = env_int("TELEPHONY_SERVICE_LEVEL_SECONDS", 30)
# Online callback requests per client IP address (proof of work comes first).
RATE_LIMITS["callback_ip"] = (env_int("RATE_CALLBACK_PER_IP", 10),
                              env_int("RATE_CALLBACK_PER_IP_SECONDS", 3600))
# Register lookups (Gefährdungsregister) per staff account; the DPO is alerted once per burst.
RATE_LIMITS["register_lookup_user"] = (env_int("RATE_REGISTER_LOOKUP_PER_USER", 10),
                                       env_int("RATE_REGISTER_LOOKUP_PER_USER_SECONDS", 600))
# Look-ups of a ticket status (wrong tokens count too) per client IP address.
RATE_LIMITS["callback_status_ip"] = (env_int("RATE_CALLBACK_STATUS_PER_IP", 60),
                                     env_int("RATE_CALLBACK_STATUS_PER_IP_SECONDS", 600))

# --- Silent alarm -------------------------------------------------------------------------------
# Seconds in which the trigger can take back a mistaken alarm (it is sent at once regardless).
ALARM_GRACE_SECONDS = env_int("ALARM_GRACE_SECONDS", 10)
# Seconds without a human answer ("Ich komme"/"Vor Ort") before the alarm widens (floor → building
# → security) and goes out on the fallback channel (SMS gateway). A mere receipt does not count.
ALARM_ESCALATE_SECONDS = env_int("ALARM_ESCALATE_SECONDS", 5)
# The server process that raised an alarm runs its escalation on its own timer; the periodic task is
# the backstop. Off only in tests that drive the escalation with a controllable clock.
ALARM_ESCALATION_TIMER = env_bool("ALARM_ESCALATION_TIMER", True)
# Alarm clients re-read the active alarms this often (a push lost while the channel layer was away
# is shown within this time) and at once after a connection or layer error.
ALARM_RESYNC_SECONDS = env_int("ALARM_RESYNC_SECONDS", 3)
# Clients heartbeat every ALARM_HEARTBEAT_SECONDS; a workstation silent for ALARM_OFFLINE_SECONDS
# is shown offline (a killed client is noticed within this time).
ALARM_HEARTBEAT_SECONDS = env_int("ALARM_HEARTBEAT_SECONDS", 10)
ALARM_OFFLINE_SECONDS = env_int("ALARM_OFFLINE_SECONDS", 25)
# Keyboard shortcut raising a level-2 alarm on every staff page (KeyboardEvent notation).
ALARM_SHORTCUT = env("ALARM_SHORTCUT", "Control+Alt+A")
# A workstation unreachable during its location's opening hours for this many minutes is reported
# to security (console and e-mail), once per offline spell.
ALARM_OFFLINE_WARN_MINUTES = env_int("ALARM_OFFLINE_WARN_MINUTES", 10)
# A drill (Probealarm) ends by itself after this many minutes if nobody gave the all-clear.
ALARM_DRILL_MINUTES = env_int("ALARM_DRILL_MINUTES", 10)
# Alarm devices (desktop agent, buttons, desk phones; alarms/devices.py): an enrolment code is valid
# ALARM_ENROL_HOURS; presses of one device within ALARM_DEVICE_DEBOUNCE_SECONDS of its active alarm
# raise nothing new (a bouncing button, a double press).
ALARM_ENROL_HOURS = env_int("ALARM_ENROL_HOURS", 72)
ALARM_DEVICE_DEBOUNCE_SECONDS = env_int("ALARM_DEVICE_DEBOUNCE_SECONDS", 30)
RATE_LIMITS["device_alarm"] = (env_int("RATE_DEVICE_ALARMS", 20), env_int("RATE_DEVICE_ALARMS_SECONDS", 600))
RATE_LIMITS["device_heartbeat"] = (env_int("RATE_DEVICE_HEARTBEATS", 200),
                                   env_int("RATE_DEVICE_HEARTBEATS_SECONDS", 600))
RATE_LIMITS["device_enrol_ip"] = (env_int("RATE_DEVICE_ENROL_PER_IP", 10),
                                  env_int("RATE_DEVICE_ENROL_PER_IP_SECONDS", 600))

# --- Reports and open data (docs/adr/0007-reports.md) -------------------------------------------
# Dashboard period without a filter: the last N days up to today; longest period allowed.
REPORTS_DEFAULT_DAYS = env_int("REPORTS_DEFAULT_DAYS", 30)
REPORTS_MAX_DAYS = env_int("REPORTS_MAX_DAYS", 366)
# How far ahead "next free appointment" looks (days).
REPORTS_SLOT_HORIZON_DAYS = env_int("REPORTS_SLOT_HORIZON_DAYS", 90)
# Incident counts below this are shown as "< n" on the dashboard.
REPORTS_INCIDENT_MIN_COUNT = env_int("REPORTS_INCIDENT_MIN_COUNT", 3)
# Public reachability page and open-data feed: period, smallest published count, cache lifetime.
REACHABILITY_PERIOD_DAYS = env_int("REACHABILITY_PERIOD_DAYS", 30)
REACHABILITY_MIN_COUNT = env_int("REACHABILITY_MIN_COUNT", 10)
REACHABILITY_CACHE_SECONDS = env_int("REACHABILITY_CACHE_SECONDS", 900)

# --- Incident register (Vorfallmeldungen und Gefährdungshinweise) -------------------------------
# Fernet key(s) for the personal identifiers and narratives at rest (urlsafe base64, 32 bytes;
# several comma-separated: the first encrypts, all decrypt – key rotation). Empty: a key is
# generated once into DATA_DIR/incident_keys.json (demo/dev only; back it up with the database).
INCIDENT_ENCRYPTION_KEY = env("INCIDENT_ENCRYPTION_KEY")
# HMAC key for the keyed hashes lookups match on (a separate secret; changing it makes every
# existing hash unmatchable). Empty: generated into the same file as above.
INCIDENT_HASH_KEY = env("INCIDENT_HASH_KEY")
INCIDENT_KEY_FILE = Path(env("INCIDENT_KEY_FILE", str(DATA_DIR / "incident_keys.json")))
# A register entry expires this many days after its approval (default two years).
INCIDENT_ENTRY_RETENTION_DAYS = env_int("INCIDENT_ENTRY_RETENTION_DAYS", 730)
# Default review date of a new entry, in days from its creation.
INCIDENT_ENTRY_REVIEW_DAYS = env_int("INCIDENT_ENTRY_REVIEW_DAYS", 365)
# A pending entry nobody approved is deleted after this many days.
INCIDENT_PENDING_DAYS = env_int("INCIDENT_PENDING_DAYS", 30)
# Incident reports are deleted this many days after the incident (default three years).
INCIDENT_REPORT_RETENTION_DAYS = env_int("INCIDENT_REPORT_RETENTION_DAYS", 1095)
# The register's log (lookups, hints, approvals, deletions, exports) is kept this many days.
INCIDENT_LOG_RETENTION_DAYS = env_int("INCIDENT_LOG_RETENTION_DAYS", 1095)
# Longest register access a team lead can grant, in days.
INCIDENT_ACCESS_MAX_DAYS = env_int("INCIDENT_ACCESS_MAX_DAYS", 365)
# Minimum length of the purpose stated for a lookup.
INCIDENT_PURPOSE_MIN_LENGTH = env_int("INCIDENT_PURPOSE_MIN_LENGTH", 10)
# Show the safety hint on appointments/callbacks that match an entry by name alone (they carry no
# date of birth). Off: only a matching case number counts.
INCIDENT_HINT_NAME_ONLY = env_bool("INCIDENT_HINT_NAME_ONLY", True)
# Smallest count shown in incident statistics (smaller counts are suppressed).
INCIDENT_STATS_MIN_COUNT = env_int("INCIDENT_STATS_MIN_COUNT", 3)
# Incident statistics are broken down by level only for months with at least this many reports.
INCIDENT_STATS_MIN_GROUP = env_int("INCIDENT_STATS_MIN_GROUP", 10)
