"""axe-core in a real browser on every page a person can open: WCAG 2.1 A/AA and best practice, 0 violations.

Pages come from the URL conf, filled with the authorisation sweep's world (a draft and a submitted application,
an invoice, an issued document), and are opened at phone size in headless Chromium by the owner and by the
agency's staff in each role, each with a signed-in session cookie. A page an actor may not open is skipped (the
sweep covers who may open what); every page that renders is checked."""

from __future__ import annotations

import asyncio

import pytest
from django.conf import settings as django_settings
from django.test import Client
from django.urls import reverse

from borikan.core.tests.browser import AXE, CHROMIUM, chromium, open_page

from . import sweep_world as sw
from .sweep_world import MISSING_ID, ROLES, Actor

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(CHROMIUM is None or not AXE.exists(), reason="needs Chromium and axe-core (make setup)"),
]


def _cookie(client: Client) -> dict:
    value = client.cookies[django_settings.SESSION_COOKIE_NAME].value
    return {"name": django_settings.SESSION_COOKIE_NAME, "value": value, "path": "/"}


def _pages_for(world: sw.World, actor: Actor) -> tuple[Client, list[str]]:
    client = actor.page_client()
    urls = []
    for name, pattern in sw.named_pages():
        if name.startswith("bench") or name in {"set_language", "csp_report"}:
            continue
        url = reverse(name, kwargs={k: world.kwargs().get(k, MISSING_ID) for k in pattern.pattern.converters})
        response = client.get(url)
        if response.status_code == 200 and "text/html" in response.get("Content-Type", ""):
            urls.append(url)
    return client, urls


async def _scan(port: int, base: str, cookie: dict | None, urls: list[str], phone: bool, who: str) -> dict[str, list]:
    found: dict[str, list] = {}
    async with open_page(port, phone=phone) as page:
        await page.call("Network.setCookie", url=base, name="django_language", value="th", path="/")
        if cookie:
            await page.call("Network.setCookie", url=base, **cookie)
        for url in urls:
            await page.goto(f"{base}{url}")
            violations = await page.axe()
            await page.screenshot(f"pages/{who}{url.rstrip('/').replace('/', '_') or '_home'}")
            if violations:
                found[url] = violations
    return found


@pytest.mark.django_db(transaction=True)
def test_every_page_has_no_axe_violations(settings, tmp_path, live_server):
    settings.SESSION_COOKIE_SECURE = settings.CSRF_COOKIE_SECURE = False
    world = sw.build_world(settings, tmp_path)
    actors = [Actor("anonymous", None), Actor("owner", world.owner)]
    actors += [Actor(role, sw.staff(f"{role}@excise.go.th", world.agency, (role,))) for role in ROLES]
    report: dict[str, list] = {}
    with chromium() as port:
        for index, actor in enumerate(actors):
            client, urls = _pages_for(world, actor)
            cookie = _cookie(client) if actor.user else None
            # Phone size for the public and the citizen, desktop for staff: the sizes each mostly uses.
            found = asyncio.run(_scan(port, live_server.url, cookie, urls, index < 2, actor.name))
            report.update({f"{url} ({actor.name})": v for url, v in found.items()})
    lines = [f"{page}: {v['id']} ({v['impact']}) {v['help']} {v['nodes']}" for page, vs in report.items() for v in vs]
    assert not report, "\n".join(lines)
