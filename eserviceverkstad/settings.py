"""Settings for E-serviceverkstad, read from environment variables.

Every value that differs between a laptop and production comes from the
environment, and a value that cannot be parsed stops start-up with a message
that names the variable (see ``env_bool`` and friends below).
"""

import datetime
import os
from pathlib import Path

import dj_database_url
from django.conf.locale import LANG_INFO
from django.core.exceptions import ImproperlyConfigured
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

BASE_DIR = Path(__file__).resolve().parent.parent

_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"0", "false", "no", "off", ""}


def env_str(name, default=None):
    return os.environ.get(name, default)


def env_bool(name, default=False):
    raw = os.environ.get(name)
    if raw is None:
        return default
    value = raw.strip().lower()
    if value in _TRUE:
        return True
    if value in _FALSE:
        return False
    raise ImproperlyConfigured(f"{name} must be one of true/false/1/0/yes/no, not {raw!r}.")


def env_int(name, default):
    raw = os.environ.get(name)
    if raw is None or raw.strip() == "":
        return default
    try:
        return int(raw)
    except ValueError:
        raise ImproperlyConfigured(f"{name} must be a whole number, not {raw!r}.") from None


def env_list(name, default=()):
    raw = os.environ.get(name)
    if raw is None:
        return list(default)
    return [part.strip() for part in raw.split(",") if part.strip()]


DEBUG = env_bool("DEBUG", False)

SECRET_KEY = env_str("SECRET_KEY")
if not SECRET_KEY:
    if not DEBUG:
        raise ImproperlyConfigured(
            "SECRET_KEY must be set when DEBUG is off (DEBUG=true for local development)."
        )
    SECRET_KEY = "insecure-development-key-only-used-with-debug-on"

ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", ["127.0.0.1", "localhost"] if DEBUG else [])
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS")

INSTALLED_APPS = [
    # Before the admin, as it asks: its admin classes extend the admin's.
    "modeltranslation",
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "crispy_forms",
    "crispy_bootstrap5",
    "csp",
    "django_q",
    "axes",
    "eserviceverkstad",
    "agencies",
    "sessions.apps.ScheduleConfig",
    "visitors",
]

MIDDLEWARE = [
    # First, so it stores a page only after every other middleware has added
    # its cookies and Vary headers (sessions/page_cache.py).
    "sessions.page_cache.PageCacheMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    # Right after the language is chosen: a feed or QR link's ?lang=, then
    # the rule that staff pages speak sv or en only.
    "eserviceverkstad.language_link.LanguageParameterMiddleware",
    "eserviceverkstad.staff_language.StaffLanguageMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    # After messages: it says why the login ended.
    "eserviceverkstad.idle_logout.IdleLogoutMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "csp.middleware.CSPMiddleware",
    # Last, as django-axes asks: it turns a lockout into its response.
    "axes.middleware.AxesMiddleware",
]

AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "visitors:start"
LOGOUT_REDIRECT_URL = "schedule:home"
# A shared tablet: the session ends with the working day or the browser.
SESSION_COOKIE_AGE = env_int("SESSION_COOKIE_AGE", 10 * 3600)
SESSION_EXPIRE_AT_BROWSER_CLOSE = True
# ... and after this many minutes without a request (0: never), so the next
# person on the tablet never logs visits under the previous one's name.
STAFF_IDLE_MINUTES = env_int("STAFF_IDLE_MINUTES", 30)

# Failed logins: after 5 tries for one user name from one address, that pair
# waits 15 minutes. It lifts by itself; no admin needs to unlock anyone.
AXES_FAILURE_LIMIT = env_int("AXES_FAILURE_LIMIT", 5)
AXES_COOLOFF_TIME = datetime.timedelta(minutes=env_int("AXES_COOLOFF_MINUTES", 15))
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_TEMPLATE = "registration/locked_out.html"
# How many reverse proxies (the TLS proxy) stand in front of the app. This
# one setting decides whether X-Forwarded-For (client_ip.py) and
# X-Forwarded-Proto (SECURE_PROXY_SSL_HEADER below) are believed: with 0,
# both are a client's own words. The proxy must overwrite both headers.
TRUSTED_PROXY_COUNT = env_int("TRUSTED_PROXY_COUNT", 0)
if TRUSTED_PROXY_COUNT < 0:
    raise ImproperlyConfigured(f"TRUSTED_PROXY_COUNT must be 0 or more, not {TRUSTED_PROXY_COUNT}.")
AXES_CLIENT_IP_CALLABLE = "eserviceverkstad.client_ip.client_ip"

ROOT_URLCONF = "eserviceverkstad.urls"
# The agency and venue pages show times, so the schedule app serves them;
# the URLs are wired here, above both apps, so agencies' models need not
# know a schedule URL (the admin's "view on site" uses these).
ABSOLUTE_URL_OVERRIDES = {
    "agencies.agency": lambda agency: reverse("schedule:agency", args=[agency.slug]),
    "agencies.venue": lambda venue: reverse("schedule:venue", args=[venue.slug]),
}
WSGI_APPLICATION = "eserviceverkstad.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ],
        },
    },
]

DATABASES = {
    "default": dj_database_url.parse(
        env_str("DATABASE_URL", f"sqlite:///{BASE_DIR / 'var' / 'db.sqlite3'}"),
        conn_max_age=env_int("CONN_MAX_AGE", 60),
        # A kept connection that broke (the database restarted) is replaced
        # before a request uses it, instead of failing that request.
        conn_health_checks=True,
    )
}
# A read replica for the statistics page (eserviceverkstad/db_routing.py).
STATISTICS_READ_REPLICA = bool(env_str("STATISTICS_DATABASE_URL"))
if STATISTICS_READ_REPLICA:
    DATABASES["statistics"] = dj_database_url.parse(
        env_str("STATISTICS_DATABASE_URL"), conn_max_age=env_int("CONN_MAX_AGE", 60), conn_health_checks=True
    )
DATABASE_ROUTERS = ["eserviceverkstad.db_routing.StatisticsReplicaRouter"]
# No DATABASE_URL means the embedded SQLite in var/: right for `make run`,
# and check --deploy warns about it when DEBUG is off (eserviceverkstad.W002).
DATABASE_URL_IS_SET = bool(env_str("DATABASE_URL"))
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # WAL lets the qcluster write while the web server reads. Connections
    # are kept (CONN_MAX_AGE) as for PostgreSQL: opening one per request
    # costs more than a cached page.
    # IMMEDIATE: a transaction takes SQLite's write lock when it begins, not
    # at its first write, so a booking's count and insert (visitors/booking.py)
    # run one at a time, as the row lock makes them on PostgreSQL. SQLite only:
    # PostgreSQL has no such option.
    DATABASES["default"]["OPTIONS"] = {
        "init_command": "PRAGMA journal_mode=WAL;",
        "transaction_mode": "IMMEDIATE",
    }
    # The statistics rollup's covering indexes (visitors.VisitDailyCount)
    # are PostgreSQL's, for region-size installations; SQLite makes them
    # plain indexes, which is all the embedded database needs.
    SILENCED_SYSTEM_CHECKS = ["models.W040"]

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

LANGUAGE_CODE = "sv"
# The public pages speak all of these; the staff pages only STAFF_LANGUAGES
# (eserviceverkstad/staff_language.py). The language switch names each one
# in its own script (LANG_INFO's name_local).
LANGUAGES = [
    ("sv", _("Swedish")),
    ("en", _("English")),
    ("ar", _("Arabic")),
    ("fa", _("Persian")),
    ("so", _("Somali")),
    ("ti", _("Tigrinya")),
    ("uk", _("Ukrainian")),
]
STAFF_LANGUAGES = LANGUAGES[:2]
# Django has no Somali or Tigrinya of its own; get_language_info() and the
# language switch need them.
LANG_INFO.update(
    {
        "so": {"bidi": False, "code": "so", "name": "Somali", "name_local": "Soomaali"},
        "ti": {"bidi": False, "code": "ti", "name": "Tigrinya", "name_local": "ትግርኛ"},
        # Django writes it with a shadda (العربيّة); the switch uses the plain spelling.
        "ar": {**LANG_INFO["ar"], "name_local": "العربية"},
    }
)
LOCALE_PATHS = [BASE_DIR / "locale"]
# Texts in the database (names, descriptions, notes, search words) in every
# language through django-modeltranslation: one column per language
# (name_sv, name_en, name_ar, ...), registered in agencies/translation.py and
# sessions/translation.py. Swedish is the source; an empty translation shows
# the Swedish text, then the English one, never nothing.
MODELTRANSLATION_DEFAULT_LANGUAGE = "sv"
MODELTRANSLATION_LANGUAGES = tuple(code for code, _name in LANGUAGES)
MODELTRANSLATION_FALLBACK_LANGUAGES = {"default": ("sv", "en")}
# A required text (a name) must be given in Swedish; every other language may wait.
MODELTRANSLATION_REQUIRED_LANGUAGES = ("sv",)
TIME_ZONE = "Europe/Stockholm"
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
# Where collectstatic puts the files whitenoise (or the proxy) serves.
STATIC_ROOT = env_str("STATIC_ROOT", str(BASE_DIR / "var" / "static"))
STATICFILES_DIRS = [BASE_DIR / "static"]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": (
            "django.contrib.staticfiles.storage.StaticFilesStorage"
            if DEBUG
            else "whitenoise.storage.CompressedManifestStaticFilesStorage"
        )
    },
}

CRISPY_ALLOWED_TEMPLATE_PACKS = "bootstrap5"
CRISPY_TEMPLATE_PACK = "bootstrap5"

# E-mail: console in development, SMTP when EMAIL_HOST is set.
EMAIL_HOST = env_str("EMAIL_HOST", "")
# STARTTLS on the submission port (587) by default; EMAIL_USE_SSL=true is
# implicit TLS, on port 465 unless EMAIL_PORT says otherwise. Django refuses
# both at once, so saying so here names the variables.
EMAIL_USE_SSL = env_bool("EMAIL_USE_SSL", False)
EMAIL_USE_TLS = env_bool("EMAIL_USE_TLS", not EMAIL_USE_SSL)
if EMAIL_USE_TLS and EMAIL_USE_SSL:
    raise ImproperlyConfigured("EMAIL_USE_TLS and EMAIL_USE_SSL cannot both be true; choose one.")
EMAIL_PORT = env_int("EMAIL_PORT", 465 if EMAIL_USE_SSL else 587)
EMAIL_HOST_USER = env_str("EMAIL_HOST_USER", "")
EMAIL_HOST_PASSWORD = env_str("EMAIL_HOST_PASSWORD", "")
# Seconds to wait for the mail server. Mail is sent by the task cluster
# (eserviceverkstad/mail.py), so a slow server holds up a worker, never a page.
EMAIL_TIMEOUT = env_int("EMAIL_TIMEOUT", 10)
DEFAULT_FROM_EMAIL = env_str("DEFAULT_FROM_EMAIL", "e-serviceverkstad@localhost")
SERVER_EMAIL = DEFAULT_FROM_EMAIL
EMAIL_BACKEND = (
    "django.core.mail.backends.smtp.EmailBackend"
    if EMAIL_HOST
    else "django.core.mail.backends.console.EmailBackend"
)

# Security headers. HTTPS is assumed in production; a TLS-terminating proxy
# must set X-Forwarded-Proto (check --deploy warns when none is trusted).
SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", not DEBUG)
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https") if TRUSTED_PROXY_COUNT >= 1 else None
SECURE_HSTS_SECONDS = 0 if DEBUG else 31_536_000
# Both are promises for the whole domain, which the municipality's IT
# department makes, not this app: includeSubDomains forces HTTPS on every
# sub-domain, and a preloaded domain is built into browsers for months.
# So preload is off until asked for (check --deploy then says security.W021).
SECURE_HSTS_INCLUDE_SUBDOMAINS = env_bool("SECURE_HSTS_INCLUDE_SUBDOMAINS", not DEBUG)
SECURE_HSTS_PRELOAD = env_bool("SECURE_HSTS_PRELOAD", False)
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "strict-origin-when-cross-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
SESSION_COOKIE_SECURE = not DEBUG
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
CSRF_COOKIE_SECURE = not DEBUG
CSRF_COOKIE_HTTPONLY = True
CSRF_COOKIE_SAMESITE = "Lax"
LANGUAGE_COOKIE_SECURE = not DEBUG
LANGUAGE_COOKIE_HTTPONLY = True
LANGUAGE_COOKIE_SAMESITE = "Lax"
LANGUAGE_COOKIE_AGE = 365 * 24 * 3600
X_FRAME_OPTIONS = "DENY"
# The site's own page, in the visitor's language, with a way back.
CSRF_FAILURE_VIEW = "eserviceverkstad.views.csrf_failure"

CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'"],
        "style-src": ["'self'"],
        "img-src": ["'self'", "data:"],
        "font-src": ["'self'"],
        "connect-src": ["'self'"],
        # The staff pages' service worker and manifest (visitors/offline_views.py).
        "worker-src": ["'self'"],
        "manifest-src": ["'self'"],
        "form-action": ["'self'"],
        "object-src": ["'none'"],
        "base-uri": ["'none'"],
        "frame-ancestors": ["'none'"],
    }
}

# A database cache, so that several app servers and the task cluster share
# it (django-q2 keeps the cluster's heartbeat there for /healthz).
CACHES = {
    "default": {
        "BACKEND": "django.core.cache.backends.db.DatabaseCache",
        "LOCATION": "eserviceverkstad_cache",
        # Above the default 300: a region keeps a schedule version per venue
        # and municipality here (some 900), and culling would drop them.
        "OPTIONS": {"MAX_ENTRIES": 20000},
    },
    # Rendered public pages, per process; see sessions/page_cache.py.
    # PAGE_CACHE=false keeps nothing, so every request renders (the "uncached"
    # rows of benchmarks/run.py).
    "pages": {
        "BACKEND": (
            "django.core.cache.backends.locmem.LocMemCache"
            if env_bool("PAGE_CACHE", True)
            else "django.core.cache.backends.dummy.DummyCache"
        ),
        "LOCATION": "pages",
        "OPTIONS": {"MAX_ENTRIES": 2000},
    },
}

# Background tasks: django-q2 with the database as broker, so nothing but the
# database is needed. One worker is plenty for nightly maintenance.
Q_CLUSTER = {
    "name": "eserviceverkstad",
    "orm": "default",
    "workers": env_int("Q_WORKERS", 1),
    "timeout": 300,
    "retry": 360,
    "catch_up": False,
    "poll": 2,
}

# Text messages to residents go through this backend (visitors/sms.py). The
# default stores them in the outbox staff read; a municipality plugs in its
# SMS provider with a class of the same interface.
SMS_BACKEND = env_str("SMS_BACKEND", "visitors.sms.OutboxBackend")
# Hours a resident on the waiting list has to take a freed place before it
# goes to the next (less when the session starts sooner).
WAITING_LIST_OFFER_HOURS = env_int("WAITING_LIST_OFFER_HOURS", 24)

# How far ahead the schedule is stored as dated occurrences (issue: at least
# twelve months). A daily task moves the horizon forward.
OCCURRENCE_HORIZON_DAYS = env_int("OCCURRENCE_HORIZON_DAYS", 400)

# Statistics workbooks with more visit rows than this are built by a
# background task and downloaded from a link (visitors/export_jobs.py). The
# folder must be shared by the web servers and the qcluster.
STATS_EXPORT_ASYNC_ROWS = env_int("STATS_EXPORT_ASYNC_ROWS", 200_000)
STATS_EXPORT_ROOT = env_str("STATS_EXPORT_ROOT", str(BASE_DIR / "var" / "exports"))

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": env_str("LOG_LEVEL", "INFO")},
    # django-axes logs every login at INFO; failures still show as warnings.
    "loggers": {"axes": {"level": "WARNING"}},
}
