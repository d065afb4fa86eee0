"""Test helpers: start and drive the sandbox gateway process, and sign notifications.

The signer here is written independently of `payments.gateway`, so a test that passes proves the
verifier agrees with an outside implementation of the signature scheme.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import subprocess
import time
import uuid
from dataclasses import dataclass
from typing import Any

import httpx
import pytest
from django.conf import settings as django_settings
from django.test import Client

from borikan.sandboxes import bank_gateway


def wait_until(predicate: Any, *, timeout: float = 15.0, interval: float = 0.1) -> Any:
    """Poll until `predicate()` is truthy; return its value, or fail the test after `timeout` seconds."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(interval)
    pytest.fail(f"condition not met within {timeout} s")


@dataclass(frozen=True)
class SandboxProcess:
    url: str
    api_key: str
    webhook_secret: str
    process: subprocess.Popen

    def call(self, method: str, path: str, **kwargs: Any) -> httpx.Response:
        headers = {"Authorization": f"Bearer {self.api_key}", **kwargs.pop("headers", {})}
        return httpx.request(method, self.url + path, headers=headers, timeout=5.0, **kwargs)

    def charge(self, charge_id: str) -> dict:
        response = self.call("GET", f"/v1/charges/{charge_id}")
        assert response.status_code == 200, response.text
        return response.json()

    def pay(self, charge_id: str, **body: Any) -> dict:
        response = self.call("POST", f"/v1/charges/{charge_id}/pay", json=body)
        assert response.status_code == 200, response.text
        return response.json()

    def resend(self, charge_id: str) -> dict:
        response = self.call("POST", f"/v1/charges/{charge_id}/resend")
        assert response.status_code == 202, response.text
        return response.json()


def start_sandbox(*, api_key: str, webhook_secret: str, extra_args: tuple[str, ...] = ()) -> SandboxProcess:
    try:
        process, url = bank_gateway.spawn(api_key=api_key, webhook_secret=webhook_secret, extra_args=extra_args)
    except RuntimeError as exc:
        pytest.fail(str(exc))
    return SandboxProcess(url, api_key, webhook_secret, process)


def stop_sandbox(sandbox: SandboxProcess) -> None:
    bank_gateway.stop(sandbox.process)


def sign(body: bytes, *, secret: str | None = None, timestamp: int | None = None) -> str:
    """`t=<unix>,v1=<hex HMAC-SHA256("<t>.<body>")>`, computed here independently of the code under test."""
    key = (secret if secret is not None else django_settings.BORIKAN_GATEWAY_WEBHOOK_SECRET).encode()
    moment = int(time.time()) if timestamp is None else timestamp
    return f"t={moment},v1={hmac.new(key, f'{moment}.'.encode() + body, hashlib.sha256).hexdigest()}"


def notification_for(invoice: Any, **overrides: Any) -> bytes:
    body = {
        "event_id": "evt_" + uuid.uuid4().hex,
        "charge_id": invoice.gateway_charge_id,
        "ref1": invoice.ref1,
        "ref2": invoice.ref2,
        "amount_satang": invoice.amount_satang,
        "paid_at": "2026-11-25T03:15:00+00:00",
        "txn_id": "txn_" + uuid.uuid4().hex,
    } | overrides
    return json.dumps(body).encode()


WEBHOOK_URL = "/api/v1/payments/webhooks/gateway"


def post_webhook(client: Any, body: bytes, signature: str | None) -> Any:
    headers = {} if signature is None else {"X-Gateway-Signature": signature}
    return client.post(WEBHOOK_URL, data=body, content_type="application/json", headers=headers)


def bank_notification(paid: dict, **overrides: Any) -> bytes:
    """The payment notification the sandbox sends for a paid charge, rebuilt from its charge document."""
    body = {
        "event_id": paid["event_id"],
        "charge_id": paid["id"],
        "ref1": paid["ref1"],
        "ref2": paid["ref2"],
        "amount_satang": paid["paid_amount_satang"],
        "paid_at": paid["paid_at"],
        "txn_id": paid["txn_id"],
    } | overrides
    return json.dumps(body).encode()


def settle(sandbox: SandboxProcess, invoice: Any, *, expect: str = "posted", **pay: Any) -> dict:
    """Pay the charge at the sandbox bank and deliver its notification to the portal (as the bank would; its own
    delivery goes nowhere in these tests: the portal is not listening on a socket)."""
    paid = sandbox.pay(invoice.gateway_charge_id, **pay)
    body = bank_notification(paid)
    assert post_webhook(Client(), body, sign(body)).json()["outcome"] == expect
    return paid


def bank_refund(sandbox: SandboxProcess, refund: Any) -> dict:
    return wait_until(
        lambda: (
            (doc := sandbox.call("GET", f"/v1/refunds/{refund.gateway_refund_id}").json())["status"] != "pending"
            and doc
        )
    )


def refund_notification(sandbox: SandboxProcess, refund: Any, **overrides) -> bytes:
    """The bank's refund notification, rebuilt from its refund document (the sandbox's own delivery goes nowhere
    in these tests: the portal is not listening on a socket)."""
    doc = bank_refund(sandbox, refund)
    body = {
        "type": f"refund.{doc['status']}",
        "event_id": doc["event_id"],
        "refund_id": doc["id"],
        "reference": doc["reference"],
        "charge_id": doc["charge_id"],
        "txn_id": "txn_x",
        "amount_satang": doc["amount_satang"],
        "completed_at": doc["completed_at"],
        "failure_reason": doc["failure_reason"],
    } | overrides
    return json.dumps(body).encode()
