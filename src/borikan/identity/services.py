"""Sign-up, password login and API tokens. IAL/AAL and federation deepen this in their own issue."""

from __future__ import annotations

import datetime as dt
import secrets
from decimal import Decimal
from typing import Any

from django.contrib.auth import authenticate
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError as DjangoValidationError
from django.core.validators import validate_email
from django.db import IntegrityError, transaction
from django.db.models import F, Q
from django.utils import timezone

from borikan.audit.services import audit_record
from borikan.core.errors import ApplicationError, ValidationFailed
from borikan.core.hygiene import clean_name
from borikan.core.thaiid import is_valid_thai_id

from . import throttle
from .authn import ACTIVITY_RESOLUTION, Method, MethodUse
from .models import CITIZEN_ID_PURPOSE, ApiToken, ProofingMethod, ProofingRecord, User
from .pii import encrypt, lookup_hash

API_TOKEN_LIFETIME = dt.timedelta(hours=12)


def _normalised_citizen_id(citizen_id: str) -> str:
    value = (citizen_id or "").replace("-", "").replace(" ", "")
    if not is_valid_thai_id(value):
        raise ValidationFailed(
            "invalid_citizen_id",
            "เลขประจำตัวประชาชนไม่ถูกต้อง (ตรวจสอบหลักตรวจสอบแล้วไม่ผ่าน)",
            "The citizen ID is not valid (its check digit does not match)",
            field="citizen_id",
        )
    return value


@transaction.atomic
def user_set_citizen_id(*, actor: Any, user: User, citizen_id: str) -> User:
    """Record the person's citizen ID: validated, unique across accounts, never stored in the clear."""
    value = _normalised_citizen_id(citizen_id)
    digest = lookup_hash(value, purpose=CITIZEN_ID_PURPOSE)
    if User.objects.filter(citizen_id_hash=digest).exclude(pk=user.pk).exists():
        raise ValidationFailed(
            "citizen_id_taken",
            "เลขประจำตัวประชาชนนี้ผูกกับบัญชีอื่นแล้ว กรุณาติดต่อเจ้าหน้าที่",
            "This citizen ID belongs to another account; please contact an officer",
            field="citizen_id",
            status=409,
        )
    user.citizen_id_hash = digest
    user.citizen_id_encrypted = encrypt(value, purpose=CITIZEN_ID_PURPOSE)
    user.save(update_fields=["citizen_id_hash", "citizen_id_encrypted"])
    audit_record(
        actor=actor, action="identity.citizen_id_set", object_type="user", object_id=user.pk, subject_user_id=user.pk
    )
    return user


def user_find_by_citizen_id(*, citizen_id: str) -> User | None:
    value = _normalised_citizen_id(citizen_id)
    return User.objects.filter(citizen_id_hash=lookup_hash(value, purpose=CITIZEN_ID_PURPOSE)).first()


def validate_new_account(*, full_name: str, password: str, email: str = "", phone: str = "") -> str:
    """Check what a new account is made of; returns the cleaned full name."""
    full_name = clean_name(full_name or "")
    if not full_name:
        raise ValidationFailed("name_required", "กรุณากรอกชื่อ-นามสกุล", "Please enter your full name", field="full_name")
    try:
        validate_password(password, user=User(email=email, full_name=full_name, phone=phone))
    except DjangoValidationError as exc:
        raise ValidationFailed(
            "weak_password",
            "รหัสผ่านไม่ปลอดภัยพอ: ต้องยาวอย่างน้อย 10 ตัวอักษรและไม่ใช่รหัสที่ใช้กันทั่วไป",
            "The password is too weak: " + " ".join(exc.messages),
            field="password",
        ) from None
    return full_name


def user_sign_up(
    *, email: str, password: str, full_name: str, phone: str = "", citizen_id: str = "", address: str = "unknown"
) -> User | None:
    """Start a citizen account: the same answer whether or not the address is registered (verification.py).

    Returns the new, unverified account (a link to confirm the address is sent after the commit), or None when a
    verified account has the address (its owner is sent a notice instead). A refusal (bad e-mail, weak password,
    bad citizen ID...) is audited with its code after the attempt has rolled back, and nothing of it is kept."""
    try:
        return _sign_up(
            email=email, password=password, full_name=full_name, phone=phone, citizen_id=citizen_id, address=address
        )
    except ApplicationError as error:
        audit_record(
            actor=None, action="auth.sign_up_refused", object_type="user", object_id="", data={"code": error.code}
        )
        raise


@transaction.atomic
def _sign_up(*, email: str, password: str, full_name: str, phone: str, citizen_id: str, address: str) -> User | None:
    from . import verification

    throttle.check_signup_allowed(address=address)
    email = (email or "").strip().lower()
    try:
        validate_email(email)
    except DjangoValidationError:
        raise ValidationFailed(
            "invalid_email", "รูปแบบอีเมลไม่ถูกต้อง", "The e-mail address is not valid", field="email"
        ) from None
    full_name = validate_new_account(full_name=full_name, password=password, email=email)
    if citizen_id:
        _normalised_citizen_id(citizen_id)  # refuse a bad ID before creating anything
    existing = User.objects.select_for_update().filter(email=email).first()
    if existing is not None and existing.email_verified_at is not None:
        audit_record(actor=None, action="auth.sign_up_address_taken", object_type="user", object_id=existing.pk)
        verification.send_notice_after_commit(existing)
        return None
    if existing is not None and not release_unverified_address(existing):
        verification.send_notice_after_commit(existing)
        return None
    try:
        with transaction.atomic():
            # A phone given here is contact information only; a mobile proven by SMS is a login name (phone.py).
            user = User.objects.create_user(
                email, password, full_name=full_name, phone=phone.strip(), email_verified_at=None
            )
    except IntegrityError:  # a concurrent sign-up took the address between our check and our insert
        return None
    audit_record(actor=user, action="auth.sign_up", object_type="user", object_id=user.pk, subject_user_id=user.pk)
    proofing_record_self_asserted(user=user)
    if citizen_id:
        try:
            user_set_citizen_id(actor=user, user=user, citizen_id=citizen_id)
        except ValidationFailed as refused:
            if refused.code != "citizen_id_taken":
                raise
            # The ID belongs to another account: said to nobody here (that would tell whether it is registered);
            # the account starts without it and the person adds it after confirming, when the refusal is theirs.
    verification.send_link_after_commit(user)
    return user


def user_email_add(*, actor: Any, email: str, address: str = "unknown") -> str:
    """Start adding an e-mail address to an account that has none (made with a mobile number): a link to confirm
    it goes to the address, and the address is the account's only once that link is opened with the account's
    password (verification.email_verify). Returns the address as it will be kept.

    The answer is the same whether or not another account holds the address, as at sign-up: when one does, its
    owner is told in a notice that it was not added, and no link is sent. Throttled per account and per client
    address (each request sends a mail)."""
    from . import verification

    if actor.email:
        raise ApplicationError(
            "email_already_set",
            "บัญชีนี้มีอีเมลอยู่แล้ว",
            "This account already has an e-mail address",
            field="email",
            status=409,
        )
    email = (email or "").strip().lower()
    try:
        validate_email(email)
    except DjangoValidationError:
        raise ValidationFailed(
            "invalid_email", "รูปแบบอีเมลไม่ถูกต้อง", "The e-mail address is not valid", field="email"
        ) from None
    throttle.check_email_add_allowed(user_id=actor.pk, address=address)
    holder = User.objects.filter(email=email).exclude(pk=actor.pk).first()
    with transaction.atomic():
        if holder is not None and holder.email_verified_at is not None:
            audit_record(
                actor=actor, action="auth.email_add_address_taken", object_type="user", object_id=actor.pk,
                subject_user_id=actor.pk,
            )  # fmt: skip
            verification.send_email_add_notice_after_commit(holder)
        else:
            audit_record(
                actor=actor, action="auth.email_add_requested", object_type="user", object_id=actor.pk,
                subject_user_id=actor.pk,
            )  # fmt: skip
            verification.send_email_add_link_after_commit(actor, email)
    return email


def release_unverified_address(user: User) -> bool:
    """An account whose address was never confirmed does not own it: a new sign-up or a federated sign-in with
    that address replaces it. False when it is not empty after all (it then keeps the address)."""
    from django.db.models import ProtectedError

    if user.email_verified_at is not None:
        return False
    try:
        with transaction.atomic():
            audit_record(actor=None, action="auth.unverified_account_replaced", object_type="user", object_id=user.pk)
            user.delete()
    except ProtectedError:
        return False
    return True


def proofing_record_self_asserted(*, user: User) -> ProofingRecord:
    """Everyone starts at IAL 1.1: who they say they are, nothing checked yet. Recorded, so the person's page
    shows where their level comes from."""
    return ProofingRecord.objects.create(
        user=user, method=ProofingMethod.SELF_ASSERTED, ial=Decimal("1.1"), evidence={"checked": []}
    )


def user_log_in(*, email: str, password: str, request=None, code: str = "") -> User:
    """Check a password, within the rate limits. Failures are audited and answered with one message that
    reveals nothing about whether the account exists. While the account is under a distributed attack, a
    browser it has not signed in from must also give the code sent to the owner (`challenge.py`)."""
    from . import challenge

    email = _login_name(email)
    address = throttle.client_address(request)
    try:
        throttle.check_login_allowed(email=email, address=address)
    except throttle.TooManyAttempts:
        audit_record(actor=None, action="auth.login_throttled", object_type="user", object_id=email[:64])
        raise
    user = authenticate(request, username=email, password=password)
    if user is None:
        failures = throttle.record_login_failure(email=email, address=address)
        audit_record(actor=None, action="auth.login_failed", object_type="user", object_id=email[:64])
        if failures == throttle.ACCOUNT_FAILURES.attempts:
            _alert_account_attack(email, failures)
        raise ApplicationError(
            "invalid_credentials",
            "อีเมลหรือรหัสผ่านไม่ถูกต้อง",
            "The e-mail address or password is wrong",
            status=401,
        )
    if user.email and user.email_verified_at is None and "@" in email:
        from . import verification

        audit_record(actor=user, action="auth.login_unverified", object_type="user", object_id=user.pk)
        verification.send_link_after_commit(user)
        raise verification.EmailNotVerified()
    if throttle.account_needs_challenge(email) and not challenge.device_known(request, user):
        if not code:
            audit_record(actor=user, action="auth.login_challenged", object_type="user", object_id=user.pk)
            challenge.code_request(user)  # raises SignInCodeRequired
        if not challenge.code_check(user, code):
            audit_record(actor=user, action="auth.login_code_failed", object_type="user", object_id=user.pk)
            raise ApplicationError(
                "invalid_sign_in_code",
                "รหัสเข้าสู่ระบบไม่ถูกต้องหรือหมดอายุ กรุณากรอกรหัสผ่านอีกครั้งโดยเว้นช่องรหัสว่างเพื่อรับรหัสใหม่",
                "The sign-in code is wrong or has expired; enter your password again and leave the code empty to get "
                "a new one",
                field="code",
                status=401,
            )
    throttle.record_login_success(email=email, address=address)
    audit_record(actor=user, action="auth.login", object_type="user", object_id=user.pk, subject_user_id=user.pk)
    return user


def _login_name(login: str) -> str:
    """One spelling per account for the rate limits: 081-234-5678 and +66812345678 are the same mobile."""
    login = (login or "").strip().lower()
    if "@" in login:
        return login
    from borikan.core.sms import thai_mobile

    try:
        return thai_mobile(login)
    except ApplicationError:
        return login


def _alert_account_attack(login: str, failures: int) -> None:
    """Once per window, when an account crosses the distributed-attack threshold: tell the owner and, for a
    staff account, its agencies' administrators (after the commit, from the worker)."""
    from .tasks import alert_account_attack

    user = User.objects.filter(Q(email=login) | Q(mobile=login), is_active=True).first()
    if user is None:
        return
    audit_record(
        actor=None, action="auth.account_under_attack", object_type="user", object_id=user.pk, subject_user_id=user.pk
    )
    user_id = user.pk
    transaction.on_commit(lambda: alert_account_attack.enqueue(user_id, failures))


@transaction.atomic
def api_token_issue(
    *, user: User, method: Method = Method.PASSWORD, aal: Decimal | None = None
) -> tuple[str, ApiToken]:
    """A bearer token for a person who has just authenticated with `method`; step-up adds further methods."""
    key = secrets.token_urlsafe(32)
    now = timezone.now()
    token = ApiToken.objects.create(
        user=user,
        key_hash=ApiToken.hash_key(key),
        expires_at=now + API_TOKEN_LIFETIME,
        auth_methods=[MethodUse(method=method, at=int(now.timestamp()), aal=aal).as_dict()],
        last_used_at=now,
    )
    return key, token


def api_token_find(*, key: str) -> ApiToken | None:
    token = (
        ApiToken.objects.select_related("user")
        .filter(key_hash=ApiToken.hash_key(key), revoked_at__isnull=True, expires_at__gt=timezone.now())
        .first()
    )
    if token is None or not token.user.is_active:
        return None
    return token


def api_token_touch(token: ApiToken) -> None:
    """Stamp the token's last use (for the idle limits), at most once a minute."""
    from .authn import with_lapses

    now = timezone.now()
    if token.last_used_at is None or (now - token.last_used_at).total_seconds() >= ACTIVITY_RESOLUTION:
        last = int(token.last_used_at.timestamp()) if token.last_used_at else None
        methods = with_lapses(list(token.auth_methods or []), last_activity=last, now=int(now.timestamp()))
        ApiToken.objects.filter(pk=token.pk).update(last_used_at=now, auth_methods=methods)
        token.last_used_at, token.auth_methods = now, methods


def api_token_user(*, key: str) -> User | None:
    token = api_token_find(key=key)
    return token.user if token is not None else None


def user_log_out(*, actor: User) -> None:
    audit_record(actor=actor, action="auth.logout", object_type="user", object_id=actor.pk, subject_user_id=actor.pk)


@transaction.atomic
def user_log_out_everywhere(*, actor: User) -> int:
    """End every session of this person (pages: the session hash changes) and revoke every API token.
    Returns how many tokens were revoked."""
    User.objects.filter(pk=actor.pk).update(session_epoch=F("session_epoch") + 1)
    revoked = ApiToken.objects.filter(user=actor, revoked_at__isnull=True).update(revoked_at=timezone.now())
    audit_record(
        actor=actor,
        action="auth.logout_everywhere",
        object_type="user",
        object_id=actor.pk,
        subject_user_id=actor.pk,
        data={"tokens_revoked": revoked},
    )
    return revoked
