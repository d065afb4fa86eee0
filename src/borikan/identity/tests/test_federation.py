"""Federated sign-in against a real OpenID Connect provider (panva/oidc-provider, started by these tests).

The provider is tests/oidc_provider/provider.mjs, a separate node process speaking OIDC over HTTP. The tests
play the browser: our login page redirects to the provider, the provider's interaction routes log a chosen
account in with a chosen acr, and the provider's redirect comes back to our callback. Attacks on the ID token
are made by the provider itself (its /test/tamper control), so every token crosses the real token endpoint.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import tempfile
import time
from dataclasses import dataclass
from datetime import timedelta
from decimal import Decimal
from pathlib import Path
from types import SimpleNamespace
from urllib.parse import parse_qs, urlencode, urlsplit, urlunsplit

import httpx
import pytest
from django.core.exceptions import ImproperlyConfigured
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from borikan.audit.models import AuditEntry
from borikan.conftest import make_user, sign_in
from borikan.identity import authn, federation
from borikan.identity.models import CITIZEN_ID_PURPOSE, FederatedIdentity, ProofingRecord, User
from borikan.identity.pii import lookup_hash
from borikan.identity.services import user_set_citizen_id

PROVIDER_DIR = Path(__file__).resolve().parent / "oidc_provider"
SLUG = "testidp"
CALLBACK = f"http://testserver/account/federation/{SLUG}/callback/"
CLIENT_ID = "borikan-test"
CLIENT_SECRET = "client-secret-for-the-test-provider-0123456789"
LOW, SUBSTANTIAL, HIGH = "urn:borikan:test:loa:low", "urn:borikan:test:loa:substantial", "urn:borikan:test:loa:high"
ACR_MAP = {
    LOW: {"ial": "1.1", "aal": "1"},
    SUBSTANTIAL: {"ial": "2.1", "aal": "2.1"},
    HIGH: {"ial": "2.3", "aal": "2.2"},
}

pytestmark = pytest.mark.slow


def citizen_id(first12: str) -> str:
    """A 13-digit citizen ID with a correct check digit (written here, independently of core.thaiid)."""
    total = sum(int(d) * (13 - i) for i, d in enumerate(first12))
    return first12 + str((11 - total % 11) % 10)


# --- the provider process ----------------------------------------------------------------------------------


@dataclass
class OidcProvider:
    issuer: str
    process: subprocess.Popen

    def tamper(self, mode: str) -> None:
        """The next ID token the provider issues is altered this way (see provider.mjs)."""
        response = httpx.post(self.issuer + "/test/tamper", json={"mode": mode}, timeout=5)
        assert response.status_code == 200, response.text

    def authenticate(self, authorization_url: str, *, deny: bool = False, **account: str) -> str:
        """Play the person at the provider: open the authorization URL, log `account` in (form fields of
        provider.mjs: sub, email, email_verified, name, pid, ial, acr, amr), follow the provider's redirects and
        return the URL it sends the browser back to (our callback)."""
        assert authorization_url.startswith(self.issuer), authorization_url
        with httpx.Client(timeout=10, follow_redirects=False) as browser:
            response = browser.get(authorization_url)
            for _ in range(12):
                if response.status_code not in (302, 303):
                    break
                location = str(response.url.join(response.headers["location"]))
                if location.startswith(CALLBACK):
                    return location
                response = browser.get(location)
            assert response.status_code == 200, response.text
            interaction = response.json()
            assert interaction["prompt"] == "login", interaction
            form = {"deny": "1"} if deny else account
            response = browser.post(f"{self.issuer}/interaction/{interaction['uid']}/login", data=form)
            for _ in range(12):
                assert response.status_code in (302, 303), response.text
                location = str(response.url.join(response.headers["location"]))
                if location.startswith(CALLBACK):
                    return location
                response = browser.get(location)
        pytest.fail("the provider never redirected back to the callback")


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _wait_for_discovery(process: subprocess.Popen, issuer: str, log) -> None:
    deadline = time.monotonic() + 30
    while True:
        if process.poll() is not None:
            log.seek(0)
            pytest.fail(f"the OIDC provider exited: {log.read().decode('utf-8', 'replace')}")
        try:
            if httpx.get(issuer + "/.well-known/openid-configuration", timeout=1).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        if time.monotonic() > deadline:
            pytest.fail("the OIDC provider did not publish its discovery document within 30 s")
        time.sleep(0.1)


def _stop(process: subprocess.Popen) -> None:
    process.terminate()
    try:
        process.wait(timeout=5)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait(timeout=5)


@pytest.fixture(scope="session")
def oidc_provider():
    """`node provider.mjs` on a free port (after `npm ci` in a fresh checkout), stopped after the session."""
    npm, node = shutil.which("npm"), shutil.which("node")
    if not npm or not node:
        pytest.fail("node and npm are needed to run the test OpenID Connect provider")
    if not (PROVIDER_DIR / "node_modules").exists():
        installed = subprocess.run(
            [npm, "ci", "--no-audit", "--no-fund"], cwd=PROVIDER_DIR, capture_output=True, text=True, check=False
        )
        if installed.returncode != 0:
            pytest.fail(f"npm ci failed in {PROVIDER_DIR}: {installed.stderr[-2000:]}")
    port = _free_port()
    issuer = f"http://127.0.0.1:{port}"
    command = [node, "provider.mjs", "--port", str(port), "--client-id", CLIENT_ID]
    command += ["--client-secret", CLIENT_SECRET, "--redirect-uri", CALLBACK]
    with tempfile.TemporaryFile() as log:
        process = subprocess.Popen(command, cwd=PROVIDER_DIR, stdout=log, stderr=subprocess.STDOUT, env=os.environ)
        try:
            _wait_for_discovery(process, issuer, log)
            yield OidcProvider(issuer=issuer, process=process)
        finally:
            _stop(process)


def provider_settings(issuer: str, **overrides) -> dict:
    return {
        "slug": SLUG,
        "name_th": "ผู้ให้บริการทดสอบ",
        "name_en": "Test provider",
        "issuer": issuer,
        "client_id": CLIENT_ID,
        "client_secret": CLIENT_SECRET,
        "scopes": ["openid", "email", "profile", "pid"],
        "acr_map": ACR_MAP,
        "max_ial": "2.3",
        "max_aal": "2.2",
        "proofing_validity_days": 365,
    } | overrides


@pytest.fixture
def idp(oidc_provider, settings, db) -> OidcProvider:
    settings.BORIKAN_OIDC_PROVIDERS = [provider_settings(oidc_provider.issuer)]
    return oidc_provider


# --- helpers -----------------------------------------------------------------------------------------------


def start(client: Client, *, link: bool = False) -> str:
    if link:
        response = client.post(reverse("identity:federation_link", args=[SLUG]))
    else:
        response = client.get(reverse("identity:federation_login", args=[SLUG]))
    assert response.status_code == 302, response.content
    return response["Location"]


def account(sub: str, *, acr: str = HIGH, email: str | None = None, pid: str = "", **extra: str) -> dict:
    return {
        "sub": sub,
        "email": email or f"{sub}@idp.example",
        "email_verified": "true",
        "name": f"คุณ {sub}",
        "pid": pid,
        "acr": acr,
        "amr": "pwd,otp",
    } | extra


def federated_login(client: Client, idp: OidcProvider, **person) -> object:
    callback = idp.authenticate(start(client), **account(**person))
    return client.get(callback)


def session_aal(client: Client) -> Decimal:
    return authn.session_aal(SimpleNamespace(session=client.session))


def signed_in_user_id(client: Client) -> int | None:
    value = client.session.get("_auth_user_id")
    return int(value) if value else None


def refused(response, code: str, status: int) -> None:
    assert response.status_code == status, response.content.decode()[:500]
    assert f'data-code="{code}"' in response.content.decode()
    assert AuditEntry.objects.filter(action="auth.federated_refused", data__reason=code).exists()


def nothing_created() -> None:
    assert not FederatedIdentity.objects.exists()
    assert not ProofingRecord.objects.exists()


# --- happy paths -------------------------------------------------------------------------------------------


def test_first_login_creates_an_account_with_the_mapped_assurance(idp):
    client = Client()
    authorization_url = start(client)
    query = parse_qs(urlsplit(authorization_url).query)
    assert query["code_challenge_method"] == ["S256"]
    assert query["client_id"] == [CLIENT_ID] and query["redirect_uri"] == [CALLBACK]
    assert query["state"][0] and query["nonce"][0] and query["code_challenge"][0]

    pid = citizen_id("110170023070")
    response = client.get(idp.authenticate(authorization_url, **account("alice", acr=HIGH, pid=pid)))

    assert response.status_code == 302 and response["Location"] == reverse("identity:home")
    user = User.objects.get(email="alice@idp.example")
    assert signed_in_user_id(client) == user.pk
    assert not user.has_usable_password()
    assert user.full_name == "คุณ alice"
    assert user.citizen_id_hash == lookup_hash(pid, purpose=CITIZEN_ID_PURPOSE)
    link = FederatedIdentity.objects.get(user=user)
    assert (link.provider, link.subject, link.last_acr) == (SLUG, "alice", HIGH)
    assert session_aal(client) == Decimal("2.2")
    assert authn.session_methods(SimpleNamespace(session=client.session)) == ["federated"]
    record = ProofingRecord.objects.get(user=user)
    assert (record.method, record.provider, record.ial) == ("federated", SLUG, Decimal("2.3"))
    assert record.evidence["acr"] == HIGH and record.evidence["amr"] == ["pwd", "otp"]
    assert record.evidence["issuer"] == idp.issuer
    assert abs(record.expires_at - (timezone.now() + timedelta(days=365))) < timedelta(minutes=1)
    login = AuditEntry.objects.get(action="auth.federated_login")
    assert login.subject_user_id == user.pk
    assert login.data["ial"] == "2.3" and login.data["aal"] == "2.2" and login.data["created"] is True
    assert "alice" not in str(login.data) and pid not in str(AuditEntry.objects.values_list("data", flat=True))
    assert AuditEntry.objects.filter(action="auth.federated_link", subject_user_id=user.pk).exists()


def test_second_login_reaches_the_same_account_and_extends_the_proofing(idp):
    federated_login(Client(), idp, sub="bob", acr=HIGH)
    user = User.objects.get(email="bob@idp.example")
    first_expiry = ProofingRecord.objects.get(user=user).expires_at

    client = Client()
    response = federated_login(client, idp, sub="bob", acr=HIGH, email="changed@idp.example")

    assert response.status_code == 302
    assert signed_in_user_id(client) == user.pk
    assert User.objects.count() == 1 and FederatedIdentity.objects.count() == 1
    record = ProofingRecord.objects.get(user=user)  # extended, not repeated
    assert record.expires_at >= first_expiry
    assert AuditEntry.objects.filter(action="auth.federated_login").count() == 2
    assert AuditEntry.objects.filter(action="identity.proofing_federated", data__extended=True).count() == 1


def test_a_low_acr_signs_in_at_aal1_and_proves_nothing(idp):
    client = Client()
    federated_login(client, idp, sub="carol", acr=LOW)
    assert signed_in_user_id(client) == User.objects.get(email="carol@idp.example").pk
    assert session_aal(client) == Decimal("1")
    assert not ProofingRecord.objects.exists()


def test_acr_above_the_providers_cap_is_capped(idp, settings):
    settings.BORIKAN_OIDC_PROVIDERS = [provider_settings(idp.issuer, max_ial="2.1", max_aal="2.1")]
    client = Client()
    federated_login(client, idp, sub="dave", acr=HIGH)  # HIGH maps to IAL 2.3 / AAL 2.2
    assert session_aal(client) == Decimal("2.1")
    assert ProofingRecord.objects.get().ial == Decimal("2.1")
    assert AuditEntry.objects.get(action="auth.federated_login").data["aal"] == "2.1"


def test_a_thaid_style_ial_claim_sets_the_ial_under_the_cap(idp, settings):
    client = Client()
    federated_login(client, idp, sub="erin", acr=SUBSTANTIAL, ial="2.2")
    assert ProofingRecord.objects.get().ial == Decimal("2.2")
    assert session_aal(client) == Decimal("2.1")

    settings.BORIKAN_OIDC_PROVIDERS = [provider_settings(idp.issuer, max_ial="1.3")]
    federated_login(Client(), idp, sub="frank", acr=SUBSTANTIAL, ial="3")
    assert ProofingRecord.objects.get(user__email="frank@idp.example").ial == Decimal("1.3")


def test_a_rotated_signing_key_is_fetched_when_a_token_names_it(idp):
    federated_login(Client(), idp, sub="grace")  # the provider's keys are now cached
    idp.tamper("rotated")  # the next token is signed by a new key, published only now
    client = Client()
    response = federated_login(client, idp, sub="grace")
    assert response.status_code == 302
    assert signed_in_user_id(client) == User.objects.get(email="grace@idp.example").pk


# --- linking -----------------------------------------------------------------------------------------------


def test_linking_from_a_signed_in_session(idp):
    owner = make_user("owner@example.com")
    client = sign_in(Client(), owner)
    assert session_aal(client) == Decimal("1")

    authorization_url = start(client, link=True)
    assert parse_qs(urlsplit(authorization_url).query)["prompt"] == ["login"]
    # The provider's e-mail differs from the account's: linking is by the signed-in session, not by e-mail.
    response = client.get(idp.authenticate(authorization_url, **account("heidi", acr=HIGH, email="x@idp.example")))

    assert response.status_code == 302 and response["Location"] == reverse("identity:federation_link", args=[SLUG])
    assert FederatedIdentity.objects.get(provider=SLUG, subject="heidi").user == owner
    assert signed_in_user_id(client) == owner.pk
    assert session_aal(client) == Decimal("2.2")  # stepped up by the provider's assertion
    assert ProofingRecord.objects.get(user=owner).ial == Decimal("2.3")
    assert AuditEntry.objects.filter(action="auth.federated_link", subject_user_id=owner.pk).exists()
    assert User.objects.count() == 1
    page = client.get(reverse("identity:federation_link", args=[SLUG]), HTTP_ACCEPT_LANGUAGE="en")
    assert page.context["linked"] is not None and '<form method="post">' not in page.content.decode()

    later = Client()
    federated_login(later, idp, sub="heidi", email="x@idp.example")
    assert signed_in_user_id(later) == owner.pk


def test_linking_a_subject_that_belongs_to_another_account_is_refused(idp):
    federated_login(Client(), idp, sub="ivan")
    victim = User.objects.get(email="ivan@idp.example")
    attacker = make_user("attacker@example.com")
    client = sign_in(Client(), attacker)

    response = client.get(idp.authenticate(start(client, link=True), **account("ivan")))

    refused(response, "subject_linked_elsewhere", 409)
    assert FederatedIdentity.objects.get(subject="ivan").user == victim
    assert not FederatedIdentity.objects.filter(user=attacker).exists()


def test_an_account_links_one_subject_per_provider(idp):
    owner = make_user("judy@example.com")
    client = sign_in(Client(), owner)
    client.get(idp.authenticate(start(client, link=True), **account("judy-1")))
    response = client.get(idp.authenticate(start(client, link=True), **account("judy-2")))
    refused(response, "provider_already_linked", 409)
    assert list(FederatedIdentity.objects.values_list("subject", flat=True)) == ["judy-1"]


def test_linking_refuses_a_citizen_id_other_than_the_accounts(idp):
    owner = make_user("kim@example.com")
    user_set_citizen_id(actor=owner, user=owner, citizen_id=citizen_id("310050012345"))
    client = sign_in(Client(), owner)
    response = client.get(idp.authenticate(start(client, link=True), **account("kim", pid=citizen_id("310050099999"))))
    refused(response, "citizen_id_mismatch", 409)
    nothing_created()


# --- no takeover by e-mail or citizen ID ---------------------------------------------------------------------


def test_a_new_subject_with_an_existing_email_is_refused_not_linked(idp):
    existing = make_user("victim@example.com")
    client = Client()

    response = federated_login(client, idp, sub="mallory", email="Victim@Example.com")

    refused(response, "account_exists_email", 409)
    assert "sign in with your existing method first" in response.content.decode()
    nothing_created()
    assert User.objects.count() == 1 and signed_in_user_id(client) is None
    assert AuditEntry.objects.get(action="auth.federated_refused").subject_user_id == existing.pk


def test_an_unconfirmed_pre_registration_does_not_block_the_owners_federated_sign_up(idp):
    """Issue 11: an attacker signed up with the victim's address and never confirmed it (they cannot)."""
    squatter = User.objects.create_user("victim@example.com", "attacker passphrase 2569", email_verified_at=None)
    client = Client()

    response = federated_login(client, idp, sub="victim", email="victim@example.com")

    assert response.status_code == 302, response.content
    assert not User.objects.filter(pk=squatter.pk).exists()
    owner = User.objects.get(email="victim@example.com")
    assert owner.email_verified_at is not None and signed_in_user_id(client) == owner.pk
    assert AuditEntry.objects.filter(action="auth.unverified_account_replaced", object_id=str(squatter.pk)).exists()


def test_a_new_subject_with_an_existing_citizen_id_is_refused_not_linked(idp):
    pid = citizen_id("150990011223")
    existing = make_user("someone@example.com")
    user_set_citizen_id(actor=existing, user=existing, citizen_id=pid)
    client = Client()

    response = federated_login(client, idp, sub="mallory", email="fresh@idp.example", pid=pid)

    refused(response, "account_exists_citizen_id", 409)
    nothing_created()
    assert User.objects.count() == 1 and signed_in_user_id(client) is None
    assert AuditEntry.objects.get(action="auth.federated_refused").subject_user_id == existing.pk


def test_an_unverified_email_creates_no_account(idp):
    client = Client()
    response = federated_login(client, idp, sub="nina", email_verified="false")
    refused(response, "email_missing", 403)
    assert not User.objects.exists()


# --- forged and misdirected tokens --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("mode", "code"),
    [
        ("foreign_key", "id_token_invalid"),  # re-signed by another key under the provider's kid
        ("altered", "id_token_invalid"),  # payload changed after signing
        ("alg_none", "id_token_algorithm"),
        ("hs256_client_secret", "id_token_algorithm"),
        ("hs256_public_key", "id_token_algorithm"),  # key confusion with the public key
        ("expired", "id_token_expired"),
        ("future_iat", "id_token_expired"),
        ("audience", "id_token_audience"),
        ("extra_audience", "id_token_audience"),  # several audiences and no azp
        ("issuer", "id_token_issuer"),
        ("nonce", "id_token_nonce"),
    ],
)
def test_a_bad_id_token_is_refused_and_nothing_is_created(idp, mode, code):
    idp.tamper(mode)
    client = Client()
    response = federated_login(client, idp, sub="oscar")
    refused(response, code, 400)
    assert not User.objects.exists()
    nothing_created()
    assert signed_in_user_id(client) is None


def test_a_changed_state_is_refused(idp):
    client = Client()
    callback = idp.authenticate(start(client), **account("peggy"))
    parts = urlsplit(callback)
    query = {key: values[0] for key, values in parse_qs(parts.query).items()} | {"state": "forged-state"}
    response = client.get(urlunsplit(parts._replace(query=urlencode(query))))
    refused(response, "state_mismatch", 400)
    assert not User.objects.exists()


def test_a_callback_from_another_browser_is_refused(idp):
    """The state is bound to the session that started the login: a code fixed into a victim's browser fails."""
    callback = idp.authenticate(start(Client()), **account("peggy"))
    response = Client().get(callback)
    refused(response, "state_mismatch", 400)
    assert not User.objects.exists()


def test_a_replayed_callback_is_refused(idp):
    client = Client()
    callback = idp.authenticate(start(client), **account("quentin"))
    assert client.get(callback).status_code == 302
    client.logout()
    response = client.get(callback)  # same state, nonce and code again
    refused(response, "state_mismatch", 400)
    assert signed_in_user_id(client) is None
    assert User.objects.count() == 1


def test_the_person_declining_at_the_provider(idp):
    client = Client()
    response = client.get(idp.authenticate(start(client), deny=True))
    refused(response, "access_denied", 403)
    assert not User.objects.exists()


def test_a_provider_that_cannot_be_reached(settings, db):
    settings.BORIKAN_OIDC_PROVIDERS = [provider_settings(f"http://127.0.0.1:{_free_port()}")]
    response = Client().get(reverse("identity:federation_login", args=[SLUG]))
    refused(response, "provider_unavailable", 502)
    assert "ติดต่อผู้ให้บริการยืนยันตัวตนไม่ได้" in response.content.decode()


def test_an_unknown_provider(settings, db):
    settings.BORIKAN_OIDC_PROVIDERS = []
    refused(Client().get(reverse("identity:federation_login", args=["nobody"])), "unknown_provider", 404)


# --- configuration and the public list ---------------------------------------------------------------------


def test_the_public_provider_list(idp):
    response = Client().get("/api/v1/auth/federation/providers")
    assert response.status_code == 200
    assert response.json() == [
        {
            "slug": SLUG,
            "name_th": "ผู้ให้บริการทดสอบ",
            "name_en": "Test provider",
            "login_url": f"/account/federation/{SLUG}/login/",
        }
    ]
    assert "client_secret" not in response.content.decode()


@pytest.mark.parametrize(
    "override",
    [
        {"algorithms": ["HS256"]},
        {"algorithms": ["none"]},
        {"issuer": "http://idp.example"},  # plain http only on the loopback
        {"acr_map": {"x": {"ial": "9", "aal": "1"}}},
        {"max_aal": "2.5"},
        {"scopes": ["email"]},
    ],
)
def test_unsafe_configuration_is_rejected(settings, override):
    settings.BORIKAN_OIDC_PROVIDERS = [provider_settings("http://127.0.0.1:1") | override]
    with pytest.raises(ImproperlyConfigured):
        federation.providers()
