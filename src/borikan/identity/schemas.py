import datetime as dt
from decimal import Decimal
from typing import Literal

from ninja import Schema

from borikan.core.fields import Code, Email, Name, Secret


class SignUpIn(Schema):
    email: Email
    password: Secret
    full_name: Name
    phone: Code = ""
    citizen_id: Code = ""


class LogInIn(Schema):
    email: Email = ""  # or
    mobile: Code = ""  # a mobile number proven at sign-up
    password: Secret
    code: Code = ""  # the sign-in code, when the answer was sign_in_code_required


class PhoneStartIn(Schema):
    phone: Code


class PhoneSignUpIn(Schema):
    phone: Code
    code: Code
    password: Secret
    full_name: Name
    citizen_id: Code = ""


class UserOut(Schema):
    id: int
    email: str | None
    mobile: str | None
    full_name: str


class TokenOut(Schema):
    token: str
    token_type: str = "Bearer"  # noqa: S105 - the scheme name, not a secret
    expires_at: dt.datetime
    user: UserOut


class CodeIn(Schema):
    code: Code


class StepUpIn(Schema):
    method: Literal["totp", "recovery_code"]
    code: Code


class AalOut(Schema):
    aal: Decimal


class TotpSetupOut(Schema):
    secret: str
    otpauth_uri: str


class RecoveryCodesOut(Schema):
    recovery_codes: list[str]
    aal: Decimal


class SignUpAcceptedOut(Schema):
    status: str
    detail_th: str
    detail_en: str


class VerifyEmailIn(Schema):
    token: Secret  # the last part of the link in the sign-up mail
    password: Secret
