"""The Content-Security-Policy in a real browser: headless Chromium enforces what the test client ignores.

- Linking an identity provider: the page's form POSTs, our server redirects to the provider, and Chromium checks
  `form-action` along that redirect chain. The provider is the real OIDC test provider (a node process), started
  here with the live server's callback. A control run with the providers' origins taken out of `form-action`
  shows the browser does block the flow, so the passing run means something.
- Passkeys: registration and sign-in with Chromium's virtual authenticator (WebAuthn over DevTools) and our
  static passkeys.js, no inline script.
- Swagger UI at /api/v1/docs renders from the project's static files.

Every page records its CSP violations (core/tests/browser.py); each flow must end with none."""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import tempfile
from collections.abc import Iterator
from importlib import import_module

import pytest
from django.conf import settings as django_settings
from django.test import Client
from django.utils import timezone

from borikan.conftest import make_user, sign_in
from borikan.core.tests.browser import CHROMIUM, chromium, open_page
from borikan.identity import federation
from borikan.identity.models import FederatedIdentity, User, WebAuthnCredential

from .test_federation import (
    CLIENT_ID,
    CLIENT_SECRET,
    PROVIDER_DIR,
    SLUG,
    _free_port,
    _stop,
    _wait_for_discovery,
    account,
    oidc_provider,  # noqa: F401 (the fixture: it runs npm ci in a fresh checkout)
    provider_settings,
)

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(CHROMIUM is None, reason="Chromium is not installed (apt-get install chromium)"),
]


@pytest.fixture
def browser_settings(settings, live_server):
    settings.SESSION_COOKIE_SECURE = settings.CSRF_COOKIE_SECURE = False
    return settings


@pytest.fixture
def live_idp(oidc_provider, live_server, browser_settings) -> Iterator[str]:  # noqa: F811 (the fixture)
    """A second provider process whose registered redirect URI is the live server's callback."""
    port = _free_port()
    issuer = f"http://127.0.0.1:{port}"
    callback = f"{live_server.url}/account/federation/{SLUG}/callback/"
    command = ["node", "provider.mjs", "--port", str(port), "--client-id", CLIENT_ID]
    command += ["--client-secret", CLIENT_SECRET, "--redirect-uri", callback]
    with tempfile.TemporaryFile() as log:
        process = subprocess.Popen(command, cwd=PROVIDER_DIR, stdout=log, stderr=subprocess.STDOUT, env=os.environ)
        try:
            _wait_for_discovery(process, issuer, log)
            browser_settings.BORIKAN_OIDC_PROVIDERS = [provider_settings(issuer)]
            yield issuer
        finally:
            _stop(process)


def _session_cookie(user) -> dict:
    client = sign_in(Client(), user)
    value = client.cookies[django_settings.SESSION_COOKIE_NAME].value
    return {"name": django_settings.SESSION_COOKIE_NAME, "value": value, "path": "/"}


async def _link(port: int, base: str, cookie: dict, issuer: str, person: dict) -> dict:
    found: dict = {}
    async with open_page(port) as page:
        await page.call("Network.setCookie", url=base, **cookie)
        await page.goto(f"{base}/account/federation/{SLUG}/link/", "!!document.querySelector('main form button')")
        await page.js("document.querySelector('main form button').click()")
        try:
            await page.until(f"location.href.startsWith('{issuer}/interaction/')", seconds=10)
        except AssertionError:
            found["blocked"] = await page.csp_violations()
            found["at"] = await page.js("location.href + ' ' + document.body.innerText.slice(0, 300)")
            return found
        interaction = json.loads(await page.js("document.body.innerText"))
        # Play the person at the provider: its login form, submitted from the provider's own page.
        await page.js(_submit_form(f"{issuer}/interaction/{interaction['uid']}/login", person))
        await page.until(f"location.href.startsWith('{base}/account/federation/{SLUG}/link/')", seconds=15)
        await page.until("document.readyState === 'complete'")
        found["violations"] = await page.csp_violations()
        found["text"] = await page.js("document.body.innerText")
    return found


def _submit_form(action: str, fields: dict) -> str:
    return (
        "(() => { const f = document.createElement('form'); f.method = 'post'; "
        f"f.action = {json.dumps(action)}; "
        f"for (const [k, v] of Object.entries({json.dumps(fields)})) {{ const i = document.createElement('input'); "
        "i.type = 'hidden'; i.name = k; i.value = v; f.appendChild(i); } "
        "document.body.appendChild(f); f.submit(); })()"
    )


@pytest.mark.django_db(transaction=True)
def test_linking_an_identity_provider_works_under_the_csp(live_server, live_idp):
    user = make_user("browser-link@example.com")
    with chromium() as port:
        found = asyncio.run(_link(port, live_server.url, _session_cookie(user), live_idp, account("browser-sub")))
    assert "blocked" not in found, found
    assert found["violations"] == []
    assert FederatedIdentity.objects.filter(user=user, provider=SLUG, subject="browser-sub").exists()


@pytest.mark.django_db(transaction=True)
def test_without_the_providers_in_form_action_the_browser_blocks_the_link(live_server, live_idp, monkeypatch):
    """The control: the same flow with form-action 'self' only is stopped by Chromium."""
    monkeypatch.setattr(federation, "form_action_origins", list)
    user = make_user("browser-blocked@example.com")
    with chromium() as port:
        found = asyncio.run(_link(port, live_server.url, _session_cookie(user), live_idp, account("blocked-sub")))
    assert [v["directive"] for v in found["blocked"]] == ["form-action"]
    assert not FederatedIdentity.objects.exists()


async def _passkeys(port: int, base: str, cookie: dict) -> dict:
    found: dict = {}
    async with open_page(port) as page:
        await page.call("WebAuthn.enable")
        await page.call(
            "WebAuthn.addVirtualAuthenticator",
            options={
                "protocol": "ctap2",
                "transport": "internal",
                "hasResidentKey": True,
                "hasUserVerification": True,
                "isUserVerified": True,
                "automaticPresenceSimulation": True,
            },
        )
        await page.call("Network.setCookie", url=base, **cookie)
        await page.goto(f"{base}/account/passkeys/", "!!document.querySelector('button[data-passkey=register]')")
        await page.js("document.getElementById('passkey-name').value = 'Chromium'")
        await page.js("document.querySelector('button[data-passkey=register]').click()")
        await page.until("document.readyState === 'complete' && document.body.innerText.includes('Chromium')", 15)
        found["after_register"] = await page.csp_violations()
        # A new browser session: no cookies, then sign in with the passkey alone.
        await page.call("Network.clearBrowserCookies")
        await page.goto(f"{base}/account/passkeys/login/", "!!document.querySelector('button[data-passkey=login]')")
        await page.js("document.querySelector('button[data-passkey=login]').click()")
        await page.until("!location.pathname.startsWith('/account/passkeys/login')", 15)
        await page.until("document.readyState === 'complete'")
        found["after_login"] = await page.csp_violations()
        found["status"] = await page.js("(document.getElementById('passkey-status') || {}).textContent || ''")
        cookies = (await page.call("Network.getCookies", urls=[base]))["cookies"]
        found["session"] = next(c["value"] for c in cookies if c["name"] == django_settings.SESSION_COOKIE_NAME)
    return found


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("signed_up_with", ["email", "mobile"])
def test_passkeys_register_and_sign_in_under_the_csp(live_server, browser_settings, signed_up_with):
    """An account made with a mobile number has no e-mail: Chromium refused its options (empty user.name)."""
    browser_settings.BORIKAN_WEBAUTHN_RP_ID = "localhost"
    browser_settings.BORIKAN_WEBAUTHN_ORIGINS = [live_server.url]
    if signed_up_with == "email":
        user = make_user("browser-passkey@example.com")
    else:
        user = User.objects.create_user(
            None,
            "correct-horse-battery-staple",
            full_name="สมศรี มีสุข",
            mobile="+66812345678",
            mobile_verified_at=timezone.now(),
        )
    with chromium() as port:
        found = asyncio.run(_passkeys(port, live_server.url, _session_cookie(user)))
    assert found["after_register"] == [] and found["after_login"] == [], found
    assert WebAuthnCredential.objects.filter(user=user).count() == 1
    session = import_module(django_settings.SESSION_ENGINE).SessionStore(session_key=found["session"])
    assert str(session.get("_auth_user_id")) == str(user.pk)


async def _swagger(port: int, base: str) -> tuple[str, list]:
    async with open_page(port, phone=False) as page:
        await page.goto(f"{base}/api/v1/docs", "true")
        title = await page.until("(document.querySelector('.swagger-ui .info .title') || {}).textContent", 45)
        return title, await page.csp_violations()


@pytest.mark.django_db(transaction=True)
def test_swagger_ui_renders_under_the_csp(live_server, browser_settings):
    with chromium() as port:
        title, violations = asyncio.run(_swagger(port, live_server.url))
    assert "borikan API" in title
    assert violations == []
