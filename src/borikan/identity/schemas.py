import datetime as dt
from decimal import Decimal
from typing import Literal

from ninja import Schema


class SignUpIn(Schema):
    email: str
    password: str
    full_name: str
    phone: str = ""
    citizen_id: str = ""


class LogInIn(Schema):
    email: str = ""  # or
    mobile: str = ""  # a mobile number proven at sign-up
    password: str


class PhoneStartIn(Schema):
    phone: str


class PhoneSignUpIn(Schema):
    phone: str
    code: str
    password: str
    full_name: str
    citizen_id: str = ""


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
    code: str


class StepUpIn(Schema):
    method: Literal["totp", "recovery_code"]
    code: str


class AalOut(Schema):
    aal: Decimal


class TotpSetupOut(Schema):
    secret: str
    otpauth_uri: str


class RecoveryCodesOut(Schema):
    recovery_codes: list[str]
    aal: Decimal
