import datetime as dt

from ninja import Schema


class SignUpIn(Schema):
    email: str
    password: str
    full_name: str
    phone: str = ""
    citizen_id: str = ""


class LogInIn(Schema):
    email: str
    password: str


class UserOut(Schema):
    id: int
    email: str
    full_name: str


class TokenOut(Schema):
    token: str
    token_type: str = "Bearer"  # noqa: S105 - the scheme name, not a secret
    expires_at: dt.datetime
    user: UserOut
