"""Signing up with a mobile number instead of an e-mail address: the number is proven by a one-time code sent by
SMS (through the provider's API, core/sms.py), then the account is created with a password as usual.

- The code is 6 random digits, valid 10 minutes, 5 tries; only its keyed hash is kept (in the shared cache).
- Codes are sent at most 3 times per number per 15 minutes and 10 times per client address per hour.
- A number that already has an account gets a message saying so (the page answers the same either way).
- The verified number is the account's login name alongside the e-mail address (identity/backends.py).
An SMS code proves the number, nothing about the person: the account starts at IAL 1.1 like any other.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets

from django.conf import settings
from django.core.cache import cache
from django.db import IntegrityError, transaction
from django.utils import timezone

from borikan.audit.services import audit_record
from borikan.core.errors import ValidationFailed
from borikan.core.sms import sms_send, thai_mobile

from . import throttle
from .models import User

CODE_LIFETIME = 10 * 60
MAX_TRIES = 5
NUMBER_SENDS = throttle.Limit("sms-number", 3, 15 * 60)
ADDRESS_SENDS = throttle.Limit("sms-address", 10, 60 * 60)


def _key(phone: str) -> str:
    return "phone-signup:" + hashlib.sha256(phone.encode()).hexdigest()[:32]


def _tries_key(phone: str) -> str:
    """Tries are counted apart from the code, with the cache's atomic increment: parallel guesses each count."""
    return _key(phone) + ":tries"


def _digest(phone: str, code: str) -> str:
    return hmac.new(settings.SECRET_KEY.encode(), f"{phone}:{code}".encode(), hashlib.sha256).hexdigest()


def phone_signup_start(*, phone: str, address: str) -> None:
    """Send a one-time code to the number (or tell its owner it already has an account)."""
    phone = thai_mobile(phone)
    if throttle._hit(ADDRESS_SENDS, address) > ADDRESS_SENDS.attempts:
        raise throttle.TooManyAttempts(ADDRESS_SENDS.window_seconds)
    if throttle._hit(NUMBER_SENDS, phone) > NUMBER_SENDS.attempts:
        raise throttle.TooManyAttempts(NUMBER_SENDS.window_seconds)
    if User.objects.filter(mobile=phone).exists():
        sms_send(
            to=phone,
            text="borikan: หมายเลขนี้มีบัญชีอยู่แล้ว เข้าสู่ระบบด้วยหมายเลขนี้ได้เลย / This number already has an account.",
        )
        audit_record(actor=None, action="auth.phone_signup_existing", object_type="user", object_id=phone[-4:])
        return
    code = f"{secrets.randbelow(1_000_000):06d}"
    cache.set(_key(phone), {"digest": _digest(phone, code)}, timeout=CODE_LIFETIME)
    cache.set(_tries_key(phone), 0, timeout=CODE_LIFETIME)
    sms_send(
        to=phone,
        text=f"borikan: รหัสยืนยันของท่านคือ {code} (ใช้ได้ 10 นาที ห้ามบอกผู้อื่น) / Your code is {code}.",
    )
    audit_record(actor=None, action="auth.phone_code_sent", object_type="user", object_id=phone[-4:])


def _check_code(phone: str, code: str) -> None:
    state = cache.get(_key(phone))
    wrong = ValidationFailed(
        "invalid_code",
        "รหัสไม่ถูกต้องหรือหมดอายุ กรุณาขอรหัสใหม่",
        "The code is wrong or has expired; please ask for a new one",
        field="code",
    )
    if state is None:
        raise wrong
    try:
        tries = cache.incr(_tries_key(phone))
    except ValueError:  # the counter expired with the code
        raise wrong from None
    if tries > MAX_TRIES:
        cache.delete(_key(phone))
        raise wrong
    if not hmac.compare_digest(state["digest"], _digest(phone, (code or "").strip())):
        audit_record(actor=None, action="auth.phone_code_failed", object_type="user", object_id=phone[-4:])
        raise wrong
    cache.delete_many([_key(phone), _tries_key(phone)])


def phone_signup_complete(
    *, phone: str, code: str, password: str, full_name: str, citizen_id: str = "", address: str = "unknown"
) -> User:
    """Create the account once the code from the SMS is shown."""
    from .services import proofing_record_self_asserted, user_set_citizen_id, validate_new_account

    phone = thai_mobile(phone)
    full_name = validate_new_account(full_name=full_name, password=password, email="", phone=phone)
    _check_code(phone, code)
    try:
        with transaction.atomic():
            user = User.objects.create_user(
                None, password, full_name=full_name, phone=phone, mobile=phone, mobile_verified_at=timezone.now()
            )
            audit_record(
                actor=user,
                action="auth.sign_up",
                object_type="user",
                object_id=user.pk,
                subject_user_id=user.pk,
                data={"channel": "phone"},
            )
            proofing_record_self_asserted(user=user)
            if citizen_id:
                user_set_citizen_id(actor=user, user=user, citizen_id=citizen_id)
    except IntegrityError:
        raise ValidationFailed(
            "phone_taken", "หมายเลขนี้ลงทะเบียนแล้ว", "This number is already registered", field="phone"
        ) from None
    return user
