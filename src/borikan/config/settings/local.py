"""The embedded default: one machine, SQLite, in-process jobs, local files, mail to var/mail."""

from borikan.config.env import VAR_DIR, env

from .base import *  # noqa: F403

DEBUG = env.bool("DJANGO_DEBUG", default=True)
SESSION_COOKIE_SECURE = env.bool("DJANGO_SECURE_COOKIES", default=False)  # plain http on 127.0.0.1
CSRF_COOKIE_SECURE = SESSION_COOKIE_SECURE


def _local_secret(name: str) -> str:
    """A random per-checkout secret kept in var/ (never committed), so nothing secret lives in the repo."""
    import secrets

    path = VAR_DIR / "secrets" / name
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(secrets.token_urlsafe(48))
        path.chmod(0o600)
    return path.read_text().strip()


SECRET_KEY = env("DJANGO_SECRET_KEY", default="") or _local_secret("django-secret-key")
BORIKAN_GATEWAY_WEBHOOK_SECRET = env("BORIKAN_GATEWAY_WEBHOOK_SECRET", default="") or _local_secret(
    "gateway-webhook-secret"
)
BORIKAN_GATEWAY_API_KEY = env("BORIKAN_GATEWAY_API_KEY", default="") or _local_secret("gateway-api-key")
BORIKAN_PII_LOOKUP_KEY = env("BORIKAN_PII_LOOKUP_KEY", default="") or _local_secret("pii-lookup-key")
BORIKAN_CIVIL_REGISTRY_API_KEY = env("BORIKAN_CIVIL_REGISTRY_API_KEY", default="") or _local_secret(
    "civil-registry-api-key"
)
BORIKAN_SMS_API_KEY = env("BORIKAN_SMS_API_KEY", default="") or _local_secret("sms-api-key")
if not env("BORIKAN_PII_KEYS", default=""):
    import base64 as _b64
    import hashlib as _hashlib

    # A 32-byte key derived from the per-checkout secret (the local secret file is random, not the key itself).
    _pii = _b64.urlsafe_b64encode(_hashlib.sha256(_local_secret("pii-key").encode()).digest()).decode()
    BORIKAN_PII_KEYS = f"local:{_pii}"

BORIKAN_SIGNING_DEV_KEYS = True  # a local CA and agency keys are made on first use (never in production)
