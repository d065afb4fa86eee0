"""Proving an e-mail address before it counts, without telling anyone whether an address is registered.

Sign-up answers the same (202, "check your mailbox") whether the address is new or taken:
- a new address gets an unverified account and a link to confirm it;
- a verified account's owner gets a notice that someone tried to sign up with their address;
- an unverified account with the address holds nothing yet (it cannot sign in), so it is replaced by the new
  sign-up and its link stops working.

The link alone does not verify: the page asks for the password chosen at sign-up. So a link an attacker caused
to be sent to a victim's mailbox (for an account with the attacker's password) cannot make the attacker's account
own the victim's address, and the attacker, without the mailbox, cannot either. Opening a recovery link also
proves the address. The link is signed (Django signing), lasts two days and dies when the password changes.
"""

from __future__ import annotations

import hmac
from typing import Any

from django.conf import settings
from django.core import signing
from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.crypto import salted_hmac

from borikan.audit.services import audit_record
from borikan.core.errors import ApplicationError

from .models import User

LINK_MAX_AGE_SECONDS = 2 * 24 * 3600
_SALT = "borikan.identity.email-verification"


def _binding(user: User) -> str:
    return salted_hmac(_SALT, f"{user.password}|{user.email}", algorithm="sha256").hexdigest()[:24]


def verification_token(user: User, email: str | None = None) -> str:
    """A link's token: for the account's own address (sign-up), or for `email`, an address being added to an
    account that has none (made with a mobile number): that address counts only once the link confirms it."""
    data: dict[str, Any] = {"u": user.pk, "b": _binding(user)}
    if email:
        data["e"] = email
    return signing.dumps(data, salt=_SALT, compress=True)


def verification_link(user: User, email: str | None = None) -> str:
    path = reverse("identity:verify_email", kwargs={"token": verification_token(user, email)})
    return settings.BORIKAN_PUBLIC_BASE_URL.rstrip("/") + path


def _link_refused() -> ApplicationError:
    return ApplicationError(
        "verification_link_invalid",
        "ลิงก์ยืนยันอีเมลไม่ถูกต้องหรือหมดอายุ กรุณาลงทะเบียนหรือเข้าสู่ระบบอีกครั้งเพื่อรับลิงก์ใหม่",
        "The verification link is invalid or has expired; sign up or sign in again to get a new one",
        status=400,
    )


def _token_data(token: str) -> dict[str, Any]:
    try:
        data: dict[str, Any] = signing.loads(token, salt=_SALT, max_age=LINK_MAX_AGE_SECONDS)
    except signing.BadSignature:
        raise _link_refused() from None
    return data


def user_for_token(token: str) -> User:
    """The unverified account a link is for, if the link is genuine, fresh and its password unchanged (and, for
    an added address, the account's address unchanged: a link dies once any address is confirmed)."""
    data = _token_data(token)
    user = User.objects.filter(pk=data.get("u"), is_active=True).first()
    if user is None or not hmac.compare_digest(str(data.get("b", "")), _binding(user)):
        raise _link_refused()
    return user


def address_for_token(token: str) -> str:
    """The address a genuine link confirms: the one being added, or the account's own."""
    data = _token_data(token)
    return str(data.get("e") or user_for_token(token).email or "")


@transaction.atomic
def email_verify(*, token: str, password: str) -> User:
    """Confirm the address with the link and the password chosen at sign-up (or the account's password, for an
    address added to an account made with a mobile number)."""
    user = user_for_token(token)
    added = str(_token_data(token).get("e") or "")
    if user.email_verified_at is not None:
        return user
    if not user.check_password(password or ""):
        audit_record(actor=None, action="auth.email_verify_failed", object_type="user", object_id=user.pk)
        raise ApplicationError(
            "invalid_credentials",
            "รหัสผ่านไม่ตรงกับที่ตั้งไว้ตอนลงทะเบียน",
            "The password is not the one chosen at sign-up",
            field="password",
            status=401,
        )
    if added:
        return _email_add_confirm(user, added)
    user.email_verified_at = timezone.now()
    user.save(update_fields=["email_verified_at"])
    audit_record(
        actor=user, action="auth.email_verified", object_type="user", object_id=user.pk, subject_user_id=user.pk
    )
    return user


def address_taken() -> ApplicationError:
    return ApplicationError(
        "email_taken",
        "อีเมลนี้เป็นของบัญชีอื่นแล้ว จึงเพิ่มให้บัญชีนี้ไม่ได้ กรุณาเข้าสู่ระบบด้วยบัญชีนั้น หรือใช้อีเมลอื่น",
        "This address already belongs to another account, so it cannot be added to this one: sign in with that "
        "account, or use another address",
        field="email",
        status=409,
    )


def _email_add_confirm(user: User, email: str) -> User:
    """The link for an added address was opened by the mailbox's owner with the account's password: the address is
    the account's now, unless another account confirmed it meanwhile. An unconfirmed sign-up holding it owns nothing
    and is replaced, as a new sign-up would replace it (services.release_unverified_address)."""
    from .services import release_unverified_address

    holder = User.objects.select_for_update().filter(email=email).exclude(pk=user.pk).first()
    if holder is not None and not release_unverified_address(holder):
        audit_record(
            actor=user, action="auth.email_add_refused", object_type="user", object_id=user.pk,
            subject_user_id=user.pk, data={"code": "email_taken"},
        )  # fmt: skip
        raise address_taken()
    user.email = email
    user.email_verified_at = timezone.now()
    try:
        with transaction.atomic():
            user.save(update_fields=["email", "email_verified_at"])
    except IntegrityError:  # a sign-up took the address between our check and our write
        raise address_taken() from None
    audit_record(actor=user, action="auth.email_added", object_type="user", object_id=user.pk, subject_user_id=user.pk)
    return user


def send_link_after_commit(user: User) -> None:
    from .tasks import send_verification_link

    user_id = user.pk
    transaction.on_commit(lambda: send_verification_link.enqueue(user_id))


def send_email_add_link_after_commit(user: User, email: str) -> None:
    from .tasks import send_email_add_link

    user_id = user.pk
    transaction.on_commit(lambda: send_email_add_link.enqueue(user_id, email))


def send_email_add_notice_after_commit(holder: User) -> None:
    from .tasks import send_email_add_notice

    holder_id = holder.pk
    transaction.on_commit(lambda: send_email_add_notice.enqueue(holder_id))


def send_notice_after_commit(user: User) -> None:
    from .tasks import send_sign_up_notice

    user_id = user.pk
    transaction.on_commit(lambda: send_sign_up_notice.enqueue(user_id))


class EmailNotVerified(ApplicationError):
    status = 403

    def __init__(self) -> None:
        super().__init__(
            "email_not_verified",
            "ยังไม่ได้ยืนยันอีเมล เราส่งลิงก์ยืนยันไปที่อีเมลของท่านแล้ว กรุณาเปิดลิงก์นั้นก่อนเข้าสู่ระบบ",
            "The e-mail address is not confirmed yet; we sent the link to your mailbox: open it before signing in",
        )
