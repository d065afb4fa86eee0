"""Rate limits on authentication: slow guessing down without ever locking the owner out (ADR 0021).

Counters live in Django's cache (`CACHES["default"]`: the database cache on one machine, Redis in production,
whose INCR is atomic), so every web process sees the same counts. Windows are fixed; each counter expires by
itself. Attempts are counted before the password is checked, so parallel guesses cannot all pass.
- per account and client address: from the third failure each further try waits twice as long (1 s, 2 s, …,
  answered 429 with Retry-After); 5 failures in 15 minutes block that pair for the rest of the window. This
  stops the attacker's address, not the owner's.
- per account from anywhere: after 20 failures in 15 minutes (a distributed attack) the account is not
  blocked; a sign-in from a browser the account has not used before must also give a code sent to the
  account's e-mail or mobile (`challenge.py`). Staff accounts alert their agency's administrators.
- per client address: 30 attempts in 5 minutes (login) and 10 sign-ups an hour.
NIST SP 800-63B §5.2.2 asks for no more than 100 consecutive failures per account; these limits are well below.
"""

from __future__ import annotations

import hashlib
import time
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
ACCOUNT_FAILURES = Limit("login-account", 20, 15 * 60)  # then a challenge, never a block
DELAY_FROM_FAILURE = 3  # the pair's third failure makes the next try wait DELAY_UNIT_SECONDS, then twice that…
DELAY_UNIT_SECONDS = 1
ADDRESS_LOGINS = Limit("login-address", 30, 5 * 60)
ADDRESS_SIGNUPS = Limit("signup-address", 10, 60 * 60)
# Adding an e-mail to an account sends a link: 5 an hour per account, 10 an hour per client address.
ACCOUNT_EMAIL_ADDS = Limit("email-add-account", 5, 60 * 60)
ADDRESS_EMAIL_ADDS = Limit("email-add-address", 10, 60 * 60)


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


def _wait_key(email: str, address: str) -> str:
    return _key(Limit("login-pair-wait", 0, 0), email, address)


def check_login_allowed(*, email: str, address: str) -> None:
    """Call before checking a password. Counts the attempt against the address and the account's pair."""
    waiting_until = cache.get(_wait_key(email, address))
    if waiting_until is not None and (remaining := int(waiting_until - time.time() + 0.999)) > 0:
        raise TooManyAttempts(remaining)
    if _hit(ADDRESS_LOGINS, address) > ADDRESS_LOGINS.attempts:
        raise TooManyAttempts(ADDRESS_LOGINS.window_seconds)
    # Counted before the password is checked, as a failure until it succeeds (record_login_success takes it
    # back): requests racing each other cannot all read the count from before their own failure.
    if _hit(PAIR_FAILURES, email, address) > PAIR_FAILURES.attempts:
        raise TooManyAttempts(PAIR_FAILURES.window_seconds)


def record_login_failure(*, email: str, address: str) -> int:
    """Count a wrong password against the account (the pair's was counted by check_login_allowed) and make the
    pair wait before its next try. Returns the account's failures in the window."""
    failures = _count(PAIR_FAILURES, email, address)
    if failures >= DELAY_FROM_FAILURE and DELAY_UNIT_SECONDS:
        delay = min(DELAY_UNIT_SECONDS * 2 ** (failures - DELAY_FROM_FAILURE), PAIR_FAILURES.window_seconds)
        cache.set(_wait_key(email, address), time.time() + delay, timeout=max(1, int(delay + 1)))
    return _hit(ACCOUNT_FAILURES, email)


def account_needs_challenge(email: str) -> bool:
    """Under a distributed attack: a sign-in needs a code sent to the owner, unless from a known browser."""
    return _count(ACCOUNT_FAILURES, email) >= ACCOUNT_FAILURES.attempts


def record_login_success(*, email: str, address: str) -> None:
    cache.delete_many([_key(PAIR_FAILURES, email, address), _wait_key(email, address)])


def check_signup_allowed(*, address: str) -> None:
    if _hit(ADDRESS_SIGNUPS, address) > ADDRESS_SIGNUPS.attempts:
        raise TooManyAttempts(ADDRESS_SIGNUPS.window_seconds)


def check_email_add_allowed(*, user_id: int, address: str) -> None:
    """Call before sending a link to an address being added: each request sends a mail."""
    if _hit(ACCOUNT_EMAIL_ADDS, str(user_id)) > ACCOUNT_EMAIL_ADDS.attempts:
        raise TooManyAttempts(ACCOUNT_EMAIL_ADDS.window_seconds)
    if _hit(ADDRESS_EMAIL_ADDS, address) > ADDRESS_EMAIL_ADDS.attempts:
        raise TooManyAttempts(ADDRESS_EMAIL_ADDS.window_seconds)
