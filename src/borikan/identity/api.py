from django.http import HttpRequest
from ninja import Router, Status

from borikan.core.errors import ApplicationError

from . import authn, federation_api, mfa, phone, proofing_api, services, throttle, verification, webauthn_api
from .apiauth import api_auth
from .schemas import (
    AalOut,
    CodeIn,
    LogInIn,
    PhoneSignUpIn,
    PhoneStartIn,
    RecoveryCodesOut,
    SignUpAcceptedOut,
    SignUpIn,
    StepUpIn,
    TokenOut,
    TotpSetupOut,
    UserOut,
    VerifyEmailIn,
)

router = Router(tags=["auth"])
router.add_router("", webauthn_api.router)
router.add_router("", federation_api.router)
router.add_router("", proofing_api.router)


@router.post(
    "/signup",
    response={202: SignUpAcceptedOut},
    auth=None,
    summary="Sign up as a citizen (e-mail and password): a link to confirm the address is e-mailed",
    description="202 whether the address is new or already registered (the mailbox tells its owner which). "
    "The account signs in once the link is opened with the password (POST /auth/verify-email).",
)
def sign_up(request: HttpRequest, payload: SignUpIn):
    services.user_sign_up(
        email=payload.email,
        password=payload.password,
        full_name=payload.full_name,
        phone=payload.phone,
        citizen_id=payload.citizen_id,
        address=throttle.client_address(request),
    )
    return Status(202, SIGN_UP_ACCEPTED)


SIGN_UP_ACCEPTED = {
    "status": "verification_sent",
    "detail_th": "เราส่งข้อความไปที่อีเมลนั้นแล้ว เปิดลิงก์ในข้อความและกรอกรหัสผ่านเพื่อยืนยัน",
    "detail_en": "We sent a message to that address: open its link and enter the password to confirm it",
}


@router.post("/verify-email", response=UserOut, auth=None, summary="Confirm an e-mail address with its link")
def verify_email(request: HttpRequest, payload: VerifyEmailIn):
    return verification.email_verify(token=payload.token, password=payload.password)


@router.post("/signup/phone/start", response={202: None}, auth=None, summary="Sign up by mobile: send a code by SMS")
def phone_sign_up_start(request: HttpRequest, payload: PhoneStartIn):
    phone.phone_signup_start(phone=payload.phone, address=throttle.client_address(request))
    return Status(202, None)


@router.post("/signup/phone", response={201: UserOut}, auth=None, summary="Sign up by mobile with the SMS code")
def phone_sign_up(request: HttpRequest, payload: PhoneSignUpIn):
    user = phone.phone_signup_complete(
        phone=payload.phone,
        code=payload.code,
        password=payload.password,
        full_name=payload.full_name,
        citizen_id=payload.citizen_id,
    )
    return Status(201, user)


@router.post("/token", response=TokenOut, auth=None, summary="Log in with a password; get a bearer token")
def log_in(request: HttpRequest, payload: LogInIn):
    user = services.user_log_in(
        email=payload.email or payload.mobile, password=payload.password, request=request, code=payload.code
    )
    key, token = services.api_token_issue(user=user)
    return {"token": key, "expires_at": token.expires_at, "user": user}


@router.get("/me", response=UserOut, auth=api_auth, summary="The signed-in person")
def me(request: HttpRequest):
    return request.auth


@router.post("/logout-everywhere", response={204: None}, auth=api_auth, summary="End every session and token")
def log_out_everywhere(request: HttpRequest):
    services.user_log_out_everywhere(actor=request.auth)
    return Status(204, None)


def _token(request: HttpRequest):
    token = getattr(request, "api_token", None)
    if token is None:
        raise ApplicationError(
            "bearer_token_required",
            "ขั้นตอนนี้ผ่าน API ต้องใช้ bearer token (หน้าเว็บใช้หน้า /account/step-up/)",
            "This API step needs a bearer token (in the browser, use /account/step-up/)",
            status=400,
        )
    return token


@router.post("/totp/setup", response=TotpSetupOut, auth=api_auth, summary="Start setting up an authenticator app")
def totp_setup(request: HttpRequest):
    return mfa.totp_begin(user=request.auth)


@router.post("/totp/confirm", response=RecoveryCodesOut, auth=api_auth, summary="Confirm the app with a code; step up")
def totp_confirm(request: HttpRequest, payload: CodeIn):
    token = _token(request)
    codes = mfa.totp_confirm(user=request.auth, code=payload.code)
    return {"recovery_codes": codes, "aal": authn.token_step_up(token, authn.Method.TOTP)}


@router.delete("/totp", response={204: None}, auth=api_auth, summary="Remove the authenticator app (needs AAL 2)")
def totp_remove(request: HttpRequest):
    mfa.totp_remove(user=request.auth)
    return Status(204, None)


@router.post("/step-up", response=AalOut, auth=api_auth, summary="Raise this token's AAL with a second factor")
def step_up(request: HttpRequest, payload: StepUpIn):
    token = _token(request)
    if payload.method == authn.Method.TOTP:
        mfa.totp_check(user=request.auth, code=payload.code)
    else:
        mfa.recovery_code_use(user=request.auth, code=payload.code)
    return {"aal": authn.token_step_up(token, authn.Method(payload.method))}


@router.post("/recovery-codes", response=RecoveryCodesOut, auth=api_auth, summary="New recovery codes (needs AAL 2)")
def recovery_codes(request: HttpRequest):
    return {"recovery_codes": mfa.recovery_codes_regenerate(user=request.auth), "aal": request.auth.assurance.aal}
