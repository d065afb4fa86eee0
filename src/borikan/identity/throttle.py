"""Rate limits on authentication: slow down guessing without letting an attacker lock a person out for long.

Counters live in Django's cache (`CACHES["default"]`: the database cache on one machine, Redis in production),
so every web process sees the same counts. Windows are fixed; each counter expires by itself.
- per account and client address: 5 failures in 15 minutes block that pair for the rest of the window;
- per account from anywhere: 50 failures in 15 minutes (a distributed attack) block it for the rest of the
  window, at most 15 minutes, after which the person can sign in again;
- per client address: 30 attempts in 5 minutes (login) and 10 sign-ups an hour.
NIST SP 800-63B §5.2.2 asks for no more than 100 consecutive failures per account; these limits are well below.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

from django.core.cache import cache
from django.http import HttpRequest

from borikan.core import clientaddr
from borikan.core.errors import ApplicationError


@dataclass(frozen=True)
class Limit:
    name: str
    attempts: int
    window_seconds: int


PAIR_FAILURES = Limit("login-pair", 5, 15 * 60)
ACCOUNT_FAILURES = Limit("login-account", 50, 15 * 60)
ADDRESS_LOGINS = Limit("login-address", 30, 5 * 60)
ADDRESS_SIGNUPS = Limit("signup-address", 10, 60 * 60)


class TooManyAttempts(ApplicationError):
    status = 429

    def __init__(self, retry_after: int) -> None:
        minutes = max(1, retry_after // 60)
        super().__init__(
            "too_many_attempts",
            f"พยายามหลายครั้งเกินไป กรุณารอประมาณ {minutes} นาทีแล้วลองใหม่",
            f"Too many attempts; please wait about {minutes} minutes and try again",
            details={"retry_after": retry_after},
        )
        self.retry_after = retry_after


def client_address(request: HttpRequest | None) -> str:
    """The caller's address, behind BORIKAN_TRUSTED_PROXIES proxies (core.clientaddr)."""
    return clientaddr.client_address(request)


def _key(limit: Limit, *parts: str) -> str:
    digest = hashlib.sha256("\x00".join(parts).encode()).hexdigest()[:32]
    return f"throttle:{limit.name}:{digest}"


def _count(limit: Limit, *parts: str) -> int:
    return int(cache.get(_key(limit, *parts), 0))


def _hit(limit: Limit, *parts: str) -> int:
    key = _key(limit, *parts)
    if cache.add(key, 1, timeout=limit.window_seconds):
        return 1
    try:
        return cache.incr(key)
    except ValueError:  # expired between add and incr
        cache.add(key, 1, timeout=limit.window_seconds)
        return 1


def check_login_allowed(*, email: str, address: str) -> None:
    """Call before checking a password. Counts the attempt against the address."""
    if _hit(ADDRESS_LOGINS, address) > ADDRESS_LOGINS.attempts:
        raise TooManyAttempts(ADDRESS_LOGINS.window_seconds)
    # Counted before the password is checked, as a failure until it succeeds (record_login_success takes it
    # back): requests racing each other cannot all read the count from before their own failure.
    if _hit(PAIR_FAILURES, email, address) > PAIR_FAILURES.attempts:
        raise TooManyAttempts(PAIR_FAILURES.window_seconds)
    if _count(ACCOUNT_FAILURES, email) >= ACCOUNT_FAILURES.attempts:
        raise TooManyAttempts(ACCOUNT_FAILURES.window_seconds)


def record_login_failure(*, email: str, address: str) -> None:
    _hit(ACCOUNT_FAILURES, email)  # the pair's failure was counted by check_login_allowed


def record_login_success(*, email: str, address: str) -> None:
    cache.delete(_key(PAIR_FAILURES, email, address))


def check_signup_allowed(*, address: str) -> None:
    if _hit(ADDRESS_SIGNUPS, address) > ADDRESS_SIGNUPS.attempts:
        raise TooManyAttempts(ADDRESS_SIGNUPS.window_seconds)
