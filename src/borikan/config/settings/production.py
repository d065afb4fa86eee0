"""Production: everything secret or site-specific must come from the environment; fail fast otherwise."""

import os

from django.core.exceptions import ImproperlyConfigured

from .base import *  # noqa: F403
from .base import (
    BORIKAN_GATEWAY_WEBHOOK_SECRET,
    BORIKAN_PII_KEYS,
    BORIKAN_PII_LOOKUP_KEY,
    BORIKAN_SIGNING_KEYS,
    BORIKAN_WEBAUTHN_ORIGINS,
    BORIKAN_WEBAUTHN_RP_ID,
    CACHES,
    DATABASES,
    MAILERS,
    SECRET_KEY,
)

DEBUG = False
SECURE_SSL_REDIRECT = True
SECURE_HSTS_SECONDS = 31536000
SECURE_HSTS_INCLUDE_SUBDOMAINS = True
SECURE_HSTS_PRELOAD = True
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")

for _name, _value in (
    ("DJANGO_SECRET_KEY", SECRET_KEY),
    ("BORIKAN_GATEWAY_WEBHOOK_SECRET", BORIKAN_GATEWAY_WEBHOOK_SECRET),
    ("BORIKAN_PII_KEYS", BORIKAN_PII_KEYS),
    ("BORIKAN_PII_LOOKUP_KEY", BORIKAN_PII_LOOKUP_KEY),
):
    if not _value:
        raise ImproperlyConfigured(f"{_name} must be set in production")
if not BORIKAN_SIGNING_KEYS:
    raise ImproperlyConfigured("production signs documents with agency keys: set BORIKAN_SIGNING_KEYS")
if DATABASES["default"]["ENGINE"].endswith("sqlite3"):
    raise ImproperlyConfigured("production runs on PostgreSQL: set DATABASE_URL")
if not MAILERS["default"]["BACKEND"].endswith("smtp.EmailBackend"):
    raise ImproperlyConfigured("production sends e-mail over SMTP: set BORIKAN_MAIL_BACKEND=smtp and SMTP_*")
if BORIKAN_WEBAUTHN_RP_ID == "localhost" or not all(o.startswith("https://") for o in BORIKAN_WEBAUTHN_ORIGINS):
    raise ImproperlyConfigured(
        "passkeys need the site's own domain: set BORIKAN_WEBAUTHN_RP_ID and https BORIKAN_WEBAUTHN_ORIGINS"
    )
if "BORIKAN_TRUSTED_PROXIES" not in os.environ:
    # Rate limits, audit and sessions read the client's address; behind proxies it is in X-Forwarded-For.
    raise ImproperlyConfigured(
        "say how many proxies in front of the portal append to X-Forwarded-For: BORIKAN_TRUSTED_PROXIES (0 if none)"
    )
if not CACHES["default"]["BACKEND"].endswith("RedisCache"):
    raise ImproperlyConfigured("rate-limit counters must be atomic across processes: set REDIS_CACHE_URL")
