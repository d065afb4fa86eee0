from django.http import HttpRequest
from ninja import Router, Status

from . import federation_api, proofing_api, services, throttle, webauthn_api
from .apiauth import api_auth
from .schemas import LogInIn, SignUpIn, TokenOut, UserOut

router = Router(tags=["auth"])
router.add_router("", webauthn_api.router)
router.add_router("", federation_api.router)
router.add_router("", proofing_api.router)


@router.post("/signup", response={201: UserOut}, auth=None, summary="Sign up as a citizen (e-mail and password)")
def sign_up(request: HttpRequest, payload: SignUpIn):
    user = services.user_sign_up(
        email=payload.email,
        password=payload.password,
        full_name=payload.full_name,
        phone=payload.phone,
        citizen_id=payload.citizen_id,
        address=throttle.client_address(request),
    )
    return Status(201, user)


@router.post("/token", response=TokenOut, auth=None, summary="Log in with a password; get a bearer token")
def log_in(request: HttpRequest, payload: LogInIn):
    user = services.user_log_in(email=payload.email, password=payload.password, request=request)
    key, token = services.api_token_issue(user=user)
    return {"token": key, "expires_at": token.expires_at, "user": user}


@router.get("/me", response=UserOut, auth=api_auth, summary="The signed-in person")
def me(request: HttpRequest):
    return request.auth


@router.post("/logout-everywhere", response={204: None}, auth=api_auth, summary="End every session and token")
def log_out_everywhere(request: HttpRequest):
    services.user_log_out_everywhere(actor=request.auth)
    return Status(204, None)
