"""Second factors: an authenticator app (TOTP, RFC 6238, with pyotp) and one-time recovery codes.

- The TOTP secret is encrypted at rest (identity/pii.py); a code is accepted once: the time step of the last
  accepted code is kept, and a code for that step or an earlier one is refused as a replay.
- Recovery codes are look-up secrets: ten random codes shown once, stored as keyed hashes, each used once.
- Wrong codes count per account: 5 in 15 minutes block OTP entry for the rest of the window. Entering a code
  already needs the password, so this cannot be used to lock a stranger out, and the block ends by itself.
- Adding a second factor when the account has one, replacing or removing one, and new recovery codes all need
  the session at AAL 2: someone holding only the password cannot weaken or take over the account's factors.
"""

from __future__ import annotations

import secrets
import time
from typing import Any

import pyotp
import segno
from django.db import transaction
from django.utils import timezone

from borikan.audit.services import audit_record
from borikan.core.errors import ApplicationError, ValidationFailed

from . import throttle
from .authn import AAL2_1, assurance_of
from .models import RecoveryCode, TotpDevice, User
from .pii import decrypt, encrypt, lookup_hash

TOTP_PURPOSE = "totp_secret"
RECOVERY_PURPOSE = "recovery_code"
RECOVERY_CODE_COUNT = 10
ISSUER = "borikan"
OTP_FAILURES = throttle.Limit("otp-account", 5, 15 * 60)
# A code from the step before or after the server's clock is accepted (30 s of drift either way).
VALID_WINDOW = 1


class StepUpRequired(ApplicationError):
    status = 403

    def __init__(self) -> None:
        super().__init__(
            "step_up_required",
            "กรุณายืนยันตัวตนด้วยปัจจัยที่สอง (AAL 2) ก่อนเปลี่ยนวิธียืนยันตัวตน",
            "Please confirm with your second factor (AAL 2) before changing how you sign in",
            details={"fix": {"aal": "/account/step-up/?aal=2.1"}},
        )


def _audit(user: User, action: str, **data: Any) -> None:
    audit_record(actor=user, action=action, object_type="user", object_id=user.pk, subject_user_id=user.pk, data=data)


def has_second_factor(user: User) -> bool:
    return (
        TotpDevice.objects.filter(user=user, confirmed_at__isnull=False).exists() or user.webauthn_credentials.exists()
    )


def _require_aal2_if_protected(user: User) -> None:
    """Changing factors needs AAL 2 once the account has a second factor (AAL 1 may add the first one)."""
    if has_second_factor(user) and assurance_of(user).aal < AAL2_1:
        raise StepUpRequired()


def _invalid_code(user: User, reason: str) -> ValidationFailed:
    throttle._hit(OTP_FAILURES, str(user.pk))
    _audit(user, "auth.otp_failed", reason=reason)
    return ValidationFailed(
        "invalid_code",
        "รหัสไม่ถูกต้องหรือถูกใช้ไปแล้ว",
        "The code is wrong or has already been used",
        field="code",
    )


def _check_otp_allowed(user: User) -> None:
    if throttle._count(OTP_FAILURES, str(user.pk)) >= OTP_FAILURES.attempts:
        _audit(user, "auth.otp_throttled")
        raise throttle.TooManyAttempts(OTP_FAILURES.window_seconds)


# --- TOTP --------------------------------------------------------------------------------------------------


def _totp(device: TotpDevice) -> pyotp.TOTP:
    return pyotp.TOTP(decrypt(device.secret_encrypted, purpose=TOTP_PURPOSE))


def _qr_svg(uri: str) -> str:
    return segno.make(uri, error="m").svg_data_uri(scale=4)


@transaction.atomic
def totp_begin(*, user: User) -> dict[str, str]:
    """Start setting up an authenticator app: a new secret, not in use until a code from it is confirmed."""
    if TotpDevice.objects.filter(user=user, confirmed_at__isnull=False).exists():
        raise ApplicationError(
            "totp_exists",
            "บัญชีนี้มีแอปยืนยันตัวตนอยู่แล้ว หากต้องการเปลี่ยน ให้ลบแอปเดิมก่อน",
            "This account already has an authenticator app; remove it first to set up another",
            status=409,
        )
    _require_aal2_if_protected(user)
    secret = pyotp.random_base32()
    TotpDevice.objects.update_or_create(
        user=user, defaults={"secret_encrypted": encrypt(secret, purpose=TOTP_PURPOSE), "last_used_step": 0}
    )
    uri = pyotp.TOTP(secret).provisioning_uri(name=user.email, issuer_name=ISSUER)
    _audit(user, "auth.totp_setup_started")
    return {"secret": secret, "otpauth_uri": uri, "qr_svg": _qr_svg(uri)}


def totp_pending(*, user: User) -> dict[str, str] | None:
    """The set-up in progress (secret and QR), if any."""
    device = TotpDevice.objects.filter(user=user, confirmed_at__isnull=True).first()
    if device is None:
        return None
    secret = decrypt(device.secret_encrypted, purpose=TOTP_PURPOSE)
    uri = pyotp.TOTP(secret).provisioning_uri(name=user.email, issuer_name=ISSUER)
    return {"secret": secret, "otpauth_uri": uri, "qr_svg": _qr_svg(uri)}


def _accept(device: TotpDevice, code: str, *, now: float | None = None) -> int | None:
    """The time step of `code` if it is valid and newer than the last accepted one; None otherwise."""
    code = (code or "").strip().replace(" ", "")
    if not (code.isdigit() and len(code) == 6):
        return None
    totp = _totp(device)
    moment = time.time() if now is None else now
    for offset in range(-VALID_WINDOW, VALID_WINDOW + 1):
        step = int(moment // totp.interval) + offset
        if secrets.compare_digest(totp.generate_otp(step), code):
            return step if step > device.last_used_step else -1
    return None


def _verify_totp(user: User, code: str, *, confirmed: bool) -> TotpDevice:
    device = TotpDevice.objects.select_for_update().filter(user=user, confirmed_at__isnull=not confirmed).first()
    if device is None:
        raise ApplicationError(
            "no_totp", "บัญชีนี้ยังไม่ได้ตั้งค่าแอปยืนยันตัวตน", "This account has no authenticator app set up", status=409
        )
    step = _accept(device, code)
    if step is None:
        raise _invalid_code(user, "wrong_totp")
    if step == -1:
        raise _invalid_code(user, "replayed_totp")
    device.last_used_step = step
    return device


def totp_confirm(*, user: User, code: str) -> list[str]:
    """Confirm the app with a code from it. Returns the first set of recovery codes (shown once)."""
    _check_otp_allowed(user)
    error = None
    with transaction.atomic():
        try:
            device = _verify_totp(user, code, confirmed=False)
        except ValidationFailed as exc:
            error = exc  # committed: the failure stays recorded in the audit log
        else:
            device.confirmed_at = timezone.now()
            device.save(update_fields=["confirmed_at", "last_used_step"])
            codes = _recovery_codes_replace(user)
            _audit(user, "auth.totp_confirmed")
    if error is not None:
        raise error
    return codes


def totp_check(*, user: User, code: str) -> None:
    """Check a code from the person's app (step-up). A wrong or replayed code is refused and counted."""
    _check_otp_allowed(user)
    error = None
    with transaction.atomic():
        try:
            device = _verify_totp(user, code, confirmed=True)
        except ValidationFailed as exc:
            error = exc  # committed: the failure stays recorded in the audit log
        else:
            device.save(update_fields=["last_used_step"])
            _audit(user, "auth.totp_verified")
    if error is not None:
        raise error


@transaction.atomic
def totp_remove(*, user: User) -> None:
    if assurance_of(user).aal < AAL2_1:
        raise StepUpRequired()
    deleted, _ = TotpDevice.objects.filter(user=user).delete()
    if deleted:
        _audit(user, "auth.totp_removed")


# --- recovery codes ----------------------------------------------------------------------------------------


def _new_code() -> str:
    alphabet = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"  # no 0/O, 1/I: read from paper
    raw = "".join(secrets.choice(alphabet) for _ in range(10))
    return f"{raw[:5]}-{raw[5:]}"


def _normalise(code: str) -> str:
    raw = (code or "").upper().replace("-", "").replace(" ", "")
    return f"{raw[:5]}-{raw[5:]}"


def _recovery_codes_replace(user: User) -> list[str]:
    RecoveryCode.objects.filter(user=user).delete()
    codes = [_new_code() for _ in range(RECOVERY_CODE_COUNT)]
    RecoveryCode.objects.bulk_create(
        RecoveryCode(user=user, code_hash=lookup_hash(code, purpose=RECOVERY_PURPOSE)) for code in codes
    )
    return codes


@transaction.atomic
def recovery_codes_regenerate(*, user: User) -> list[str]:
    if assurance_of(user).aal < AAL2_1:
        raise StepUpRequired()
    codes = _recovery_codes_replace(user)
    _audit(user, "auth.recovery_codes_regenerated")
    return codes


def recovery_codes_left(*, user: User) -> int:
    return RecoveryCode.objects.filter(user=user, used_at__isnull=True).count()


def recovery_code_use(*, user: User, code: str) -> None:
    """Use one recovery code (once). Counted with the OTP failures."""
    _check_otp_allowed(user)
    digest = lookup_hash(_normalise(code), purpose=RECOVERY_PURPOSE)
    used = RecoveryCode.objects.filter(user=user, code_hash=digest, used_at__isnull=True).update(used_at=timezone.now())
    if not used:
        raise _invalid_code(user, "wrong_recovery_code")
    _audit(user, "auth.recovery_code_used", left=recovery_codes_left(user=user))
