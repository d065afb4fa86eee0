"""API for passkeys (WebAuthn). Mounted under /api/v1/auth/ by identity/api.py.

Each ceremony is two calls. `.../begin` answers `{"ticket", "publicKey"}`: the options for
`navigator.credentials.create/get` in the WebAuthn JSON encoding (`PublicKeyCredential.parse*OptionsFromJSON`)
and a one-time ticket, valid five minutes, naming the challenge kept on the server. `.../complete` takes the
ticket and `credential`, the browser's `credential.toJSON()` (RegistrationResponseJSON or
AuthenticationResponseJSON). Login answers like POST /api/v1/auth/token.
"""

import datetime as dt
from typing import Any

from django.http import HttpRequest
from ninja import Router, Schema, Status

from borikan.core.fields import Email, Label, PathId, Secret

from . import webauthn
from .apiauth import api_auth
from .schemas import TokenOut

router = Router(tags=["auth"])
API = "api"


class CeremonyOut(Schema):
    ticket: str
    publicKey: dict[str, Any]


class RegisterCompleteIn(Schema):
    ticket: Secret
    credential: dict[str, Any]
    name: Label = ""


class LoginBeginIn(Schema):
    email: Email = ""


class CompleteIn(Schema):
    ticket: Secret
    credential: dict[str, Any]


class PasskeyOut(Schema):
    id: int
    name: str
    backup_eligible: bool
    created_at: dt.datetime
    last_used_at: dt.datetime | None


class StepUpOut(Schema):
    aal: str


@router.post(
    "/passkeys/register/begin", response=CeremonyOut, auth=api_auth, summary="Start adding a passkey (options)"
)
def register_begin(request: HttpRequest):
    options, ticket = webauthn.register_begin(request, channel=API)
    return {"ticket": ticket, "publicKey": options}


@router.post(
    "/passkeys/register/complete", response={201: PasskeyOut}, auth=api_auth, summary="Finish adding a passkey"
)
def register_complete(request: HttpRequest, payload: RegisterCompleteIn):
    credential = webauthn.register_complete(
        request, payload.credential, name=payload.name, ticket=payload.ticket, channel=API
    )
    return Status(201, credential)


@router.post("/passkeys/login/begin", response=CeremonyOut, auth=None, summary="Start a passkey login (options)")
def login_begin(request: HttpRequest, payload: LoginBeginIn):
    options, ticket = webauthn.login_begin(request, email=payload.email, channel=API)
    return {"ticket": ticket, "publicKey": options}


@router.post(
    "/passkeys/login/complete", response=TokenOut, auth=None, summary="Log in with a passkey; get a bearer token"
)
def login_complete(request: HttpRequest, payload: CompleteIn):
    user, key, token = webauthn.login_complete(request, payload.credential, ticket=payload.ticket, channel=API)
    return {"token": key, "expires_at": token.expires_at, "user": user}


@router.post("/passkeys/step-up/begin", response=CeremonyOut, auth=api_auth, summary="Start confirming with a passkey")
def step_up_begin(request: HttpRequest):
    options, ticket = webauthn.step_up_begin(request, channel=API)
    return {"ticket": ticket, "publicKey": options}


@router.post(
    "/passkeys/step-up/complete",
    response=StepUpOut,
    auth=api_auth,
    summary="Confirm with a passkey: the token (or session) reaches AAL 2.2",
)
def step_up_complete(request: HttpRequest, payload: CompleteIn):
    aal = webauthn.step_up_complete(request, payload.credential, ticket=payload.ticket, channel=API)
    return {"aal": str(aal)}


@router.get("/passkeys", response=list[PasskeyOut], auth=api_auth, summary="My passkeys")
def passkeys(request: HttpRequest):
    return webauthn.passkeys_of(request.auth)


@router.delete("/passkeys/{passkey_id}", response={204: None}, auth=api_auth, summary="Remove a passkey (AAL 2)")
def passkey_remove(request: HttpRequest, passkey_id: PathId):
    webauthn.passkey_remove(actor=request.auth, credential_pk=passkey_id, channel=API)
    return Status(204, None)
