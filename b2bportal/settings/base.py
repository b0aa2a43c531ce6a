"""Settings shared by every mode. Values come from the environment (``b2bportal/env.py``).

Modes: ``b2bportal.settings.base`` (development, the default), ``.production`` and ``.test``.
"""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

from django.core.exceptions import ImproperlyConfigured
from django.utils.translation import gettext_lazy as _

from b2bportal.database import SQLITE_BUSY_TIMEOUT, database_from_url, task_workers
from b2bportal.env import env_bool, env_int, env_list, env_mapping, env_str

BASE_DIR = Path(__file__).resolve().parent.parent.parent

# A development key only: production.py refuses to start without SECRET_KEY from the environment.
SECRET_KEY = env_str("SECRET_KEY", "dev-insecure-key-change-me-0123456789-abcdefghijklmnopqrstuvwxyz")
# Keys that encrypt the secrets the portal reads back (webhook signing secrets; b2bportal/encryption.py): the first
# encrypts, all decrypt (put a new one first to rotate). Empty: derived from SECRET_KEY, which production warns of.
B2B_FIELD_ENCRYPTION_KEYS = env_list("FIELD_ENCRYPTION_KEYS", [])
DEBUG = env_bool("DEBUG", False)
ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", ["localhost", "127.0.0.1", "[::1]"])
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS", [])

INSTALLED_APPS = [
    "b2bportal.apps.PortalAdminConfig",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    # Before django_q: its qcluster command is the kernel's (logs in the operators' language).
    "b2bportal.apps.PortalConfig",
    "rest_framework",
    "django_q",
    "import_export",
    "axes",
    "django_otp",
    "django_otp.plugins.otp_totp",
    "django_otp.plugins.otp_static",
    "accounts",
    "notifications",
    "dealers",
    "catalog",
    "orders",
    "payments",
    "api",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "erpsync",
    "demo",
]

MIDDLEWARE = [
    # First: /healthz answers load balancers before the host check, HTTPS redirect and sign-in (b2bportal/health.py).
    "b2bportal.health.HealthCheckMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    # After WhiteNoise, so static files keep their long cache; before everything that reads the request.
    "b2bportal.middleware.SecurityHeadersMiddleware",
    "b2bportal.middleware.RequestGuardMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django_otp.middleware.OTPMiddleware",
    "accounts.middleware.UserLanguageMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    # After the messages: a session whose user, dealer membership or dealer was deactivated ends with a message.
    "accounts.middleware.DeactivatedSignOutMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    # Last, as django-axes asks: it turns a lockout raised during login into the lockout page.
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "b2bportal.urls"
WSGI_APPLICATION = "b2bportal.wsgi.application"
ASGI_APPLICATION = "b2bportal.asgi.application"

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
                "b2bportal.context_processors.portal",
                "notifications.context_processors.unread",
                "dealers.context_processors.current_dealer",
            ],
        },
    },
]

# --- Database -------------------------------------------------------------------------------
# The embedded default is a SQLite file in the project, for trying the portal out. Real use and the
# test suite run on PostgreSQL (psycopg 3): DATABASE_URL=postgres://user@host:5432/name
# A SQLite file is shared by the web server and the task worker: WAL, a busy timeout and immediate transactions
# (b2bportal/database.py).
DATABASES = {
    "default": database_from_url(
        env_str("DATABASE_URL", f"sqlite:///{BASE_DIR / 'db.sqlite3'}"),
        conn_max_age=env_int("DATABASE_CONN_MAX_AGE", 0),
        busy_timeout=env_int("SQLITE_BUSY_TIMEOUT", SQLITE_BUSY_TIMEOUT),
    )
}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --- Accounts and security ------------------------------------------------------------------
AUTH_USER_MODEL = "accounts.User"
AUTHENTICATION_BACKENDS = [
    # django-axes first: it refuses a locked-out username + IP before any password is checked.
    "axes.backends.AxesStandaloneBackend",
    # Says "deactivated" only after the right password; wrong credentials stop here (accounts/backends.py).
    "accounts.backends.EmailBackend",
    # Only restores sessions opened before EmailBackend was listed; never checks a password.
    "django.contrib.auth.backends.ModelBackend",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator", "OPTIONS": {"min_length": 10}},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "accounts:login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "accounts:login"

# Lock a username only from the IP it is attacked from, so one office behind a NAT is not locked
# out by a stranger guessing passwords elsewhere, and the lock ends by itself.
AXES_ENABLED = env_bool("AXES_ENABLED", True)
AXES_FAILURE_LIMIT = env_int("AXES_FAILURE_LIMIT", 5)
AXES_COOLOFF_TIME = timedelta(minutes=env_int("AXES_COOLOFF_MINUTES", 15))
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
# The sign-in form posts the e-mail address in the field Django names "username".
AXES_USERNAME_FORM_FIELD = "username"
AXES_LOCKOUT_TEMPLATE = "accounts/locked_out.html"
# One failure count per account whatever its spelling (case, spaces), on the portal and the admin alike.
AXES_USERNAME_CALLABLE = "accounts.signin.axes_username"
# The client address: behind AXES_PROXY_COUNT trusted reverse proxies, taken from X-Forwarded-For (the entry the
# outermost proxy appended); without proxies the peer's address. Wrong here, every client shares the proxy's address.
B2B_PROXY_COUNT = env_int("AXES_PROXY_COUNT", 0)
AXES_CLIENT_IP_CALLABLE = "accounts.signin.client_ip"
# Password spraying: one address is refused after this many failures over any e-mails within the cool-off time.
AXES_HANDLER = "accounts.signin.SignInHandler"
B2B_SIGNIN_IP_FAILURE_LIMIT = env_int("SIGNIN_IP_FAILURE_LIMIT", 20)

# Request bodies (b2bportal/uploads.py). Form fields other than files: at most DATA_UPLOAD_MAX_MEMORY_SIZE bytes;
# an uploaded file above FILE_UPLOAD_MAX_MEMORY_SIZE goes to a temporary file, and the files of one request are
# dropped while they arrive past UPLOAD_MAX_MB (a view may set a lower limit: quick order 2 MB).
DATA_UPLOAD_MAX_MEMORY_SIZE = env_int("DATA_UPLOAD_MAX_MEMORY_SIZE", 5 * 1024 * 1024)
FILE_UPLOAD_MAX_MEMORY_SIZE = env_int("FILE_UPLOAD_MAX_MEMORY_SIZE", 2 * 1024 * 1024 + 512 * 1024)
B2B_UPLOAD_MAX_BYTES = env_int("UPLOAD_MAX_MB", 50) * 1024 * 1024
FILE_UPLOAD_HANDLERS = [
    "b2bportal.uploads.SizeLimitUploadHandler",
    "django.core.files.uploadhandler.MemoryFileUploadHandler",
    "django.core.files.uploadhandler.TemporaryFileUploadHandler",
]

# Response headers (b2bportal/middleware.py). Scripts only from the portal's static files: no inline script or
# event handler anywhere. Inline style attributes remain allowed. The one hash allows django-import-export's
# "select all" toggle on the admin's export page. form-action is left open: a card payment form is answered with a
# redirect to the provider's own page.
B2B_CONTENT_SECURITY_POLICY: dict[str, list[str]] = {
    "default-src": ["'self'"],
    "script-src": ["'self'", "'unsafe-hashes'", "'sha256-wid4zL8fR53ZYy1ljOepzR77Dn6vWUUxuNnnWWBP3I8='"],
    "style-src": ["'self'", "'unsafe-inline'"],
    "img-src": ["'self'", "data:"],
    "font-src": ["'self'"],
    "connect-src": ["'self'"],
    "object-src": ["'none'"],
    "base-uri": ["'self'"],
    "frame-ancestors": ["'none'"],
}
B2B_PERMISSIONS_POLICY = (
    "camera=(), microphone=(), geolocation=(), payment=(), usb=(), serial=(), bluetooth=(), "
    "accelerometer=(), gyroscope=(), magnetometer=(), interest-cohort=()"
)

# Two-factor authentication (django-otp) for staff: TOTP devices are managed in the admin; when
# this is on, the admin login asks for a one-time code as well.
B2B_ADMIN_REQUIRE_2FA = env_bool("ADMIN_REQUIRE_2FA", False)  # on by default in production

# Password-reset requests: at most this many per e-mail address and per client address in an hour (further requests
# show the same "sent" page and send nothing).
B2B_PASSWORD_RESET_PER_EMAIL = env_int("PASSWORD_RESET_PER_EMAIL", 3)
B2B_PASSWORD_RESET_PER_IP = env_int("PASSWORD_RESET_PER_IP", 10)

# Production mode (settings/production.py) turns this on; system checks then refuse the sandbox payment provider
# and e-mail backends that send nothing, unless DEMO_SITE says the site is a demonstration (a banner on every page).
B2B_PRODUCTION = False
B2B_DEMO_SITE = env_bool("DEMO_SITE", False)
OTP_TOTP_ISSUER = env_str("OTP_ISSUER", "b2bportal")

SESSION_COOKIE_AGE = env_int("SESSION_COOKIE_AGE", 60 * 60 * 12)
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
CSRF_COOKIE_SAMESITE = "Lax"
X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"

# --- Internationalisation -------------------------------------------------------------------
LANGUAGE_CODE = env_str("LANGUAGE_CODE", "tr")
LANGUAGES = [("tr", _("Turkish")), ("en", _("English"))]
LOCALE_PATHS = [BASE_DIR / "locale"]
FORMAT_MODULE_PATH = ["b2bportal.formats"]  # English dates day first (b2bportal/formats/en/formats.py)
TIME_ZONE = env_str("TIME_ZONE", "Europe/Istanbul")
USE_I18N = True
USE_TZ = True
USE_THOUSAND_SEPARATOR = True

# --- Static files ---------------------------------------------------------------------------
STATIC_URL = "static/"
STATIC_ROOT = Path(env_str("STATIC_ROOT", str(BASE_DIR / "staticfiles")))
STATICFILES_DIRS = [BASE_DIR / "b2bportal" / "static"]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
MEDIA_ROOT = Path(env_str("MEDIA_ROOT", str(BASE_DIR / "media")))
MEDIA_URL = "media/"
# Product image thumbnails live in MEDIA_ROOT and are served at MEDIA_URL: by the portal itself when SERVE_MEDIA is on
# (the default; names are content digests, so they are sent with a one-year cache), or by the proxy in front.
B2B_SERVE_MEDIA = env_bool("SERVE_MEDIA", True)
# Files that are never served by URL: the originals of product images (they may carry camera and location data)
# and product documents, which a dealer downloads through a view that checks the product is visible to them.
PRIVATE_MEDIA_ROOT = Path(env_str("PRIVATE_MEDIA_ROOT", str(BASE_DIR / "var" / "private-media")))
# Limits of product images and documents (b2bportal/uploads.py), whichever way they arrive.
B2B_PRODUCT_IMAGE_MAX_BYTES = env_int("PRODUCT_IMAGE_MAX_MB", 10) * 1024 * 1024
B2B_PRODUCT_IMAGE_MAX_PIXELS = env_int("PRODUCT_IMAGE_MAX_PIXELS", 40_000_000)
B2B_PRODUCT_DOCUMENT_MAX_BYTES = env_int("PRODUCT_DOCUMENT_MAX_MB", 25) * 1024 * 1024
# Reconciliation exports for accountants (erpsync.ReconciliationExport): kept outside MEDIA_ROOT and never served
# by URL; staff download them through the admin.
RECONCILIATION_EXPORT_DIR = Path(env_str("RECONCILIATION_EXPORT_DIR", str(BASE_DIR / "var" / "exports")))
# Bank statement files uploaded in the admin: one larger than BANK_STATEMENT_BACKGROUND_BYTES is imported by the
# task worker, its file kept in BANK_STATEMENT_UPLOAD_DIR (outside MEDIA_ROOT, never served) until the import ends.
BANK_STATEMENT_BACKGROUND_BYTES = env_int("BANK_STATEMENT_BACKGROUND_BYTES", 512 * 1024)
BANK_STATEMENT_UPLOAD_DIR = Path(env_str("BANK_STATEMENT_UPLOAD_DIR", str(BASE_DIR / "var" / "statement-uploads")))

# --- E-mail ---------------------------------------------------------------------------------
EMAIL_BACKEND = env_str("EMAIL_BACKEND", "django.core.mail.backends.console.EmailBackend")
EMAIL_HOST = env_str("EMAIL_HOST", "localhost")
EMAIL_PORT = env_int("EMAIL_PORT", 25)
EMAIL_HOST_USER = env_str("EMAIL_HOST_USER", "")
EMAIL_HOST_PASSWORD = env_str("EMAIL_HOST_PASSWORD", "")
EMAIL_USE_TLS = env_bool("EMAIL_USE_TLS", False)
# Where django.core.mail.backends.filebased.EmailBackend writes the messages (one file per connection).
EMAIL_FILE_PATH = env_str("EMAIL_FILE_PATH", str(BASE_DIR / "var" / "mail"))
DEFAULT_FROM_EMAIL = env_str("DEFAULT_FROM_EMAIL", "b2bportal <no-reply@localhost>")
SERVER_EMAIL = DEFAULT_FROM_EMAIL
# The portal's public address: links in e-mails (notifications, payment links) are absolute on it.
B2B_SITE_URL = env_str("SITE_URL", "http://localhost:8000")
# Notifications (docs/notifications.md): a failed e-mail is tried again with a doubling wait (1 minute up to 6
# hours) and given up after this many attempts; a worker silent this long while sending frees its notice again;
# staff digests (held orders, sync issues) go out every this many minutes.
NOTIFICATIONS_MAX_ATTEMPTS = env_int("NOTIFICATIONS_MAX_ATTEMPTS", 12)
NOTIFICATIONS_LEASE_SECONDS = env_int("NOTIFICATIONS_LEASE_SECONDS", 900)
NOTIFICATIONS_DIGEST_MINUTES = env_int("NOTIFICATIONS_DIGEST_MINUTES", 15)
# A dealer is reminded this many days before a quote sent to them expires (0: no reminder).
QUOTE_REMINDER_DAYS = env_int("QUOTE_REMINDER_DAYS", 3)
# A dealer user invitation link works once, for this many days after it was (last) sent.
B2B_INVITATION_DAYS = env_int("INVITATION_DAYS", 7)

# --- Cache ----------------------------------------------------------------------------------
REDIS_URL = env_str("REDIS_URL", "")
if REDIS_URL:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": REDIS_URL}}
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}

# /healthz (b2bportal/health.py): the worker counts as down when the heartbeat schedule (every minute) last ran longer
# ago than this many seconds.
B2B_HEALTH_HEARTBEAT_MAX_SECONDS = env_int("HEALTH_HEARTBEAT_MAX_SECONDS", 180)

# --- Background tasks (django-q2) -----------------------------------------------------------
# timeout: the longest a task may run; retry: when an unacknowledged task is delivered again. retry
# must exceed timeout or a slow task runs twice at once (b2bportal/checks.py refuses otherwise).
# max_attempts is finite: application-level retries with backoff live in erpsync's outbox. On SQLite one worker
# (one writer at a time) unless Q_WORKERS says otherwise.
Q_CLUSTER = {
    "name": "b2bportal",
    "workers": task_workers(DATABASES["default"], env_int("Q_WORKERS", 0) or None),
    "timeout": env_int("Q_TIMEOUT", 600),
    "retry": env_int("Q_RETRY", 720),
    "max_attempts": env_int("Q_MAX_ATTEMPTS", 3),
    "catch_up": False,
    "save_limit": 500,
    "label": "Task queue",
}
if REDIS_URL:
    Q_CLUSTER["redis"] = REDIS_URL
else:
    Q_CLUSTER["orm"] = "default"

# --- REST API -------------------------------------------------------------------------------
REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": ["rest_framework.authentication.SessionAuthentication"],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_PAGINATION_CLASS": "rest_framework.pagination.PageNumberPagination",
    "PAGE_SIZE": 50,
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
}
# The dealer API (/api/v1/, docs/api.md): requests per key unless the key sets its own rate ("600/min", "20/s"),
# how long an Idempotency-Key's response is kept for replays, and outgoing webhooks: their timeout, attempts per
# delivery, failures in a row that switch an endpoint off, and whether loopback/private addresses (and plain HTTP
# to them) may receive them — for tests and intranet installations only.
B2B_API_RATE = env_str("API_RATE", "600/min")
B2B_API_IDEMPOTENCY_HOURS = env_int("API_IDEMPOTENCY_HOURS", 24)
B2B_WEBHOOK_TIMEOUT_SECONDS = env_int("WEBHOOK_TIMEOUT_SECONDS", 10)
B2B_WEBHOOK_MAX_ATTEMPTS = env_int("WEBHOOK_MAX_ATTEMPTS", 10)
B2B_WEBHOOK_DISABLE_AFTER = env_int("WEBHOOK_DISABLE_AFTER", 20)
B2B_WEBHOOK_ALLOW_PRIVATE = env_bool("WEBHOOK_ALLOW_PRIVATE", False)
SPECTACULAR_SETTINGS = {
    "TITLE": "b2bportal dealer API",
    "DESCRIPTION": "Catalogue, prices, stock, orders, quotes, documents and account of one dealer (docs/api.md).",
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "SCHEMA_PATH_PREFIX": "/api/v1",
    "COMPONENT_SPLIT_REQUEST": True,
    # Swagger UI and Redoc from the portal's own static files (drf-spectacular-sidecar), never a CDN.
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
}

# --- Product settings -----------------------------------------------------------------------
B2B_COMPANY_NAME = env_str("COMPANY_NAME", "b2bportal")
# The seller's details printed on documents (order confirmation PDF); empty ones are left out.
B2B_COMPANY_ADDRESS = env_str("COMPANY_ADDRESS", "")
B2B_COMPANY_TAX_OFFICE = env_str("COMPANY_TAX_OFFICE", "")
B2B_COMPANY_TAX_NUMBER = env_str("COMPANY_TAX_NUMBER", "")
B2B_COMPANY_PHONE = env_str("COMPANY_PHONE", "")
B2B_COMPANY_EMAIL = env_str("COMPANY_EMAIL", "")
B2B_COMPANY_IBAN = env_str("COMPANY_IBAN", "")
# The seller's GLN in EDI answers (UNB sender, NAD+SU, the OrderResponse's seller party); docs/edi.md.
B2B_EDI_GLN = env_str("EDI_GLN", "")
# A copy of an EDI interchange that arrives while the first is still being placed waits this long for its answer.
B2B_EDI_WAIT_SECONDS = env_int("EDI_WAIT_SECONDS", 30)
B2B_BASE_CURRENCY = env_str("BASE_CURRENCY", "TRY")
B2B_CURRENCIES = ["TRY", "USD", "EUR", "GBP"]
# An exchange rate older than this many days is not used: the product has no price until a fresh rate arrives.
B2B_EXCHANGE_RATE_MAX_AGE_DAYS = env_int("EXCHANGE_RATE_MAX_AGE_DAYS", 7)
# Below this many order multiples a product shows "low stock" (unless the product sets its own level).
B2B_LOW_STOCK_LEVEL = env_int("LOW_STOCK_LEVEL", 10)
# Products without a price for the dealer: "hide" them, or show them as "on_request" (cannot be ordered).
B2B_UNPRICED_PRODUCTS = env_str("UNPRICED_PRODUCTS", "hide")
B2B_CATALOG_PAGE_SIZES = [24, 50, 100]
# Sorting by the dealer's price prices every matching product in SQL: above this many, the dealer is asked to
# narrow the list (category, brand, search) first.
B2B_CATALOG_PRICE_SORT_LIMIT = env_int("CATALOG_PRICE_SORT_LIMIT", 5000)
# Placement rules (orders/rules.py): rule → warn | hold | block (stock also: backorder). ORDER_RULES in the
# environment: "credit_limit=hold,stock=backorder".
B2B_ORDER_RULES = env_mapping("ORDER_RULES")

# Adapter key → class. A connection (erpsync.ErpConnection) names its adapter by key.
# A delta import starts this many seconds before the last watermark: ERP clocks drift and transactions commit late.
ERPSYNC_DELTA_BUFFER_SECONDS = env_int("ERPSYNC_DELTA_BUFFER_SECONDS", 300)
# Outbox defaults; a connection's settings may override each (e.g. {"outbox_concurrency": 1}).
ERPSYNC_OUTBOX_MAX_ATTEMPTS = env_int("ERPSYNC_OUTBOX_MAX_ATTEMPTS", 8)
ERPSYNC_OUTBOX_CONCURRENCY = env_int("ERPSYNC_OUTBOX_CONCURRENCY", 2)
ERPSYNC_OUTBOX_BREAKER_FAILURES = env_int("ERPSYNC_OUTBOX_BREAKER_FAILURES", 5)
ERPSYNC_OUTBOX_BREAKER_SECONDS = env_int("ERPSYNC_OUTBOX_BREAKER_SECONDS", 60)
# A running job whose worker went silent this long is claimed again (longer than the task timeout).
ERPSYNC_OUTBOX_LEASE_SECONDS = env_int("ERPSYNC_OUTBOX_LEASE_SECONDS", 900)
ERPSYNC_ADAPTERS: dict[str, str] = {
    "file": "erpsync.adapters.file.FileAdapter",
    "sap_b1": "erpsync.adapters.sap_b1.SapB1Adapter",
    "tryton": "erpsync.adapters.tryton.TrytonAdapter",
    "parasut": "erpsync.adapters.parasut.ParasutAdapter",
    "logo": "erpsync.adapters.logo.LogoAdapter",
    "dia": "erpsync.adapters.dia.DiaAdapter",
    "sap_rfc": "erpsync.adapters.sap_rfc.SapRfcAdapter",
    "netsis": "erpsync.adapters.netsis.NetsisAdapter",
    "mikro": "erpsync.adapters.mikro.MikroAdapter",
    "nebim": "erpsync.adapters.profile.NebimAdapter",
    "eta": "erpsync.adapters.profile.EtaAdapter",
}

# Card payment providers (payments.gateways). The sandbox works everywhere; production configures a real one.
PAYMENT_GATEWAYS: dict[str, dict] = {
    "sandbox": {"class": "payments.gateways.sandbox.SandboxGateway", "settings": {}},
    "iyzico": {
        "class": "payments.gateways.iyzico.IyzicoGateway",
        "settings": {"base_url": env_str("IYZICO_BASE_URL", "sandbox-api.iyzipay.com")},
        "credentials_ref": "IYZICO",
    },
}
PAYMENT_DEFAULT_GATEWAY = env_str("PAYMENT_DEFAULT_GATEWAY", "sandbox")
# A refund the provider never answered and does not know is failed for staff after this many hours (a provider
# that makes a refund once per reference is sent it again instead).
PAYMENT_REFUND_GIVE_UP_HOURS = env_int("PAYMENT_REFUND_GIVE_UP_HOURS", 48)
# A new payment link's expiry, in days from its creation (staff may change it on the form).
B2B_PAYMENT_LINK_DAYS = env_int("PAYMENT_LINK_DAYS", 14)
# Bank matching (payments.matching): the score that allocates a transfer alone, and the lead it needs over the
# next dealer.
PAYMENT_MATCH_THRESHOLD = env_int("PAYMENT_MATCH_THRESHOLD", 70)
PAYMENT_MATCH_MARGIN = env_int("PAYMENT_MATCH_MARGIN", 20)

# Console logs for operators (web server, worker, commands): LOG_LEVEL (DEBUG, INFO, WARNING, ERROR) for the
# portal's own loggers; the chatty libraries (PDF font subsetting, SQL) only say when something is wrong.
LOG_LEVEL = env_str("LOG_LEVEL", "INFO").strip().upper()
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": LOG_LEVEL},
    "loggers": {
        "django.db.backends": {"level": "WARNING"},
        "fontTools": {"level": "WARNING"},
        "weasyprint": {"level": "WARNING"},
    },
}
# The language of what operators read on the console (commands' output, the worker's log). E-mails and pages
# follow each user's language regardless.
B2B_OPERATOR_LANGUAGE = env_str("OPERATOR_LANGUAGE", "en")
if B2B_OPERATOR_LANGUAGE not in dict(LANGUAGES):
    raise ImproperlyConfigured(f"OPERATOR_LANGUAGE must be one of {', '.join(dict(LANGUAGES))}.")

# In development (DEBUG on) WhiteNoise serves files straight from the apps; production runs collectstatic.
WHITENOISE_USE_FINDERS = DEBUG
WHITENOISE_AUTOREFRESH = DEBUG
