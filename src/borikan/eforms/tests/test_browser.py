"""The form in a real browser at phone width: headless Chromium driven over the DevTools protocol.

Checks what only a browser shows: the page's own script runs under the CSP, a conditional field appears when
its condition is met, the address selects fill from the data file one after another, and the draft is saved
by autosave. Skipped where Chromium is not installed (`apt-get install chromium`)."""

from __future__ import annotations

import asyncio
import json
import re
import shutil
import subprocess
import tempfile
import time
from typing import Any

import pytest
from django.conf import settings as django_settings
from django.test import Client

from borikan.applications.models import Application
from borikan.conftest import sign_in
from borikan.eforms import services

from .helpers import rich_definition

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(CHROMIUM is None, reason="Chromium is not installed (apt-get install chromium)"),
]


class Page:
    """The few DevTools calls the test needs, over one WebSocket."""

    def __init__(self, ws: Any) -> None:
        self.ws, self.next_id = ws, 0

    async def call(self, method: str, **params: Any) -> dict:
        self.next_id += 1
        await self.ws.send_json({"id": self.next_id, "method": method, "params": params})
        while True:
            message = await self.ws.receive_json(timeout=20)
            if message.get("id") == self.next_id:
                if "error" in message:
                    raise AssertionError(message["error"])
                return message.get("result", {})

    async def js(self, expression: str) -> Any:
        result = await self.call("Runtime.evaluate", expression=expression, returnByValue=True, awaitPromise=True)
        if "exceptionDetails" in result:
            raise AssertionError(result["exceptionDetails"])
        return result["result"].get("value")

    async def until(self, expression: str, seconds: float = 10) -> Any:
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            value = await self.js(expression)
            if value:
                return value
            await asyncio.sleep(0.2)
        raise AssertionError(f"never true: {expression}")


def _choose(name: str, value: str) -> str:
    return (
        f"(() => {{ const el = document.querySelector('[name=\"{name}\"]'); el.value = {json.dumps(value)};"
        " el.dispatchEvent(new Event('change', {bubbles: true})); return el.value; })()"
    )


async def _drive(devtools_port: int, base: str, cookie: dict, edit_path: str) -> dict:
    import aiohttp

    async with aiohttp.ClientSession() as http:
        async with http.get(f"http://127.0.0.1:{devtools_port}/json/list") as response:
            targets = await response.json()
        target = next(t for t in targets if t.get("type") == "page")
        async with http.ws_connect(target["webSocketDebuggerUrl"], max_msg_size=0) as ws:
            page = Page(ws)
            await page.call("Network.enable")
            await page.call("Network.setCookie", url=base, **cookie)
            await page.call(
                "Emulation.setDeviceMetricsOverride", width=390, height=844, deviceScaleFactor=2, mobile=True
            )
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
    with tempfile.TemporaryDirectory() as profile:
        browser = subprocess.Popen(
            [
                CHROMIUM,
                "--headless",
                "--no-sandbox",
                "--disable-gpu",
                "--remote-debugging-port=0",
                f"--user-data-dir={profile}",
                "about:blank",
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            text=True,
        )
        try:
            port = None
            deadline = time.monotonic() + 30
            while port is None and time.monotonic() < deadline:
                line = browser.stderr.readline()
                if match := re.search(r"DevTools listening on ws://[^:]+:(\d+)/", line):
                    port = int(match.group(1))
            assert port, "Chromium did not start"
            cookie = {"name": django_settings.SESSION_COOKIE_NAME, "value": session, "path": "/"}
            found = asyncio.run(_drive(port, live_server.url, cookie, f"/applications/{app.pk}/edit/"))
        finally:
            browser.terminate()
            browser.wait(timeout=10)
    assert found["hidden_before"] is True and found["hidden_after"] is False
    assert found["group_hidden_before"] is True and found["group_hidden_after"] is False
    assert found["postcode"] == "10400"
    assert found["width"] <= 390  # nothing wider than the phone's screen
    app.refresh_from_db()
    assert app.form_data["home"]["subdistrict"] == "สามเสนใน" and app.form_data["kind"] == "other"
    assert app.form_data["full_name"] == "สมชาย ใจดี"  # the profile's name, offered and autosaved
    assert app.form_data["branches"] == [{"branch_name": "สาขาสอง"}]  # the added entry; the empty one dropped
