"""Passkeys (WebAuthn) end to end, with a software authenticator (softauthn.py) answering real challenges:
registration and passwordless login through the API and the pages, step-up to AAL 2.2, and every refusal
(origin, RP ID, user verification, counter, unknown key, replay) audited with the stored credential unchanged."""

from __future__ import annotations

import json
import re
import time
from decimal import Decimal

import pytest
from django.contrib.staticfiles import finders
from django.core.cache import cache
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from fido2.utils import websafe_decode, websafe_encode

from borikan.audit.models import AuditEntry
from borikan.identity import authn, webauthn
from borikan.identity.models import ApiToken, TotpDevice, WebAuthnCredential
from borikan.identity.services import api_token_issue

from .softauthn import NoCredential, SoftAuthenticator

ADDRESS = "203.0.113.9"


@pytest.fixture(autouse=True)
def empty_cache():
    cache.clear()
    yield
    cache.clear()


# --- helpers -----------------------------------------------------------------------------------------------------


def password_token_client(user) -> tuple[Client, ApiToken]:
    """An API client signed in with a password only (AAL 1)."""
    key, token = api_token_issue(user=user)
    return Client(headers={"Authorization": f"Bearer {key}"}, REMOTE_ADDR=ADDRESS), token


def password_session_client(user, **client_kwargs) -> Client:
    """A browser session signed in with a password (AAL 1), as `authn.session_log_in(..., Method.PASSWORD)`
    leaves it."""
    client = Client(REMOTE_ADDR=ADDRESS, **client_kwargs)
    client.force_login(user)
    session = client.session
    now = int(time.time())
    session[authn.SESSION_KEY] = {"methods": [{"method": "password", "at": now}], "last_activity": now}
    session.save()
    return client


def session_aal(client: Client) -> Decimal:
    state = client.session[authn.SESSION_KEY]
    uses = [authn.MethodUse.from_dict(item) for item in state["methods"]]
    return authn.aal_of(uses, last_activity=state["last_activity"])


def post_json(client: Client, url: str, body: dict | None = None):
    return client.post(url, json.dumps(body or {}), content_type="application/json")


def api_register(client: Client, authenticator: SoftAuthenticator, name: str = "My phone", **answer):
    begun = post_json(client, "/api/v1/auth/passkeys/register/begin")
    if begun.status_code != 200:  # refused before any ceremony
        return begun
    credential = authenticator.create(begun.json()["publicKey"], **answer)
    return post_json(
        client,
        "/api/v1/auth/passkeys/register/complete",
        {"ticket": begun.json()["ticket"], "credential": credential, "name": name},
    )


def registered(user, authenticator: SoftAuthenticator | None = None) -> SoftAuthenticator:
    """Register a passkey for `user` through the API at AAL 1 (their first passkey)."""
    authenticator = authenticator or SoftAuthenticator()
    client, _ = password_token_client(user)
    response = api_register(client, authenticator)
    assert response.status_code == 201, response.content
    return authenticator


def api_login_begin(email: str = "") -> dict:
    response = post_json(Client(REMOTE_ADDR=ADDRESS), "/api/v1/auth/passkeys/login/begin", {"email": email})
    assert response.status_code == 200, response.content
    return response.json()


def api_login_complete(ticket: str, credential: dict):
    return post_json(
        Client(REMOTE_ADDR=ADDRESS),
        "/api/v1/auth/passkeys/login/complete",
        {"ticket": ticket, "credential": credential},
    )


def failures(reason: str) -> int:
    return AuditEntry.objects.filter(action="auth.passkey_failed", data__reason=reason).count()


def snapshot(authenticator: SoftAuthenticator) -> tuple:
    stored = WebAuthnCredential.objects.get(credential_id=authenticator.id)
    return stored.sign_count, stored.last_used_at, bytes(stored.credential_data), stored.user_id


# --- registration and login through the API ---------------------------------------------------------------------


@pytest.mark.django_db
def test_api_registration_stores_the_credential_and_passkey_login_issues_a_token_at_aal_2_2(citizen):
    client, _ = password_token_client(citizen)
    authenticator = SoftAuthenticator(backup_eligible=True)
    begun = post_json(client, "/api/v1/auth/passkeys/register/begin").json()
    options = begun["publicKey"]
    assert options["rp"]["id"] == "localhost"
    assert options["authenticatorSelection"]["userVerification"] == "required"
    assert options["attestation"] == "none"
    assert websafe_decode(options["user"]["id"]) == str(citizen.pk).encode()
    response = post_json(
        client,
        "/api/v1/auth/passkeys/register/complete",
        {"ticket": begun["ticket"], "credential": authenticator.create(options), "name": "  Phone  "},
    )
    assert response.status_code == 201, response.content
    stored = WebAuthnCredential.objects.get(user=citizen)
    assert response.json()["id"] == stored.pk
    assert stored.credential_id == authenticator.id
    assert stored.name == "Phone"
    assert stored.backup_eligible is True
    assert stored.sign_count == 1
    assert AuditEntry.objects.filter(action="auth.passkey_registered", subject_user_id=citizen.pk).count() == 1

    begun = api_login_begin()  # discoverable: no e-mail, no allow list
    assert "allowCredentials" not in begun["publicKey"]
    assert begun["publicKey"]["userVerification"] == "required"
    response = api_login_complete(begun["ticket"], authenticator.get(begun["publicKey"]))
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["token_type"] == "Bearer"
    assert body["user"] == {"id": citizen.pk, "email": citizen.email, "mobile": None, "full_name": citizen.full_name}
    assert body["expires_at"]
    token = ApiToken.objects.get(key_hash=ApiToken.hash_key(body["token"]))
    assert [use["method"] for use in token.auth_methods] == ["webauthn"]
    assert authn.token_aal(token) == Decimal("2.2")
    me = Client(headers={"Authorization": f"Bearer {body['token']}"}).get("/api/v1/auth/me")
    assert me.json()["id"] == citizen.pk
    stored.refresh_from_db()
    assert stored.sign_count == 2
    assert stored.last_used_at is not None
    assert AuditEntry.objects.filter(action="auth.passkey_login", subject_user_id=citizen.pk).count() == 1


@pytest.mark.django_db
def test_a_device_bound_key_is_stored_as_not_backup_eligible(citizen):
    registered(citizen, SoftAuthenticator(backup_eligible=False))
    assert WebAuthnCredential.objects.get(user=citizen).backup_eligible is False


@pytest.mark.django_db
def test_login_by_email_lists_that_accounts_passkeys_and_an_unknown_address_gets_a_steady_decoy(citizen):
    authenticator = registered(citizen)
    begun = api_login_begin(citizen.email.upper())
    assert [item["id"] for item in begun["publicKey"]["allowCredentials"]] == [authenticator.id]
    assert api_login_complete(begun["ticket"], authenticator.get(begun["publicKey"])).status_code == 200

    decoy = api_login_begin("nobody@example.com")["publicKey"]["allowCredentials"]
    assert len(decoy) == 1 and decoy[0]["id"] != authenticator.id
    assert api_login_begin("nobody@example.com")["publicKey"]["allowCredentials"] == decoy
    with pytest.raises(NoCredential):
        authenticator.get(api_login_begin("nobody@example.com")["publicKey"])


@pytest.mark.django_db
def test_a_synced_passkey_that_always_reports_counter_zero_keeps_working(citizen):
    authenticator = registered(citizen, SoftAuthenticator(counts=False))
    for _ in range(2):
        begun = api_login_begin()
        assert api_login_complete(begun["ticket"], authenticator.get(begun["publicKey"])).status_code == 200
    assert WebAuthnCredential.objects.get(user=citizen).sign_count == 0


@pytest.mark.django_db
def test_the_passkey_list_shows_only_my_own(citizen, other_citizen):
    registered(citizen)
    registered(other_citizen)
    client, _ = password_token_client(citizen)
    listed = client.get("/api/v1/auth/passkeys").json()
    assert [item["id"] for item in listed] == [WebAuthnCredential.objects.get(user=citizen).pk]
    assert set(listed[0]) == {"id", "name", "backup_eligible", "created_at", "last_used_at"}


# --- step-up ------------------------------------------------------------------------------------------------------


@pytest.mark.django_db
def test_api_step_up_takes_a_password_token_to_aal_2_2(citizen):
    authenticator = registered(citizen)
    client, token = password_token_client(citizen)
    assert authn.token_aal(token) == Decimal("1")
    begun = post_json(client, "/api/v1/auth/passkeys/step-up/begin").json()
    assert [item["id"] for item in begun["publicKey"]["allowCredentials"]] == [authenticator.id]
    response = post_json(
        client,
        "/api/v1/auth/passkeys/step-up/complete",
        {"ticket": begun["ticket"], "credential": authenticator.get(begun["publicKey"])},
    )
    assert response.status_code == 200, response.content
    assert response.json() == {"aal": "2.2"}
    token.refresh_from_db()
    assert [use["method"] for use in token.auth_methods] == ["password", "webauthn"]
    assert authn.token_aal(token) == Decimal("2.2")
    assert AuditEntry.objects.filter(action="auth.passkey_step_up", subject_user_id=citizen.pk).count() == 1
    assert AuditEntry.objects.filter(action="auth.step_up", data__method="webauthn").count() == 1


@pytest.mark.django_db
def test_step_up_refuses_another_persons_passkey_and_a_ticket_begun_by_another_token(citizen, other_citizen):
    registered(citizen)
    someone_else = registered(other_citizen)
    client, token = password_token_client(citizen)
    begun = post_json(client, "/api/v1/auth/passkeys/step-up/begin").json()
    options = dict(begun["publicKey"], allowCredentials=None)  # a client ignoring the allow list
    response = post_json(
        client,
        "/api/v1/auth/passkeys/step-up/complete",
        {"ticket": begun["ticket"], "credential": someone_else.get(options)},
    )
    assert response.status_code == 401
    assert response.json()["code"] == "passkey_unknown"
    token.refresh_from_db()
    assert authn.token_aal(token) == Decimal("1")

    other_client, _ = password_token_client(citizen)  # the same person, another token
    begun = post_json(client, "/api/v1/auth/passkeys/step-up/begin").json()
    response = post_json(
        other_client, "/api/v1/auth/passkeys/step-up/complete", {"ticket": begun["ticket"], "credential": {}}
    )
    assert response.json()["code"] == "passkey_challenge_invalid"
    assert failures("passkey_challenge_invalid") == 1


@pytest.mark.django_db
def test_page_step_up_takes_a_password_session_to_aal_2_2(citizen):
    authenticator = registered(citizen)
    client = password_session_client(citizen)
    assert session_aal(client) == Decimal("1")
    key_before = client.session.session_key
    assert client.get("/account/passkeys/step-up/?next=/account/passkeys/").status_code == 200
    begun = post_json(client, "/account/passkeys/step-up/begin/").json()
    response = post_json(
        client,
        "/account/passkeys/step-up/complete/",
        {"credential": authenticator.get(begun["publicKey"]), "next": "/account/passkeys/"},
    )
    assert response.status_code == 200, response.content
    assert response.json() == {"aal": "2.2", "redirect": "/account/passkeys/"}
    assert session_aal(client) == Decimal("2.2")
    assert client.session.session_key != key_before  # rotated on step-up


@pytest.mark.django_db
def test_api_step_up_with_the_browser_session_steps_up_the_session(citizen):
    authenticator = registered(citizen)
    client = password_session_client(citizen)
    begun = post_json(client, "/api/v1/auth/passkeys/step-up/begin").json()
    response = post_json(
        client,
        "/api/v1/auth/passkeys/step-up/complete",
        {"ticket": begun["ticket"], "credential": authenticator.get(begun["publicKey"])},
    )
    assert response.json() == {"aal": "2.2"}
    assert session_aal(client) == Decimal("2.2")


# --- pages --------------------------------------------------------------------------------------------------------


@pytest.mark.django_db
def test_pages_register_a_passkey_then_sign_in_with_it(citizen):
    client = password_session_client(citizen)
    page = client.get("/account/passkeys/")
    assert page.status_code == 200
    assert b'data-passkey="register"' in page.content
    authenticator = SoftAuthenticator()
    begun = post_json(client, "/account/passkeys/register/begin/").json()
    assert "ticket" not in begun  # pages keep the challenge in the session
    response = post_json(
        client,
        "/account/passkeys/register/complete/",
        {"credential": authenticator.create(begun["publicKey"]), "name": "Laptop"},
    )
    assert response.status_code == 200, response.content
    assert response.json()["redirect"] == "/account/passkeys/"
    assert WebAuthnCredential.objects.get(user=citizen).name == "Laptop"
    assert b"Laptop" in client.get("/account/passkeys/").content

    visitor = Client(REMOTE_ADDR=ADDRESS)
    login_page = visitor.get("/account/passkeys/login/?next=/account/passkeys/")
    assert login_page.status_code == 200
    assert b'data-passkey="login"' in login_page.content
    begun = post_json(visitor, "/account/passkeys/login/begin/").json()
    anonymous_key = visitor.session.session_key
    response = post_json(
        visitor,
        "/account/passkeys/login/complete/",
        {"credential": authenticator.get(begun["publicKey"]), "next": "/account/passkeys/"},
    )
    assert response.status_code == 200, response.content
    assert response.json() == {"redirect": "/account/passkeys/"}
    assert int(visitor.session["_auth_user_id"]) == citizen.pk
    assert visitor.session.session_key != anonymous_key
    assert session_aal(visitor) == Decimal("2.2")
    assert visitor.get("/account/passkeys/").status_code == 200


@pytest.mark.django_db
def test_page_login_goes_to_a_local_page_only(citizen):
    authenticator = registered(citizen)
    visitor = Client(REMOTE_ADDR=ADDRESS)
    begun = post_json(visitor, "/account/passkeys/login/begin/").json()
    response = post_json(
        visitor,
        "/account/passkeys/login/complete/",
        {"credential": authenticator.get(begun["publicKey"]), "next": "https://evil.example/"},
    )
    assert response.status_code == 200
    assert response.json()["redirect"] == reverse("identity:home")


@pytest.mark.django_db
def test_page_login_challenge_is_used_once(citizen):
    authenticator = registered(citizen)
    visitor = Client(REMOTE_ADDR=ADDRESS)
    begun = post_json(visitor, "/account/passkeys/login/begin/").json()
    assert (
        post_json(
            visitor, "/account/passkeys/login/complete/", {"credential": authenticator.get(begun["publicKey"])}
        ).status_code
        == 200
    )
    before = snapshot(authenticator)
    again = post_json(
        Client(REMOTE_ADDR=ADDRESS),
        "/account/passkeys/login/complete/",
        {"credential": authenticator.get(begun["publicKey"])},
    )
    assert again.status_code == 400
    assert again["Content-Type"] == "application/problem+json"
    assert again.json()["code"] == "passkey_challenge_invalid"
    assert snapshot(authenticator) == before
    assert failures("passkey_challenge_invalid") == 1


@pytest.mark.django_db
def test_page_endpoints_need_the_csrf_token(citizen):
    visitor = Client(enforce_csrf_checks=True, REMOTE_ADDR=ADDRESS)
    assert post_json(visitor, "/account/passkeys/login/begin/").status_code == 403
    visitor.get("/account/passkeys/login/")
    token = visitor.cookies["csrftoken"].value
    response = visitor.post(
        "/account/passkeys/login/begin/", "{}", content_type="application/json", headers={"X-CSRFToken": token}
    )
    assert response.status_code == 200


@pytest.mark.django_db
def test_pages_load_the_script_as_a_static_file_under_the_csp(citizen):
    page = Client().get("/account/passkeys/login/")
    assert "script-src 'self'" in page["Content-Security-Policy"]
    html = page.content.decode()
    assert '<script src="/static/identity/passkeys.js" defer></script>' in html
    # no inline script: every script element loads a static file (the page's own, and the design system's start)
    scripts = re.findall(r"<script[^>]*>(.*?)</script>", html, re.S)
    assert scripts and all(body.strip() == "" for body in scripts)
    assert all('src="/static/' in tag for tag in re.findall(r"<script[^>]*>", html))
    found = finders.find("identity/passkeys.js")
    assert found is not None
    script = open(found, encoding="utf-8").read()  # noqa: SIM115
    assert "parseCreationOptionsFromJSON" in script and "toJSON()" in script and "X-CSRFToken" in script


# --- refusals -----------------------------------------------------------------------------------------------------


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("answer", "status", "code"),
    [
        ({"origin": "https://evil.example"}, 400, "passkey_wrong_origin"),
        ({"origin": "http://localhost:8001"}, 400, "passkey_wrong_origin"),
        ({"rp_id": "evil.example"}, 400, "passkey_wrong_rp_id"),
        ({"user_verified": False}, 400, "passkey_user_not_verified"),
        ({"counter": 1}, 401, "passkey_counter_stale"),  # the stored counter is 1 after registration
        ({"counter": 0}, 401, "passkey_counter_stale"),  # went back to zero
    ],
)
def test_bad_assertions_are_refused_audited_and_change_nothing(citizen, answer, status, code):
    authenticator = registered(citizen)
    before = snapshot(authenticator)
    begun = api_login_begin()
    response = api_login_complete(begun["ticket"], authenticator.get(begun["publicKey"], **answer))
    assert response.status_code == status, response.content
    assert response.json()["code"] == code
    assert response.json()["detail_th"] and response.json()["detail_en"]
    assert failures(code) == 1
    assert AuditEntry.objects.get(action="auth.passkey_failed").subject_user_id == citizen.pk
    assert snapshot(authenticator) == before
    assert all(use["method"] != "webauthn" for token in ApiToken.objects.all() for use in token.auth_methods)
    assert not AuditEntry.objects.filter(action="auth.passkey_login").exists()


@pytest.mark.django_db
def test_an_unknown_credential_is_refused(citizen):
    registered(citizen)
    stranger = SoftAuthenticator()
    stranger.user_handle = str(citizen.pk).encode()  # even claiming to be the citizen
    begun = api_login_begin()
    response = api_login_complete(begun["ticket"], stranger.get(begun["publicKey"]))
    assert response.status_code == 401
    assert response.json()["code"] == "passkey_unknown"
    assert failures("passkey_unknown") == 1
    assert WebAuthnCredential.objects.count() == 1


@pytest.mark.django_db
def test_a_forged_signature_is_refused(citizen):
    authenticator = registered(citizen)
    before = snapshot(authenticator)
    begun = api_login_begin()
    impostor = SoftAuthenticator()
    impostor.credential_id = authenticator.credential_id  # same ID, another key
    forged = impostor.get(begun["publicKey"], counter=50)
    response = api_login_complete(begun["ticket"], forged)
    assert response.status_code == 401
    assert response.json()["code"] == "passkey_invalid"
    assert snapshot(authenticator) == before


@pytest.mark.django_db
def test_a_ticket_is_used_once_and_an_old_challenge_is_refused(citizen):
    authenticator = registered(citizen)
    begun = api_login_begin()
    first_answer = authenticator.get(begun["publicKey"])
    assert api_login_complete(begun["ticket"], first_answer).status_code == 200
    before = snapshot(authenticator)

    replayed = api_login_complete(begun["ticket"], authenticator.get(begun["publicKey"]))
    assert replayed.status_code == 400
    assert replayed.json()["code"] == "passkey_challenge_invalid"

    fresh = api_login_begin()  # a new ticket, but the answer is to the old challenge
    old_answer = authenticator.get(begun["publicKey"])
    response = api_login_complete(fresh["ticket"], old_answer)
    assert response.json()["code"] == "passkey_challenge_mismatch"
    assert snapshot(authenticator) == before
    assert failures("passkey_challenge_invalid") == 1
    assert failures("passkey_challenge_mismatch") == 1


@pytest.mark.django_db
def test_an_expired_ticket_is_refused(citizen, monkeypatch):
    authenticator = registered(citizen)
    begun = api_login_begin()
    later = time.time() + webauthn.CHALLENGE_TTL_SECONDS + 1
    monkeypatch.setattr(webauthn.time, "time", lambda: later)
    response = api_login_complete(begun["ticket"], authenticator.get(begun["publicKey"]))
    assert response.json()["code"] == "passkey_challenge_invalid"


@pytest.mark.django_db
def test_a_malformed_answer_is_422(citizen):
    registered(citizen)
    begun = api_login_begin()
    response = api_login_complete(begun["ticket"], {"id": "x", "rawId": "y"})
    assert response.status_code == 422
    assert response.json()["code"] == "passkey_malformed"


@pytest.mark.django_db
def test_failed_passkey_logins_are_limited_per_address(citizen):
    authenticator = registered(citizen)
    for _ in range(webauthn.FAILURES_PER_ADDRESS.attempts):
        begun = api_login_begin()
        api_login_complete(begun["ticket"], authenticator.get(begun["publicKey"], user_verified=False))
    begun = api_login_begin()
    blocked = api_login_complete(begun["ticket"], authenticator.get(begun["publicKey"]))
    assert blocked.status_code == 429
    assert blocked.json()["code"] == "too_many_attempts"
    assert AuditEntry.objects.filter(action="auth.passkey_throttled").count() == 1
    elsewhere = post_json(Client(REMOTE_ADDR="198.51.100.7"), "/api/v1/auth/passkeys/login/begin").json()
    response = post_json(
        Client(REMOTE_ADDR="198.51.100.7"),
        "/api/v1/auth/passkeys/login/complete",
        {"ticket": elsewhere["ticket"], "credential": authenticator.get(elsewhere["publicKey"])},
    )
    assert response.status_code == 200


# --- registration rules -------------------------------------------------------------------------------------------


@pytest.mark.django_db
def test_registration_without_user_verification_or_for_another_origin_stores_nothing(citizen):
    client, _ = password_token_client(citizen)
    response = api_register(client, SoftAuthenticator(), user_verified=False)
    assert response.json()["code"] == "passkey_user_not_verified"
    response = api_register(client, SoftAuthenticator(), origin="https://evil.example")
    assert response.json()["code"] == "passkey_wrong_origin"
    response = api_register(client, SoftAuthenticator(), rp_id="evil.example")
    assert response.json()["code"] == "passkey_wrong_rp_id"
    assert not WebAuthnCredential.objects.exists()
    assert AuditEntry.objects.filter(action="auth.passkey_failed", data__purpose="register").count() == 3


@pytest.mark.django_db
def test_the_same_authenticator_cannot_be_registered_twice(citizen, other_citizen):
    authenticator = registered(citizen)
    client, _ = password_token_client(other_citizen)
    response = api_register(client, authenticator)
    assert response.status_code == 409
    assert response.json()["code"] == "passkey_already_registered"
    assert WebAuthnCredential.objects.get().user == citizen


@pytest.mark.django_db
def test_a_second_passkey_needs_aal_2_and_the_first_does_not(citizen):
    first = registered(citizen)  # at AAL 1
    client, _ = password_token_client(citizen)
    refused = api_register(client, SoftAuthenticator())
    assert refused.status_code == 403
    problem = refused.json()
    assert problem["code"] == "step_up_required"
    assert problem["errors"]["fix"]["aal"].startswith("/account/step-up/")
    assert AuditEntry.objects.filter(action="auth.passkey_refused", data__operation="register").count() == 1

    begun = post_json(client, "/api/v1/auth/passkeys/step-up/begin").json()
    post_json(
        client,
        "/api/v1/auth/passkeys/step-up/complete",
        {"ticket": begun["ticket"], "credential": first.get(begun["publicKey"])},
    )
    second = SoftAuthenticator()
    begun = post_json(client, "/api/v1/auth/passkeys/register/begin").json()
    assert [item["id"] for item in begun["publicKey"]["excludeCredentials"]] == [first.id]
    response = post_json(
        client,
        "/api/v1/auth/passkeys/register/complete",
        {"ticket": begun["ticket"], "credential": second.create(begun["publicKey"])},
    )
    assert response.status_code == 201
    assert response.json()["name"] == "Passkey 2"


@pytest.mark.django_db
def test_an_account_with_totp_needs_aal_2_for_its_first_passkey(citizen):
    TotpDevice.objects.create(user=citizen, secret_encrypted="x", confirmed_at=timezone.now())
    client, _ = password_token_client(citizen)
    assert api_register(client, SoftAuthenticator()).json()["code"] == "step_up_required"
    page = password_session_client(citizen).get("/account/passkeys/")
    assert b'data-passkey="register"' not in page.content


@pytest.mark.django_db
def test_a_step_up_lapsed_between_begin_and_complete_is_refused(citizen):
    first = registered(citizen)
    client = password_session_client(citizen)
    begun = post_json(client, "/account/passkeys/step-up/begin/").json()
    post_json(client, "/account/passkeys/step-up/complete/", {"credential": first.get(begun["publicKey"])})
    begun = post_json(client, "/account/passkeys/register/begin/").json()
    session = client.session  # the session falls back to AAL 1 (the passkey use is older than 12 hours)
    state = session[authn.SESSION_KEY]
    state["methods"] = [
        dict(use, at=use["at"] - 13 * 3600) if use["method"] == "webauthn" else use for use in state["methods"]
    ]
    session[authn.SESSION_KEY] = state
    session.save()
    response = post_json(
        client, "/account/passkeys/register/complete/", {"credential": SoftAuthenticator().create(begun["publicKey"])}
    )
    assert response.status_code == 403
    assert response.json()["code"] == "step_up_required"
    assert WebAuthnCredential.objects.filter(user=citizen).count() == 1


# --- removal ------------------------------------------------------------------------------------------------------


@pytest.mark.django_db
def test_removing_a_passkey_needs_aal_2(citizen, other_citizen):
    authenticator = registered(citizen)
    registered(other_citizen)
    mine = WebAuthnCredential.objects.get(user=citizen)
    theirs = WebAuthnCredential.objects.get(user=other_citizen)
    client, _ = password_token_client(citizen)
    refused = client.delete(f"/api/v1/auth/passkeys/{mine.pk}")
    assert refused.status_code == 403
    assert refused.json()["code"] == "step_up_required"
    assert WebAuthnCredential.objects.filter(pk=mine.pk).exists()

    begun = post_json(client, "/api/v1/auth/passkeys/step-up/begin").json()
    post_json(
        client,
        "/api/v1/auth/passkeys/step-up/complete",
        {"ticket": begun["ticket"], "credential": authenticator.get(begun["publicKey"])},
    )
    assert client.delete(f"/api/v1/auth/passkeys/{theirs.pk}").status_code == 404
    assert client.delete(f"/api/v1/auth/passkeys/{mine.pk}").status_code == 204
    assert not WebAuthnCredential.objects.filter(pk=mine.pk).exists()
    assert WebAuthnCredential.objects.filter(pk=theirs.pk).exists()
    assert AuditEntry.objects.filter(action="auth.passkey_removed", object_id=str(mine.pk)).count() == 1


@pytest.mark.django_db
def test_removing_a_passkey_on_the_page(citizen):
    authenticator = registered(citizen)
    mine = WebAuthnCredential.objects.get(user=citizen)
    client = password_session_client(citizen)
    assert b"/remove/" not in client.get("/account/passkeys/").content
    response = client.post(f"/account/passkeys/{mine.pk}/remove/", follow=True)
    assert WebAuthnCredential.objects.filter(pk=mine.pk).exists()
    assert response.status_code == 200
    begun = post_json(client, "/account/passkeys/step-up/begin/").json()
    post_json(client, "/account/passkeys/step-up/complete/", {"credential": authenticator.get(begun["publicKey"])})
    client.post(f"/account/passkeys/{mine.pk}/remove/")
    assert not WebAuthnCredential.objects.filter(pk=mine.pk).exists()


def test_the_soft_authenticator_makes_answers_fido2_can_read():
    from fido2.webauthn import AuthenticationResponse, RegistrationResponse

    authenticator = SoftAuthenticator()
    challenge = websafe_encode(b"c" * 32)
    created = RegistrationResponse.from_dict(
        authenticator.create({"challenge": challenge, "user": {"id": websafe_encode(b"7")}})
    )
    assert created.response.attestation_object.auth_data.is_user_verified()
    assert created.response.attestation_object.auth_data.is_backup_eligible()
    asserted = AuthenticationResponse.from_dict(authenticator.get({"challenge": challenge}))
    assert asserted.response.authenticator_data.counter == 2
    assert asserted.response.user_handle == b"7"


def test_a_passkey_ceremony_posted_as_a_form_is_refused_not_a_server_error(db):
    """Found by the authorisation sweep: a form post's body was read as fields, then read again as JSON (500)."""
    for url in ("/account/passkeys/login/begin/", "/account/passkeys/login/complete/"):
        response = Client().post(url, {"email": "someone@example.com"})
        assert response.status_code == 422, url
        assert response.json()["code"] == "passkey_malformed"
