"""Personal identifiers at rest: found by a keyed hash, read back only through authenticated encryption.

A database dump shows neither the citizen ID nor anything that can be reversed without the keys, which come
from configuration (never the repository): `BORIKAN_PII_KEYS` is a key ring "id:base64key,..." whose first key
encrypts and all keys decrypt (rotation), and `BORIKAN_PII_LOOKUP_KEY` keys the HMAC used to match an ID.
"""

from __future__ import annotations

import base64
import functools
import hashlib
import hmac
import os

from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured


@functools.cache
def _key_ring(raw: str) -> list[tuple[str, bytes]]:
    ring = []
    for item in filter(None, (part.strip() for part in raw.split(","))):
        key_id, _, encoded = item.partition(":")
        key = base64.urlsafe_b64decode(encoded + "=" * (-len(encoded) % 4))
        if not key_id or len(key) != 32:
            raise ImproperlyConfigured("BORIKAN_PII_KEYS entries must be 'id:<32 bytes, base64>'")
        ring.append((key_id, key))
    if not ring:
        raise ImproperlyConfigured("BORIKAN_PII_KEYS is empty")
    return ring


def _lookup_key() -> bytes:
    key = settings.BORIKAN_PII_LOOKUP_KEY
    if len(key) < 32:
        raise ImproperlyConfigured("BORIKAN_PII_LOOKUP_KEY must be at least 32 characters")
    return key.encode()


def lookup_hash(value: str, *, purpose: str) -> str:
    """The same value and purpose always give the same hash, so it can be unique and searched for."""
    return hmac.new(_lookup_key(), f"{purpose}\x00{value}".encode(), hashlib.sha256).hexdigest()


def encrypt(value: str, *, purpose: str) -> str:
    key_id, key = _key_ring(settings.BORIKAN_PII_KEYS)[0]
    nonce = os.urandom(12)
    sealed = AESGCM(key).encrypt(nonce, value.encode(), purpose.encode())
    return f"{key_id}:{base64.urlsafe_b64encode(nonce + sealed).decode()}"


def decrypt(token: str, *, purpose: str) -> str:
    key_id, _, encoded = token.partition(":")
    keys = dict(_key_ring(settings.BORIKAN_PII_KEYS))
    if key_id not in keys:
        raise ImproperlyConfigured(f"no PII key with id {key_id!r} is configured")
    blob = base64.urlsafe_b64decode(encoded)
    return AESGCM(keys[key_id]).decrypt(blob[:12], blob[12:], purpose.encode()).decode()


def new_key_ring_entry(key_id: str) -> str:
    """A fresh 'id:key' entry for BORIKAN_PII_KEYS."""
    return f"{key_id}:{base64.urlsafe_b64encode(os.urandom(32)).decode()}"
