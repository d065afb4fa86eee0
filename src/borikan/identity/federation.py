"""Signing in through external OpenID Connect providers (the ThaiD / NDID pattern). See ADR 0011.

The flow is the authorization-code flow with PKCE (S256), `state` and `nonce`, for a confidential client:
1. `login_begin` keeps a fresh state, nonce and PKCE verifier in the session and sends the browser to the
   provider's authorization endpoint (found by discovery).
2. `login_complete` takes the callback: finds the pending login by its state (once only), exchanges the code
   at the token endpoint, validates the ID token (signature against the provider's JWKS with an allow-list of
   asymmetric algorithms, iss, aud, azp, exp, iat, nonce), reads the user-info endpoint, maps `acr` (and a
   ThaiD-style `ial` claim) to IAL/AAL under the provider's configured maximum, then finds, links or creates
   the account and signs the person in.

Account linking never trusts the provider's e-mail or citizen ID to take over an existing account: a new
subject whose e-mail or citizen ID already belongs to an account is refused, and the person links the
provider from a session signed in with their existing method.

Providers come from `settings.BORIKAN_OIDC_PROVIDERS`, a list of dicts:
    {"slug", "name_th", "name_en", "issuer", "client_id", "client_secret",
     "scopes": ["openid", "email", "profile", "pid"], "acr_values": [requested acr, optional],
     "acr_map": {acr: {"ial": "2.3", "aal": "2.2"}}, "max_ial": "2.3", "max_aal": "2.2",
     "proofing_validity_days": 365, "algorithms": ["RS256", ...] (optional allow-list)}
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import re
import secrets
import time
import urllib.parse
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal, InvalidOperation
from typing import Any

import httpx
from django.conf import settings
from django.core.cache import cache as django_cache
from django.core.exceptions import ImproperlyConfigured
from django.db import IntegrityError, transaction
from django.http import HttpRequest
from django.urls import reverse
from django.utils import timezone
from joserfc import jwt
from joserfc.errors import JoseError
from joserfc.jwk import KeySet
from joserfc.jws import extract_compact

from borikan.audit.services import audit_record
from borikan.core.errors import ApplicationError
from borikan.core.hygiene import FORBIDDEN, strip_invisible
from borikan.core.thaiid import is_valid_thai_id

from . import authn
from .models import CITIZEN_ID_PURPOSE, FederatedIdentity, ProofingMethod, ProofingRecord, User
from .pii import lookup_hash

PENDING_KEY = "borikan_federation_pending"
PENDING_MAX = 5  # logins started in other tabs that may still come back
PENDING_LIFETIME = 10 * 60  # seconds between leaving for the provider and coming back
CLOCK_SKEW = 60  # seconds of clock difference tolerated on exp / iat / nbf
ID_TOKEN_MAX_AGE = 10 * 60  # an ID token issued longer ago than this is not accepted
METADATA_CACHE_SECONDS = 3600
HTTP_TIMEOUT = 10.0

IAL_LEVELS = frozenset(Decimal(level) for level in ("1.1", "1.2", "1.3", "2.1", "2.2", "2.3", "3"))
AAL_LEVELS = frozenset(Decimal(level) for level in ("1", "2.1", "2.2", "3"))
BASE_IAL = Decimal("1.1")  # what any account has without proofing; no record is written for it
BASE_AAL = Decimal("1")  # an acr the configuration does not know counts as one factor
# Asymmetric signatures only: "none" and HS* (a shared secret, open to key-confusion with a public key) never.
SAFE_ALGORITHMS = ("RS256", "RS384", "RS512", "PS256", "PS384", "PS512", "ES256", "ES384", "ES512", "EdDSA")
KEY_TYPE_OF_ALG = {"RS": "RSA", "PS": "RSA", "ES": "EC", "Ed": "OKP"}
_SLUG = re.compile(r"^[a-z0-9][a-z0-9-]{0,49}$")
_ERROR_CODE = re.compile(r"^[a-z_]{1,64}$")


# --- errors ------------------------------------------------------------------------------------------------

_MESSAGES: dict[str, tuple[int, str, str]] = {
    "unknown_provider": (404, "ไม่รู้จักผู้ให้บริการยืนยันตัวตนนี้", "This identity provider is not known"),
    "provider_unavailable": (
        502,
        "ติดต่อผู้ให้บริการยืนยันตัวตนไม่ได้ในขณะนี้ กรุณาลองใหม่ภายหลัง",
        "The identity provider cannot be reached right now; please try again later",
    ),
    "provider_misconfigured": (
        502,
        "ข้อมูลของผู้ให้บริการยืนยันตัวตนไม่ตรงกับที่ตั้งค่าไว้ กรุณาติดต่อผู้ดูแลระบบ",
        "The identity provider's metadata does not match our configuration; please contact the administrators",
    ),
    "state_mismatch": (
        400,
        "คำตอบจากผู้ให้บริการไม่ตรงกับการเข้าสู่ระบบที่เริ่มไว้ กรุณาเริ่มใหม่",
        "The provider's answer does not match a sign-in started here; please start again",
    ),
    "login_expired": (
        400,
        "การเข้าสู่ระบบใช้เวลานานเกินไป กรุณาเริ่มใหม่",
        "The sign-in took too long; please start again",
    ),
    "access_denied": (
        403,
        "การเข้าสู่ระบบถูกยกเลิกที่ผู้ให้บริการยืนยันตัวตน",
        "The sign-in was cancelled at the identity provider",
    ),
    "provider_error": (
        502,
        "ผู้ให้บริการยืนยันตัวตนแจ้งข้อผิดพลาด กรุณาลองใหม่",
        "The identity provider reported an error; please try again",
    ),
    "issuer_mismatch": (
        400,
        "คำตอบมาจากผู้ให้บริการที่ไม่ใช่รายที่เลือกไว้",
        "The answer came from a provider other than the one chosen",
    ),
    "token_exchange_failed": (
        502,
        "ผู้ให้บริการยืนยันตัวตนไม่ยอมรับคำขอ กรุณาเริ่มใหม่",
        "The identity provider refused the code exchange; please start again",
    ),
    "id_token_invalid": (
        400,
        "ตรวจสอบลายมือชื่อของข้อมูลยืนยันตัวตนไม่ผ่าน",
        "The identity token's signature could not be verified",
    ),
    "id_token_algorithm": (
        400,
        "ข้อมูลยืนยันตัวตนใช้วิธีลงลายมือชื่อที่ไม่ยอมรับ",
        "The identity token is signed with an algorithm that is not accepted",
    ),
    "id_token_unknown_key": (
        400,
        "ข้อมูลยืนยันตัวตนลงลายมือชื่อด้วยกุญแจที่ผู้ให้บริการไม่ได้เผยแพร่",
        "The identity token is signed with a key the provider does not publish",
    ),
    "id_token_issuer": (400, "ข้อมูลยืนยันตัวตนออกโดยผู้อื่น", "The identity token was issued by someone else"),
    "id_token_audience": (
        400,
        "ข้อมูลยืนยันตัวตนนี้ไม่ได้ออกให้ระบบนี้",
        "The identity token was not issued for this service",
    ),
    "id_token_expired": (
        400,
        "ข้อมูลยืนยันตัวตนหมดอายุหรือเวลาไม่ถูกต้อง กรุณาเริ่มใหม่",
        "The identity token has expired or is not valid at this time; please start again",
    ),
    "id_token_nonce": (
        400,
        "ข้อมูลยืนยันตัวตนไม่ได้ออกให้การเข้าสู่ระบบครั้งนี้",
        "The identity token was not issued for this sign-in",
    ),
    "userinfo_mismatch": (
        400,
        "ข้อมูลผู้ใช้จากผู้ให้บริการไม่ตรงกับข้อมูลยืนยันตัวตน",
        "The provider's user information does not match the identity token",
    ),
    "email_missing": (
        403,
        "ผู้ให้บริการไม่ได้ส่งอีเมลที่ยืนยันแล้ว จึงสร้างบัญชีใหม่ไม่ได้ กรุณาสมัครสมาชิกแล้วเชื่อมบัญชีจากหน้าบัญชีของท่าน",
        "The provider gave no verified e-mail address, so no account can be created; please sign up, then link "
        "the provider from your account page",
    ),
    "invalid_pid": (
        400,
        "เลขประจำตัวประชาชนที่ผู้ให้บริการส่งมาไม่ถูกต้อง",
        "The citizen ID sent by the provider is not valid",
    ),
    "account_exists_email": (
        409,
        "มีบัญชีที่ใช้อีเมลนี้อยู่แล้ว กรุณาเข้าสู่ระบบด้วยวิธีเดิมก่อน แล้วเชื่อมผู้ให้บริการนี้จากหน้าบัญชีของท่าน",
        "An account with this e-mail address already exists; sign in with your existing method first, then link "
        "this provider from your account page",
    ),
    "account_exists_citizen_id": (
        409,
        "มีบัญชีที่ใช้เลขประจำตัวประชาชนนี้อยู่แล้ว กรุณาเข้าสู่ระบบด้วยวิธีเดิมก่อน แล้วเชื่อมผู้ให้บริการนี้จากหน้าบัญชีของท่าน",
        "An account with this citizen ID already exists; sign in with your existing method first, then link this "
        "provider from your account page",
    ),
    "subject_linked_elsewhere": (
        409,
        "บัญชีที่ผู้ให้บริการนี้เชื่อมกับบัญชีอื่นของระบบแล้ว",
        "This identity at the provider is already linked to another account",
    ),
    "provider_already_linked": (
        409,
        "บัญชีของท่านเชื่อมกับผู้ให้บริการนี้ด้วยตัวตนอื่นแล้ว",
        "Your account is already linked to a different identity at this provider",
    ),
    "citizen_id_mismatch": (
        409,
        "เลขประจำตัวประชาชนจากผู้ให้บริการไม่ตรงกับบัญชีของท่าน กรุณาติดต่อเจ้าหน้าที่",
        "The citizen ID from the provider does not match your account; please contact an officer",
    ),
    "citizen_id_in_use": (
        409,
        "เลขประจำตัวประชาชนจากผู้ให้บริการผูกกับบัญชีอื่นแล้ว กรุณาติดต่อเจ้าหน้าที่",
        "The citizen ID from the provider belongs to another account; please contact an officer",
    ),
    "link_conflict": (
        409,
        "มีการเปลี่ยนแปลงบัญชีนี้พร้อมกันจากที่อื่น กรุณาลองใหม่",
        "The account was changed by another sign-in at the same moment; please try again",
    ),
    "account_inactive": (403, "บัญชีนี้ถูกระงับการใช้งาน", "This account is disabled"),
    "link_session_changed": (
        403,
        "การเชื่อมบัญชีต้องทำจากบัญชีที่เข้าสู่ระบบอยู่ขณะเริ่ม กรุณาเริ่มใหม่",
        "Linking must finish in the session that started it; please start again",
    ),
}


class FederationError(ApplicationError):
    """A refused federated sign-in. `code` is machine-readable; the messages are for the person."""

    def __init__(self, code: str, *, details: dict | None = None) -> None:
        status, message_th, message_en = _MESSAGES[code]
        super().__init__(code, message_th, message_en, status=status, details=details)


# --- configuration -----------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Levels:
    ial: Decimal
    aal: Decimal


@dataclass(frozen=True)
class Provider:
    slug: str
    name_th: str
    name_en: str
    issuer: str
    client_id: str
    client_secret: str
    scopes: tuple[str, ...]
    acr_map: dict[str, Levels]
    max_ial: Decimal
    max_aal: Decimal
    proofing_validity_days: int
    acr_values: tuple[str, ...] = ()
    algorithms: tuple[str, ...] = SAFE_ALGORITHMS
    raw: dict = field(default_factory=dict, compare=False, repr=False)


def _level(value: Any, allowed: frozenset[Decimal], what: str) -> Decimal:
    try:
        level = Decimal(str(value))
    except InvalidOperation:
        raise ImproperlyConfigured(f"BORIKAN_OIDC_PROVIDERS: {what} {value!r} is not a level") from None
    if level not in allowed:
        raise ImproperlyConfigured(f"BORIKAN_OIDC_PROVIDERS: {what} {value!r} is not one of {sorted(allowed)}")
    return level


def _is_loopback(url: str) -> bool:
    return (urllib.parse.urlsplit(url).hostname or "") in {"127.0.0.1", "localhost", "::1"}


def _provider_from(entry: dict) -> Provider:
    slug = entry.get("slug", "")
    if not _SLUG.match(slug):
        raise ImproperlyConfigured(f"BORIKAN_OIDC_PROVIDERS: bad slug {slug!r}")
    issuer = entry.get("issuer", "")
    if not (issuer.startswith("https://") or (issuer.startswith("http://") and _is_loopback(issuer))):
        raise ImproperlyConfigured(f"BORIKAN_OIDC_PROVIDERS[{slug}]: the issuer must be an https URL")
    if not entry.get("client_id") or not entry.get("client_secret"):
        raise ImproperlyConfigured(f"BORIKAN_OIDC_PROVIDERS[{slug}]: client_id and client_secret are required")
    scopes = tuple(entry.get("scopes") or ("openid", "email", "profile"))
    if "openid" not in scopes:
        raise ImproperlyConfigured(f"BORIKAN_OIDC_PROVIDERS[{slug}]: scopes must include openid")
    algorithms = tuple(entry.get("algorithms") or SAFE_ALGORITHMS)
    unsafe = [alg for alg in algorithms if alg not in SAFE_ALGORITHMS]
    if unsafe:
        raise ImproperlyConfigured(f"BORIKAN_OIDC_PROVIDERS[{slug}]: algorithms not allowed: {unsafe}")
    acr_map = {
        str(acr): Levels(
            ial=_level(levels.get("ial", BASE_IAL), IAL_LEVELS, "ial"),
            aal=_level(levels.get("aal", BASE_AAL), AAL_LEVELS, "aal"),
        )
        for acr, levels in (entry.get("acr_map") or {}).items()
    }
    return Provider(
        slug=slug,
        name_th=entry.get("name_th") or slug,
        name_en=entry.get("name_en") or slug,
        issuer=issuer,
        client_id=entry["client_id"],
        client_secret=entry["client_secret"],
        scopes=scopes,
        acr_map=acr_map,
        max_ial=_level(entry.get("max_ial", BASE_IAL), IAL_LEVELS, "max_ial"),
        max_aal=_level(entry.get("max_aal", BASE_AAL), AAL_LEVELS, "max_aal"),
        proofing_validity_days=int(entry.get("proofing_validity_days", 365)),
        acr_values=tuple(entry.get("acr_values") or ()),
        algorithms=algorithms,
        raw=entry,
    )


def providers() -> list[Provider]:
    return [_provider_from(entry) for entry in getattr(settings, "BORIKAN_OIDC_PROVIDERS", None) or []]


def provider_get(slug: str) -> Provider:
    for provider in providers():
        if provider.slug == slug:
            return provider
    raise FederationError("unknown_provider")


def federation_providers() -> list[dict[str, str]]:
    """The providers a person can sign in with (for buttons on the login page and the public API)."""
    return [
        {
            "slug": p.slug,
            "name_th": p.name_th,
            "name_en": p.name_en,
            "login_url": reverse("identity:federation_login", args=[p.slug]),
        }
        for p in providers()
    ]


def _origin(url: str) -> str:
    parts = urllib.parse.urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}" if parts.scheme in {"http", "https"} and parts.netloc else ""


def form_action_origins() -> list[str]:
    """Where a form on our pages may lead: the link button POSTs and is redirected to the provider's
    authorization endpoint, and browsers check CSP form-action along the whole redirect chain. Each provider's
    issuer, its configured `authorization_endpoint` and the one its cached discovery names (no network here)."""
    origins = set()
    # Read from the raw entries: a page's header is no place to refuse a misconfigured provider (its sign-in
    # button does that, with the configuration error).
    for entry in getattr(settings, "BORIKAN_OIDC_PROVIDERS", None) or []:
        issuer = str(entry.get("issuer") or "")
        urls = [issuer, str(entry.get("authorization_endpoint") or "")]
        key = f"federation:discovery:{hashlib.sha256(issuer.encode()).hexdigest()[:32]}"
        if issuer and isinstance(document := django_cache.get(key), dict):
            urls.append(str(document.get("authorization_endpoint") or ""))
        origins.update(_origin(url) for url in urls)
    return sorted(origins - {""})


# --- provider metadata (discovery and keys), cached --------------------------------------------------------


def _cache_key(kind: str, provider: Provider) -> str:
    return f"federation:{kind}:{hashlib.sha256(provider.issuer.encode()).hexdigest()[:32]}"


def _get_json(url: str) -> dict:
    try:
        response = httpx.get(url, timeout=HTTP_TIMEOUT, headers={"Accept": "application/json"})
        response.raise_for_status()
        document = response.json()
    except (httpx.HTTPError, ValueError):
        raise FederationError("provider_unavailable") from None
    if not isinstance(document, dict):
        raise FederationError("provider_misconfigured")
    return document


def discovery(provider: Provider, *, refresh: bool = False) -> dict:
    """The provider's OpenID configuration. Its issuer must be exactly the configured one (OIDC Discovery §4.3)
    and it must offer the code flow with S256 PKCE."""
    key = _cache_key("discovery", provider)
    document = None if refresh else django_cache.get(key)
    if document is None:
        document = _get_json(provider.issuer.rstrip("/") + "/.well-known/openid-configuration")
        if document.get("issuer") != provider.issuer:
            raise FederationError("provider_misconfigured", details={"problem": "issuer"})
        for endpoint in ("authorization_endpoint", "token_endpoint", "jwks_uri"):
            if not isinstance(document.get(endpoint), str):
                raise FederationError("provider_misconfigured", details={"problem": endpoint})
        if "S256" not in document.get("code_challenge_methods_supported", ["S256"]):
            raise FederationError("provider_misconfigured", details={"problem": "pkce"})
        django_cache.set(key, document, METADATA_CACHE_SECONDS)
    return document


def _public_signing_keys(document: dict) -> dict:
    """The asymmetric signing keys of a JWKS; a symmetric ("oct") key has no place in a public set."""
    keys = [
        key
        for key in document.get("keys") or []
        if isinstance(key, dict) and key.get("kty") in {"RSA", "EC", "OKP"} and key.get("use", "sig") == "sig"
    ]
    return {"keys": keys}


def jwks(provider: Provider, *, refresh: bool = False) -> KeySet:
    key = _cache_key("jwks", provider)
    document = None if refresh else django_cache.get(key)
    if document is None:
        document = _public_signing_keys(_get_json(discovery(provider)["jwks_uri"]))
        django_cache.set(key, document, METADATA_CACHE_SECONDS)
    try:
        return KeySet.import_key_set(document)
    except (JoseError, ValueError, TypeError):
        raise FederationError("provider_misconfigured", details={"problem": "jwks"}) from None


# --- starting a login --------------------------------------------------------------------------------------


def _b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def redirect_uri(request: HttpRequest, provider: Provider) -> str:
    return request.build_absolute_uri(reverse("identity:federation_callback", args=[provider.slug]))


def login_begin(request: HttpRequest, provider: Provider, *, link: bool = False, next_url: str = "") -> str:
    """Remember a new state, nonce and PKCE verifier in the session; return the provider's authorization URL.
    `link`: the signed-in person links this provider to their account (a fresh login at the provider)."""
    metadata = discovery(provider)
    state = secrets.token_urlsafe(32)
    nonce = secrets.token_urlsafe(32)
    verifier = secrets.token_urlsafe(64)  # 86 characters, within RFC 7636's 43..128
    pending = dict(request.session.get(PENDING_KEY) or {})
    now = int(time.time())
    pending = {
        key: value
        for key, value in sorted(pending.items(), key=lambda item: item[1]["at"])[-(PENDING_MAX - 1) :]
        if now - value["at"] <= PENDING_LIFETIME
    }
    pending[state] = {
        "provider": provider.slug,
        "nonce": nonce,
        "verifier": verifier,
        "at": now,
        "mode": "link" if link else "login",
        "user_id": request.user.pk if link else None,
        "next": next_url,
        "redirect_uri": redirect_uri(request, provider),
    }
    request.session[PENDING_KEY] = pending
    params = {
        "response_type": "code",
        "client_id": provider.client_id,
        "redirect_uri": pending[state]["redirect_uri"],
        "scope": " ".join(provider.scopes),
        "state": state,
        "nonce": nonce,
        "code_challenge": _b64url(hashlib.sha256(verifier.encode()).digest()),
        "code_challenge_method": "S256",
        "ui_locales": "th en",
    }
    if provider.acr_values:
        params["acr_values"] = " ".join(provider.acr_values)
    if link:
        params["prompt"] = "login"  # whoever is signed in at the provider must authenticate now
    endpoint = metadata["authorization_endpoint"]
    return endpoint + ("&" if "?" in endpoint else "?") + urllib.parse.urlencode(params)


def _pop_pending(request: HttpRequest, state: str) -> dict:
    """The pending login with this state, removed so that a callback works once only."""
    pending = dict(request.session.get(PENDING_KEY) or {})
    found = None
    for key in list(pending):
        if state and hmac.compare_digest(key.encode(), state.encode()):
            found = pending.pop(key)
    request.session[PENDING_KEY] = pending
    if found is None:
        raise FederationError("state_mismatch")
    return found


# --- the token -------------------------------------------------------------------------------------------


def _client_auth(provider: Provider, metadata: dict) -> tuple[dict, dict]:
    """Headers and form fields authenticating the client (client_secret_basic unless only _post is offered)."""
    methods = metadata.get("token_endpoint_auth_methods_supported") or ["client_secret_basic"]
    if "client_secret_basic" not in methods and "client_secret_post" in methods:
        return {}, {"client_id": provider.client_id, "client_secret": provider.client_secret}
    # RFC 6749 §2.3.1: both parts form-urlencoded before the Basic encoding.
    pair = f"{urllib.parse.quote_plus(provider.client_id)}:{urllib.parse.quote_plus(provider.client_secret)}"
    return {"Authorization": "Basic " + base64.b64encode(pair.encode()).decode()}, {}


def _exchange_code(provider: Provider, metadata: dict, *, code: str, pending: dict) -> dict:
    headers, form = _client_auth(provider, metadata)
    form |= {
        "grant_type": "authorization_code",
        "code": code,
        "redirect_uri": pending["redirect_uri"],
        "code_verifier": pending["verifier"],
    }
    try:
        response = httpx.post(
            metadata["token_endpoint"],
            data=form,
            headers={"Accept": "application/json", **headers},
            timeout=HTTP_TIMEOUT,
        )
    except httpx.HTTPError:
        raise FederationError("provider_unavailable") from None
    try:
        body = response.json()
    except ValueError:
        body = {}
    if response.status_code != 200 or not isinstance(body, dict) or not isinstance(body.get("id_token"), str):
        error = body.get("error") if isinstance(body, dict) else None
        raise FederationError(
            "token_exchange_failed",
            details={"status": response.status_code, "error": error if _ERROR_CODE.match(str(error)) else None},
        )
    return body


def _allowed_algorithms(provider: Provider, metadata: dict) -> set[str]:
    offered = metadata.get("id_token_signing_alg_values_supported")
    allowed = set(provider.algorithms)
    return allowed & set(offered) if isinstance(offered, list) else allowed


def _signing_key(key_set: KeySet, *, kid: str | None, alg: str) -> Any:
    kty = KEY_TYPE_OF_ALG.get(alg[:2])
    candidates = [
        key
        for key in key_set.keys
        if key.key_type == kty and key.get("alg") in (None, alg) and (kid is None or key.kid == kid)
    ]
    return candidates[0] if len(candidates) == 1 else None


def id_token_validate(provider: Provider, token: str, *, nonce: str, now: int | None = None) -> dict:
    """The claims of an ID token that passes OIDC Core §3.1.3.7; otherwise a FederationError."""
    metadata = discovery(provider)
    try:
        header = extract_compact(token.encode()).headers()
    except (JoseError, ValueError, TypeError):
        raise FederationError("id_token_invalid") from None
    alg, kid = header.get("alg"), header.get("kid")
    if alg not in _allowed_algorithms(provider, metadata):
        raise FederationError("id_token_algorithm", details={"alg": str(alg)[:20]})
    key = _signing_key(jwks(provider), kid=kid, alg=alg)
    if key is None:  # the provider may have rotated its keys: fetch them once more
        key = _signing_key(jwks(provider, refresh=True), kid=kid, alg=alg)
    if key is None:
        raise FederationError("id_token_unknown_key")
    try:
        claims = jwt.decode(token, key, algorithms=[alg]).claims
    except (JoseError, ValueError, TypeError):
        raise FederationError("id_token_invalid") from None

    now = int(time.time()) if now is None else now
    if claims.get("iss") != provider.issuer:
        raise FederationError("id_token_issuer")
    audience = claims.get("aud")
    audiences = audience if isinstance(audience, list) else [audience]
    if provider.client_id not in audiences:
        raise FederationError("id_token_audience")
    if (len(audiences) > 1 or "azp" in claims) and claims.get("azp") != provider.client_id:
        raise FederationError("id_token_audience", details={"problem": "azp"})
    exp, iat, nbf = claims.get("exp"), claims.get("iat"), claims.get("nbf", 0)
    if not all(isinstance(value, int | float) and not isinstance(value, bool) for value in (exp, iat, nbf)):
        raise FederationError("id_token_expired", details={"problem": "times"})
    if exp <= now - CLOCK_SKEW or iat > now + CLOCK_SKEW or iat < now - ID_TOKEN_MAX_AGE or nbf > now + CLOCK_SKEW:
        raise FederationError("id_token_expired")
    sent = claims.get("nonce")
    if not isinstance(sent, str) or not hmac.compare_digest(sent.encode(), nonce.encode()):
        raise FederationError("id_token_nonce")
    if not isinstance(claims.get("sub"), str) or not claims["sub"] or len(claims["sub"]) > 255:
        raise FederationError("id_token_invalid", details={"problem": "sub"})
    return claims


def _userinfo(metadata: dict, tokens: dict, *, subject: str) -> dict:
    """Claims from the user-info endpoint (plain JSON); its `sub` must be the ID token's (OIDC Core §5.3.4)."""
    endpoint = metadata.get("userinfo_endpoint")
    access_token = tokens.get("access_token")
    if not endpoint or not access_token or str(tokens.get("token_type", "")).lower() != "bearer":
        return {}
    try:
        response = httpx.get(
            endpoint,
            headers={"Authorization": f"Bearer {access_token}", "Accept": "application/json"},
            timeout=HTTP_TIMEOUT,
        )
        response.raise_for_status()
        info = response.json()
    except (httpx.HTTPError, ValueError):
        raise FederationError("provider_unavailable") from None
    if not isinstance(info, dict) or info.get("sub") != subject:
        raise FederationError("userinfo_mismatch")
    return info


# --- assurance ---------------------------------------------------------------------------------------------


def assurance_levels(provider: Provider, claims: dict) -> Levels:
    """IAL and AAL from the asserted `acr` through the provider's map, an `ial` claim (ThaiD style) for the
    IAL when present, both capped by the provider's configured maximum."""
    mapped = provider.acr_map.get(str(claims.get("acr") or ""), Levels(ial=BASE_IAL, aal=BASE_AAL))
    ial = mapped.ial
    if claims.get("ial") is not None:
        try:
            asserted = Decimal(str(claims["ial"]))
        except InvalidOperation:
            asserted = None
        if asserted in IAL_LEVELS:
            ial = asserted
    return Levels(ial=min(ial, provider.max_ial), aal=min(mapped.aal, provider.max_aal))


# --- completing a login ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Outcome:
    user: User
    mode: str  # "login" or "link"
    created: bool
    levels: Levels
    next_url: str


def _subject_hash(provider: Provider, subject: str) -> str:
    """A keyed hash of the subject for the audit log: some providers' subjects are citizen IDs."""
    return lookup_hash(f"{provider.issuer}\x00{subject}", purpose="federated_subject")[:32]


def _claim_text(value: Any, limit: int) -> str:
    """A provider's text claim as we store and print it: no control, override or invisible characters."""
    if not isinstance(value, str):
        return ""
    return " ".join(strip_invisible(FORBIDDEN.sub("", value)).split())[:limit]


def _claim_date(value: Any) -> date | None:
    """OIDC `birthdate` (YYYY-MM-DD); anything else is not a date the provider proved."""
    try:
        return date.fromisoformat(value) if isinstance(value, str) and len(value) == 10 else None
    except ValueError:
        return None


def _citizen_id_hash(pid: str) -> str | None:
    if not pid:
        return None
    if not is_valid_thai_id(pid):
        raise FederationError("invalid_pid")
    return lookup_hash(pid, purpose=CITIZEN_ID_PURPOSE)


def _check_citizen_id(user: User, pid: str, pid_hash: str | None) -> None:
    """The provider's citizen ID must agree with the account's; an account without one gets it if no other
    account holds it."""
    from .services import user_set_citizen_id

    if pid_hash is None:
        return
    if user.citizen_id_hash:
        if not hmac.compare_digest(user.citizen_id_hash, pid_hash):
            raise FederationError("citizen_id_mismatch")
        return
    if User.objects.filter(citizen_id_hash=pid_hash).exclude(pk=user.pk).exists():
        raise FederationError("citizen_id_in_use")
    user_set_citizen_id(actor=user, user=user, citizen_id=pid)


def _record_proofing(user: User, provider: Provider, levels: Levels, claims: dict) -> ProofingRecord | None:
    """A federated proofing above IAL 1.1; an unexpired record from the same provider at the same level is
    extended rather than repeated."""
    if levels.ial <= BASE_IAL:
        return None
    now = timezone.now()
    expires_at = now + timedelta(days=provider.proofing_validity_days)
    record = (
        ProofingRecord.objects.select_for_update()
        .filter(
            user=user,
            method=ProofingMethod.FEDERATED,
            provider=provider.slug,
            ial=levels.ial,
            revoked_at__isnull=True,
            expires_at__gt=now,
        )
        .order_by("-expires_at")
        .first()
    )
    extended = record is not None
    if record is not None:
        record.expires_at = max(record.expires_at, expires_at)
        record.save(update_fields=["expires_at"])
    else:
        amr = claims.get("amr")
        record = ProofingRecord.objects.create(
            user=user,
            method=ProofingMethod.FEDERATED,
            provider=provider.slug,
            ial=levels.ial,
            evidence={
                "acr": _claim_text(claims.get("acr"), 200),
                "amr": [str(item)[:40] for item in amr][:10] if isinstance(amr, list) else [],
                "issuer": provider.issuer,
                "ial_claim": _claim_text(str(claims["ial"]), 10) if claims.get("ial") is not None else None,
            },
            verified_at=now,
            expires_at=expires_at,
            name_th=_claim_text(claims.get("name"), 200),
            name_en=_claim_text(claims.get("name_en") or claims.get("name#en"), 200),
            birth_date=_claim_date(claims.get("birthdate")),
        )
        if record.name_th and user.full_name != record.name_th:
            user.full_name = record.name_th  # the account shows the name the provider proved
            user.save(update_fields=["full_name"])
    audit_record(
        actor=user,
        action="identity.proofing_federated",
        object_type="proofing_record",
        object_id=record.pk,
        subject_user_id=user.pk,
        data={"provider": provider.slug, "ial": str(levels.ial), "extended": extended},
    )
    return record


def _link(user: User, provider: Provider, subject: str, claims: dict, *, audit_data: dict) -> FederatedIdentity:
    identity = FederatedIdentity.objects.create(
        user=user,
        provider=provider.slug,
        subject=subject,
        last_login_at=timezone.now(),
        last_acr=_claim_text(claims.get("acr"), 200),
    )
    audit_record(
        actor=user,
        action="auth.federated_link",
        object_type="user",
        object_id=user.pk,
        subject_user_id=user.pk,
        data=audit_data,
    )
    return identity


def _resolve_account(request: HttpRequest, provider: Provider, pending: dict, claims: dict, levels: Levels) -> Outcome:
    """Find, link or create the account for a validated login. Runs inside a transaction."""
    subject = claims["sub"]
    pid = _claim_text(claims.get("pid"), 20).replace("-", "").replace(" ", "")
    pid_hash = _citizen_id_hash(pid)
    audit_data = {
        "provider": provider.slug,
        "subject_hash": _subject_hash(provider, subject),
        "acr": _claim_text(claims.get("acr"), 200),
        "ial": str(levels.ial),
        "aal": str(levels.aal),
    }
    known = FederatedIdentity.objects.select_for_update().filter(provider=provider.slug, subject=subject).first()

    if pending["mode"] == "link":
        user = request.user
        if not user.is_authenticated or user.pk != pending["user_id"]:
            raise FederationError("link_session_changed")
        if known is not None and known.user_id != user.pk:
            raise FederationError("subject_linked_elsewhere")
        if known is None:
            if FederatedIdentity.objects.filter(user=user, provider=provider.slug).exists():
                raise FederationError("provider_already_linked")
            _check_citizen_id(user, pid, pid_hash)
            known = _link(user, provider, subject, claims, audit_data=audit_data)
        else:
            _check_citizen_id(user, pid, pid_hash)
        created = False
    elif known is not None:
        user = known.user
        if not user.is_active:
            raise FederationError("account_inactive")
        _check_citizen_id(user, pid, pid_hash)
        created = False
    else:
        from .services import release_unverified_address

        email = _claim_text(claims.get("email"), 254).lower()
        existing = User.objects.filter(email__iexact=email).first() if email else None
        # An account that never confirmed the address does not own it (issue 11: pre-registration must not block
        # the owner); the provider has verified that this person holds it.
        if existing is not None and not (claims.get("email_verified") is True and release_unverified_address(existing)):
            raise FederationError("account_exists_email")
        if pid_hash and User.objects.filter(citizen_id_hash=pid_hash).exists():
            raise FederationError("account_exists_citizen_id")
        if not email or claims.get("email_verified") is not True:
            raise FederationError("email_missing")
        user = User.objects.create_user(email, None, full_name=_claim_text(claims.get("name"), 200))
        audit_record(
            actor=user,
            action="auth.sign_up",
            object_type="user",
            object_id=user.pk,
            subject_user_id=user.pk,
            data={"method": "federated", "provider": provider.slug},
        )
        if pid:
            from .services import user_set_citizen_id

            user_set_citizen_id(actor=user, user=user, citizen_id=pid)
        known = _link(user, provider, subject, claims, audit_data=audit_data)
        created = True

    known.last_login_at = timezone.now()
    known.last_acr = _claim_text(claims.get("acr"), 200)
    known.save(update_fields=["last_login_at", "last_acr"])
    _record_proofing(user, provider, levels, claims)
    if pending["mode"] == "login":
        audit_record(
            actor=user,
            action="auth.federated_login",
            object_type="user",
            object_id=user.pk,
            subject_user_id=user.pk,
            data=audit_data | {"created": created},
        )
    return Outcome(user=user, mode=pending["mode"], created=created, levels=levels, next_url=pending.get("next", ""))


def audit_refusal(request: HttpRequest, slug: str, error: FederationError, subject_user_id: int | None) -> None:
    actor = request.user if request.user.is_authenticated else None
    audit_record(
        actor=actor,
        action="auth.federated_refused",
        object_type="identity_provider",
        object_id=slug[:50],
        subject_user_id=subject_user_id if subject_user_id is not None else getattr(actor, "pk", None),
        data={"reason": error.code, "provider": slug[:50], **{k: v for k, v in error.details.items() if v}},
    )


def login_complete(request: HttpRequest, slug: str, params: dict[str, str]) -> Outcome:
    """Handle the provider's redirect back (`params`: its query string). Everything is validated before
    anything is written; a refusal is audited and nothing else is kept."""
    merged: dict = {}
    try:
        pending = _pop_pending(request, params.get("state", ""))
        provider = provider_get(slug)
        if pending["provider"] != provider.slug:
            raise FederationError("state_mismatch")
        if int(time.time()) - pending["at"] > PENDING_LIFETIME:
            raise FederationError("login_expired")
        metadata = discovery(provider)
        # RFC 9207: the authorization response names its issuer, so an answer from another provider is caught.
        iss_expected = "iss" in params or metadata.get("authorization_response_iss_parameter_supported")
        if iss_expected and params.get("iss") != provider.issuer:
            raise FederationError("issuer_mismatch")
        if params.get("error"):
            error = params["error"]
            code = "access_denied" if error == "access_denied" else "provider_error"
            raise FederationError(code, details={"error": error if _ERROR_CODE.match(error) else "other"})
        if not params.get("code"):
            raise FederationError("provider_error", details={"error": "no_code"})
        tokens = _exchange_code(provider, metadata, code=params["code"], pending=pending)
        claims = id_token_validate(provider, tokens["id_token"], nonce=pending["nonce"])
        info = _userinfo(metadata, tokens, subject=claims["sub"])
        merged = {**{k: v for k, v in info.items() if k != "sub"}, **claims}  # the ID token's own values win
        levels = assurance_levels(provider, merged)
        try:
            with transaction.atomic():
                outcome = _resolve_account(request, provider, pending, merged, levels)
        except IntegrityError:
            raise FederationError("link_conflict") from None
    except FederationError as error:
        owner = _existing_owner(error.code, merged) if error.code.startswith("account_exists") else None
        audit_refusal(request, slug, error, owner)
        raise
    if outcome.mode == "link":
        authn.session_step_up(request, authn.Method.FEDERATED, aal=outcome.levels.aal)
    else:
        authn.session_log_in(request, outcome.user, authn.Method.FEDERATED, aal=outcome.levels.aal)
    return outcome


def _existing_owner(code: str, claims: dict) -> int | None:
    """The account an attempted takeover aimed at, so that its owner sees the attempt in their audit trail."""
    if code == "account_exists_email":
        email = _claim_text(claims.get("email"), 254)
        return User.objects.filter(email__iexact=email).values_list("pk", flat=True).first()
    pid = _claim_text(claims.get("pid"), 20).replace("-", "").replace(" ", "")
    if not pid:
        return None
    return (
        User.objects.filter(citizen_id_hash=lookup_hash(pid, purpose=CITIZEN_ID_PURPOSE))
        .values_list("pk", flat=True)
        .first()
    )
