"""Second factors: authenticator app (TOTP) and recovery codes, step-up through the API and the pages."""

import time
from decimal import Decimal

import pyotp
import pytest
from django.test import Client
from django.urls import reverse

from borikan.audit.models import AuditEntry
from borikan.identity import authn, mfa
from borikan.identity.models import ApiToken, RecoveryCode, TotpDevice
from borikan.identity.services import api_token_issue

PASSWORD = "correct-horse-battery-staple"


def _api(user):
    key, token = api_token_issue(user=user)
    return Client(headers={"Authorization": f"Bearer {key}"}), token


def _enrol(api: Client) -> tuple[pyotp.TOTP, dict]:
    setup = api.post("/api/v1/auth/totp/setup").json()
    totp = pyotp.TOTP(setup["secret"])
    confirmed = api.post("/api/v1/auth/totp/confirm", {"code": totp.now()}, content_type="application/json")
    assert confirmed.status_code == 200, confirmed.content
    return totp, confirmed.json()


def _next_code(totp: pyotp.TOTP) -> str:
    """The code of the next time step (accepted: 30 s of clock drift), so it differs from one just used."""
    return totp.at(time.time() + totp.interval)


def test_password_then_totp_step_up_reaches_aal2_over_the_api(citizen):
    api, token = _api(citizen)
    assert authn.token_aal(token) == authn.AAL1
    totp, confirmed = _enrol(api)
    assert Decimal(confirmed["aal"]) == authn.AAL2_2
    assert len(confirmed["recovery_codes"]) == 10
    assert RecoveryCode.objects.filter(user=citizen).count() == 10
    device = TotpDevice.objects.get(user=citizen)
    assert totp.secret not in device.secret_encrypted  # encrypted at rest

    # A new token (a new sign-in) starts at AAL 1 and steps up with the next code.
    api2, token2 = _api(citizen)
    response = api2.post(
        "/api/v1/auth/step-up", {"method": "totp", "code": _next_code(totp)}, content_type="application/json"
    )
    assert response.status_code == 200, response.content
    assert Decimal(response.json()["aal"]) == authn.AAL2_2
    token2.refresh_from_db()
    assert [m["method"] for m in token2.auth_methods] == ["password", "totp"]
    assert AuditEntry.objects.filter(action="auth.step_up", subject_user_id=citizen.pk).count() == 2


def test_a_replayed_totp_code_is_refused_audited_and_changes_nothing(citizen):
    api, _ = _api(citizen)
    totp, _ = _enrol(api)
    code = _next_code(totp)
    api2, _ = _api(citizen)
    assert (
        api2.post("/api/v1/auth/step-up", {"method": "totp", "code": code}, content_type="application/json").status_code
        == 200
    )
    api3, token3 = _api(citizen)
    replay = api3.post("/api/v1/auth/step-up", {"method": "totp", "code": code}, content_type="application/json")
    assert replay.status_code == 422
    assert replay.json()["code"] == "invalid_code"
    token3.refresh_from_db()
    assert authn.token_aal(token3) == authn.AAL1
    assert AuditEntry.objects.filter(action="auth.otp_failed", data__reason="replayed_totp").exists()


def test_wrong_codes_are_refused_then_otp_entry_is_throttled_for_a_while(citizen):
    api, _ = _api(citizen)
    totp, _ = _enrol(api)
    wrong = f"{(int(totp.now()) + 1) % 1_000_000:06d}"
    for _ in range(mfa.OTP_FAILURES.attempts):
        response = api.post("/api/v1/auth/step-up", {"method": "totp", "code": wrong}, content_type="application/json")
        assert response.status_code == 422
    blocked = api.post(
        "/api/v1/auth/step-up", {"method": "totp", "code": _next_code(totp)}, content_type="application/json"
    )
    assert blocked.status_code == 429
    assert int(blocked["Retry-After"]) <= 15 * 60
    assert AuditEntry.objects.filter(action="auth.otp_throttled").exists()


def test_recovery_code_gives_aal_2_1_and_works_once(citizen):
    api, _ = _api(citizen)
    _, confirmed = _enrol(api)
    code = confirmed["recovery_codes"][0]
    api2, _ = _api(citizen)
    first = api2.post(
        "/api/v1/auth/step-up", {"method": "recovery_code", "code": code.lower()}, content_type="application/json"
    )
    assert first.status_code == 200
    assert Decimal(first.json()["aal"]) == authn.AAL2_1
    api3, _ = _api(citizen)
    again = api3.post(
        "/api/v1/auth/step-up", {"method": "recovery_code", "code": code}, content_type="application/json"
    )
    assert again.status_code == 422
    assert mfa.recovery_codes_left(user=citizen) == 9


def test_removing_the_app_or_making_new_codes_needs_aal2(citizen):
    api, _ = _api(citizen)
    _enrol(api)
    fresh, _ = _api(citizen)  # AAL 1: password only
    assert fresh.delete("/api/v1/auth/totp").json()["code"] == "step_up_required"
    assert fresh.post("/api/v1/auth/recovery-codes").status_code == 403
    assert fresh.post("/api/v1/auth/totp/setup").status_code == 409  # one app; remove it first
    assert TotpDevice.objects.filter(user=citizen, confirmed_at__isnull=False).exists()
    assert api.delete("/api/v1/auth/totp").status_code == 204  # the enrolling token is at AAL 2.2


def test_tokens_lose_aal2_after_30_idle_minutes(citizen):
    api, token = _api(citizen)
    _enrol(api)
    token.refresh_from_db()
    assert authn.token_aal(token) == authn.AAL2_2
    later = int(time.time()) + 31 * 60
    assert authn.token_aal(token, now=later) == authn.AAL1
    ApiToken.objects.filter(pk=token.pk).update(last_used_at=token.last_used_at.replace(year=2020))
    response = api.post("/api/v1/auth/recovery-codes")  # the token's idle time is judged before this request
    assert response.status_code == 403


# --- pages -------------------------------------------------------------------------------------------------


@pytest.fixture
def browser(citizen) -> Client:
    client = Client()
    response = client.post(reverse("identity:login"), {"email": citizen.email, "password": PASSWORD})
    assert response.status_code == 302
    return client


def test_page_enrolment_then_step_up_returns_to_where_the_person_was(browser, citizen):
    page = browser.get(reverse("identity:totp_enrol"))
    assert page.status_code == 200
    secret = TotpDevice.objects.get(user=citizen)
    totp = pyotp.TOTP(mfa.totp_pending(user=citizen)["secret"])
    assert secret.confirmed_at is None
    wrong = browser.post(reverse("identity:totp_enrol"), {"method": "totp", "code": "000000"})
    assert wrong.status_code == 400
    done = browser.post(reverse("identity:totp_enrol"), {"method": "totp", "code": totp.now()})
    assert done.status_code == 200
    assert len(done.context["codes"]) == 10

    # Sign in again: with a second factor set up, the person is asked for it, then sent on.
    again = Client()
    target = reverse("applications:mine")
    login = again.post(reverse("identity:login"), {"email": citizen.email, "password": PASSWORD, "next": target})
    assert login.status_code == 302 and reverse("identity:step_up") in login["Location"]
    old_key = again.session.session_key
    step = again.post(login["Location"], {"method": "totp", "code": _next_code(totp), "next": target})
    assert step.status_code == 302 and step["Location"] == target
    assert again.session.session_key != old_key  # rotated on step-up
    state = again.session[authn.SESSION_KEY]
    assert [m["method"] for m in state["methods"]] == ["password", "totp"]
    uses = [authn.MethodUse.from_dict(m) for m in state["methods"]]
    assert authn.aal_of(uses, last_activity=state["last_activity"]) == authn.AAL2_2


def test_step_up_page_without_a_second_factor_offers_to_set_one_up(browser):
    page = browser.get(reverse("identity:step_up") + "?aal=2.2&next=/applications/")
    assert page.status_code == 200
    assert reverse("identity:totp_enrol") in page.content.decode()
