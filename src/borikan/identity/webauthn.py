"""Passkeys (WebAuthn): registration, passwordless login and step-up, verified by python-fido2.

Every ceremony has two halves. *begin* makes the options the browser passes to `navigator.credentials`
(the WebAuthn JSON encoding) and a server-side state holding the challenge; *complete* checks the browser's
answer against that state and the stored credential. The state never goes to the client: pages keep it in
the session (`session_challenge_*`), the API in the cache under a random one-time ticket (`ticket_*`) that
expires after five minutes and is deleted when used, so a challenge can be answered once.

Rules:
- user verification (a PIN or biometric on the device) is required: an assertion without the UV flag is refused,
  which is what makes a passkey alone worth AAL 2.2 (identity/authn.py);
- the relying-party ID and the accepted origins come from settings (`BORIKAN_WEBAUTHN_RP_ID`,
  `BORIKAN_WEBAUTHN_ORIGINS`); an answer made for another origin or RP ID is refused;
- the signature counter must grow when the authenticator keeps one; a counter that does not (a cloned key) is
  refused, audited and nothing is updated. Authenticators that always report 0 (synced passkeys) are accepted;
- registering a passkey on an account that already has a second factor (a confirmed TOTP app or another passkey)
  needs the session at AAL 2; the first passkey can be added at AAL 1. Removing a passkey needs AAL 2;
- failed passkey logins and step-ups are counted per client address (rate limit as in identity/throttle.py);
- every success and failure is audited ("auth.passkey_*").
Refusals are `PasskeyRefused` errors with a code naming the reason (see `REASONS`).
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from enum import StrEnum
from typing import Any

from cryptography.hazmat.primitives import constant_time
from django.conf import settings
from django.core.cache import cache
from django.db import IntegrityError, transaction
from django.http import HttpRequest
from django.urls import NoReverseMatch, reverse
from django.utils import timezone
from fido2.server import Fido2Server
from fido2.utils import websafe_decode, websafe_encode
from fido2.webauthn import (
    AttestationConveyancePreference,
    AttestedCredentialData,
    AuthenticationResponse,
    AuthenticatorData,
    CollectedClientData,
    PublicKeyCredentialDescriptor,
    PublicKeyCredentialRpEntity,
    PublicKeyCredentialType,
    PublicKeyCredentialUserEntity,
    RegistrationResponse,
    ResidentKeyRequirement,
    UserVerificationRequirement,
)

from borikan.audit.services import audit_record
from borikan.core.errors import ApplicationError, NotFound

from . import authn
from .authn import AAL1, Method, assurance_of
from .models import TotpDevice, User, WebAuthnCredential
from .throttle import Limit, TooManyAttempts, _count, _hit, client_address

RP_NAME = "borikan"
CHALLENGE_TTL_SECONDS = 5 * 60
SESSION_KEY = "borikan_webauthn"
TICKET_CACHE_PREFIX = "webauthn:ticket:"
SECOND_FACTOR_AAL = Decimal("2")
NAME_MAX_LENGTH = 100

# Failed passkey authentications (login and step-up) per client address, and ceremonies begun per address
# (each one keeps a challenge in the cache or session for five minutes).
FAILURES_PER_ADDRESS = Limit("passkey-failures-address", 20, 15 * 60)
BEGINS_PER_ADDRESS = Limit("passkey-begins-address", 60, 5 * 60)


class Purpose(StrEnum):
    REGISTER = "register"
    LOGIN = "login"
    STEP_UP = "step_up"


# code → (HTTP status, Thai, English)
REASONS: dict[str, tuple[int, str, str]] = {
    "passkey_challenge_invalid": (
        400,
        "คำขอยืนยันด้วยพาสคีย์หมดอายุหรือถูกใช้ไปแล้ว กรุณาเริ่มใหม่",
        "This passkey request has expired or was already used; please start again",
    ),
    "passkey_malformed": (422, "ข้อมูลพาสคีย์ไม่ถูกต้อง", "The passkey response is malformed"),
    "passkey_wrong_origin": (
        400,
        "พาสคีย์ถูกใช้จากเว็บไซต์อื่น",
        "The passkey response was made for another website (origin)",
    ),
    "passkey_wrong_rp_id": (
        400,
        "พาสคีย์นี้เป็นของเว็บไซต์อื่น",
        "The passkey response was made for another relying party (RP ID)",
    ),
    "passkey_challenge_mismatch": (
        400,
        "พาสคีย์ตอบคำขออื่น กรุณาเริ่มใหม่",
        "The passkey answered another request; please start again",
    ),
    "passkey_user_not_verified": (
        400,
        "ต้องยืนยันตัวผู้ใช้บนอุปกรณ์ (PIN หรือลายนิ้วมือ) เมื่อใช้พาสคีย์",
        "The device must verify you (PIN or biometrics) when the passkey is used",
    ),
    "passkey_unknown": (401, "ไม่รู้จักพาสคีย์นี้", "This passkey is not known here"),
    "passkey_invalid": (401, "พาสคีย์ตรวจสอบไม่ผ่าน", "The passkey could not be verified"),
    "passkey_counter_stale": (
        401,
        "ตัวนับของพาสคีย์ไม่เพิ่มขึ้น อาจมีการคัดลอกอุปกรณ์ กรุณาติดต่อเจ้าหน้าที่",
        "The passkey's signature counter did not increase (a copied authenticator?); please contact support",
    ),
    "passkey_already_registered": (409, "ลงทะเบียนพาสคีย์นี้แล้ว", "This passkey is already registered"),
}


class PasskeyRefused(ApplicationError):
    def __init__(self, code: str) -> None:
        status, message_th, message_en = REASONS[code]
        super().__init__(code, message_th, message_en, status=status)


class StepUpRequired(ApplicationError):
    """The session must be at AAL 2 first; details name where to get there."""

    status = 403

    def __init__(self, *, operation_th: str, operation_en: str, current: Decimal) -> None:
        super().__init__(
            "step_up_required",
            f"การ{operation_th}ต้องเข้าสู่ระบบด้วยปัจจัยที่สอง (AAL 2) ก่อน",
            f"To {operation_en} you need to confirm with a second factor (AAL 2) first",
            details={
                "required_aal": str(SECOND_FACTOR_AAL),
                "current_aal": str(current),
                "fix": {"aal": step_up_url()},
            },
        )


def step_up_url() -> str:
    try:
        return reverse("identity:step_up") + f"?aal={SECOND_FACTOR_AAL}"
    except NoReverseMatch:  # the general step-up page is not wired yet
        return f"/account/step-up/?aal={SECOND_FACTOR_AAL}"


# --- the relying party --------------------------------------------------------------------------------------


def allowed_origins() -> frozenset[str]:
    return frozenset(origin.rstrip("/") for origin in settings.BORIKAN_WEBAUTHN_ORIGINS)


def server() -> Fido2Server:
    origins = allowed_origins()
    return Fido2Server(
        PublicKeyCredentialRpEntity(id=settings.BORIKAN_WEBAUTHN_RP_ID, name=RP_NAME),
        attestation=AttestationConveyancePreference.NONE,
        verify_origin=lambda origin: origin in origins,
    )


def account_label(user: Any) -> str:
    """What the person signs in with, for the authenticator's account list (WebAuthn user.name must not be empty:
    an account made with a mobile number has no e-mail address)."""
    return user.email or user.mobile or user.phone or f"borikan-{user.pk}"


def user_handle(user: User) -> bytes:
    """The WebAuthn user handle: the account's number, nothing personal."""
    return str(user.pk).encode()


def _plain_state(state: Mapping[str, Any]) -> dict[str, Any]:
    """fido2's state with its enum turned into a plain string, so it can sit in a session or the cache."""
    uv = state.get("user_verification")
    return {"challenge": state["challenge"], "user_verification": str(uv.value if uv is not None else "")}


# --- the pending challenge: where it is kept ------------------------------------------------------------------


@dataclass
class Challenge:
    """What `complete` needs from `begin`: fido2's state (the challenge), the purpose, whom it was made for."""

    purpose: str
    state: dict[str, Any]
    user_id: int | None = None
    token_id: int | None = None
    at: int = field(default_factory=lambda: int(time.time()))

    def as_dict(self) -> dict[str, Any]:
        return {
            "purpose": self.purpose,
            "state": self.state,
            "user_id": self.user_id,
            "token_id": self.token_id,
            "at": self.at,
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Challenge:
        return cls(
            purpose=data["purpose"],
            state=dict(data["state"]),
            user_id=data.get("user_id"),
            token_id=data.get("token_id"),
            at=int(data["at"]),
        )

    @property
    def expired(self) -> bool:
        return time.time() - self.at > CHALLENGE_TTL_SECONDS


def session_challenge_keep(request: HttpRequest, challenge: Challenge) -> None:
    """Pages: one pending challenge per purpose in the session; a new begin replaces the old one."""
    pending = dict(request.session.get(SESSION_KEY) or {})
    pending[challenge.purpose] = challenge.as_dict()
    request.session[SESSION_KEY] = pending


def session_challenge_take(request: HttpRequest, purpose: Purpose) -> Challenge:
    """Pages: remove and return the pending challenge; refused if there is none or it is older than 5 minutes."""
    pending = dict(request.session.get(SESSION_KEY) or {})
    found = pending.pop(str(purpose), None)
    request.session[SESSION_KEY] = pending
    if found is None:
        raise PasskeyRefused("passkey_challenge_invalid")
    challenge = Challenge.from_dict(found)
    if challenge.expired:
        raise PasskeyRefused("passkey_challenge_invalid")
    return challenge


def _ticket_key(ticket: str) -> str:
    return TICKET_CACHE_PREFIX + hashlib.sha256(ticket.encode()).hexdigest()


def ticket_issue(challenge: Challenge) -> str:
    """API: keep the challenge in the shared cache under a random ticket, for 5 minutes."""
    ticket = secrets.token_urlsafe(32)
    cache.set(_ticket_key(ticket), challenge.as_dict(), timeout=CHALLENGE_TTL_SECONDS)
    return ticket


def ticket_take(ticket: str, purpose: Purpose) -> Challenge:
    """API: redeem a ticket once. Only the caller whose delete removed the entry gets it, so two requests racing
    with the same ticket cannot both use it."""
    key = _ticket_key(ticket or "")
    found = cache.get(key)
    if found is None or not cache.delete(key):
        raise PasskeyRefused("passkey_challenge_invalid")
    challenge = Challenge.from_dict(found)
    if challenge.purpose != purpose or challenge.expired:
        raise PasskeyRefused("passkey_challenge_invalid")
    return challenge


# --- audit and rate limits ---------------------------------------------------------------------------------------


def _audit_failure(*, purpose: str, code: str, channel: str, user: User | None = None, **data: Any) -> None:
    audit_record(
        actor=user,
        action="auth.passkey_failed",
        object_type="user",
        object_id=user.pk if user is not None else "",
        subject_user_id=user.pk if user is not None else None,
        data={"purpose": purpose, "reason": code, "channel": channel, **data},
    )


def check_begin_allowed(*, address: str) -> None:
    if _hit(BEGINS_PER_ADDRESS, address) > BEGINS_PER_ADDRESS.attempts:
        audit_record(actor=None, action="auth.passkey_throttled", object_type="user", object_id="")
        raise TooManyAttempts(BEGINS_PER_ADDRESS.window_seconds)


def _check_failures_allowed(*, address: str, purpose: str, channel: str) -> None:
    if _count(FAILURES_PER_ADDRESS, address) >= FAILURES_PER_ADDRESS.attempts:
        audit_record(
            actor=None,
            action="auth.passkey_throttled",
            object_type="user",
            object_id="",
            data={"purpose": purpose, "channel": channel},
        )
        raise TooManyAttempts(FAILURES_PER_ADDRESS.window_seconds)


# --- which accounts may do what --------------------------------------------------------------------------------


def has_second_factor(user: User) -> bool:
    """A confirmed authenticator app or a passkey."""
    return (
        WebAuthnCredential.objects.filter(user=user).exists()
        or TotpDevice.objects.filter(user=user, confirmed_at__isnull=False).exists()
    )


def _refuse_assurance(user: User, *, operation: str, current: Decimal, channel: str) -> None:
    labels = {"register": ("เพิ่มพาสคีย์", "add a passkey"), "remove": ("ลบพาสคีย์", "remove a passkey")}
    error = StepUpRequired(operation_th=labels[operation][0], operation_en=labels[operation][1], current=current)
    audit_record(
        actor=user,
        action="auth.passkey_refused",
        object_type="user",
        object_id=user.pk,
        subject_user_id=user.pk,
        data={"operation": operation, "reason": error.code, "current_aal": str(current), "channel": channel},
    )
    raise error


def require_may_register(user: User, *, channel: str) -> None:
    """The first passkey of an account needs AAL 1; with a second factor already there, AAL 2 (otherwise whoever
    holds only the password could add their own passkey and pass as the owner at AAL 2.2)."""
    current = assurance_of(user).aal
    needed = SECOND_FACTOR_AAL if has_second_factor(user) else AAL1
    if current < needed:
        _refuse_assurance(user, operation="register", current=current, channel=channel)


# --- registration ------------------------------------------------------------------------------------------------


def _descriptors(credentials: list[WebAuthnCredential]) -> list[PublicKeyCredentialDescriptor]:
    return [
        PublicKeyCredentialDescriptor(type=PublicKeyCredentialType.PUBLIC_KEY, id=websafe_decode(cred.credential_id))
        for cred in credentials
    ]


def registration_begin(*, user: User, channel: str) -> tuple[dict[str, Any], Challenge]:
    """Options for `navigator.credentials.create` (the publicKey member, WebAuthn JSON) and the challenge to keep."""
    require_may_register(user, channel=channel)
    existing = list(WebAuthnCredential.objects.filter(user=user))
    options, state = server().register_begin(
        PublicKeyCredentialUserEntity(
            id=user_handle(user), name=account_label(user), display_name=user.full_name or account_label(user)
        ),
        credentials=_descriptors(existing),
        resident_key_requirement=ResidentKeyRequirement.PREFERRED,
        user_verification=UserVerificationRequirement.REQUIRED,
    )
    return dict(options)["publicKey"], Challenge(purpose=Purpose.REGISTER, state=_plain_state(state), user_id=user.pk)


def _classify(
    client_data: CollectedClientData, auth_data: AuthenticatorData, challenge: Challenge, expected_type: str
) -> str | None:
    """Name the first thing wrong with an answer, so a refusal says why. fido2 then verifies everything again,
    the signature included; these checks only choose the code."""
    if client_data.type != expected_type:
        return "passkey_invalid"
    if client_data.origin not in allowed_origins():
        return "passkey_wrong_origin"
    if not constant_time.bytes_eq(websafe_decode(challenge.state["challenge"]), client_data.challenge):
        return "passkey_challenge_mismatch"
    if not constant_time.bytes_eq(server().rp.id_hash or b"", auth_data.rp_id_hash):
        return "passkey_wrong_rp_id"
    if not auth_data.is_user_present():
        return "passkey_invalid"
    if not auth_data.is_user_verified():
        return "passkey_user_not_verified"
    return None


def _default_name(user: User) -> str:
    return f"Passkey {WebAuthnCredential.objects.filter(user=user).count() + 1}"


def registration_complete(
    *, user: User, challenge: Challenge, response: Any, name: str = "", channel: str
) -> WebAuthnCredential:
    """Check the browser's answer to `registration_begin` and store the new credential."""

    def refuse(code: str, **data: Any) -> PasskeyRefused:
        _audit_failure(purpose=Purpose.REGISTER, code=code, channel=channel, user=user, **data)
        return PasskeyRefused(code)

    if challenge.purpose != Purpose.REGISTER or challenge.user_id != user.pk:
        raise refuse("passkey_challenge_invalid")
    require_may_register(user, channel=channel)  # the session may have lapsed since begin
    try:
        if not isinstance(response, Mapping):
            raise TypeError("not an object")
        registration = RegistrationResponse.from_dict(response)
        attestation = registration.response.attestation_object
    except (ValueError, TypeError, KeyError, AttributeError):
        raise refuse("passkey_malformed") from None
    reason = _classify(
        registration.response.client_data, attestation.auth_data, challenge, CollectedClientData.TYPE.CREATE
    )
    if reason is not None:
        raise refuse(reason)
    try:
        auth_data = server().register_complete(challenge.state, registration)
    except ValueError:
        raise refuse("passkey_invalid") from None
    credential_data = auth_data.credential_data
    if credential_data is None:
        raise refuse("passkey_malformed")
    credential_id = websafe_encode(credential_data.credential_id)
    if WebAuthnCredential.objects.filter(credential_id=credential_id).exists():
        raise refuse("passkey_already_registered")
    try:
        with transaction.atomic():
            credential = WebAuthnCredential.objects.create(
                user=user,
                credential_id=credential_id,
                credential_data=bytes(credential_data),
                sign_count=auth_data.counter,
                name=(name or "").strip()[:NAME_MAX_LENGTH] or _default_name(user),
                backup_eligible=auth_data.is_backup_eligible(),
            )
            audit_record(
                actor=user,
                action="auth.passkey_registered",
                object_type="webauthn_credential",
                object_id=credential.pk,
                subject_user_id=user.pk,
                data={
                    "name": credential.name,
                    "backup_eligible": credential.backup_eligible,
                    "aaguid": str(credential_data.aaguid),
                    "channel": channel,
                },
            )
    except IntegrityError:  # registered by a concurrent request
        raise refuse("passkey_already_registered") from None
    return credential


# --- authentication (login and step-up) -------------------------------------------------------------------------


def _decoy_descriptor(email: str) -> PublicKeyCredentialDescriptor:
    """For an address without passkeys: a credential ID that looks real and is the same on every try, so the
    answer does not tell whether the account exists."""
    digest = hmac.new(settings.SECRET_KEY.encode(), f"webauthn-decoy:{email}".encode(), hashlib.sha256).digest()
    return PublicKeyCredentialDescriptor(type=PublicKeyCredentialType.PUBLIC_KEY, id=digest)


def authentication_begin(
    *, purpose: Purpose, user: User | None = None, email: str = "", token_id: int | None = None
) -> tuple[dict[str, Any], Challenge]:
    """Options for `navigator.credentials.get` and the challenge to keep.

    Step-up (`user` given): the person's own passkeys. Login by e-mail: that account's passkeys. Login without
    e-mail: no list, the browser offers the discoverable passkeys it holds for this site."""
    descriptors: list[PublicKeyCredentialDescriptor] | None = None
    if user is not None:
        descriptors = _descriptors(list(WebAuthnCredential.objects.filter(user=user)))
    elif email:
        email = email.strip().lower()
        owned = list(WebAuthnCredential.objects.filter(user__email=email, user__is_active=True))
        descriptors = _descriptors(owned) if owned else [_decoy_descriptor(email)]
    options, state = server().authenticate_begin(
        credentials=descriptors, user_verification=UserVerificationRequirement.REQUIRED
    )
    challenge = Challenge(
        purpose=purpose, state=_plain_state(state), user_id=user.pk if user else None, token_id=token_id
    )
    return dict(options)["publicKey"], challenge


def authentication_complete(
    *, challenge: Challenge, response: Any, address: str, channel: str, user: User | None = None
) -> WebAuthnCredential:
    """Check an assertion. Login (`user` None): any active account's passkey. Step-up: the passkey must be
    `user`'s. Returns the credential, its counter and last use updated; the caller signs in or steps up."""
    purpose = challenge.purpose
    _check_failures_allowed(address=address, purpose=purpose, channel=channel)

    def refuse(code: str, credential: WebAuthnCredential | None = None) -> PasskeyRefused:
        _hit(FAILURES_PER_ADDRESS, address)
        owner = user or (credential.user if credential is not None else None)
        extra = {"credential": credential.pk} if credential is not None else {}
        _audit_failure(purpose=purpose, code=code, channel=channel, user=owner, **extra)
        return PasskeyRefused(code)

    if user is not None and challenge.user_id != user.pk:
        raise refuse("passkey_challenge_invalid")
    try:
        if not isinstance(response, Mapping):
            raise TypeError("not an object")
        assertion = AuthenticationResponse.from_dict(response)
        client_data = assertion.response.client_data
        auth_data = assertion.response.authenticator_data
    except (ValueError, TypeError, KeyError, AttributeError):
        raise refuse("passkey_malformed") from None

    credential = (
        WebAuthnCredential.objects.select_related("user").filter(credential_id=websafe_encode(assertion.raw_id)).first()
    )
    known = credential is not None and credential.user.is_active and (user is None or credential.user_id == user.pk)
    reason = _classify(client_data, auth_data, challenge, CollectedClientData.TYPE.GET)
    if reason is not None:
        raise refuse(reason, credential if known else None)
    if not known:
        raise refuse("passkey_unknown")
    handle = assertion.response.user_handle
    if handle is not None and not constant_time.bytes_eq(handle, user_handle(credential.user)):
        raise refuse("passkey_invalid", credential)
    try:
        server().authenticate_complete(challenge.state, [AttestedCredentialData(credential.credential_data)], assertion)
    except ValueError:
        raise refuse("passkey_invalid", credential) from None

    counter = auth_data.counter
    with transaction.atomic():
        locked = WebAuthnCredential.objects.select_for_update().get(pk=credential.pk)
        stale = (counter != 0 or locked.sign_count != 0) and counter <= locked.sign_count
        if not stale:
            locked.sign_count = counter
            locked.last_used_at = timezone.now()
            locked.save(update_fields=["sign_count", "last_used_at"])
            audit_record(
                actor=locked.user,
                action="auth.passkey_login" if purpose == Purpose.LOGIN else "auth.passkey_step_up",
                object_type="webauthn_credential",
                object_id=locked.pk,
                subject_user_id=locked.user_id,
                data={"channel": channel, "backup_eligible": locked.backup_eligible},
            )
    if stale:
        _hit(FAILURES_PER_ADDRESS, address)
        audit_record(
            actor=credential.user,
            action="auth.passkey_failed",
            object_type="webauthn_credential",
            object_id=credential.pk,
            subject_user_id=credential.user_id,
            data={
                "purpose": purpose,
                "reason": "passkey_counter_stale",
                "channel": channel,
                "stored_count": locked.sign_count,
                "presented_count": counter,
            },
        )
        raise PasskeyRefused("passkey_counter_stale")
    locked.user = credential.user
    return locked


# --- the ceremonies as pages and the API run them --------------------------------------------------------------
# Pages keep the challenge in the session; the API under a ticket. A challenge that is missing, expired or
# already used is refused like any other failure: audited, and for logins counted against the address.


def _take(
    request: HttpRequest, purpose: Purpose, *, ticket: str | None, channel: str, user: User | None = None
) -> Challenge:
    address = client_address(request)
    if purpose != Purpose.REGISTER:
        _check_failures_allowed(address=address, purpose=purpose, channel=channel)
    try:
        return ticket_take(ticket or "", purpose) if channel == "api" else session_challenge_take(request, purpose)
    except PasskeyRefused as error:
        if purpose != Purpose.REGISTER:
            _hit(FAILURES_PER_ADDRESS, address)
        _audit_failure(purpose=purpose, code=error.code, channel=channel, user=user)
        raise


def _keep(request: HttpRequest, challenge: Challenge, *, channel: str) -> str | None:
    if channel == "api":
        return ticket_issue(challenge)
    session_challenge_keep(request, challenge)
    return None


def register_begin(request: HttpRequest, *, channel: str) -> tuple[dict[str, Any], str | None]:
    """Returns the creation options (WebAuthn JSON) and, for the API, the ticket."""
    check_begin_allowed(address=client_address(request))
    options, challenge = registration_begin(user=request.user, channel=channel)
    return options, _keep(request, challenge, channel=channel)


def register_complete(
    request: HttpRequest, response: Any, *, name: str = "", ticket: str | None = None, channel: str
) -> WebAuthnCredential:
    challenge = _take(request, Purpose.REGISTER, ticket=ticket, channel=channel, user=request.user)
    return registration_complete(user=request.user, challenge=challenge, response=response, name=name, channel=channel)


def login_begin(request: HttpRequest, *, email: str = "", channel: str) -> tuple[dict[str, Any], str | None]:
    check_begin_allowed(address=client_address(request))
    options, challenge = authentication_begin(purpose=Purpose.LOGIN, email=email)
    return options, _keep(request, challenge, channel=channel)


def login_complete(
    request: HttpRequest, response: Any, *, ticket: str | None = None, channel: str
) -> tuple[User, str | None, Any]:
    """Passwordless login. Pages: the session is signed in (a new key). API: a bearer token is issued.
    Returns (user, token key or None, token or None)."""
    challenge = _take(request, Purpose.LOGIN, ticket=ticket, channel=channel)
    credential = authentication_complete(
        challenge=challenge, response=response, address=client_address(request), channel=channel
    )
    user = credential.user
    if channel == "api":
        from .services import api_token_issue

        key, token = api_token_issue(user=user, method=Method.PASSKEY)
        return user, key, token
    authn.session_log_in(request, user, Method.PASSKEY)
    return user, None, None


def step_up_begin(request: HttpRequest, *, channel: str) -> tuple[dict[str, Any], str | None]:
    check_begin_allowed(address=client_address(request))
    token = getattr(request, "api_token", None)
    options, challenge = authentication_begin(
        purpose=Purpose.STEP_UP, user=request.user, token_id=token.pk if token is not None else None
    )
    return options, _keep(request, challenge, channel=channel)


def step_up_complete(request: HttpRequest, response: Any, *, ticket: str | None = None, channel: str) -> Decimal:
    """Add a passkey use to the signed-in session or the API token; returns the new AAL. A ticket begun with one
    API token cannot be completed with another (nor with the browser session)."""
    user = request.user
    token = getattr(request, "api_token", None)
    challenge = _take(request, Purpose.STEP_UP, ticket=ticket, channel=channel, user=user)
    if challenge.token_id != (token.pk if token is not None else None):
        _hit(FAILURES_PER_ADDRESS, client_address(request))
        _audit_failure(purpose=Purpose.STEP_UP, code="passkey_challenge_invalid", channel=channel, user=user)
        raise PasskeyRefused("passkey_challenge_invalid")
    authentication_complete(
        challenge=challenge, response=response, address=client_address(request), channel=channel, user=user
    )
    if token is not None:
        return authn.token_step_up(token, Method.PASSKEY)
    return authn.session_step_up(request, Method.PASSKEY)


# --- managing passkeys -------------------------------------------------------------------------------------------


def passkeys_of(user: User) -> list[WebAuthnCredential]:
    return list(WebAuthnCredential.objects.filter(user=user).order_by("created_at", "pk"))


def passkey_remove(*, actor: User, credential_pk: int, channel: str) -> None:
    """Remove one of the actor's passkeys; needs AAL 2. Another person's passkey is "not found"."""
    if not WebAuthnCredential.objects.filter(pk=credential_pk, user=actor).exists():
        raise NotFound("passkey", "พาสคีย์")
    current = assurance_of(actor).aal
    if current < SECOND_FACTOR_AAL:
        _refuse_assurance(actor, operation="remove", current=current, channel=channel)
    with transaction.atomic():
        credential = WebAuthnCredential.objects.select_for_update().filter(pk=credential_pk, user=actor).first()
        if credential is None:  # removed meanwhile
            raise NotFound("passkey", "พาสคีย์")
        credential.delete()
        audit_record(
            actor=actor,
            action="auth.passkey_removed",
            object_type="webauthn_credential",
            object_id=credential_pk,
            subject_user_id=actor.pk,
            data={"name": credential.name, "channel": channel},
        )
