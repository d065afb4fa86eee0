"""Test settings: PostgreSQL when DATABASE_URL names one, SQLite otherwise; fast hashing; mail in memory."""

import base64
import os
import secrets
import tempfile
from pathlib import Path

from .base import *  # noqa: F403

DEBUG = False
SECRET_KEY = secrets.token_urlsafe(48)
BORIKAN_GATEWAY_WEBHOOK_SECRET = secrets.token_urlsafe(32)
BORIKAN_GATEWAY_API_KEY = secrets.token_urlsafe(32)
BORIKAN_PII_LOOKUP_KEY = secrets.token_urlsafe(32)
BORIKAN_PII_KEYS = f"test:{base64.urlsafe_b64encode(secrets.token_bytes(32)).decode()}"
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]  # speed only; production uses argon2
CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
MAILERS = {"default": {"BACKEND": "django.core.mail.backends.locmem.EmailBackend"}}
SESSION_COOKIE_SECURE = False
CSRF_COOKIE_SECURE = False

if DATABASES["default"]["ENGINE"].endswith("sqlite3"):  # noqa: F405
    # A file, not shared-cache memory: the live-server tests have several threads writing at once, and only
    # a file database honours WAL and busy_timeout. pytest-django adds a suffix per xdist worker.
    from borikan.config.env import VAR_DIR

    # One file per test run, so runs side by side (a developer and an editor's test watcher) don't collide.
    DATABASES["default"]["TEST"] = {"NAME": str(VAR_DIR / f"test-{os.getpid()}.sqlite3")}  # noqa: F405

BORIKAN_SIGNING_DIR = Path(tempfile.mkdtemp(prefix="borikan-test-pki-"))  # never the checkout's own dev keys
BORIKAN_SIGNING_DEV_KEYS = True  # a local CA and agency keys are made on first use (never in production)
