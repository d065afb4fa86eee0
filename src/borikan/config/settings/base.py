"""Settings shared by every environment; local/test/production only override."""

from django.utils.translation import gettext_lazy as _

from borikan.config.env import BASE_DIR, VAR_DIR, env

VAR_DIR.mkdir(exist_ok=True)

SECRET_KEY = env("DJANGO_SECRET_KEY", default="")
DEBUG = env.bool("DJANGO_DEBUG", default=False)
ALLOWED_HOSTS = env.list("DJANGO_ALLOWED_HOSTS", default=["127.0.0.1", "localhost"])
CSRF_TRUSTED_ORIGINS = env.list("DJANGO_CSRF_TRUSTED_ORIGINS", default=[])

INSTALLED_APPS = [
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "ninja",  # Swagger UI for /api/v1/docs from its own static files, not a CDN the CSP would block
    "borikan.core",
    "borikan.audit",
    "borikan.agencies",
    "borikan.identity",
    "borikan.catalog",
    "borikan.payments",
    "borikan.documents",
    "borikan.delivery",
    "borikan.casework",
    "borikan.applications",
    "borikan.governance",
    "borikan.eforms",
    "borikan.approvals",
    "django_tasks_redis",  # the worker command and task admin, used when BORIKAN_TASKS=redis
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "django.middleware.csp.ContentSecurityPolicyMiddleware",
    "borikan.core.csp.ReportingEndpointsMiddleware",
    "borikan.identity.middleware.FederationFormActionMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "borikan.core.middleware.ThaiFirstLocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "borikan.core.hygiene.InputHygieneMiddleware",
    "borikan.identity.middleware.SessionAssuranceMiddleware",
    "borikan.core.middleware.LoginRequiredMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
]

ROOT_URLCONF = "borikan.config.urls"
WSGI_APPLICATION = "borikan.config.wsgi.application"

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
                "borikan.agencies.context_processors.staff",
            ],
        },
    },
]

DATABASES = {
    "default": env.db("DATABASE_URL", default=f"sqlite:///{VAR_DIR / 'borikan.sqlite3'}"),
}
DATABASES["default"]["ATOMIC_REQUESTS"] = False
DATABASES["default"].setdefault("CONN_MAX_AGE", env.int("DB_CONN_MAX_AGE", default=60))
if DATABASES["default"]["ENGINE"].endswith("sqlite3"):
    # WAL lets readers work beside the single writer; IMMEDIATE avoids lock upgrades mid-transaction.
    DATABASES["default"]["OPTIONS"] = {
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; PRAGMA busy_timeout=5000;",
        "transaction_mode": "IMMEDIATE",
    }
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_USER_MODEL = "identity.User"
LOGIN_URL = "identity:login"
LOGIN_REDIRECT_URL = "identity:home"  # each role's own starting point (identity.views.home)
LOGOUT_REDIRECT_URL = "catalog:search"
AUTHENTICATION_BACKENDS = ["borikan.identity.backends.EmailOrMobileBackend"]
PASSWORD_HASHERS = [
    "django.contrib.auth.hashers.Argon2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator", "OPTIONS": {"min_length": 10}},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
]

LANGUAGE_CODE = "th"
LANGUAGES = [("th", _("Thai")), ("en", _("English"))]
LOCALE_PATHS = [BASE_DIR / "locale"]
USE_I18N = True
TIME_ZONE = "Asia/Bangkok"
USE_TZ = True

STATIC_URL = "static/"
# The design system built by `make frontend` from the npm lock (GOV.UK Frontend themed with Sarabun): borikan/ holds
# the stylesheet, GOV.UK's script and the web fonts, govuk/ the images its CSS refers to.
STATICFILES_DIRS = [VAR_DIR / "frontend"]
STATIC_ROOT = VAR_DIR / "static"
MEDIA_ROOT = env.path("BORIKAN_MEDIA_ROOT", default=VAR_DIR / "media")
STORAGES = {
    # Private files (attachments, issued PDFs) are never served by URL: views stream them after an access check.
    "default": {
        "BACKEND": "django.core.files.storage.FileSystemStorage",
        "OPTIONS": {"location": MEDIA_ROOT},
    },
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
# Production keeps private files in S3-compatible object storage (BORIKAN_STORAGE=s3): a private bucket, no public
# URLs (files are still streamed by views after the access check), server-side encryption asked for.
if env("BORIKAN_STORAGE", default="local") == "s3":
    STORAGES["default"] = {
        "BACKEND": "storages.backends.s3.S3Storage",
        "OPTIONS": {
            "bucket_name": env("BORIKAN_S3_BUCKET"),
            "endpoint_url": env("BORIKAN_S3_ENDPOINT_URL", default=None),
            "region_name": env("BORIKAN_S3_REGION", default="ap-southeast-1"),
            "access_key": env("BORIKAN_S3_ACCESS_KEY", default=None),
            "secret_key": env("BORIKAN_S3_SECRET_KEY", default=None),
            "default_acl": "private",
            "querystring_auth": True,
            "file_overwrite": False,
            "object_parameters": {"ServerSideEncryption": "AES256"},
        },
    }

# Background jobs: Django's Tasks API (ADR 0005). The embedded default runs each task in-process right after
# the commit that enqueued it; BORIKAN_TASKS=redis puts them on Redis streams for `manage.py run_redis_tasks`
# workers (django-tasks-redis).
BORIKAN_TASKS = env("BORIKAN_TASKS", default="immediate")
if BORIKAN_TASKS == "redis":
    TASKS = {
        "default": {
            "BACKEND": "django_tasks_redis.RedisTaskBackend",
            "QUEUES": [],
            "OPTIONS": {
                "REDIS_URL": env("REDIS_URL", default="redis://127.0.0.1:6379/0"),
                "REDIS_KEY_PREFIX": env("BORIKAN_TASKS_KEY_PREFIX", default="borikan"),
            },
        }
    }
elif BORIKAN_TASKS == "immediate":
    TASKS = {"default": {"BACKEND": "django.tasks.backends.immediate.ImmediateBackend"}}
else:
    from django.core.exceptions import ImproperlyConfigured

    raise ImproperlyConfigured(f"BORIKAN_TASKS must be 'immediate' or 'redis', not {BORIKAN_TASKS!r}")

# Shared cache (rate-limit counters): files in var/ on one machine; Redis when REDIS_CACHE_URL is set.
if env("REDIS_CACHE_URL", default=""):
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": env("REDIS_CACHE_URL")}}
else:
    CACHES = {
        "default": {"BACKEND": "django.core.cache.backends.filebased.FileBasedCache", "LOCATION": VAR_DIR / "cache"}
    }

# E-mail through Django's MAILERS (6.1). Local default writes messages to var/mail; production sets
# BORIKAN_MAIL_BACKEND=smtp and the SMTP_* variables.
_MAIL_BACKEND = env("BORIKAN_MAIL_BACKEND", default="file")
if _MAIL_BACKEND == "smtp":
    MAILERS = {
        "default": {
            "BACKEND": "django.core.mail.backends.smtp.EmailBackend",
            "OPTIONS": {
                "host": env("SMTP_HOST", default="127.0.0.1"),
                "port": env.int("SMTP_PORT", default=25),
                "username": env("SMTP_USERNAME", default=""),
                "password": env("SMTP_PASSWORD", default=""),
                "use_tls": env.bool("SMTP_USE_TLS", default=False),
                "timeout": 10,
            },
        }
    }
else:
    MAILERS = {
        "default": {
            "BACKEND": "django.core.mail.backends.filebased.EmailBackend",
            "OPTIONS": {"file_path": str(VAR_DIR / "mail")},
        }
    }
DEFAULT_FROM_EMAIL = env("DEFAULT_FROM_EMAIL", default="borikan <no-reply@borikan.localhost>")

SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
SESSION_COOKIE_SECURE = env.bool("DJANGO_SECURE_COOKIES", default=True)
CSRF_COOKIE_SECURE = SESSION_COOKIE_SECURE
SESSION_COOKIE_AGE = 12 * 3600
X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CSP = {
    "default-src": ["'self'"],
    "img-src": ["'self'", "data:"],
    "style-src": ["'self'"],
    "script-src": ["'self'"],
    "form-action": ["'self'"],
    "frame-ancestors": ["'none'"],
    # No <base> may redirect relative URLs, and no plugin content (issue 11).
    "base-uri": ["'none'"],
    "object-src": ["'none'"],
    # Violations go to core/csp.py, logged on `borikan.csp` (report-to where the browser has the Reporting API).
    "report-uri": ["/csp-report/"],
    "report-to": ["csp"],
}

DATA_UPLOAD_MAX_MEMORY_SIZE = 12 * 1024 * 1024

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": env("LOG_LEVEL", default="WARNING")},
    # Task state changes are for a worker's log, not for every request served with in-process tasks.
    "loggers": {"django.tasks": {"level": "WARNING"}},
}

# --- borikan knobs -------------------------------------------------------------------------------
# How many proxies in front of the portal append to X-Forwarded-For (0: none, REMOTE_ADDR is the client). Rate
# limits, audit and sessions take the client's address through core/clientaddr.py.
BORIKAN_TRUSTED_PROXIES = env.int("BORIKAN_TRUSTED_PROXIES", default=0)
# The public address printed in QR codes on issued documents.
# localhost, not 127.0.0.1: passkeys are bound to the name localhost, and a link from an e-mail must open the
# same site (and session) the person signed in on.
BORIKAN_PUBLIC_BASE_URL = env("BORIKAN_PUBLIC_BASE_URL", default="http://localhost:8000")
# Payment gateway (a local sandbox process by default; a bank's endpoint in production).
BORIKAN_GATEWAY_URL = env("BORIKAN_GATEWAY_URL", default="http://127.0.0.1:8081")
# The SMS provider's HTTP API (core/sms.py; a local sandbox process by default: sandboxes/sms_gateway.py).
BORIKAN_SMS_URL = env("BORIKAN_SMS_URL", default="http://127.0.0.1:8083")
BORIKAN_SMS_API_KEY = env("BORIKAN_SMS_API_KEY", default="")
# The delivery outbox (ADR 0016): a worker's lease on a message it is sending (longer than any send may take),
# and the retry backoff (base × 2^(attempt − 1), capped).
BORIKAN_OUTBOX_LEASE_SECONDS = env.int("BORIKAN_OUTBOX_LEASE_SECONDS", default=120)
BORIKAN_OUTBOX_RETRY_BASE_SECONDS = env.int("BORIKAN_OUTBOX_RETRY_BASE_SECONDS", default=60)
BORIKAN_OUTBOX_RETRY_MAX_SECONDS = env.int("BORIKAN_OUTBOX_RETRY_MAX_SECONDS", default=6 * 3600)
# Durable case effects (ADR 0017): the same three knobs for invoice creation and issuance after a move.
BORIKAN_EFFECT_LEASE_SECONDS = env.int("BORIKAN_EFFECT_LEASE_SECONDS", default=120)
BORIKAN_EFFECT_RETRY_BASE_SECONDS = env.float("BORIKAN_EFFECT_RETRY_BASE_SECONDS", default=5)
BORIKAN_EFFECT_RETRY_MAX_SECONDS = env.float("BORIKAN_EFFECT_RETRY_MAX_SECONDS", default=3600)
BORIKAN_GATEWAY_WEBHOOK_SECRET = env("BORIKAN_GATEWAY_WEBHOOK_SECRET", default="")
BORIKAN_GATEWAY_API_KEY = env("BORIKAN_GATEWAY_API_KEY", default="")
BORIKAN_BILLER_TAX_ID = env("BORIKAN_BILLER_TAX_ID", default="0994000000006")  # + "00" suffix = Biller ID
BORIKAN_WEBHOOK_TOLERANCE_SECONDS = env.int("BORIKAN_WEBHOOK_TOLERANCE_SECONDS", default=300)
# Civil registry card checks for identity proofing (a local sandbox process by default; DOPA in production).
BORIKAN_CIVIL_REGISTRY_URL = env("BORIKAN_CIVIL_REGISTRY_URL", default="http://127.0.0.1:8082")
BORIKAN_CIVIL_REGISTRY_API_KEY = env("BORIKAN_CIVIL_REGISTRY_API_KEY", default="")
# Personal identifiers at rest (identity/pii.py): encryption key ring and lookup-hash key. Required in production.
BORIKAN_PII_KEYS = env("BORIKAN_PII_KEYS", default="")
BORIKAN_PII_LOOKUP_KEY = env("BORIKAN_PII_LOOKUP_KEY", default="")
# Passkeys (identity/webauthn.py): the relying-party ID (the site's domain) and the exact origins pages are served from.
BORIKAN_WEBAUTHN_RP_ID = env("BORIKAN_WEBAUTHN_RP_ID", default="localhost")
BORIKAN_WEBAUTHN_ORIGINS = env.list(
    "BORIKAN_WEBAUTHN_ORIGINS", default=["http://localhost:8000", "http://127.0.0.1:8000"]
)
# Signing issued documents (documents/signing.py). Per agency code: {"pkcs12": path, "passphrase_env": NAME} or
# {"key": path, "certificate": path, "chain": [paths], "passphrase_env": NAME}, or a PKCS#11 module:
# {"pkcs11": {"module": path, "token_label": ..., "key_label": ..., "pin_env": NAME}}, given as JSON in the environment.
BORIKAN_SIGNING_KEYS = env.json("BORIKAN_SIGNING_KEYS", default={})
# Development only: create a local CA and agency keys under BORIKAN_SIGNING_DIR on first use.
BORIKAN_SIGNING_DEV_KEYS = False
BORIKAN_SIGNING_DIR = env.path("BORIKAN_SIGNING_DIR", default=VAR_DIR / "pki")
BORIKAN_SIGNING_TSA_URL = env("BORIKAN_SIGNING_TSA_URL", default="")  # set: PAdES B-T with this timestamp authority
BORIKAN_STATUS_LIST_TTL_SECONDS = env.int("BORIKAN_STATUS_LIST_TTL_SECONDS", default=86400)
# External OpenID Connect identity providers (identity/federation.py, ADR 0011), a JSON list of dicts.
BORIKAN_OIDC_PROVIDERS = env.json("BORIKAN_OIDC_PROVIDERS", default=[])
# Attachments
BORIKAN_ATTACHMENT_MAX_BYTES = env.int("BORIKAN_ATTACHMENT_MAX_BYTES", default=5 * 1024 * 1024)
# Enables the bare insert view that `make bench` measures as its floor. Off everywhere else.
BORIKAN_BENCH_ENDPOINTS = env.bool("BORIKAN_BENCH_ENDPOINTS", default=False)
