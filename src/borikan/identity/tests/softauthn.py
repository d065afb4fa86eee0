"""A software WebAuthn authenticator, with the browser's part, for tests.

`SoftAuthenticator` holds one ES256 credential (a P-256 key made with `cryptography`). Given the options a
server's *begin* returned (the `publicKey` member, WebAuthn JSON), `create()` and `get()` return what a browser's
`credential.toJSON()` would: RegistrationResponseJSON / AuthenticationResponseJSON, with

- clientDataJSON: type, the challenge from the options, and the origin (the browser's page origin);
- authenticator data: SHA-256 of the RP ID, the flags UP (user present), UV (user verified), BE (backup
  eligible, a synced passkey), AT on registration, and the signature counter;
- "none" attestation on registration, and an ECDSA signature over authenticatorData || SHA-256(clientDataJSON)
  on assertion.

Each knob a test needs to make a bad answer is a keyword: `origin`, `rp_id`, `user_verified`, `counter`.
Like a browser, it refuses options that list allowed credentials without its own (`NoCredential`).
"""

from __future__ import annotations

import hashlib
import os
from typing import Any

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec
from fido2.cose import ES256
from fido2.utils import websafe_decode, websafe_encode
from fido2.webauthn import AttestationObject, AttestedCredentialData, AuthenticatorData, CollectedClientData

ORIGIN = "http://localhost:8000"
RP_ID = "localhost"
FLAG = AuthenticatorData.FLAG


class NoCredential(Exception):
    """The options allow only credentials this authenticator does not hold (a browser shows "no passkey")."""


class SoftAuthenticator:
    def __init__(
        self,
        *,
        origin: str = ORIGIN,
        rp_id: str = RP_ID,
        backup_eligible: bool = True,
        counts: bool = True,
        aaguid: bytes = bytes(16),
    ) -> None:
        """`counts=False` makes an authenticator whose counter stays 0, as synced passkeys often report."""
        self.origin = origin
        self.rp_id = rp_id
        self.backup_eligible = backup_eligible
        self.counts = counts
        self.aaguid = aaguid
        self.private_key = ec.generate_private_key(ec.SECP256R1())
        self.credential_id = os.urandom(32)
        self.counter = 0
        self.user_handle: bytes | None = None

    @property
    def id(self) -> str:
        return websafe_encode(self.credential_id)

    def _flags(self, *, user_verified: bool, attested: bool = False) -> AuthenticatorData.FLAG:
        flags = FLAG.UP
        if user_verified:
            flags |= FLAG.UV
        if self.backup_eligible:
            flags |= FLAG.BE
        if attested:
            flags |= FLAG.AT
        return flags

    def _next_counter(self, counter: int | None) -> int:
        if counter is not None:
            return counter
        if self.counts:
            self.counter += 1
        return self.counter

    def create(
        self,
        options: dict[str, Any],
        *,
        origin: str | None = None,
        rp_id: str | None = None,
        user_verified: bool = True,
    ) -> dict[str, Any]:
        """A registration answer (RegistrationResponseJSON) to `navigator.credentials.create` options."""
        excluded = {item["id"] for item in options.get("excludeCredentials") or []}
        if self.id in excluded:
            raise NoCredential("this authenticator is already registered (excludeCredentials)")
        self.user_handle = websafe_decode(options["user"]["id"])
        client_data = CollectedClientData.create(
            type=CollectedClientData.TYPE.CREATE, challenge=options["challenge"], origin=origin or self.origin
        )
        credential_data = AttestedCredentialData.create(
            self.aaguid, self.credential_id, ES256.from_cryptography_key(self.private_key.public_key())
        )
        auth_data = AuthenticatorData.create(
            hashlib.sha256((rp_id or self.rp_id).encode()).digest(),
            self._flags(user_verified=user_verified, attested=True),
            self._next_counter(None),
            credential_data,
        )
        attestation = AttestationObject.create("none", auth_data, {})
        return {
            "id": self.id,
            "rawId": self.id,
            "type": "public-key",
            "authenticatorAttachment": "platform",
            "clientExtensionResults": {},
            "response": {
                "clientDataJSON": websafe_encode(client_data),
                "attestationObject": websafe_encode(attestation),
                "transports": ["internal"],
            },
        }

    def get(
        self,
        options: dict[str, Any],
        *,
        origin: str | None = None,
        rp_id: str | None = None,
        user_verified: bool = True,
        counter: int | None = None,
    ) -> dict[str, Any]:
        """An assertion (AuthenticationResponseJSON) to `navigator.credentials.get` options. `counter` overrides
        the signature counter (to play a cloned authenticator)."""
        allowed = options.get("allowCredentials")
        if allowed and self.id not in {item["id"] for item in allowed}:
            raise NoCredential("no allowed credential on this authenticator")
        client_data = CollectedClientData.create(
            type=CollectedClientData.TYPE.GET, challenge=options["challenge"], origin=origin or self.origin
        )
        auth_data = AuthenticatorData.create(
            hashlib.sha256((rp_id or self.rp_id).encode()).digest(),
            self._flags(user_verified=user_verified),
            self._next_counter(counter),
        )
        signature = self.private_key.sign(bytes(auth_data) + client_data.hash, ec.ECDSA(hashes.SHA256()))
        response: dict[str, Any] = {
            "clientDataJSON": websafe_encode(client_data),
            "authenticatorData": websafe_encode(auth_data),
            "signature": websafe_encode(signature),
        }
        if self.user_handle is not None:
            response["userHandle"] = websafe_encode(self.user_handle)
        return {
            "id": self.id,
            "rawId": self.id,
            "type": "public-key",
            "authenticatorAttachment": "platform",
            "clientExtensionResults": {},
            "response": response,
        }
