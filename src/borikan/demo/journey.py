"""`make demo`: one citizen from search to a delivered, verifiable licence, through the API only.

Starts its own pieces on this machine, each a real process or server: the portal (gunicorn, SQLite in
var/demo/), the sandbox bank gateway, and an SMTP server that receives the e-mail delivery. Then it drives
the eight processes over HTTP as the citizen, an officer and an approver would, printing each step.
`run_journey` is also run by the test suite against a live test server.
"""

from __future__ import annotations

import os
import re
import secrets
import shutil
import socket
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from email import message_from_bytes
from email import policy as email_policy
from email.message import Message
from pathlib import Path
from typing import Any

import httpx

ROOT = Path(__file__).resolve().parents[3]
SERVICE = "liquor-sale-licence"
OFFICER = "officer.excise@demo.borikan.localhost"
APPROVER = "approver.excise@demo.borikan.localhost"
# A person of the civil-registry sandbox (src/borikan/sandboxes/data/civil_registry_people.json): the card the
# officer checks at the counter.
CITIZEN = {
    "full_name": "สมชาย ใจดี",
    "citizen_id": "1101700230708",
    "laser_code": "JT1-1234567-89",
    "first_name_th": "สมชาย",
    "last_name_th": "ใจดี",
    "birth_date": "1985-03-14",
}


class JourneyError(RuntimeError):
    pass


@dataclass
class Portal:
    """Where the journey runs: the portal's URL, the bank sandbox, the staff password, received e-mail. The
    civil-registry sandbox is the portal's business (its settings); the journey only needs the card details."""

    url: str
    gateway_url: str
    gateway_api_key: str
    staff_password: str
    mailbox: Callable[[], list[Message]]
    say: Callable[[str], None] = print
    facts: dict[str, Any] = field(default_factory=dict)


def _check(response: httpx.Response, expected: int = 200) -> dict[str, Any]:
    if response.status_code != expected:
        raise JourneyError(
            f"{response.request.method} {response.request.url} → {response.status_code}: {response.text}"
        )
    return response.json() if response.content else {}


def _token(api: httpx.Client, email: str, password: str) -> dict[str, str]:
    data = _check(api.post("/api/v1/auth/token", json={"email": email, "password": password}))
    return {"Authorization": f"Bearer {data['token']}"}


def _second_factor(api: httpx.Client, headers: dict[str, str]) -> tuple[str, str]:
    """Set up an authenticator app over the API (as a phone app would, from the secret) and confirm it with a
    code: the token steps up. Returns the secret and the token's new AAL."""
    import pyotp

    setup = _check(api.post("/api/v1/auth/totp/setup", headers=headers))
    code = pyotp.TOTP(setup["secret"]).now()
    confirmed = _check(api.post("/api/v1/auth/totp/confirm", json={"code": code}, headers=headers))
    return setup["secret"], confirmed["aal"]


def _wait(what: str, probe: Callable[[], Any], seconds: float = 30) -> Any:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if result := probe():
            return result
        time.sleep(0.2)
    raise JourneyError(f"timed out waiting for {what}")


def _files(message: Message) -> list[str]:
    return [part.get_filename() for part in message.walk() if part.get_filename()]


def _text(message: Message) -> str:
    """The plain-text body of a received message (quoted-printable and base64 decoded)."""
    part = message.get_body(preferencelist=("plain",)) if hasattr(message, "get_body") else message
    return part.get_content() if part is not None else ""


def _pdf_for_attachment() -> bytes:
    """A tiny, valid one-page PDF standing in for the applicant's scanned floor plan."""
    return (
        b"%PDF-1.4\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj\n2 0 obj<</Type/Pages/Kids[3 0 R]/Count 1>>endobj\n"
        b"3 0 obj<</Type/Page/Parent 2 0 R/MediaBox[0 0 200 200]>>endobj\ntrailer<</Root 1 0 R>>\n%%EOF\n"
    )


def run_journey(portal: Portal) -> dict[str, Any]:
    say = portal.say
    api = httpx.Client(base_url=portal.url, timeout=30)
    bank = httpx.Client(
        base_url=portal.gateway_url, timeout=10, headers={"Authorization": f"Bearer {portal.gateway_api_key}"}
    )

    say("1. Information search (การสืบค้นข้อมูล)")
    hits = _check(api.get("/api/v1/services", params={"q": "ขายสุรา"}))
    if not any(hit["slug"] == SERVICE for hit in hits):
        raise JourneyError(f"search did not find {SERVICE}")
    service = _check(api.get(f"/api/v1/services/{SERVICE}"))
    say(f"   found '{service['name_th']}' ({service['agency']['name_en']}); fee {service['fee_satang'] / 100:.2f} baht, "
        f"{service['processing_time_days']} working days; steps online: "
        f"{', '.join(p for p, m in service['process_modes'].items() if m == 'online')}")  # fmt: skip

    say("2. Identity proofing and authentication (การพิสูจน์และยืนยันตัวตน)")
    email = f"citizen-{secrets.token_hex(4)}@demo.borikan.localhost"
    password = secrets.token_urlsafe(16)
    signup = {"email": email, "password": password, "full_name": CITIZEN["full_name"]}
    _check(api.post("/api/v1/auth/signup", json=signup), 202)
    link = _wait(
        "the link to confirm the e-mail address",
        lambda: [
            match.group(1)
            for m in portal.mailbox()
            if m["To"] == email and (match := re.search(r"/account/verify-email/([^/\s]+)/", _text(m)))
        ],
    )
    _check(api.post("/api/v1/auth/verify-email", json={"token": link[0], "password": password}))
    citizen = _token(api, email, password)
    level = _check(api.get("/api/v1/auth/assurance", headers=citizen))
    say(f"   signed up {email}, confirmed the address from the e-mailed link, logged in with a password: "
        f"IAL {level['ial']}, AAL {level['aal']}")  # fmt: skip

    say("3. Application form and submission (การจัดทำแบบคำขอและยื่นคำขอ)")
    form = {
        "full_name": CITIZEN["full_name"],
        "email": email,
        "citizen_id": CITIZEN["citizen_id"],
        "address": "99 ถนนพระราม 6 แขวงพญาไท เขตพญาไท กรุงเทพมหานคร 10400",
        "phone": "0812345678",
        "business_info": "ร้านอาหารสมชายครัวไทย ขายเบียร์และสุราพร้อมอาหาร",
    }
    draft = _check(api.post("/api/v1/applications", json={"service": SERVICE, "form_data": form}, headers=citizen), 201)
    app_id = draft["id"]
    files = {"file": ("floor-plan.pdf", _pdf_for_attachment(), "application/pdf")}
    attachment = _check(api.post(f"/api/v1/applications/{app_id}/attachments", files=files, headers=citizen), 201)
    refused = _check(api.post(f"/api/v1/applications/{app_id}/submit", headers=citizen), 403)
    need = refused["errors"]
    say(f"   draft saved, attachment stored (sha256 {attachment['sha256'][:16]}…); submitting is refused: the "
        f"service needs IAL {need['required_ial']} / AAL {need['required_aal']}, this person has IAL "
        f"{need['current_ial']} / AAL {need['current_aal']} ({refused['code']})")  # fmt: skip

    officer = _token(api, OFFICER, portal.staff_password)
    _, officer_aal = _second_factor(api, officer)
    say(f"   officer signs in with a password and an authenticator app: AAL {officer_aal} (staff always need AAL 2)")
    proofing = {
        "email": email,
        "citizen_id": CITIZEN["citizen_id"],
        "laser_code": CITIZEN["laser_code"],
        "first_name_th": CITIZEN["first_name_th"],
        "last_name_th": CITIZEN["last_name_th"],
        "birth_date": CITIZEN["birth_date"],
        "face_compared": True,
        "chip_read": True,
        "agency": "EXCISE",
    }
    record = _check(api.post("/api/v1/auth/proofing/counter", json=proofing, headers=officer), 201)
    say(f"   at the counter the officer reads the ID card's chip, checks it with the civil registry and compares the "
        f"face: IAL {record['ial']}")  # fmt: skip
    _, citizen_aal = _second_factor(api, citizen)
    say(f"   the citizen sets up an authenticator app; step-up: this session is now AAL {citizen_aal}")
    submitted = _check(api.post(f"/api/v1/applications/{app_id}/submit", headers=citizen))
    tracking = submitted["tracking_number"]
    say(f"   submitted: tracking number {tracking}")
    ack = _wait("the acknowledgement", lambda: [m for m in portal.mailbox() if tracking in str(m["Subject"])])
    say(f"   acknowledgement e-mailed to the applicant: {ack[0]['Subject']}")

    say("4. Review (การตรวจสอบและพิจารณาคำขอ)")
    queue = _check(api.get("/api/v1/applications/queue", headers=officer))
    if app_id not in [case["id"] for case in queue]:
        raise JourneyError("the case is not in the officer's queue")
    act = f"/api/v1/applications/{app_id}/actions"
    _check(api.post(f"{act}/start_review", json={}, headers=officer))
    reason = "กรุณาระบุชื่อร้านตามป้ายหน้าร้าน / please give the shop name as on its sign"
    _check(api.post(f"{act}/request_info", json={"reason": reason}, headers=officer))
    say(f"   {tracking}: officer started review and asked for more information")
    corrected = {**form, "business_info": "ร้าน 'มานีครัวไทย' ขายเบียร์และสุราพร้อมอาหาร"}
    _check(api.post(f"/api/v1/applications/{app_id}/resubmit", json={"form_data": corrected}, headers=citizen))
    forwarded = _check(api.post(f"{act}/forward", json={"reason": "เอกสารครบถ้วน"}, headers=officer))
    say(f"   citizen answered; officer forwarded the case: status {forwarded['status']}")

    say("5. Approval (การอนุมัติ)")
    approver = _token(api, APPROVER, portal.staff_password)
    _second_factor(api, approver)
    approved = _check(api.post(f"{act}/approve", json={"reason": "เป็นไปตามหลักเกณฑ์"}, headers=approver))
    say(f"   {tracking}: approved; status {approved['status']}")

    say("6. Fee payment (การชำระค่าธรรมเนียม)")
    invoice_number = approved["invoice"]["number"]
    invoice = _check(api.get(f"/api/v1/payments/invoices/{invoice_number}", headers=citizen))
    say(
        f"   invoice {invoice_number}: {invoice['amount_satang'] / 100:.2f} baht, ref1 {invoice['ref1']}, ref2 {invoice['ref2']}"
    )
    say(f"   Thai QR payload: {invoice['qr_payload']}")
    paid = _check(bank.post("/v1/qr-payments", json={"qr_payload": invoice["qr_payload"]}))
    say(f"   paid in the bank sandbox (txn {paid['txn_id']}); waiting for its signed webhook")
    _wait(
        "the payment webhook",
        lambda: _check(api.get(f"/api/v1/payments/invoices/{invoice_number}", headers=citizen))["status"] == "paid",
    )

    say("7. Issuing the licence (การออกใบอนุญาตและเอกสาร)")
    case = _wait(
        "the licence",
        lambda: (c := _check(api.get(f"/api/v1/applications/{app_id}", headers=citizen)))["document"] and c,
    )
    document = case["document"]
    pdf = api.get(f"/api/v1/documents/{document['id']}/pdf", headers=citizen)
    if pdf.status_code != 200 or not pdf.content.startswith(b"%PDF"):
        raise JourneyError(f"could not download the licence: {pdf.status_code}")
    code = document["verification_url"].rstrip("/").rsplit("/", 1)[-1]
    verified = _check(api.get(f"/api/v1/documents/verify/{code}"))
    say(
        f"   licence {document['number']} issued ({len(pdf.content):,} bytes PDF); QR opens {document['verification_url']}"
    )
    say(f"   public verification: {verified['status']}, sha256 {verified['sha256'][:16]}…")
    upload = _check(
        api.post("/api/v1/documents/verify-pdf", files={"file": ("licence.pdf", pdf.content, "application/pdf")})
    )
    say(f"   uploaded PDF checked unaltered: {upload['status']}")
    say("   " + _check_signature_and_credential(api, pdf.content, document["number"], agency="EXCISE", citizen=citizen))

    say("8. Delivery (การจัดส่งใบอนุญาตและเอกสาร)")
    wallet = _check(api.get("/api/v1/documents/wallet", headers=citizen))
    if document["number"] not in [d["number"] for d in wallet]:
        raise JourneyError("the licence is not in the citizen's wallet")
    mail = _wait("the e-mail with the licence", lambda: [m for m in portal.mailbox() if m["To"] == email and _files(m)])
    attachments = _files(mail[0])
    final = _wait(
        "delivered status",
        lambda: (
            (c := _check(api.get(f"/api/v1/applications/{app_id}", headers=citizen)))["status"] == "delivered" and c
        ),
    )
    say(f"   in the wallet; e-mail to {email} received by the SMTP server with {attachments}")
    say(f"   {tracking}: status {final['status']} — "
        + " → ".join(e["to_status"] for e in final["events"]))  # fmt: skip

    portal.facts.update(tracking_number=tracking, qr_payload=invoice["qr_payload"], document=document["number"],
                        verification=verified["status"], status=final["status"])  # fmt: skip
    return portal.facts


def _check_signature_and_credential(
    api: httpx.Client, pdf: bytes, number: str, *, agency: str, citizen: dict[str, str]
) -> str:
    """What an independent verifier does: check the PAdES signature against the agency's published certificate
    chain, and the QR's signed credential offline against the published keys and revocation list."""
    import base64
    import datetime as dt
    import io
    from zoneinfo import ZoneInfo

    from asn1crypto import x509
    from pyhanko.pdf_utils.reader import PdfFileReader
    from pyhanko.sign.validation import validate_pdf_signature
    from pyhanko_certvalidator import ValidationContext

    from borikan.documents.credentials import credential_check

    jwks = _check(api.get(f"/api/v1/documents/keys/{agency}"))
    root = x509.Certificate.load(base64.b64decode(jwks["keys"][0]["x5c"][-1]))
    signature = PdfFileReader(io.BytesIO(pdf)).embedded_signatures[0]
    status = validate_pdf_signature(signature, ValidationContext(trust_roots=[root], allow_fetching=False))
    revocations = api.get(f"/api/v1/documents/revocations/{agency}").text
    wallet = _check(api.get("/api/v1/documents/wallet", headers=citizen))
    qr = next(d["qr_payload"] for d in wallet if d["number"] == number)
    now = dt.datetime.now(dt.UTC)
    today = now.astimezone(ZoneInfo("Asia/Bangkok")).date()  # validity dates are Thai calendar days
    offline = credential_check(qr_payload=qr, jwks=jwks, status_list=revocations, today=today, now=now)
    if not (status.bottom_line and offline.status == "valid"):
        raise JourneyError(f"signature or credential did not verify: {status.summary()}, {offline.status}")
    return (
        f"PAdES signature by {status.signing_cert.subject.human_friendly}: intact and trusted via the published "
        f"chain; QR credential checked offline: {offline.status}"
    )


# --- running it on this machine -------------------------------------------------------------------


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def main() -> int:
    from aiosmtpd.controller import Controller

    from borikan.identity.demo_credentials import DEMO_PASSWORD
    from borikan.sandboxes import bank_gateway, civil_registry

    workdir = ROOT / "var" / "demo"
    shutil.rmtree(workdir, ignore_errors=True)
    workdir.mkdir(parents=True)
    received: list[Message] = []

    class Inbox:
        async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
            received.append(message_from_bytes(envelope.content, policy=email_policy.default))
            return "250 OK"

    smtp = Controller(Inbox(), hostname="127.0.0.1", port=_free_port())
    smtp.start()
    api_key, secret = secrets.token_urlsafe(24), secrets.token_urlsafe(24)
    gateway, gateway_url = bank_gateway.spawn(api_key=api_key, webhook_secret=secret)
    registry_key = secrets.token_urlsafe(24)
    registry, registry_url = civil_registry.spawn(api_key=registry_key)
    port = _free_port()
    url = f"http://127.0.0.1:{port}"
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "borikan.config.settings.local",
        "DATABASE_URL": f"sqlite:///{workdir / 'demo.sqlite3'}",
        "BORIKAN_MEDIA_ROOT": str(workdir / "media"),
        "BORIKAN_SIGNING_DIR": str(workdir / "pki"),
        "BORIKAN_PUBLIC_BASE_URL": url,
        "BORIKAN_GATEWAY_URL": gateway_url,
        "BORIKAN_GATEWAY_API_KEY": api_key,
        "BORIKAN_GATEWAY_WEBHOOK_SECRET": secret,
        "BORIKAN_CIVIL_REGISTRY_URL": registry_url,
        "BORIKAN_CIVIL_REGISTRY_API_KEY": registry_key,
        "BORIKAN_MAIL_BACKEND": "smtp",
        "SMTP_HOST": "127.0.0.1",
        "SMTP_PORT": str(smtp.port),
        "PYTHONPATH": str(ROOT / "src"),
        "LOG_LEVEL": "ERROR",
    }
    server = None
    try:
        for command in (["migrate", "--noinput", "-v", "0"], ["load_catalogue"], ["seed_demo_accounts"]):
            subprocess.run(
                [sys.executable, "-m", "django", *command], env=env, cwd=ROOT, check=True, capture_output=True
            )
        server = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "gunicorn",
                "borikan.config.wsgi:application",
                "--workers",
                "2",
                "--bind",
                f"127.0.0.1:{port}",
                "--log-level",
                "warning",
            ],
            env=env,
            cwd=ROOT,
        )
        _wait("the portal", lambda: _ping(url))
        print(f"borikan demo: portal {url}, bank sandbox {gateway_url}, civil registry sandbox {registry_url}, "
              f"SMTP 127.0.0.1:{smtp.port}\n")  # fmt: skip
        facts = run_journey(Portal(url, gateway_url, api_key, DEMO_PASSWORD, lambda: list(received)))
        print(f"\ndone: {facts['tracking_number']} is {facts['status']}; licence {facts['document']} verifies as "
              f"{facts['verification']}")  # fmt: skip
        return 0
    except (JourneyError, subprocess.CalledProcessError, httpx.HTTPError) as error:
        print(f"\ndemo failed: {error}", file=sys.stderr)
        return 1
    finally:
        if server is not None:
            server.terminate()
            server.wait(10)
        bank_gateway.stop(gateway)
        civil_registry.stop(registry)
        smtp.stop()


def _ping(url: str) -> bool:
    try:
        return httpx.get(f"{url}/api/v1/services?limit=1", timeout=2).status_code == 200
    except httpx.HTTPError:
        return False


if __name__ == "__main__":
    sys.exit(main())
