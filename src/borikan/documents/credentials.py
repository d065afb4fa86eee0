"""The compact credential in the QR code, the published keys (JWKS) and the signed revocation list.

Credential: a JWS (compact serialisation) signed with the issuing agency's key, header
``{"alg": "ES256", "kid": <key id>, "typ": "doc+jwt"}``, payload (UTF-8 JSON):

    iss    the agency code                  num    the document number
    name   the holder's name as printed     iat    when it was issued (seconds since the epoch)
    from   first day of validity (ISO date, Asia/Bangkok)
    until  last day of validity (ISO date), absent when the document does not expire
    dig    base64url SHA-256 of the document's printed content (`content_digest`)

The credential cannot carry the SHA-256 of the PDF file: it is printed inside that PDF, so the file's hash is
only known after it is drawn and signed. `dig` binds it to everything the document prints instead (titles,
fields, dates), and the PDF itself carries the agency's PAdES signature over every byte.

Revocation list: a JWS with ``"typ": "revocations+jwt"`` signed by the same agency key, payload
``{"iss": code, "iat": ..., "exp": ..., "revoked": [document numbers, sorted], "suspended": [...]}``; a
verifier may cache it until ``exp``. A suspended document is not in force until the agency reinstates it (then it
leaves the list) or revokes it (then it moves to ``revoked``). The two ``typ`` values keep one kind of token
from being passed off as the other.
"""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import json
import re
from dataclasses import dataclass, field
from typing import Any

from joserfc import jws
from joserfc.errors import JoseError
from joserfc.jwk import ECKey, RSAKey

from .signing import SigningIdentity

CREDENTIAL_TYP = "doc+jwt"
STATUS_LIST_TYP = "revocations+jwt"
ALGORITHMS = ("ES256", "ES384", "RS256")
_COMPACT_JWS = re.compile(r"^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+$")
MAX_TOKEN_LENGTH = 4096


def _b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def _canonical(value: object) -> bytes:
    return json.dumps(value, ensure_ascii=False, sort_keys=True, separators=(",", ":")).encode("utf-8")


def _jws_compact(identity: SigningIdentity, *, typ: str, claims: dict[str, Any]) -> str:
    """A compact JWS (RFC 7515) of the claims, signed with the agency's key wherever it lives (file or PKCS#11)."""
    header = {"alg": identity.jws_alg, "kid": identity.kid, "typ": typ}
    signing_input = f"{_b64url(_canonical(header))}.{_b64url(_canonical(claims))}"
    return f"{signing_input}.{_b64url(identity.jws_signature(signing_input.encode('ascii')))}"


def content_digest(
    *,
    agency_code: str,
    number: str,
    title_th: str,
    title_en: str,
    holder_name: str,
    fields: list[tuple[str, str]],
    issued_on: dt.date,
    valid_from: dt.date,
    valid_until: dt.date | None,
) -> str:
    """base64url SHA-256 of the canonical JSON of what the document prints (sorted keys, UTF-8, no spaces)."""
    content = {
        "agency": agency_code,
        "number": number,
        "title_th": title_th,
        "title_en": title_en,
        "holder_name": holder_name,
        "fields": [[label, value] for label, value in fields],
        "issued_on": issued_on.isoformat(),
        "valid_from": valid_from.isoformat(),
        "valid_until": valid_until.isoformat() if valid_until else None,
    }
    return _b64url(hashlib.sha256(_canonical(content)).digest())


def credential_sign(
    *,
    identity: SigningIdentity,
    number: str,
    holder_name: str,
    issued_at: dt.datetime,
    valid_from: dt.date,
    valid_until: dt.date | None,
    digest: str,
) -> str:
    claims: dict[str, Any] = {
        "iss": identity.agency_code,
        "num": number,
        "name": holder_name,
        "iat": int(issued_at.timestamp()),
        "from": valid_from.isoformat(),
        "dig": digest,
    }
    if valid_until is not None:
        claims["until"] = valid_until.isoformat()
    return _jws_compact(identity, typ=CREDENTIAL_TYP, claims=claims)


def status_list_sign(
    *, identity: SigningIdentity, revoked: list[str], issued_at: dt.datetime, ttl: int, suspended: list[str] = ()
) -> str:
    claims = {
        "iss": identity.agency_code,
        "iat": int(issued_at.timestamp()),
        "exp": int(issued_at.timestamp()) + ttl,
        "revoked": sorted(revoked),
        "suspended": sorted(suspended),
    }
    return _jws_compact(identity, typ=STATUS_LIST_TYP, claims=claims)


def published_jwk(*, agency_code: str, public_jwk: dict[str, Any]) -> dict[str, Any]:
    """The JWK as published: the public key, its id and algorithm, the certificate chain, and the agency it
    speaks for (`agency`, a private member: a key may only vouch for its own agency's documents)."""
    return {**public_jwk, "agency": agency_code}


# ---------------------------------------------------------------------------------------------------------------
# Checking offline, with only the published keys and revocation list.


class CheckStatus:
    VALID = "valid"
    REVOKED = "revoked"
    SUSPENDED = "suspended"
    EXPIRED = "expired"
    NOT_YET_VALID = "not_yet_valid"
    INVALID = "invalid"  # malformed, forged, altered, or signed by a key that may not speak for the agency
    UNKNOWN_KEY = "unknown_key"  # signed by a key the JWKS does not list
    STATUS_LIST_INVALID = "status_list_invalid"  # revocation list missing its signature, stale or not this agency's


@dataclass(frozen=True)
class CredentialCheck:
    status: str
    reason: str
    claims: dict[str, Any] = field(default_factory=dict)
    revocation_checked: bool = False
    status_list_issued_at: int | None = None

    @property
    def ok(self) -> bool:
        return self.status == CheckStatus.VALID


class _Rejected(Exception):
    def __init__(self, status: str, reason: str) -> None:
        super().__init__(reason)
        self.status = status
        self.reason = reason


def token_from_qr_payload(payload: str) -> str:
    """The credential in a QR payload: the fragment of the verification URL, or a bare token."""
    token = payload.strip()
    if "#" in token:
        token = token.rsplit("#", 1)[1]
    return token


def _keys_by_kid(jwks: dict[str, Any]) -> dict[str, dict[str, Any]]:
    keys = jwks.get("keys") if isinstance(jwks, dict) else None
    if not isinstance(keys, list):
        raise _Rejected(CheckStatus.INVALID, "the JWKS has no 'keys' list")
    return {key["kid"]: key for key in keys if isinstance(key, dict) and isinstance(key.get("kid"), str)}


def _verified(token: str, *, typ: str, keys: dict[str, dict[str, Any]], what: str) -> tuple[dict, dict, str]:
    """(header, claims, agency of the key) of a compact JWS whose signature checks with a listed key."""
    if len(token) > MAX_TOKEN_LENGTH or not _COMPACT_JWS.match(token):
        raise _Rejected(CheckStatus.INVALID, f"the {what} is not a compact JWS")
    try:
        encoded = token.split(".", 1)[0]
        header = json.loads(base64.urlsafe_b64decode(encoded + "=" * (-len(encoded) % 4)))
    except ValueError:
        raise _Rejected(CheckStatus.INVALID, f"the {what} header is not JSON") from None
    if not isinstance(header, dict) or header.get("typ") != typ:
        raise _Rejected(CheckStatus.INVALID, f"the {what} is not of type {typ}")
    key_data = keys.get(header.get("kid"))
    if key_data is None:
        raise _Rejected(CheckStatus.UNKNOWN_KEY, f"the {what} is signed by a key the JWKS does not list")
    alg = key_data.get("alg")
    if alg not in ALGORITHMS or header.get("alg") != alg:
        raise _Rejected(CheckStatus.INVALID, f"the {what} uses an algorithm its key is not for")
    public = {name: value for name, value in key_data.items() if name not in {"agency", "x5c", "d"}}
    try:
        key = ECKey.import_key(public) if key_data.get("kty") == "EC" else RSAKey.import_key(public)
        verified = jws.deserialize_compact(token, key, algorithms=[alg])
        claims = json.loads(verified.payload)
    except (JoseError, ValueError, TypeError):
        raise _Rejected(CheckStatus.INVALID, f"the {what}'s signature does not verify") from None
    if not isinstance(claims, dict) or claims.get("iss") != key_data.get("agency"):
        raise _Rejected(CheckStatus.INVALID, f"the {what} names an agency its key does not speak for")
    return header, claims, str(key_data.get("agency"))


def _date(claims: dict[str, Any], name: str, *, required: bool) -> dt.date | None:
    value = claims.get(name)
    if value is None and not required:
        return None
    try:
        return dt.date.fromisoformat(value)
    except (TypeError, ValueError):
        raise _Rejected(CheckStatus.INVALID, f"the credential's '{name}' is not a date") from None


def credential_check(
    *,
    qr_payload: str,
    jwks: dict[str, Any],
    status_list: str | None,
    today: dt.date,
    now: dt.datetime,
) -> CredentialCheck:
    """Check a QR payload offline: the credential's signature against the JWKS, its validity on `today`, and,
    given a revocation list (itself checked against the JWKS and not past its `exp` at `now`), revocation."""
    claims: dict[str, Any] = {}
    try:
        keys = _keys_by_kid(jwks)
        token = token_from_qr_payload(qr_payload)
        _, claims, agency = _verified(token, typ=CREDENTIAL_TYP, keys=keys, what="credential")
        if not all(isinstance(claims.get(name), str) and claims[name] for name in ("num", "name", "dig")):
            raise _Rejected(CheckStatus.INVALID, "the credential lacks its number, name or digest")
        valid_from = _date(claims, "from", required=True)
        valid_until = _date(claims, "until", required=False)
        revocation_checked, list_issued_at = False, None
        if status_list is not None:
            try:
                _, listed, list_agency = _verified(status_list.strip(), typ=STATUS_LIST_TYP, keys=keys, what="list")
            except _Rejected as rejected:
                raise _Rejected(CheckStatus.STATUS_LIST_INVALID, rejected.reason) from None
            if list_agency != agency:
                raise _Rejected(CheckStatus.STATUS_LIST_INVALID, "the revocation list is another agency's")
            expires, revoked = listed.get("exp"), listed.get("revoked")
            suspended = listed.get("suspended", [])
            if not isinstance(expires, int) or not isinstance(revoked, list) or not isinstance(suspended, list):
                raise _Rejected(CheckStatus.STATUS_LIST_INVALID, "the revocation list is malformed")
            if expires <= now.timestamp():
                raise _Rejected(CheckStatus.STATUS_LIST_INVALID, "the revocation list has expired: fetch it again")
            revocation_checked, list_issued_at = True, listed.get("iat")
            if claims["num"] in revoked:
                return CredentialCheck(
                    CheckStatus.REVOKED, "the agency has revoked this document", claims, True, list_issued_at
                )
            if claims["num"] in suspended:
                return CredentialCheck(
                    CheckStatus.SUSPENDED, "the agency has suspended this document", claims, True, list_issued_at
                )
        if valid_until is not None and today > valid_until:
            return CredentialCheck(
                CheckStatus.EXPIRED, "the document has expired", claims, revocation_checked, list_issued_at
            )
        if today < valid_from:
            return CredentialCheck(
                CheckStatus.NOT_YET_VALID, "the document is not valid yet", claims, revocation_checked, list_issued_at
            )
        reason = "signed by the agency" + ("" if revocation_checked else "; revocation not checked (no list given)")
        return CredentialCheck(CheckStatus.VALID, reason, claims, revocation_checked, list_issued_at)
    except _Rejected as rejected:
        return CredentialCheck(rejected.status, rejected.reason, claims)
