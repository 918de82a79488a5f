"""Settings for the Hod & Hod project, read from the environment.

Every variable is listed in `.env.example`. With nothing set, the project runs on
embedded defaults (SQLite and a file-based Celery broker under `var/`, console
email); with `DEBUG` off, a missing secret or an email backend that delivers nothing stops start-up
with a clear message.
"""

import os
import sys
from datetime import timedelta
from pathlib import Path

import dj_database_url
from django.core.exceptions import ImproperlyConfigured

from hodhod.env import env_bool, env_choice, env_list, env_number

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = Path(os.environ.get("VAR_DIR", BASE_DIR / "var"))


def env_secret(name: str, dev_default: str) -> str:
    """A secret from the environment; only a DEBUG run may fall back to a dev value."""
    value = os.environ.get(name, "")
    if value:
        return value
    if DEBUG:
        return dev_default
    raise ImproperlyConfigured(f"{name} is not set; it is required when DEBUG is off.")


DEBUG = env_bool("DEBUG", False)
SECRET_KEY = env_secret("SECRET_KEY", "dev-only-insecure-secret-key-do-not-use-in-production")
ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", "127.0.0.1,localhost" if DEBUG else "")
SITE_URL = os.environ.get("SITE_URL", "http://127.0.0.1:8000").rstrip("/")
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS", SITE_URL)

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.contrib.sitemaps",
    "rest_framework",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "django_celery_beat",
    "anymail",
    "axes",
    "hodhod",
    "core",
    "payments",
    "shop",
    "billing",
    "programs",
    "accounts",
    "content",
]

MIDDLEWARE = [
    "hodhod.requestlog.RequestLogMiddleware",
    "hodhod.middleware.FriendlyMethodNotAllowedMiddleware",
    "hodhod.middleware.ApiErrorShapeInDebugMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "hodhod.middleware.AdminBadInputMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "csp.middleware.CSPMiddleware",
    "axes.middleware.AxesMiddleware",  # last, as django-axes asks: turns a lockout into its 429 answer
]

ROOT_URLCONF = "hodhod.urls"
WSGI_APPLICATION = "hodhod.wsgi.application"
ASGI_APPLICATION = "hodhod.asgi.application"

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
                "hodhod.context_processors.site",
                "hodhod.context_processors.cart_badge",
            ],
        },
    },
]

# Database: SQLite under var/ unless DATABASE_URL says otherwise; persistent connections (sizing: README, "Deploying").
DATABASES = {
    "default": dj_database_url.parse(
        os.environ.get("DATABASE_URL") or f"sqlite:///{VAR_DIR / 'hodhod.sqlite3'}",
        conn_max_age=int(os.environ.get("DATABASE_CONN_MAX_AGE", "60")),
        conn_health_checks=True,
    )
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # The demo's web, worker and beat share one file: WAL lets readers and a writer work at once,
    # IMMEDIATE takes the write lock up front, and the timeout waits for it instead of failing.
    DATABASES["default"]["OPTIONS"] = {
        "timeout": 20,
        "transaction_mode": "IMMEDIATE",
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
    }
    # A covering index's INCLUDE columns are a PostgreSQL speed-up; SQLite builds the index without them.
    SILENCED_SYSTEM_CHECKS = ["models.W040"]
if os.environ.get("TEST_DATABASE_NAME"):
    # Lets two suites share one PostgreSQL server without sharing a test database.
    DATABASES["default"]["TEST"] = {"NAME": os.environ["TEST_DATABASE_NAME"]}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# The cache (throttles, rate counters, page caches): per-process memory, or one Redis for all processes (issue 16).
CACHE_URL = os.environ.get("CACHE_URL", "")
if CACHE_URL and not CACHE_URL.startswith(("redis://", "rediss://", "unix://")):  # the scheme only: a URL has passwords
    raise ImproperlyConfigured(f"CACHE_URL must be redis://, rediss:// or unix://, not {CACHE_URL.split(':')[0]}://")
_REDIS = {"BACKEND": "django.core.cache.backends.redis.RedisCache", "OPTIONS": {"socket_timeout": 2}}  # fails in 2 s
_LOCMEM = {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}
CACHES = {"default": {**_REDIS, "LOCATION": CACHE_URL} if CACHE_URL else _LOCMEM}

# Password sign-in (the admin's only): django-axes refuses a user from an address after
# ADMIN_LOGIN_FAILURE_LIMIT wrong passwords in a row, for ADMIN_LOGIN_LOCKOUT_MINUTES, even with the
# right one. Counted in the database, so every worker and host sees the same count.
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
ADMIN_LOGIN_FAILURE_LIMIT = int(os.environ.get("ADMIN_LOGIN_FAILURE_LIMIT", "5"))
ADMIN_LOGIN_LOCKOUT_MINUTES = int(os.environ.get("ADMIN_LOGIN_LOCKOUT_MINUTES", "10"))
AXES_HANDLER = "axes.handlers.database.AxesDatabaseHandler"
AXES_FAILURE_LIMIT = ADMIN_LOGIN_FAILURE_LIMIT
AXES_COOLOFF_TIME = timedelta(minutes=ADMIN_LOGIN_LOCKOUT_MINUTES)
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]  # one user from one address: others still sign in
AXES_RESET_ON_SUCCESS = True
AXES_CLIENT_IP_CALLABLE = "hodhod.admin_login.client_address"  # behind a proxy, the address it saw
AXES_DISABLE_ACCESS_LOG = True  # no row per successful sign-in (User.last_login has the last one)
AXES_COOLOFF_MESSAGE = (
    f"Too many wrong passwords for this user from this address: try again in {ADMIN_LOGIN_LOCKOUT_MINUTES} minutes."
)

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

LANGUAGE_CODE = "en-us"
TIME_ZONE = os.environ.get("TIME_ZONE", "UTC")
USE_I18N = True
USE_TZ = True

STATIC_URL = "/static/"
STATIC_ROOT = BASE_DIR / "staticfiles"
STATICFILES_DIRS = [BASE_DIR / "static"]
MEDIA_URL = "/media/"
MEDIA_ROOT = VAR_DIR / "media"
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": (
            "django.contrib.staticfiles.storage.StaticFilesStorage" if DEBUG else "hodhod.storage.StaticStorage"
        )
    },
}
WHITENOISE_MAX_AGE = 31536000  # fingerprinted files are cached for a year

# Email: printed to the console on a DEBUG run; with DEBUG off, EMAIL_BACKEND must name one that
# delivers (SMTP, an anymail provider) or the test-suite's locmem, never one that loses the mail.
EMAIL_BACKEND = os.environ.get("EMAIL_BACKEND", "") or (
    "django.core.mail.backends.console.EmailBackend" if DEBUG else ""
)
_UNDELIVERED_EMAIL = {f"django.core.mail.backends.{name}.EmailBackend" for name in ("console", "filebased", "dummy")}
if not DEBUG and EMAIL_BACKEND in {"", *_UNDELIVERED_EMAIL}:
    raise ImproperlyConfigured(
        f"EMAIL_BACKEND is {EMAIL_BACKEND or 'not set'}; with DEBUG off it must deliver mail "
        "(e.g. django.core.mail.backends.smtp.EmailBackend or an anymail backend)."
    )
EMAIL_HOST = os.environ.get("EMAIL_HOST", "localhost")
EMAIL_PORT = int(os.environ.get("EMAIL_PORT", "25"))
EMAIL_HOST_USER = os.environ.get("EMAIL_HOST_USER", "")
EMAIL_HOST_PASSWORD = os.environ.get("EMAIL_HOST_PASSWORD", "")
EMAIL_USE_TLS = env_bool("EMAIL_USE_TLS", False)
EMAIL_TIMEOUT = 30
DEFAULT_FROM_EMAIL = os.environ.get("DEFAULT_FROM_EMAIL", "Hod & Hod <shop@hodhod.example>")
PROGRAMS_FROM_EMAIL = os.environ.get("PROGRAMS_FROM_EMAIL", DEFAULT_FROM_EMAIL)
SERVER_EMAIL = DEFAULT_FROM_EMAIL
ANYMAIL = {"WEBHOOK_SECRET": os.environ.get("ANYMAIL_WEBHOOK_SECRET", "")}

# Stripe: one client (payments/client.py). STRIPE_API_BASE points it at the local emulator.
STRIPE_SECRET_KEY = env_secret("STRIPE_SECRET_KEY", "sk_test_emulator")
STRIPE_WEBHOOK_SECRET = env_secret("STRIPE_WEBHOOK_SECRET", "whsec_emulator")
STRIPE_API_BASE = os.environ.get("STRIPE_API_BASE", "").rstrip("/")
# Where a webhook's event is applied: "worker" (stored by the request, applied by Celery: Stripe is answered
# after one INSERT) or "request" (applied before answering; no worker needed). payments/views.py.
STRIPE_WEBHOOK_APPLY = env_choice("STRIPE_WEBHOOK_APPLY", ("worker", "request"), "worker")

# Celery: a file-based broker under var/ unless CELERY_BROKER_URL names a server.
CELERY_BROKER_URL = os.environ.get("CELERY_BROKER_URL", "filesystem://")
if CELERY_BROKER_URL.startswith("filesystem://"):
    _queue_dir = VAR_DIR / "celery"
    for _sub in ("out", "processed", "control"):
        (_queue_dir / _sub).mkdir(parents=True, exist_ok=True)
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        "data_folder_in": str(_queue_dir / "out"),
        "data_folder_out": str(_queue_dir / "out"),
        "processed_folder": str(_queue_dir / "processed"),
        "control_folder": str(_queue_dir / "control"),  # kombu's default is ./control, in the checkout
    }
else:
    # Redis re-delivers an unacknowledged (acks_late) task after this many seconds.
    CELERY_BROKER_TRANSPORT_OPTIONS = {"visibility_timeout": 3600}
CELERY_TASK_ALWAYS_EAGER = False
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_IGNORE_RESULT = True
CELERY_TIMEZONE = "UTC"
CELERY_BEAT_SCHEDULER = "django_celery_beat.schedulers:DatabaseScheduler"
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True

# How many proxies in front of the app append to X-Forwarded-For: the client's address is the one
# the nearest of them saw (the API's limits and the admin's sign-in limit both use it).
NUM_PROXIES = int(os.environ.get("NUM_PROXIES", "0"))

# Shop limits (README, "Security"): one client or one email cannot hoard the stock or spend our Stripe calls.
SHOP_CHECKOUTS_PER_CLIENT_PER_HOUR = env_number("SHOP_CHECKOUTS_PER_CLIENT_PER_HOUR", 20)
SHOP_CHECKOUTS_PER_EMAIL_PER_HOUR = env_number("SHOP_CHECKOUTS_PER_EMAIL_PER_HOUR", 10)
SHOP_MAX_RESERVED_UNITS = env_number("SHOP_MAX_RESERVED_UNITS", 10)
SHOP_MAX_RESERVED_SHARE = env_number("SHOP_MAX_RESERVED_SHARE", 0.5)
SHOP_RESERVATION_MINUTES = env_number("SHOP_RESERVATION_MINUTES", 15)
SHOP_SUCCESS_LOOKUPS_PER_CLIENT_PER_MINUTE = env_number("SHOP_SUCCESS_LOOKUPS_PER_CLIENT_PER_MINUTE", 30)

# Commerce (issue 12): where the shop ships (ISO codes, the default first; checked by shop.checks), Stripe Tax
# at checkout, minutes from an expired checkout to its recovery email (0: the next periodic run).
SHOP_SHIPPING_COUNTRIES = [code.upper() for code in env_list("SHOP_SHIPPING_COUNTRIES", "US")]
STRIPE_AUTOMATIC_TAX = env_bool("STRIPE_AUTOMATIC_TAX", False)
CHECKOUT_RECOVERY_DELAY = env_number("CHECKOUT_RECOVERY_DELAY", 60)

# Membership limits (README, "Security"): memberships one client / one email may start in an hour, and the Stripe
# calls one client's pages may cause a minute (the success page's look-up, opening the customer portal).
BILLING_JOINS_PER_CLIENT_PER_HOUR = env_number("BILLING_JOINS_PER_CLIENT_PER_HOUR", 20)
BILLING_JOINS_PER_EMAIL_PER_HOUR = env_number("BILLING_JOINS_PER_EMAIL_PER_HOUR", 5)
BILLING_STRIPE_CALLS_PER_CLIENT_PER_MINUTE = env_number("BILLING_STRIPE_CALLS_PER_CLIENT_PER_MINUTE", 30)

# The customer's account and the daily privacy pass (README, "Your account" and "Your data").
ACCOUNT_SIGN_IN_LINK_MINUTES = env_number("ACCOUNT_SIGN_IN_LINK_MINUTES", 15) or 15
ACCOUNT_SIGN_IN_LINKS_PER_EMAIL = env_number("ACCOUNT_SIGN_IN_LINKS_PER_EMAIL", 3)  # within a link's life
ACCOUNT_SIGN_IN_REQUESTS_PER_CLIENT_PER_HOUR = env_number("ACCOUNT_SIGN_IN_REQUESTS_PER_CLIENT_PER_HOUR", 20)
ACCOUNT_SESSION_DAYS = env_number("ACCOUNT_SESSION_DAYS", 30) or 30
STRIPE_EVENT_RETENTION_DAYS = env_number("STRIPE_EVENT_RETENTION_DAYS", 90)  # personal data scrubbed after it

# Staff alerts and lesson engagement (issue 15): who hears of a product crossing its low-stock threshold; whether
# lessons carry an open pixel (off: Apple Mail Privacy Protection opens every message, so opens overstate).
STAFF_ALERT_EMAILS = env_list("STAFF_ALERT_EMAILS", "")
PROGRAMS_OPEN_PIXEL = env_bool("PROGRAMS_OPEN_PIXEL", False)

# API
REST_FRAMEWORK = {
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "EXCEPTION_HANDLER": "core.api.exception_handler",
    "DEFAULT_AUTHENTICATION_CLASSES": [],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.AllowAny"],
    "UNAUTHENTICATED_USER": None,
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
    "DEFAULT_PARSER_CLASSES": ["hodhod.parsers.JSONParser"],  # DRF's, with too-deep nesting a 400
    "DEFAULT_PAGINATION_CLASS": "rest_framework.pagination.PageNumberPagination",
    "PAGE_SIZE": 20,
    # Per client address; behind a proxy set NUM_PROXIES so the real address is used. 0, not None:
    # with None DRF keys on the whole X-Forwarded-For, which the client writes itself.
    "NUM_PROXIES": NUM_PROXIES,
    "DEFAULT_THROTTLE_RATES": {
        "signup": os.environ.get("API_RATE_SIGNUP", "20/hour"),
        "carts": os.environ.get("API_RATE_CARTS", "120/minute"),
        "checkout": os.environ.get("API_RATE_CHECKOUT", "30/minute"),
    },
}
SPECTACULAR_SETTINGS = {
    "TITLE": "Hod & Hod API",
    "DESCRIPTION": (
        "Catalog, carts, checkout, orders, exercise programs and the blog of Hod & Hod. "
        "Every 4xx answer has the shape "
        '`{"code": "...", "message": "...", "fields": {"field": ["..."]}}`.'
    ),
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "COMPONENT_SPLIT_REQUEST": True,
    "ENUM_NAME_OVERRIDES": {"SubscriptionStatusEnum": "billing.models.Subscription.Status"},  # vs. orders' status
    "POSTPROCESSING_HOOKS": [
        "drf_spectacular.hooks.postprocess_schema_enums",  # the default
        "core.api.document_page_not_found",  # `?page=` past the end is a documented 404
    ],
}

# Security. With DEBUG off, `manage.py check --deploy` is clean (unless the secure cookies are turned off).
SESSION_COOKIE_HTTPONLY = True
SESSION_ENGINE = "hodhod.sessions"  # database sessions; a malformed cookie is no session, not a 500
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
# A plain-HTTP staging host may turn the secure cookies off: honoured, said once at start-up, and
# still reported by `check --deploy` (security.W012, security.W016).
SESSION_COOKIE_SECURE = env_bool("SESSION_COOKIE_SECURE", not DEBUG)
CSRF_COOKIE_SECURE = env_bool("CSRF_COOKIE_SECURE", not DEBUG)
_PLAIN_HTTP_COOKIES = [
    name
    for name, secure in [("SESSION_COOKIE_SECURE", SESSION_COOKIE_SECURE), ("CSRF_COOKIE_SECURE", CSRF_COOKIE_SECURE)]
    if not secure
]
if not DEBUG and _PLAIN_HTTP_COOKIES:
    print(
        f"Warning: {' and '.join(_PLAIN_HTTP_COOKIES)} off while DEBUG is off: the cookie is sent over plain HTTP "
        "too (meant for a staging host without TLS).",
        file=sys.stderr,
    )
if not DEBUG:
    SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", True)
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SECURE_REDIRECT_EXEMPT = [r"^healthz$", r"^readyz$"]
    SECURE_HSTS_SECONDS = 31536000
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = True

CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "img-src": ["'self'", "data:"],
        "style-src": ["'self'"],
        "script-src": ["'self'"],
        "frame-ancestors": ["'none'"],
        # Forms that end at Stripe's hosted pages: Checkout, and the customer portal (billing).
        "form-action": [
            "'self'",
            *env_list("CSP_FORM_ACTION", "https://checkout.stripe.com,https://billing.stripe.com"),
        ],
        "base-uri": ["'self'"],
        "object-src": ["'none'"],
    }
}

# Logging: one line per request; JSON lines when DEBUG is off.
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {
        "request_id": {"()": "hodhod.requestlog.RequestIdFilter"},
        "redact": {"()": "core.redaction.RedactFilter"},
    },
    "formatters": {
        "plain": {"format": "%(asctime)s %(levelname)s %(name)s [%(request_id)s] %(message)s"},
        "json": {
            "()": "pythonjsonlogger.json.JsonFormatter",
            "format": "%(asctime)s %(levelname)s %(name)s %(request_id)s %(message)s",
        },
    },
    "handlers": {
        "console": {
            "class": "logging.StreamHandler",
            "formatter": "plain" if DEBUG else "json",
            "filters": ["request_id", "redact"],
        }
    },
    "root": {"handlers": ["console"], "level": os.environ.get("LOG_LEVEL", "INFO")},
    "loggers": {
        # The request log below replaces Django's own per-request lines.
        "django.request": {"level": "ERROR"},
        # runserver's own line for a 4xx/5xx (`make run`): through the redacting console handler. Without a
        # handler of its own (Django's is replaced here) it went to Python's last-resort handler, unredacted.
        "django.server": {"handlers": ["console"], "level": "WARNING", "propagate": False},
        "stripe": {"level": "WARNING"},
    },
}
