"""The form in a real browser at phone width: headless Chromium driven over the DevTools protocol.

Checks what only a browser shows: the page's own script runs under the CSP, a conditional field appears when
its condition is met, the address selects fill from the data file one after another, and the draft is saved
by autosave. Skipped where Chromium is not installed (`apt-get install chromium`)."""

from __future__ import annotations

import asyncio
import json
from typing import Any

import pytest
from django.conf import settings as django_settings
from django.test import Client

from borikan.applications.models import Application
from borikan.conftest import sign_in
from borikan.core.tests.browser import CHROMIUM, chromium, open_page
from borikan.eforms import services

from .helpers import rich_definition

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(CHROMIUM is None, reason="Chromium is not installed (apt-get install chromium)"),
]


def _choose(name: str, value: str) -> str:
    return (
        f"(() => {{ const el = document.querySelector('[name=\"{name}\"]'); el.value = {json.dumps(value)};"
        " el.dispatchEvent(new Event('change', {bubbles: true})); return el.value; })()"
    )


async def _drive(devtools_port: int, base: str, cookie: dict, edit_path: str) -> dict:
    async with open_page(devtools_port) as page:
        await page.call("Network.setCookie", url=base, **cookie)
        await page.call("Page.navigate", url=base + edit_path)
        await page.until("document.readyState === 'complete' && !!document.getElementById('eform')")
        found: dict[str, Any] = {}
        found["hidden_before"] = await page.js("document.getElementById('w-other_kind').hidden")
        await page.js(_choose("kind", "other"))
        found["hidden_after"] = await page.js("document.getElementById('w-other_kind').hidden")
        await page.js(_choose("home.province", "กรุงเทพมหานคร"))
        await page.until("document.querySelector('[name=\"home.district\"]').options.length > 40")
        await page.js(_choose("home.district", "พญาไท"))
        await page.until("document.querySelector('[name=\"home.subdistrict\"]').options.length > 1")
        await page.js(_choose("home.subdistrict", "สามเสนใน"))
        found["postcode"] = await page.until("document.querySelector('[name=\"home.postcode\"]').value")
        found["group_hidden_before"] = await page.js("document.getElementById('w-branches').hidden")
        await page.js(
            "(() => { const el = document.querySelector('[name=\"has_branches\"]'); el.checked = true;"
            " el.dispatchEvent(new Event('change', {bubbles: true})); })()"
        )
        found["group_hidden_after"] = await page.js("document.getElementById('w-branches').hidden")
        await page.js("document.querySelector('[data-add-row=\"branches\"]').click()")
        await page.js(
            "(() => { const el = document.querySelector('[name=\"branches.1.branch_name\"]');"
            " el.value = 'สาขาสอง'; el.dispatchEvent(new Event('input', {bubbles: true})); })()"
        )
        await page.js(
            "(() => { const el = document.querySelector('[name=\"home.line\"]'); el.value = '99 ถนนพระรามที่ 6';"
            " el.dispatchEvent(new Event('input', {bubbles: true})); })()"
        )
        found["status"] = await page.until("document.getElementById('eform-status').textContent", seconds=15)
        found["width"] = await page.js("document.documentElement.scrollWidth")
        found["csp"] = await page.csp_violations()
        return found


@pytest.mark.django_db(transaction=True)
def test_the_form_works_in_a_phone_sized_browser(live_server, settings, free_service, form_admin, citizen):
    settings.SESSION_COOKIE_SECURE = settings.CSRF_COOKIE_SECURE = False
    services.form_draft_create(actor=form_admin, service=free_service)
    schema, ui = rich_definition()
    services.form_draft_update(actor=form_admin, service=free_service, schema=schema, ui=ui)
    services.form_publish(actor=form_admin, service=free_service)
    client = sign_in(Client(), citizen)
    client.post(f"/applications/start/{free_service.slug}/")
    app = Application.objects.get()
    session = client.cookies[django_settings.SESSION_COOKIE_NAME].value
    cookie = {"name": django_settings.SESSION_COOKIE_NAME, "value": session, "path": "/"}
    with chromium() as port:
        found = asyncio.run(_drive(port, live_server.url, cookie, f"/applications/{app.pk}/edit/"))
    assert found["hidden_before"] is True and found["hidden_after"] is False
    assert found["group_hidden_before"] is True and found["group_hidden_after"] is False
    assert found["postcode"] == "10400"
    assert found["csp"] == []  # the page's own script and styles run under the policy
    assert found["width"] <= 390  # nothing wider than the phone's screen
    app.refresh_from_db()
    assert app.form_data["home"]["subdistrict"] == "สามเสนใน" and app.form_data["kind"] == "other"
    assert app.form_data["full_name"] == "สมชาย ใจดี"  # the profile's name, offered and autosaved
    assert app.form_data["branches"] == [{"branch_name": "สาขาสอง"}]  # the added entry; the empty one dropped
