"""Signing up and signing in with a mobile number, the number proven by a code sent through the SMS sandbox (a
separate process speaking the provider's HTTP API)."""

from __future__ import annotations

import re
import secrets
from collections.abc import Iterator

import httpx
import pytest
from django.test import Client
from django.urls import reverse

from borikan.audit.models import AuditEntry
from borikan.identity import phone
from borikan.identity.models import User
from borikan.sandboxes import sms_gateway

PASSWORD = "a-long-enough-passphrase"
NUMBER = "081-234-5678"
E164 = "+66812345678"


@pytest.fixture(scope="module")
def sms_process() -> Iterator[tuple[str, str]]:
    key = secrets.token_urlsafe(16)
    process, url = sms_gateway.spawn(api_key=key)
    yield url, key
    sms_gateway.stop(process)


@pytest.fixture
def sms(sms_process, settings):
    url, key = sms_process
    settings.BORIKAN_SMS_URL, settings.BORIKAN_SMS_API_KEY = url, key

    def inbox(number: str = E164) -> list[dict]:
        response = httpx.get(f"{url}/v1/messages", params={"to": number}, headers={"Authorization": f"Bearer {key}"})
        return response.json()

    return inbox


def _code(inbox) -> str:
    return re.search(r"\b(\d{6})\b", inbox()[-1]["text"]).group(1)


pytestmark = [pytest.mark.slow, pytest.mark.django_db]


def test_sign_up_by_mobile_over_the_api_then_sign_in_with_the_number(sms):
    api = Client()
    assert (
        api.post("/api/v1/auth/signup/phone/start", {"phone": NUMBER}, content_type="application/json").status_code
        == 202
    )
    code = _code(sms)
    created = api.post(
        "/api/v1/auth/signup/phone",
        {"phone": NUMBER, "code": code, "password": PASSWORD, "full_name": "มานะ ใจงาม"},
        content_type="application/json",
    )
    assert created.status_code == 201, created.content
    assert created.json()["mobile"] == E164 and created.json()["email"] is None
    user = User.objects.get(mobile=E164)
    assert user.mobile_verified_at is not None
    token = api.post(
        "/api/v1/auth/token", {"mobile": "0812345678", "password": PASSWORD}, content_type="application/json"
    )
    assert token.status_code == 200
    wrong = api.post(
        "/api/v1/auth/token", {"mobile": E164, "password": "not-the-password"}, content_type="application/json"
    )
    assert wrong.status_code == 401
    # The code was used: it cannot create a second account.
    again = api.post(
        "/api/v1/auth/signup/phone",
        {"phone": NUMBER, "code": code, "password": PASSWORD, "full_name": "คนอื่น"},
        content_type="application/json",
    )
    assert again.status_code == 422 and again.json()["code"] == "invalid_code"


def test_wrong_codes_are_refused_and_the_code_dies_after_five_tries(sms):
    phone.phone_signup_start(phone=NUMBER, address="198.51.100.1")
    code = _code(sms)
    wrong = f"{(int(code) + 1) % 1_000_000:06d}"
    for _ in range(phone.MAX_TRIES):
        with pytest.raises(Exception) as error:
            phone.phone_signup_complete(phone=NUMBER, code=wrong, password=PASSWORD, full_name="ก ข")
        assert error.value.code == "invalid_code"
    with pytest.raises(Exception) as error:
        phone.phone_signup_complete(phone=NUMBER, code=code, password=PASSWORD, full_name="ก ข")
    assert error.value.code == "invalid_code"
    assert not User.objects.filter(mobile=E164).exists()
    assert AuditEntry.objects.filter(action="auth.phone_code_failed").count() == phone.MAX_TRIES


def test_bad_numbers_and_too_many_codes_are_refused(sms):
    api = Client()
    bad = api.post("/api/v1/auth/signup/phone/start", {"phone": "021234567"}, content_type="application/json")
    assert bad.status_code == 422 and bad.json()["code"] == "invalid_phone"
    before = len(sms())
    for _ in range(phone.NUMBER_SENDS.attempts):
        api.post("/api/v1/auth/signup/phone/start", {"phone": NUMBER}, content_type="application/json")
    blocked = api.post("/api/v1/auth/signup/phone/start", {"phone": NUMBER}, content_type="application/json")
    assert blocked.status_code == 429
    assert len(sms()) - before == phone.NUMBER_SENDS.attempts  # the blocked request sent nothing


def test_a_number_with_an_account_gets_told_so_not_a_code(sms, citizen):
    User.objects.filter(pk=citizen.pk).update(mobile=E164)
    phone.phone_signup_start(phone=NUMBER, address="198.51.100.2")
    assert "already has an account" in sms()[-1]["text"]


def test_the_provider_down_is_a_clear_503(settings):
    settings.BORIKAN_SMS_URL = "http://127.0.0.1:9"
    response = Client().post("/api/v1/auth/signup/phone/start", {"phone": NUMBER}, content_type="application/json")
    assert response.status_code == 503 and response.json()["code"] == "sms_unavailable"


def test_sign_up_by_mobile_on_the_pages(sms):
    browser = Client()
    sent = browser.post(reverse("identity:signup_phone"), {"phone": NUMBER})
    assert sent.status_code == 200 and sent.context["sent"]
    done = browser.post(
        reverse("identity:signup_phone"),
        {"phone": NUMBER, "code": _code(sms), "full_name": "มานะ ใจงาม", "password": PASSWORD},
    )
    assert done.status_code == 302
    assert browser.get(reverse("identity:security")).status_code == 200
    page = Client().post(reverse("identity:login"), {"email": "0812345678", "password": PASSWORD})
    assert page.status_code == 302


def test_the_sandbox_sms_command_shows_a_numbers_messages(sms):
    from io import StringIO

    from django.core.management import call_command

    phone.phone_signup_start(phone=NUMBER, address="198.51.100.3")
    out = StringIO()
    call_command("sandbox_sms", "0812345678", stdout=out)
    assert _code(sms) in out.getvalue()
