"""Fixtures shared by every app's tests: agencies, a service, people in each role, API clients."""

from __future__ import annotations

import time

import pytest
from django.core.cache import cache
from django.test import Client

from borikan.agencies.models import Agency, StaffMembership, StaffRole
from borikan.agencies.selectors import staff_agency_ids
from borikan.catalog.formschema import build_default_form_schema
from borikan.catalog.models import PaymentTiming, Service, StepMode
from borikan.identity import authn
from borikan.identity.authn import Method, MethodUse
from borikan.identity.models import User
from borikan.identity.services import api_token_issue

VALID_FORM = {
    "full_name": "สมชาย ใจดี",
    "email": "somchai@example.com",
    "citizen_id": "1101700230708",
    "address": "99 ถนนพระราม 6 แขวงพญาไท เขตพญาไท กรุงเทพมหานคร 10400",
    "phone": "0812345678",
}


def make_agency(code: str = "EXCISE", **extra) -> Agency:
    return Agency.objects.create(
        code=code,
        name_th=f"หน่วยงาน {code}",
        name_en=f"Agency {code}",
        email=f"saraban@{code.lower()}.go.th",
        **extra,
    )


def make_service(
    agency: Agency,
    *,
    slug: str = "liquor-sale-licence",
    fee_satang: int | None = 165000,
    payment_timing: str = PaymentTiming.AFTER_APPROVAL,
    online: bool = True,
) -> Service:
    mode = StepMode.ONLINE if online else StepMode.COUNTER
    return Service.objects.create(
        slug=slug,
        agency=agency,
        name_th="ใบอนุญาตขายสุรา",
        name_en="Liquor sale licence",
        description_th="ขออนุญาตขายสุรา",
        category="business",
        transaction_type="licence-new",
        legal_basis_th="พระราชบัญญัติภาษีสรรพสามิต พ.ศ. 2560",
        fee_satang=fee_satang,
        processing_time_days=3,
        channels=["online", "counter"],
        personal_data_fields=["citizen_id", "full_name", "address", "phone"],
        form_schema=build_default_form_schema(["citizen_id", "full_name", "address", "phone"]),
        mode_identity=mode,
        mode_application=mode,
        mode_review=mode,
        mode_approval=mode,
        mode_payment=(mode if fee_satang else StepMode.NOT_APPLICABLE),
        mode_issuance=mode,
        mode_delivery=mode,
        payment_timing=payment_timing,
        document_validity_days=365,
    )


PASSWORD_ONLY = (Method.PASSWORD,)
TWO_FACTORS = (Method.PASSWORD, Method.TOTP)


def _uses(methods: tuple[str, ...]) -> list[MethodUse]:
    now = int(time.time())
    return [MethodUse(method=method, at=now) for method in methods]


def signed_in(user: User, *methods: str) -> User:
    """The user object as a request would carry it after signing in with these methods (services read the
    assurance from it). The sign-in flows themselves are tested in identity/tests."""
    uses = _uses(methods)
    authn.attach(user, aal=authn.aal_of(uses, last_activity=int(time.time())), methods=tuple(methods))
    return user


def sign_in(client: Client, user: User, *methods: str) -> Client:
    """A browser session signed in with these methods (default: a password, plus the app for staff)."""
    methods = methods or (TWO_FACTORS if user.is_staff or staff_agency_ids(user=user) else PASSWORD_ONLY)
    client.force_login(user)
    session = client.session
    session[authn.SESSION_KEY] = {
        "methods": [use.as_dict() for use in _uses(methods)],
        "last_activity": int(time.time()),
    }
    session.save()
    return client


def make_user(email: str, name: str = "ผู้ใช้ ทดสอบ", *, methods: tuple[str, ...] = PASSWORD_ONLY) -> User:
    return signed_in(User.objects.create_user(email, "correct-horse-battery-staple", full_name=name), *methods)


def make_staff(email: str, agency: Agency, *roles: str) -> User:
    user = make_user(email, "เจ้าหน้าที่ ทดสอบ", methods=TWO_FACTORS)
    for role in roles:
        StaffMembership.objects.create(user=user, agency=agency, role=role)
    return user


@pytest.fixture(autouse=True)
def _fresh_cache() -> None:
    """Rate-limit counters live in the cache; each test starts with none."""
    cache.clear()


@pytest.fixture
def agency(db) -> Agency:
    return make_agency("EXCISE")


@pytest.fixture
def other_agency(db) -> Agency:
    return make_agency("DBD")


@pytest.fixture
def service(agency: Agency) -> Service:
    return make_service(agency)


@pytest.fixture
def free_service(agency: Agency) -> Service:
    return make_service(agency, slug="free-certificate", fee_satang=None)


@pytest.fixture
def citizen(db) -> User:
    return make_user("citizen@example.com", "สมชาย ใจดี")


@pytest.fixture
def other_citizen(db) -> User:
    return make_user("other@example.com", "สมศรี มีสุข")


@pytest.fixture
def officer(agency: Agency) -> User:
    return make_staff("officer@excise.go.th", agency, StaffRole.OFFICER)


@pytest.fixture
def approver(agency: Agency) -> User:
    return make_staff("approver@excise.go.th", agency, StaffRole.APPROVER)


@pytest.fixture
def foreign_officer(other_agency: Agency) -> User:
    return make_staff("officer@dbd.go.th", other_agency, StaffRole.OFFICER, StaffRole.APPROVER)


def api_client_for(user: User, *methods: str) -> Client:
    """A client calling the API with a bearer token of a sign-in with these methods (default: a password, plus
    the authenticator app for staff, who always work at AAL 2)."""
    methods = methods or (TWO_FACTORS if user.is_staff or staff_agency_ids(user=user) else PASSWORD_ONLY)
    key, token = api_token_issue(user=user)
    token.auth_methods = [use.as_dict() for use in _uses(methods)]
    token.save(update_fields=["auth_methods"])
    return Client(headers={"Authorization": f"Bearer {key}"})


@pytest.fixture
def api_as():
    """api_as(user) → a test client that calls the API with that user's bearer token."""
    return api_client_for
