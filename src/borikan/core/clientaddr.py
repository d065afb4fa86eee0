"""The client's address behind a configured number of trusted proxies.

With `BORIKAN_TRUSTED_PROXIES = 0` (the default: the server faces the internet) only REMOTE_ADDR counts and any
X-Forwarded-For a client sends is ignored. Behind N proxies that each append the address they saw, the client is
the N-th entry from the right: entries further left were written by the client and prove nothing.
"""

from __future__ import annotations

import ipaddress

from django.conf import settings
from django.http import HttpRequest


def _valid(value: str) -> str | None:
    try:
        return str(ipaddress.ip_address(value.strip()))
    except ValueError:
        return None


def client_address(request: HttpRequest | None) -> str:
    if request is None:
        return "unknown"
    remote = _valid(request.META.get("REMOTE_ADDR") or "") or "unknown"
    hops = int(getattr(settings, "BORIKAN_TRUSTED_PROXIES", 0) or 0)
    if hops <= 0:
        return remote
    forwarded = [part for part in (request.META.get("HTTP_X_FORWARDED_FOR") or "").split(",") if part.strip()]
    if len(forwarded) < hops:
        return remote  # the header is not what the proxies write: trust only the connection
    return _valid(forwarded[-hops]) or remote
