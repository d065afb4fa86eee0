"""The whole service as people go through it, in headless Chromium, with axe-core on every page they see.

At phone size (390×844) a citizen finds the service by searching, signs up with a mobile number (the code comes
from the SMS sandbox), is proven at the counter by an officer (checked against the civil-registry sandbox),
adds a passkey (Chromium's virtual authenticator), fills the form with a Thai address, a Buddhist-Era date and a
file, and submits after stepping up with the passkey. At desktop size the officer asks for more information,
the citizen answers, the officer forwards, the approver approves, the citizen saves the Thai QR from the invoice
page and pays it in the bank sandbox (as a banking app would: the QR decoded from the saved image), sees the
receipt, downloads the licence and checks it on the verification page.

Every outside party is a separate process speaking its protocol. Each page visited is checked with axe-core
(WCAG 2.1 A/AA and best practice) and photographed into var/screenshots/journey/ (CI artefacts, not committed).
"""

from __future__ import annotations

import asyncio
import base64
import io
import re
import secrets
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from django.conf import settings as django_settings
from django.test import Client

from borikan.applications.models import Application
from borikan.catalog.services import risk_assessment_default
from borikan.conftest import TWO_FACTORS, make_agency, make_service, make_staff, sign_in
from borikan.core.tests.browser import AXE, CHROMIUM, Page, chromium, open_page
from borikan.eforms import builder
from borikan.eforms import services as form_services
from borikan.identity.models import User
from borikan.identity.tests.registrykit import SOMSRI, start_registry, stop_registry, use_registry
from borikan.payments.models import Invoice
from borikan.payments.tests.gatewaykit import start_sandbox, stop_sandbox
from borikan.sandboxes import sms_gateway

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(CHROMIUM is None or not AXE.exists(), reason="needs Chromium and axe-core (make setup)"),
]

MOBILE = "0891234567"
PASSWORD = "ข้าวเหนียวมะม่วง 2569"
PHONE = {"width": 390, "height": 844, "deviceScaleFactor": 2, "mobile": True}
DESKTOP = {"width": 1280, "height": 900, "deviceScaleFactor": 1, "mobile": False}
PDF = b"%PDF-1.4\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj 2 0 obj<</Type/Pages/Kids[]/Count 0>>endobj\ntrailer<</Root 1 0 R>>\n%%EOF\n"  # noqa: E501


@pytest.fixture
def outside_parties(settings, live_server, tmp_path) -> Iterator[dict[str, Any]]:
    """The SMS provider, the civil registry and the bank as their own processes; the portal pointed at them."""
    sms_key = secrets.token_urlsafe(16)
    sms_process, sms_url = sms_gateway.spawn(api_key=sms_key)
    registry = start_registry()
    bank = start_sandbox(
        api_key=django_settings.BORIKAN_GATEWAY_API_KEY,
        webhook_secret=django_settings.BORIKAN_GATEWAY_WEBHOOK_SECRET,
    )
    try:
        settings.BORIKAN_SMS_URL, settings.BORIKAN_SMS_API_KEY = sms_url, sms_key
        use_registry(settings, registry)
        settings.BORIKAN_GATEWAY_URL = bank.url
        settings.BORIKAN_PUBLIC_BASE_URL = live_server.url
        settings.BORIKAN_WEBAUTHN_RP_ID = "localhost"
        settings.BORIKAN_WEBAUTHN_ORIGINS = [live_server.url]
        settings.SESSION_COOKIE_SECURE = settings.CSRF_COOKIE_SECURE = False
        settings.BORIKAN_SIGNING_DEV_KEYS = True
        settings.BORIKAN_SIGNING_DIR = tmp_path / "pki"
        settings.STORAGES = {
            **settings.STORAGES,
            "default": {"BACKEND": "django.core.files.storage.FileSystemStorage", "OPTIONS": {"location": tmp_path}},
        }
        yield {"sms": (sms_url, sms_key), "bank": bank}
    finally:
        sms_gateway.stop(sms_process)
        stop_registry(registry)
        stop_sandbox(bank)


def _journey_service():
    """A licence with a fee after approval, an identity level that needs the counter, and a form with a Thai
    address, a Buddhist-Era date and a file field that takes several files."""
    agency = make_agency("EXCISE")
    service = make_service(agency)
    risk_assessment_default(service=service)
    admin = make_staff("admin@excise.go.th", agency, "agency_admin")
    schema = {"type": "object", "properties": {}, "required": [], "additionalProperties": False}
    ui: dict[str, Any] = {"sections": [], "fields": {}}
    ui = builder.section_save(ui, key="person", title_th="ผู้ยื่นคำขอ", title_en="Applicant")
    for name, kind, th, en, required in [
        ("full_name", "text", "ชื่อ-นามสกุล", "Full name", True),
        ("citizen_id", "citizen_id", "เลขประจำตัวประชาชน", "Citizen ID number", True),
        ("phone", "phone", "หมายเลขโทรศัพท์", "Phone number", True),
        ("birth_date", "date_be", "วันเกิด", "Date of birth", True),
        ("home", "thai_address", "ที่อยู่ของร้าน", "Shop address", True),
        ("shop_name", "text", "ชื่อร้าน", "Shop name", True),
        ("plan", "file", "แผนผังร้านและรูปถ่ายหน้าร้าน", "Floor plan and a photo of the shop", True),
    ]:
        schema, ui = builder.field_add(
            schema, ui, name=name, kind=kind, label_th=th, label_en=en, section="person", required=required
        )
    schema, ui = builder.field_update(
        schema, ui, name="plan", values={"accept": ["application/pdf", "image/png"], "max_size_mb": 5}
    )
    form_services.form_draft_create(actor=admin, service=service)
    form_services.form_draft_update(actor=admin, service=service, schema=schema, ui=ui)
    form_services.form_publish(actor=admin, service=service)
    return agency, service


def _cookie(user: User) -> dict:
    client = sign_in(Client(), user, *TWO_FACTORS)
    return {
        "name": django_settings.SESSION_COOKIE_NAME,
        "value": client.cookies[django_settings.SESSION_COOKIE_NAME].value,
    }


class Walk:
    """One person's (or one browser's) walk: every page seen is checked with axe and photographed."""

    def __init__(self, page: Page, base: str) -> None:
        self.page, self.base, self.seen, self.violations = page, base, 0, {}

    async def look(self, name: str) -> str:
        await self.page.until("document.readyState === 'complete'")
        self.seen += 1
        await self.page.screenshot(f"journey/{self.seen:02d}-{name}")
        found = await self.page.axe()
        if found:
            self.violations[f"{self.seen:02d}-{name} {await self.page.js('location.pathname')}"] = found
        return await self.page.text()

    async def goto(self, path: str, name: str) -> str:
        await self.page.goto(self.base + path)
        return await self.look(name)

    async def submit(self, selector: str, name: str, *, leaves: bool = True) -> str:
        """Presses a button and waits for the page it leads to."""
        before = await self.page.js("location.href + '#' + performance.timeOrigin")
        await self.page.click(selector)
        if leaves:
            await self.page.until(f"(location.href + '#' + performance.timeOrigin) !== {before!r}", 20)
        return await self.look(name)

    async def as_user(self, cookie: dict | None) -> None:
        await self.page.call("Network.clearBrowserCookies")
        await self.page.call("Network.setCookie", url=self.base, name="django_language", value="th", path="/")
        if cookie:
            await self.page.call("Network.setCookie", url=self.base, path="/", **cookie)

    async def size(self, metrics: dict) -> None:
        await self.page.call("Emulation.setDeviceMetricsOverride", **metrics)

    async def session(self) -> dict:
        cookies = (await self.page.call("Network.getCookies", urls=[self.base]))["cookies"]
        value = next(c["value"] for c in cookies if c["name"] == django_settings.SESSION_COOKIE_NAME)
        return {"name": django_settings.SESSION_COOKIE_NAME, "value": value}

    async def fetch_bytes(self, path: str) -> bytes:
        encoded = await self.page.js(
            f"fetch({path!r}, {{credentials: 'same-origin'}}).then(r => r.arrayBuffer()).then(b => {{"
            "let s = ''; const a = new Uint8Array(b);"
            " for (let i = 0; i < a.length; i++) s += String.fromCharCode(a[i]);"
            " return btoa(s); })"
        )
        return base64.b64decode(encoded)


def _sms_code(sms: tuple[str, str], number: str) -> str:
    url, key = sms
    e164 = "+66" + number[1:]
    messages = httpx.get(f"{url}/v1/messages", params={"to": e164}, headers={"Authorization": f"Bearer {key}"}).json()
    return re.search(r"\b(\d{6})\b", messages[-1]["text"]).group(1)


def _decode_qr(png: bytes) -> str:
    import zxingcpp
    from PIL import Image

    found = zxingcpp.read_barcodes(Image.open(io.BytesIO(png)))
    assert found, "no QR code in the saved image"
    return found[0].text


async def _phone_part(walk: Walk, parties: dict, officer_cookie: dict, files: list[str]) -> dict[str, Any]:
    page, facts = walk.page, {}
    await walk.size(PHONE)
    await walk.as_user(None)
    # 1. Information: search in everyday words
    await walk.goto("/", "search")
    await page.fill("#q", "ขอใบอนุญาตขายเหล้า")
    text = await walk.submit("form[role=search] button", "search-results")
    assert "ใบอนุญาตขายสุรา" in text, text
    await page.click("a[href='/services/liquor-sale-licence/']")
    await page.until("location.pathname === '/services/liquor-sale-licence/'")
    text = await walk.look("service-start-page")
    facts["start_page"] = text
    # 2. Sign up with a mobile number (no e-mail)
    await walk.goto("/account/signup/phone/?next=/services/liquor-sale-licence/", "signup-phone")
    await page.fill("#id_phone", MOBILE)
    await walk.submit("main form button[type=submit]", "signup-code")
    await page.fill("#id_code", _sms_code(parties["sms"], MOBILE))
    await page.fill("#id_full_name", "สมศรี มีสุข")
    await page.fill("#id_password", PASSWORD)
    await walk.submit("main form button[type=submit]", "signed-up")
    citizen_cookie = await walk.session()
    # 3. The officer proves the identity at the counter, against the civil registry (the card is SOMSRI's)
    await walk.as_user(officer_cookie)
    await walk.goto("/account/counter-proofing/", "counter-proofing")
    year, month, day = (int(part) for part in SOMSRI["birth_date"].split("-"))
    for name, value in [
        ("account", MOBILE),
        ("citizen_id", SOMSRI["citizen_id"]),
        ("laser_code", SOMSRI["laser_code"]),
        ("first_name_th", SOMSRI["first_name_th"]),
        ("last_name_th", SOMSRI["last_name_th"]),
        ("birth_day", str(day)),
        ("birth_month", str(month)),
        ("birth_year_be", str(year + 543)),
    ]:
        await page.fill(f"#id_{name}", value)
    await page.js("document.getElementById('id_face_compared').checked = true")
    await page.js("document.getElementById('id_chip_read').checked = true")
    text = await walk.submit("main form button[type=submit]", "counter-proofing-done")
    assert "2.3" in text, text
    # 4. The citizen adds a passkey (Chromium's virtual authenticator stands in for the phone's)
    await walk.as_user(citizen_cookie)
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
    await walk.goto("/account/passkeys/", "passkeys")
    await page.fill("#passkey-name", "โทรศัพท์ของฉัน")
    await page.click("button[data-passkey=register]")
    await page.until("document.body.innerText.includes('โทรศัพท์ของฉัน') && document.readyState === 'complete'", 15)
    await walk.look("passkey-added")
    # 5. The application: start, fill in, attach two files, review
    await walk.goto("/services/liquor-sale-licence/", "service-signed-in")
    await walk.submit("form[action='/applications/start/liquor-sale-licence/'] button", "form")
    await page.until("!!document.getElementById('eform')")
    if not await page.js("document.getElementById('f-citizen_id').readOnly"):
        await page.fill("#f-citizen_id", SOMSRI["citizen_id"])
    await page.fill("#f-phone", "089-123")  # too short: the error summary says so
    if not await page.js("document.getElementById('f-birth_date').readOnly"):
        await page.fill("#f-birth_date", "02/07/2522")
    await page.fill("[name='home.line']", "12/3 ซอยสุขุมวิท 11")
    await page.fill("#f-shop_name", "ร้านสมศรีโภชนา")
    await page.upload("#f-file", files)
    text = await walk.submit("button[name=review]", "form-with-an-error")
    assert await page.js("!!document.querySelector('.govuk-error-summary')"), text
    facts["summary_focused"] = await page.until(
        "document.activeElement && document.activeElement.closest('.govuk-error-summary') !== null"
    )
    facts["attached_after_error"] = await page.js("document.querySelectorAll('.attached-files li').length")
    await page.fill("#f-phone", "089-123-4567")
    await page.js(
        "(() => { const s = document.querySelector('[name=\"home.province\"]'); s.value = 'กรุงเทพมหานคร';"
        " s.dispatchEvent(new Event('change', {bubbles: true})); })()"
    )
    await page.until("document.querySelector('[name=\"home.district\"]').options.length > 40")
    await page.js(
        "(() => { const s = document.querySelector('[name=\"home.district\"]'); s.value = 'วัฒนา';"
        " s.dispatchEvent(new Event('change', {bubbles: true})); })()"
    )
    await page.until("document.querySelector('[name=\"home.subdistrict\"]').options.length > 1")
    await page.js(
        "(() => { const s = document.querySelector('[name=\"home.subdistrict\"]'); s.value = 'คลองเตยเหนือ';"
        " s.dispatchEvent(new Event('change', {bubbles: true})); })()"
    )
    await page.until("document.querySelector('[name=\"home.postcode\"]').value === '10110'")
    text = await walk.submit("button[name=review]", "review")
    assert "คลองเตยเหนือ" in text and "2522" in text, text
    # 6. Submit: the session is AAL 1 (a password), the service needs AAL 2: step up with the passkey
    await walk.submit("form[action$='/submit/'] button", "step-up")
    assert await page.js("location.pathname.startsWith('/account/step-up')"), await page.js("location.href")
    await page.click("a[href*='passkeys/step-up']")
    await page.until("location.pathname.includes('passkeys/step-up')")
    await walk.look("passkey-step-up")
    await page.click("button[data-passkey]")
    await page.until("!location.pathname.startsWith('/account/')", 15)
    facts["after_step_up"] = await walk.look("back-after-step-up")  # the review again, not a blank 405
    text = await walk.submit("form[action$='/submit/'] button", "confirmation")
    facts["confirmation"] = text
    facts["citizen_cookie"] = await walk.session()
    return facts


async def _desktop_part(walk: Walk, parties: dict, app: Application, cookies: dict[str, dict]) -> dict[str, Any]:
    page, facts = walk.page, {}
    await walk.size(DESKTOP)
    case = f"/office/cases/{app.pk}/"
    # Review: the officer starts, asks for a clearer photo, the citizen answers
    await walk.as_user(cookies["officer"])
    text = await walk.goto("/office/", "officer-queue")
    assert "สมศรี มีสุข" in text, text  # the queue names the applicant
    await walk.goto(case, "officer-case")
    await page.click("button[name=action][value=start_review]")
    await page.until("!!document.querySelector('input[name=mark]')", 15)
    await walk.look("officer-in-review")
    await page.js("document.querySelector('input[name=mark][value=\"field:shop_name\"]').checked = true")
    await page.fill("#message", "กรุณาระบุชื่อร้านตามป้ายหน้าร้าน")
    await walk.submit("form[action$='/request-information/'] button[type=submit]", "information-requested")
    await walk.as_user(cookies["citizen"])
    text = await walk.goto(f"/applications/{app.pk}/", "citizen-sees-the-request")
    assert "กรุณาระบุชื่อร้านตามป้ายหน้าร้าน" in text, text
    await walk.goto(f"/applications/{app.pk}/edit/", "citizen-answers")
    await page.fill("#f-shop_name", "ร้านสมศรีโภชนา สุขุมวิท 11")
    await walk.submit("button[name=submit]", "answered")
    # The officer forwards, the approver approves
    await walk.as_user(cookies["officer"])
    text = await walk.goto(case, "officer-case-answered")
    assert "ผู้ยื่นคำขอตอบแล้ว" in text and "(ผู้ยื่นคำขอ)" in text, text  # in Thai, not "answered", "(applicant)"
    assert not re.search(r"\((answered|applicant|officer)\)", text), text
    await page.fill("#reason", "เอกสารครบถ้วน")
    await walk.submit("button[name=action][value=forward]", "forwarded")
    await walk.as_user(cookies["approver"])
    text = await walk.goto("/approvals/", "approver-inbox")
    await walk.goto(case, "approver-case")
    await page.fill("#reason", "เป็นไปตามหลักเกณฑ์")
    await walk.submit("button[name=action][value=approve]", "approved")
    # Payment: the citizen saves the QR and pays it in a banking app (the bank sandbox)
    await walk.as_user(cookies["citizen"])
    invoice = await asyncio.to_thread(lambda: Invoice.objects.get(case_ref=str(app.pk)))
    await walk.goto(f"/payments/invoices/{invoice.number}/", "invoice")
    saved = await page.js("document.querySelector('a.qr-save').href")
    payload = _decode_qr(base64.b64decode(saved.split(",", 1)[1]))
    bank = parties["bank"]
    paid = bank.call("POST", "/v1/qr-payments", json={"qr_payload": payload})
    assert paid.status_code == 200, paid.text
    for _ in range(50):
        text = await walk.goto(f"/payments/invoices/{invoice.number}/", "invoice-paid")
        if "ชำระแล้ว" in text:
            break
        await asyncio.sleep(0.2)
    facts["paid_page"] = text
    facts["qr_after_paying"] = await page.js("!!document.querySelector('a.qr-save, figure.qr')")
    await page.click("a[href^='/payments/receipts/']")
    await page.until("location.pathname.startsWith('/payments/receipts/')")
    facts["receipt"] = await walk.look("receipt")
    # The licence: in the wallet, downloaded, checked on the verification page
    for _ in range(50):
        text = await walk.goto("/wallet/", "wallet")
        if await page.js("!!document.querySelector(\"a[href^='/documents/'][href$='/pdf']\")"):
            break
        await asyncio.sleep(0.2)
    href = await page.js("document.querySelector(\"a[href^='/documents/'][href$='/pdf']\").getAttribute('href')")
    pdf = await walk.fetch_bytes(href)
    assert pdf.startswith(b"%PDF"), pdf[:40]
    facts["pdf"] = pdf
    return facts


async def _verify_part(walk: Walk, path: str) -> str:
    await walk.as_user(None)
    await walk.goto("/verify/", "verify-upload")
    await walk.page.upload("main input[type=file]", [path])
    return await walk.submit("main form button[type=submit]", "verified")


@pytest.mark.django_db(transaction=True)
def test_a_citizen_and_the_agency_go_through_all_eight_processes_in_a_browser(live_server, outside_parties, tmp_path):
    agency, _service = _journey_service()
    officer = make_staff("officer@excise.go.th", agency, "officer")
    approver = make_staff("approver@excise.go.th", agency, "approver")
    plan = tmp_path / "แผนผังร้าน.pdf"
    plan.write_bytes(PDF)
    staff = {"officer": _cookie(officer), "approver": _cookie(approver)}
    with chromium() as port:

        async def run() -> tuple[dict, dict, str, dict]:
            async with open_page(port) as page:
                walk = Walk(page, live_server.url)
                phone = await _phone_part(walk, outside_parties, staff["officer"], [str(plan)])
                app = await asyncio.to_thread(Application.objects.get)
                cookies = {**staff, "citizen": phone["citizen_cookie"]}
                desktop = await _desktop_part(walk, outside_parties, app, cookies)
                licence = tmp_path / "licence.pdf"
                licence.write_bytes(desktop["pdf"])
                verified = await _verify_part(walk, str(licence))
                return phone, desktop, verified, walk.violations

        phone, desktop, verified, violations = asyncio.run(run())
    assert phone["summary_focused"] and phone["attached_after_error"] == 1
    assert "ตรวจสอบคำขอของท่าน" in phone["after_step_up"]
    assert "ยืนยันตัวตน" in phone["start_page"]
    confirmation = phone["confirmation"]
    assert "ส่งคำขอแล้ว" in confirmation and "เลขที่อ้างอิง" in confirmation, confirmation
    assert "ขั้นตอนต่อไป" in confirmation and "2569" in confirmation  # what happens next, the date in B.E.
    assert "ชำระแล้ว" in desktop["paid_page"] and not desktop["qr_after_paying"]
    assert "ใบเสร็จ" in desktop["receipt"]
    assert "ใช้ได้: เอกสารนี้ออกโดยหน่วยงาน" in verified and "สมศรี มีสุข" in verified, verified
    assert not violations, "\n".join(
        f"{page}: {v['id']} {v['help']} {v['nodes']}" for page, vs in violations.items() for v in vs
    )
