"""Account recovery: a forgotten password, and a lost second factor.

The rules (NIST SP 800-63B §6.1.2.3 and issue 4 §6):
- A link sent to the account's e-mail address lets the person set a new password. E-mail is not an
  authenticator, so recovery never signs anyone in: afterwards the person signs in as usual, and their session
  reaches only the AAL of the factors they then use.
- An account with a second factor must present it (a code from the app or a recovery code) to keep it. Whoever
  says the second factor is lost loses it: the app, passkeys and recovery codes are removed, and every proofing
  above IAL 1.3 is revoked, so an IAL 2+ account recovered without its second factor drops to a lower assurance
  until the person is proven again (at a counter or through a federated provider).
- Every session and API token ends; every step is audited; the person is told by e-mail.
- Requests are rate-limited per address and per account, and always answered the same way, so the form does
  not reveal which addresses have accounts.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.contrib.auth.password_validation import validate_password
from django.contrib.auth.tokens import default_token_generator
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import transaction
from django.db.models import F
from django.urls import reverse
from django.utils import timezone
from django.utils.encoding import force_bytes, force_str
from django.utils.http import urlsafe_base64_decode, urlsafe_base64_encode

from borikan.audit.services import audit_record
from borikan.core.errors import ApplicationError, ValidationFailed

from . import mfa, throttle
from .models import ApiToken, RecoveryCode, TotpDevice, User
from .proofing import proofing_suspend_high_assurance

ADDRESS_RECOVERIES = throttle.Limit("recovery-address", 5, 60 * 60)
ACCOUNT_RECOVERIES = throttle.Limit("recovery-account", 3, 60 * 60)
LOST_SECOND_FACTOR = "recovered_without_second_factor"


def _audit(user: User | None, action: str, object_id: Any, **data: Any) -> None:
    audit_record(
        actor=user,
        action=action,
        object_type="user",
        object_id=object_id,
        subject_user_id=user.pk if user else None,
        data=data,
    )


def recovery_link(user: User) -> str:
    uid = urlsafe_base64_encode(force_bytes(user.pk))
    token = default_token_generator.make_token(user)
    path = reverse("identity:recover_confirm", kwargs={"uidb64": uid, "token": token})
    return settings.BORIKAN_PUBLIC_BASE_URL.rstrip("/") + path


def recovery_request(*, email: str, address: str) -> None:
    """Send a recovery link if the address has an account. Says nothing either way."""
    email = (email or "").strip().lower()
    if throttle._hit(ADDRESS_RECOVERIES, address) > ADDRESS_RECOVERIES.attempts:
        _audit(None, "auth.recovery_throttled", email[:64], scope="address")
        raise throttle.TooManyAttempts(ADDRESS_RECOVERIES.window_seconds)
    user = User.objects.filter(email=email, is_active=True).first()
    if user is None:
        _audit(None, "auth.recovery_unknown_account", email[:64])
        return
    if throttle._hit(ACCOUNT_RECOVERIES, str(user.pk)) > ACCOUNT_RECOVERIES.attempts:
        _audit(user, "auth.recovery_throttled", user.pk, scope="account")
        return  # the same answer: the person already has links in their mailbox
    from .tasks import send_recovery_link

    user_id = user.pk
    transaction.on_commit(lambda: send_recovery_link.enqueue(user_id))
    _audit(user, "auth.recovery_requested", user.pk)


def recovery_user(*, uidb64: str, token: str) -> User:
    """The account a recovery link is for, if the link is genuine and unused (it dies when the password changes)."""
    try:
        user = User.objects.get(pk=int(force_str(urlsafe_base64_decode(uidb64))), is_active=True)
    except (ValueError, TypeError, OverflowError, User.DoesNotExist):
        user = None
    if user is None or not default_token_generator.check_token(user, token):
        _audit(user, "auth.recovery_link_invalid", user.pk if user else uidb64[:64])
        raise ApplicationError(
            "invalid_recovery_link",
            "ลิงก์กู้คืนบัญชีไม่ถูกต้อง หมดอายุ หรือถูกใช้ไปแล้ว กรุณาขอลิงก์ใหม่",
            "The recovery link is wrong, expired or already used; please ask for a new one",
            status=400,
        )
    return user


def recovery_complete(
    *, uidb64: str, token: str, new_password: str, code: str = "", lost_second_factor: bool = False
) -> dict[str, Any]:
    """Set a new password through a recovery link. Returns what happened, for the page to explain."""
    user = recovery_user(uidb64=uidb64, token=token)
    try:
        validate_password(new_password, user=user)
    except DjangoValidationError as exc:
        raise ValidationFailed(
            "weak_password",
            "รหัสผ่านไม่ปลอดภัยพอ: ต้องยาวอย่างน้อย 10 ตัวอักษรและไม่ใช่รหัสที่ใช้กันทั่วไป",
            "The password is too weak: " + " ".join(exc.messages),
            field="new_password",
        ) from None
    has_factor = mfa.has_second_factor(user)
    kept_factor = False
    if has_factor and not lost_second_factor:
        if not code:
            raise ValidationFailed(
                "second_factor_required",
                "บัญชีนี้ใช้ปัจจัยที่สอง กรุณากรอกรหัสจากแอปหรือรหัสกู้คืน หรือแจ้งว่าทำหาย",
                "This account has a second factor: enter a code from the app or a recovery code, or say it is lost",
                field="code",
            )
        if TotpDevice.objects.filter(user=user, confirmed_at__isnull=False).exists() and code.strip().isdigit():
            mfa.totp_check(user=user, code=code)
        else:
            mfa.recovery_code_use(user=user, code=code)
        kept_factor = True
    with transaction.atomic():
        user.set_password(new_password)
        user.session_epoch = F("session_epoch") + 1  # every page session ends
        if user.email_verified_at is None:
            user.email_verified_at = timezone.now()  # the recovery link was opened: the person holds the mailbox
        user.save(update_fields=["password", "session_epoch", "email_verified_at"])
        ApiToken.objects.filter(user=user, revoked_at__isnull=True).update(revoked_at=timezone.now())
        revoked = 0
        if not kept_factor:
            TotpDevice.objects.filter(user=user).delete()
            RecoveryCode.objects.filter(user=user).delete()
            user.webauthn_credentials.all().delete()
            revoked = proofing_suspend_high_assurance(user=user, reason=LOST_SECOND_FACTOR)
        _audit(
            user,
            "auth.recovered",
            user.pk,
            with_second_factor=kept_factor,
            second_factors_removed=has_factor and not kept_factor,
            proofings_revoked=revoked,
        )
        user_id = user.pk
        from .tasks import send_recovery_notice

        transaction.on_commit(lambda: send_recovery_notice.enqueue(user_id, kept_factor, revoked))
    return {"kept_second_factor": kept_factor, "proofings_revoked": revoked}
