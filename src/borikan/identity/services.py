"""Sign-up, password login and API tokens. IAL/AAL and federation deepen this in their own issue."""

from __future__ import annotations

import datetime as dt
import secrets

from django.contrib.auth import authenticate
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError as DjangoValidationError
from django.core.validators import validate_email
from django.db import IntegrityError, transaction
from django.utils import timezone

from borikan.audit.services import audit_record
from borikan.core.errors import ApplicationError, ValidationFailed

from .models import ApiToken, User

API_TOKEN_LIFETIME = dt.timedelta(hours=12)


@transaction.atomic
def user_sign_up(*, email: str, password: str, full_name: str, phone: str = "") -> User:
    email = (email or "").strip().lower()
    full_name = (full_name or "").strip()
    try:
        validate_email(email)
    except DjangoValidationError:
        raise ValidationFailed(
            "invalid_email", "รูปแบบอีเมลไม่ถูกต้อง", "The e-mail address is not valid", field="email"
        ) from None
    if not full_name:
        raise ValidationFailed("name_required", "กรุณากรอกชื่อ-นามสกุล", "Please enter your full name", field="full_name")
    try:
        validate_password(password, user=User(email=email, full_name=full_name))
    except DjangoValidationError as exc:
        raise ValidationFailed(
            "weak_password",
            "รหัสผ่านไม่ปลอดภัยพอ: ต้องยาวอย่างน้อย 10 ตัวอักษรและไม่ใช่รหัสที่ใช้กันทั่วไป",
            "The password is too weak: " + " ".join(exc.messages),
            field="password",
        ) from None
    if User.objects.filter(email=email).exists():
        raise ValidationFailed(
            "email_taken", "อีเมลนี้ลงทะเบียนแล้ว", "This e-mail address is already registered", field="email"
        )
    try:
        with transaction.atomic():
            user = User.objects.create_user(email, password, full_name=full_name, phone=phone.strip())
    except IntegrityError:
        raise ValidationFailed(
            "email_taken", "อีเมลนี้ลงทะเบียนแล้ว", "This e-mail address is already registered", field="email"
        ) from None
    audit_record(actor=user, action="auth.sign_up", object_type="user", object_id=user.pk, subject_user_id=user.pk)
    return user


def user_log_in(*, email: str, password: str, request=None) -> User:
    """Check a password. Failures are audited and answered with one message that reveals nothing."""
    email = (email or "").strip().lower()
    user = authenticate(request, username=email, password=password)
    if user is None:
        audit_record(actor=None, action="auth.login_failed", object_type="user", object_id=email[:64])
        raise ApplicationError(
            "invalid_credentials",
            "อีเมลหรือรหัสผ่านไม่ถูกต้อง",
            "The e-mail address or password is wrong",
            status=401,
        )
    audit_record(actor=user, action="auth.login", object_type="user", object_id=user.pk, subject_user_id=user.pk)
    return user


@transaction.atomic
def api_token_issue(*, user: User) -> tuple[str, ApiToken]:
    key = secrets.token_urlsafe(32)
    token = ApiToken.objects.create(
        user=user, key_hash=ApiToken.hash_key(key), expires_at=timezone.now() + API_TOKEN_LIFETIME
    )
    return key, token


def api_token_user(*, key: str) -> User | None:
    token = (
        ApiToken.objects.select_related("user")
        .filter(key_hash=ApiToken.hash_key(key), revoked_at__isnull=True, expires_at__gt=timezone.now())
        .first()
    )
    if token is None or not token.user.is_active:
        return None
    return token.user
