"""How the owner still signs in while strangers guess their password (ADR 0021).

When an account has had many wrong passwords from many addresses (`throttle.account_needs_challenge`), the
correct password alone is not enough from a browser the account has not signed in from before. The person is
sent a six-digit code to the account's e-mail address (or mobile, for a mobile-only account) and gives it with
the password. A browser that signed in before carries a signed "known browser" cookie and is not asked.
The code is made in the worker that sends it (`tasks.send_sign_in_code`) and only its HMAC is kept, for ten
minutes and five tries. The cookie dies when the password changes.
"""

from __future__ import annotations

import hmac
import secrets
import time

from django.conf import settings
from django.core import signing
from django.core.cache import cache
from django.db import transaction
from django.http import HttpRequest, HttpResponse
from django.utils.crypto import salted_hmac

from borikan.core.errors import ApplicationError

from . import throttle
from .models import User

CODE_TTL_SECONDS = 10 * 60
CODE_TRIES = 5
RESEND_AFTER_SECONDS = 60
DEVICE_COOKIE = "borikan_known_browser"
DEVICE_MAX_AGE_SECONDS = 180 * 24 * 3600
_DEVICE_SALT = "borikan.identity.known-browser"
CODE_TRIES_LIMIT = throttle.Limit("signin-code-tries", CODE_TRIES, CODE_TTL_SECONDS)


class SignInCodeRequired(ApplicationError):
    status = 401

    def __init__(self, channel: str) -> None:
        where_th, where_en = ("อีเมล", "e-mail address") if channel == "email" else ("โทรศัพท์มือถือ", "mobile")
        super().__init__(
            "sign_in_code_required",
            f"มีผู้พยายามเข้าสู่บัญชีนี้ด้วยรหัสผ่านผิดหลายครั้ง เพื่อความปลอดภัย เราส่งรหัส 6 หลักไปที่{where_th}ของบัญชี "
            "กรุณากรอกรหัสผ่านอีกครั้งพร้อมรหัสนั้น",
            f"Someone has tried many wrong passwords on this account. For your safety we sent a 6-digit code to the "
            f"account's {where_en}; enter your password again with that code",
            field="code",
            details={"channel": channel, "code_ttl_seconds": CODE_TTL_SECONDS},
        )


def _code_key(user_id: int) -> str:
    return f"signin-code:{user_id}"


def _digest(user_id: int, code: str) -> str:
    return salted_hmac("borikan.identity.sign-in-code", f"{user_id}:{code}", algorithm="sha256").hexdigest()


def channel_of(user: User) -> str:
    return "email" if user.email else "sms"


def code_issue(user_id: int) -> str:
    """A new code for the person; only its HMAC is kept. Called by the task that sends it."""
    code = f"{secrets.randbelow(10**6):06d}"
    entry = {"digest": _digest(user_id, code), "sent": time.time()}
    cache.set(_code_key(user_id), entry, timeout=CODE_TTL_SECONDS)
    return code


def code_request(user: User) -> None:
    """Send a code after the commit, unless one went out less than a minute ago. Raises SignInCodeRequired."""
    entry = cache.get(_code_key(user.pk))
    if entry is None or time.time() - entry["sent"] > RESEND_AFTER_SECONDS:
        from .tasks import send_sign_in_code

        user_id = user.pk
        transaction.on_commit(lambda: send_sign_in_code.enqueue(user_id))
    raise SignInCodeRequired(channel_of(user))


def code_check(user: User, code: str) -> bool:
    """True once for the right code within its ten minutes; five wrong tries use the code up."""
    key = _code_key(user.pk)
    entry = cache.get(key)
    if entry is None or not code:
        return False
    # counted atomically per code, so parallel guesses cannot share more than CODE_TRIES tries
    if throttle._hit(CODE_TRIES_LIMIT, str(user.pk), str(entry["sent"])) > CODE_TRIES:
        cache.delete(key)
        return False
    if hmac.compare_digest(entry["digest"], _digest(user.pk, code.strip())):
        cache.delete(key)
        return True
    return False


def _password_tag(user: User) -> str:
    return salted_hmac(_DEVICE_SALT, user.password or "", algorithm="sha256").hexdigest()[:16]


def device_remember(response: HttpResponse, user: User) -> None:
    """Mark this browser as one the person has signed in from."""
    value = signing.dumps({"u": user.pk, "p": _password_tag(user)}, salt=_DEVICE_SALT, compress=True)
    response.set_cookie(
        DEVICE_COOKIE,
        value,
        max_age=DEVICE_MAX_AGE_SECONDS,
        secure=settings.SESSION_COOKIE_SECURE,
        httponly=True,
        samesite="Lax",
    )


def device_known(request: HttpRequest | None, user: User) -> bool:
    value = request.COOKIES.get(DEVICE_COOKIE, "") if request is not None else ""
    if not value:
        return False
    try:
        data = signing.loads(value, salt=_DEVICE_SALT, max_age=DEVICE_MAX_AGE_SECONDS)
    except signing.BadSignature:
        return False
    return data.get("u") == user.pk and hmac.compare_digest(str(data.get("p", "")), _password_tag(user))
