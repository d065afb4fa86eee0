"""Headless Chromium for tests, driven over the DevTools protocol (no browser download: Debian's `chromium`).

`chromium()` starts a browser with a fresh profile and yields its DevTools port; `open_page()` attaches to its
page. Every document the page loads records its CSP violations in `window.__csp` (a listener added before any
of the page's own script), so a test can assert that a flow ran without one."""

from __future__ import annotations

import asyncio
import base64
import contextlib
import os
import re
import shutil
import subprocess
import tempfile
import time
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
PROJECT_DIR = Path(__file__).resolve().parents[4]
# axe-core from the npm lock (make setup); injected through DevTools, so the page's CSP does not apply to it.
AXE = PROJECT_DIR / "node_modules" / "axe-core" / "axe.min.js"
# Screenshots are CI artefacts, never committed (var/ is ignored).
SCREENSHOTS = Path(os.environ.get("BORIKAN_SCREENSHOT_DIR", PROJECT_DIR / "var" / "screenshots"))

RECORD_CSP_VIOLATIONS = """
window.__csp = [];
document.addEventListener("securitypolicyviolation", (e) => {
  window.__csp.push({directive: e.effectiveDirective, blocked: e.blockedURI, page: e.documentURI});
});
"""


class Page:
    """The few DevTools calls the tests need, over one WebSocket."""

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
            try:
                value = await self.js(expression)
            except AssertionError:  # the page is navigating: its context went away
                value = None
            if value:
                return value
            await asyncio.sleep(0.2)
        location = await self.js("location.href")
        raise AssertionError(f"never true: {expression} (at {location})")

    async def goto(self, url: str, ready: str = "true") -> None:
        await self.call("Page.navigate", url=url)
        await self.until(f"document.readyState === 'complete' && location.href.startsWith({url!r}) && ({ready})")

    async def csp_violations(self) -> list[dict]:
        return await self.js("window.__csp || []")

    async def axe(self) -> list[dict]:
        """axe-core's WCAG 2.1 A/AA and best-practice rules on the current page: each violation, its nodes."""
        if not await self.js("typeof window.axe === 'object'"):
            await self.js(AXE.read_text())
        return await self.js(
            "axe.run(document, {resultTypes: ['violations']}).then(r => r.violations.map(v => ({id: v.id, "
            "impact: v.impact, help: v.help, nodes: v.nodes.slice(0, 5).map(n => n.target.join(' ') + ' :: ' + "
            "(n.failureSummary || '').slice(0, 200))})))"
        )

    async def screenshot(self, name: str) -> Path:
        path = SCREENSHOTS / f"{name}.png"
        path.parent.mkdir(parents=True, exist_ok=True)
        shot = await self.call("Page.captureScreenshot", format="png", captureBeyondViewport=True)
        path.write_bytes(base64.b64decode(shot["data"]))
        return path

    async def fill(self, selector: str, value: str) -> None:
        """Types into a field as a person would be seen to: the value, then input and change events."""
        await self.js(
            f"(() => {{ const e = document.querySelector({selector!r}); if (!e) throw new Error('no ' + {selector!r}); "
            f"e.value = {value!r}; e.dispatchEvent(new Event('input', {{bubbles: true}})); "
            "e.dispatchEvent(new Event('change', {bubbles: true})); })()"
        )

    async def click(self, selector: str) -> None:
        await self.js(
            f"(() => {{ const e = document.querySelector({selector!r}); if (!e) throw new Error('no ' + {selector!r}); "
            "e.click(); })()"
        )

    async def text(self) -> str:
        return await self.js("document.querySelector('main') ? document.querySelector('main').innerText : ''")

    async def upload(self, selector: str, paths: list[str]) -> None:
        document = await self.call("DOM.getDocument")
        node = await self.call("DOM.querySelector", nodeId=document["root"]["nodeId"], selector=selector)
        assert node.get("nodeId"), f"no {selector}"
        await self.call("DOM.setFileInputFiles", files=paths, nodeId=node["nodeId"])


@contextlib.contextmanager
def chromium() -> Iterator[int]:
    """A headless Chromium with a throw-away profile; yields its DevTools port."""
    assert CHROMIUM, "Chromium is not installed (apt-get install chromium)"
    # Chromium's helper processes may still be writing the profile as it shuts down: a leftover file in a
    # throw-away directory is no failure.
    with tempfile.TemporaryDirectory(ignore_cleanup_errors=True) as profile:
        command = [CHROMIUM, "--headless", "--no-sandbox", "--disable-gpu", "--remote-debugging-port=0"]
        command += [f"--user-data-dir={profile}", "about:blank"]
        browser = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
        try:
            port = None
            deadline = time.monotonic() + 30
            while port is None and time.monotonic() < deadline:
                line = browser.stderr.readline()
                if match := re.search(r"DevTools listening on ws://[^:]+:(\d+)/", line):
                    port = int(match.group(1))
            assert port, "Chromium did not start"
            yield port
        finally:
            browser.terminate()
            browser.wait(timeout=10)


@contextlib.asynccontextmanager
async def open_page(devtools_port: int, *, phone: bool = True) -> AsyncIterator[Page]:
    import aiohttp

    async with aiohttp.ClientSession() as http:
        async with http.get(f"http://127.0.0.1:{devtools_port}/json/list") as response:
            targets = await response.json()
        target = next(t for t in targets if t.get("type") == "page")
        async with http.ws_connect(target["webSocketDebuggerUrl"], max_msg_size=0) as ws:
            page = Page(ws)
            await page.call("Page.enable")
            await page.call("Network.enable")
            await page.call("Page.addScriptToEvaluateOnNewDocument", source=RECORD_CSP_VIOLATIONS)
            if phone:
                await page.call(
                    "Emulation.setDeviceMetricsOverride", width=390, height=844, deviceScaleFactor=2, mobile=True
                )
            yield page
