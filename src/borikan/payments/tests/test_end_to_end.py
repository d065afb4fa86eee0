"""The whole loop with real processes: the portal (live server) ⇄ the sandbox bank gateway over HTTP."""

import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import httpx
import pytest

from borikan.core.events import PaymentSettled
from borikan.payments.gateway import ChargeRequest, HttpGateway, verify_notification
from borikan.payments.models import (
    HeldPayment,
    HoldReason,
    Invoice,
    InvoiceStatus,
    Payment,
    WebhookOutcome,
    WebhookReceipt,
)

from .gatewaykit import SandboxProcess, wait_until

pytestmark = pytest.mark.slow


@pytest.fixture
def portal_on_live_server(live_server, settings, bank_gateway: SandboxProcess) -> SandboxProcess:
    """Charges created now carry a callback URL on the live server, so the sandbox can reach our webhook."""
    settings.BORIKAN_PUBLIC_BASE_URL = live_server.url
    return bank_gateway


def deliveries(sandbox: SandboxProcess, charge_id: str) -> list[dict]:
    return sandbox.charge(charge_id)["deliveries"]


@pytest.mark.django_db(transaction=True)
def test_paying_at_the_gateway_marks_the_invoice_paid_through_the_webhook(
    portal_on_live_server, make_invoice, settled_events
):
    sandbox = portal_on_live_server
    invoice = make_invoice()
    paid = sandbox.pay(invoice.gateway_charge_id)

    wait_until(lambda: Invoice.objects.get(pk=invoice.pk).status == InvoiceStatus.PAID)
    invoice.refresh_from_db()
    payment = Payment.objects.get()
    assert (payment.invoice_id, payment.gateway_txn_id, payment.amount_satang) == (
        invoice.pk,
        paid["txn_id"],
        25_000,
    )
    assert invoice.paid_at.isoformat() == paid["paid_at"]
    assert settled_events == [
        PaymentSettled(case_ref=invoice.case_ref, invoice_number=invoice.number, amount_satang=25_000)
    ]
    delivered = wait_until(lambda: deliveries(sandbox, invoice.gateway_charge_id))
    assert [(d["attempt"], d["status"], json.loads(d["detail"])) for d in delivered] == [
        (1, 200, {"outcome": "posted"})
    ]
    assert HttpGateway.from_settings().charge_status(invoice.gateway_charge_id).status == "paid"


@pytest.mark.django_db(transaction=True)
def test_gateway_resending_the_notification_does_not_post_twice(portal_on_live_server, make_invoice, settled_events):
    sandbox = portal_on_live_server
    invoice = make_invoice()
    sandbox.pay(invoice.gateway_charge_id)
    wait_until(lambda: len(deliveries(sandbox, invoice.gateway_charge_id)) == 1)

    sandbox.resend(invoice.gateway_charge_id)
    delivered = wait_until(
        lambda: (found := deliveries(sandbox, invoice.gateway_charge_id)) and len(found) == 2 and found
    )
    assert [(d["status"], json.loads(d["detail"])["outcome"]) for d in delivered] == [
        (200, "posted"),
        (200, "duplicate"),
    ]
    assert delivered[0]["event_id"] == delivered[1]["event_id"]
    assert Payment.objects.count() == 1
    assert list(WebhookReceipt.objects.values_list("outcome", flat=True)) == [WebhookOutcome.POSTED]
    assert len(settled_events) == 1


@pytest.mark.django_db(transaction=True)
def test_paying_a_different_amount_at_the_gateway_is_held(portal_on_live_server, make_invoice, settled_events):
    sandbox = portal_on_live_server
    invoice = make_invoice()
    sandbox.pay(invoice.gateway_charge_id, amount_satang=20_000)

    held = wait_until(lambda: HeldPayment.objects.first())
    assert (held.invoice_id, held.reason, held.amount_satang) == (
        invoice.pk,
        HoldReason.AMOUNT_MISMATCH,
        20_000,
    )
    invoice.refresh_from_db()
    assert (invoice.status, Payment.objects.count(), settled_events) == (InvoiceStatus.OPEN, 0, [])


# --- the sandbox on its own ---------------------------------------------------------------------------


class FlakyReceiver(BaseHTTPRequestHandler):
    """Answers 503 to the first delivery and 200 afterwards, recording each body and signature."""

    def do_POST(self) -> None:
        body = self.rfile.read(int(self.headers["Content-Length"]))
        self.server.received.append((body, self.headers["X-Gateway-Signature"]))  # type: ignore[attr-defined]
        status = 503 if len(self.server.received) == 1 else 200  # type: ignore[attr-defined]
        self.send_response(status)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def log_message(self, format: str, *args: object) -> None:
        return


@pytest.fixture
def flaky_receiver() -> Iterator[ThreadingHTTPServer]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), FlakyReceiver)
    server.received = []  # type: ignore[attr-defined]
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server
    server.shutdown()
    server.server_close()


def test_sandbox_retries_the_webhook_until_it_is_accepted(sandbox_process, flaky_receiver):
    gateway = HttpGateway(
        base_url=sandbox_process.url,
        api_key=sandbox_process.api_key,
        webhook_secret=sandbox_process.webhook_secret,
        tolerance_seconds=300,
    )
    callback = f"http://127.0.0.1:{flaky_receiver.server_address[1]}/hook"
    charge = gateway.create_charge(
        ChargeRequest(idempotency_key="retry-test", amount_satang=5_000, ref1="BK1", ref2="X1", callback_url=callback)
    )
    sandbox_process.pay(charge.charge_id)

    delivered = wait_until(
        lambda: (found := deliveries(sandbox_process, charge.charge_id)) and len(found) == 2 and found
    )
    assert [(d["attempt"], d["status"]) for d in delivered] == [(1, 503), (2, 200)]
    first, second = flaky_receiver.received
    assert first[0] == second[0]
    for body, signature in flaky_receiver.received:
        notification = gateway.verify_notification(body=body, signature_header=signature)
        assert (notification.charge_id, notification.amount_satang, notification.ref1) == (
            charge.charge_id,
            5_000,
            "BK1",
        )


def test_sandbox_gives_up_after_the_configured_attempts(sandbox_process):
    gateway = HttpGateway(
        base_url=sandbox_process.url,
        api_key=sandbox_process.api_key,
        webhook_secret=sandbox_process.webhook_secret,
        tolerance_seconds=300,
    )
    charge = gateway.create_charge(
        ChargeRequest(
            idempotency_key="give-up-test",
            amount_satang=100,
            ref1="BK2",
            ref2="",
            callback_url="http://127.0.0.1:9/nobody-listens",
        )
    )
    sandbox_process.pay(charge.charge_id)
    delivered = wait_until(
        lambda: (found := deliveries(sandbox_process, charge.charge_id)) and len(found) == 4 and found
    )
    assert [(d["attempt"], d["status"]) for d in delivered] == [(1, 0), (2, 0), (3, 0), (4, 0)]


def test_sandbox_repeats_a_charge_for_a_repeated_idempotency_key(sandbox_process):
    gateway = HttpGateway(
        base_url=sandbox_process.url,
        api_key=sandbox_process.api_key,
        webhook_secret=sandbox_process.webhook_secret,
        tolerance_seconds=300,
    )
    request = ChargeRequest(
        idempotency_key="same-key",
        amount_satang=100,
        ref1="BK3",
        ref2="",
        callback_url="http://127.0.0.1:9/x",
    )
    assert gateway.create_charge(request).charge_id == gateway.create_charge(request).charge_id


def test_sandbox_refuses_calls_without_the_api_key(sandbox_process):
    response = httpx.post(
        sandbox_process.url + "/v1/charges",
        json={"amount_satang": 100, "ref1": "BK4", "ref2": "", "callback_url": "http://127.0.0.1:9/x"},
        headers={"Authorization": "Bearer wrong"},
        timeout=5,
    )
    assert (response.status_code, response.json()) == (401, {"error": "missing or wrong API key"})


def test_sandbox_refuses_to_pay_a_charge_twice(sandbox_process):
    created = sandbox_process.call(
        "POST",
        "/v1/charges",
        json={"amount_satang": 100, "ref1": "BK5", "ref2": "", "callback_url": "http://127.0.0.1:9/x"},
    ).json()
    sandbox_process.pay(created["id"])
    again = sandbox_process.call("POST", f"/v1/charges/{created['id']}/pay", json={})
    assert (again.status_code, again.json()) == (409, {"error": "charge already paid"})


def test_notification_signed_by_the_sandbox_verifies_with_our_code(sandbox_process, flaky_receiver):
    created = sandbox_process.call(
        "POST",
        "/v1/charges",
        json={
            "amount_satang": 777,
            "ref1": "BK6",
            "ref2": "Z9",
            "callback_url": f"http://127.0.0.1:{flaky_receiver.server_address[1]}/hook",
        },
    ).json()
    sandbox_process.pay(created["id"])
    wait_until(lambda: flaky_receiver.received)
    body, signature = flaky_receiver.received[0]
    notification = verify_notification(
        body=body, signature_header=signature, secret=sandbox_process.webhook_secret, tolerance_seconds=60
    )
    assert set(json.loads(body)) == {
        "event_id",
        "charge_id",
        "ref1",
        "ref2",
        "amount_satang",
        "paid_at",
        "txn_id",
    }
    assert (notification.ref2, notification.amount_satang) == ("Z9", 777)


@pytest.mark.django_db(transaction=True)
def test_sandbox_pay_command_pays_through_the_qr_and_the_webhook(portal_on_live_server, make_invoice, settled_events):
    from django.core.management import call_command

    invoice = make_invoice()
    call_command("sandbox_pay", invoice.number)
    wait_until(lambda: Invoice.objects.get(pk=invoice.pk).status == InvoiceStatus.PAID)
    assert [e.invoice_number for e in settled_events] == [invoice.number]


def test_sandbox_refuses_a_qr_with_a_broken_crc(sandbox_process):
    response = sandbox_process.call("POST", "/v1/qr-payments", json={"qr_payload": "0002010102123004ABCD6304FFFF"})
    assert response.status_code == 400
    assert response.json()["error"] == "QR payload CRC does not match"
