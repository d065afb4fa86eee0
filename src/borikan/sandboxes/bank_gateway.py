"""A sandbox payment gateway: the bank side of a PromptPay bill payment, as its own process.

    python -m borikan.sandboxes.bank_gateway --port 8081 --api-key KEY --webhook-secret SECRET

Standard library only (no Django). State lives in memory and is lost on exit.

    GET  /healthz                      → {"status": "ok"}
    POST /v1/charges                   create a charge: {amount_satang, ref1, ref2, callback_url}
                                       (header Idempotency-Key: a repeated key returns the same charge)
    GET  /v1/charges/{id}              the charge, with its webhook delivery attempts
    POST /v1/charges/{id}/pay          simulate the citizen paying in a banking app; optional
                                       {"amount_satang": n} pays a different amount. Delivers the webhook.
    POST /v1/charges/{id}/resend       deliver the same notification again (same event id: a replay)
    POST /v1/qr-payments               simulate a banking app scanning a Thai QR (tag 30 bill payment):
                                       {"qr_payload": "..."}; checks the CRC, finds the pending charge with
                                       the same ref1, ref2 and amount, and pays it as /pay does.

    POST /v1/refunds                   refund (part of) a paid charge: {charge_id, amount_satang, reason,
                                       reference, callback_url} (header Idempotency-Key required: a repeated
                                       key returns the same refund). Refused with 409 when the amount is more
                                       than what is left of the charge. The refund settles at once (after
                                       --refund-delay seconds) and a signed "refund.succeeded" webhook follows.
                                       Sandbox knob: {"sandbox_outcome": "failed"} makes the bank fail it
                                       ("refund.failed", e.g. the payer's account is closed).
    GET  /v1/refunds/{id}              the refund, with its webhook delivery attempts
    POST /v1/refunds/{id}/resend       deliver the refund's notification again (same event id)
    GET  /v1/settlements/{date}.csv    the day's settlement statement (Thai time, UTC+7): one row per payment
                                       and per settled refund, columns SETTLEMENT_COLUMNS

Notifications can be made to misbehave, to test exactly-once posting: /pay, /resend (and a refund, as
"sandbox_delivery") accept {"delivery": "lose" | "duplicate" | "delay" | "hold", "delay_seconds": n}:
lose never delivers it (the bank still settled: it is in the settlement CSV, and /resend can deliver it later),
duplicate delivers it twice at once, delay delivers it after n seconds, hold keeps it until
    POST /v1/sandbox/deliveries/release  {"order": "fifo" | "reverse"} delivers every held notification one
                                       after another, oldest or newest first (reordering).

Every /v1 call needs `Authorization: Bearer <api key>`.
A refund webhook is {type: "refund.succeeded"|"refund.failed", event_id, refund_id, reference, charge_id,
txn_id, amount_satang, completed_at, failure_reason}, signed and retried the same way.
The payment webhook is a JSON POST {event_id, charge_id, ref1, ref2, amount_satang, paid_at, txn_id} to the
charge's callback_url with `X-Gateway-Signature: t=<unix>,v1=<hex HMAC-SHA256 of "<t>.<body>">`.
It is retried with exponential backoff until a 2xx answer, at most --max-attempts times; each attempt is
signed afresh.
"""

from __future__ import annotations

import argparse
import csv
import hashlib
import hmac
import io
import json
import re
import secrets
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta, timezone
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from borikan.sandboxes.process import free_port, serve, spawn_module, stop  # noqa: F401 - re-exported

DELIVERY_TIMEOUT_SECONDS = 5
MAX_BACKOFF_SECONDS = 30.0
_CHARGE_PATH = re.compile(r"^/v1/charges/(?P<id>ch_[0-9a-f]+)(?P<action>/pay|/resend)?$")
_REFUND_PATH = re.compile(r"^/v1/refunds/(?P<id>rf_[0-9a-f]+)(?P<action>/resend)?$")
_SETTLEMENT_PATH = re.compile(r"^/v1/settlements/(?P<day>\d{4}-\d{2}-\d{2})\.csv$")
BANGKOK = timezone(timedelta(hours=7))
SETTLEMENT_COLUMNS = ("record_type", "txn_id", "charge_id", "ref1", "ref2", "amount_satang", "settled_at", "reference")


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


def sign(body: bytes, secret: str, timestamp: int) -> str:
    digest = hmac.new(secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256).hexdigest()
    return f"t={timestamp},v1={digest}"


@dataclass
class Charge:
    id: str
    amount_satang: int
    ref1: str
    ref2: str
    callback_url: str
    created_at: str
    status: str = "pending"
    txn_id: str | None = None
    paid_at: str | None = None
    paid_amount_satang: int | None = None
    event_id: str | None = None
    notification: bytes | None = None
    deliveries: list[dict[str, Any]] = field(default_factory=list)

    def document(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "status": self.status,
            "amount_satang": self.amount_satang,
            "ref1": self.ref1,
            "ref2": self.ref2,
            "callback_url": self.callback_url,
            "created_at": self.created_at,
            "txn_id": self.txn_id,
            "paid_at": self.paid_at,
            "paid_amount_satang": self.paid_amount_satang,
            "event_id": self.event_id,
            "deliveries": list(self.deliveries),
        }


@dataclass
class Refund:
    id: str
    charge_id: str
    amount_satang: int
    reason: str
    reference: str
    callback_url: str
    created_at: str
    status: str = "pending"
    completed_at: str | None = None
    failure_reason: str = ""
    event_id: str | None = None
    notification: bytes | None = None
    deliveries: list[dict[str, Any]] = field(default_factory=list)

    def document(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "status": self.status,
            "charge_id": self.charge_id,
            "amount_satang": self.amount_satang,
            "reason": self.reason,
            "reference": self.reference,
            "callback_url": self.callback_url,
            "created_at": self.created_at,
            "completed_at": self.completed_at,
            "failure_reason": self.failure_reason,
            "event_id": self.event_id,
            "deliveries": list(self.deliveries),
        }


def _crc16_ccitt(data: bytes) -> int:
    crc = 0xFFFF
    for byte in data:
        crc ^= byte << 8
        for _ in range(8):
            crc = ((crc << 1) ^ 0x1021) if crc & 0x8000 else crc << 1
            crc &= 0xFFFF
    return crc


def _tlv(text: str) -> dict[str, str]:
    fields, i = {}, 0
    while i < len(text):
        tag, length = text[i : i + 2], text[i + 2 : i + 4]
        if len(tag) < 2 or not length.isdigit():
            raise SandboxError(400, "malformed QR payload")
        fields[tag] = text[i + 4 : i + 4 + int(length)]
        i += 4 + int(length)
    return fields


def parse_bill_payment_qr(payload: str) -> dict[str, Any]:
    """What a banking app reads from an EMVCo Thai QR bill payment (tag 30); independent of borikan's builder."""
    if len(payload) < 8 or payload[-8:-4] != "6304":
        raise SandboxError(400, "QR payload has no CRC")
    if f"{_crc16_ccitt(payload[:-4].encode()):04X}" != payload[-4:].upper():
        raise SandboxError(400, "QR payload CRC does not match")
    top = _tlv(payload[:-8])
    if "30" not in top:
        raise SandboxError(400, "not a bill-payment QR (tag 30)")
    bill = _tlv(top["30"])
    amount = top.get("54")
    return {
        "biller_id": bill.get("01", ""),
        "ref1": bill.get("02", ""),
        "ref2": bill.get("03", ""),
        "amount_satang": round(float(amount) * 100) if amount else None,
    }


DELIVERY_MODES = ("normal", "lose", "duplicate", "delay", "hold")


def _delivery_mode(data: dict[str, Any], key: str = "delivery") -> tuple[str, float]:
    """How to deliver the notification: normal, lose (never), duplicate (twice at once), delay (after
    `delay_seconds`), hold (until POST /v1/sandbox/deliveries/release)."""
    mode = data.get(key, "normal")
    if mode not in DELIVERY_MODES:
        raise SandboxError(400, f"{key} must be one of {', '.join(DELIVERY_MODES)}")
    delay = data.get("delay_seconds", 1.0)
    if isinstance(delay, bool) or not isinstance(delay, int | float) or not 0 <= delay <= 60:
        raise SandboxError(400, "delay_seconds must be a number from 0 to 60")
    return mode, float(delay)


class SandboxError(Exception):
    def __init__(self, status: int, code: str) -> None:
        super().__init__(code)
        self.status = status
        self.code = code


class Gateway:
    """The in-memory bank. One lock guards every charge; deliveries run on their own threads."""

    def __init__(
        self,
        *,
        api_key: str,
        webhook_secret: str,
        max_attempts: int,
        backoff_seconds: float,
        refund_delay_seconds: float = 0.0,
    ) -> None:
        self.refund_delay_seconds = refund_delay_seconds
        self.held: list[Charge | Refund] = []
        self.refunds: dict[str, Refund] = {}
        self.refunds_by_idempotency_key: dict[str, str] = {}
        self.api_key = api_key
        self.webhook_secret = webhook_secret
        self.max_attempts = max_attempts
        self.backoff_seconds = backoff_seconds
        self.lock = threading.Lock()
        self.charges: dict[str, Charge] = {}
        self.by_idempotency_key: dict[str, str] = {}

    def authorised(self, header: str | None) -> bool:
        scheme, _, token = (header or "").partition(" ")
        return scheme == "Bearer" and hmac.compare_digest(token.encode(), self.api_key.encode())

    def create(self, data: dict[str, Any], idempotency_key: str | None) -> tuple[Charge, bool]:
        amount = data.get("amount_satang")
        if isinstance(amount, bool) or not isinstance(amount, int) or amount <= 0:
            raise SandboxError(400, "amount_satang must be a positive integer")
        ref1, ref2, callback = data.get("ref1"), data.get("ref2", ""), data.get("callback_url")
        if not (isinstance(ref1, str) and ref1) or not isinstance(ref2, str):
            raise SandboxError(400, "ref1 is required; ref1 and ref2 must be strings")
        if not (isinstance(callback, str) and callback.startswith(("http://", "https://"))):
            raise SandboxError(400, "callback_url must be an http(s) URL")
        with self.lock:
            if idempotency_key and idempotency_key in self.by_idempotency_key:
                existing = self.charges[self.by_idempotency_key[idempotency_key]]
                if (existing.amount_satang, existing.ref1, existing.ref2, existing.callback_url) != (
                    amount,
                    ref1,
                    ref2,
                    callback,
                ):
                    raise SandboxError(409, "idempotency key reused with different parameters")
                return existing, False
            charge = Charge(
                id="ch_" + secrets.token_hex(12),
                amount_satang=amount,
                ref1=ref1,
                ref2=ref2,
                callback_url=callback,
                created_at=_now(),
            )
            self.charges[charge.id] = charge
            if idempotency_key:
                self.by_idempotency_key[idempotency_key] = charge.id
            return charge, True

    def get(self, charge_id: str) -> Charge:
        charge = self.charges.get(charge_id)
        if charge is None:
            raise SandboxError(404, "no such charge")
        return charge

    def pay(self, charge_id: str, data: dict[str, Any]) -> Charge:
        amount = data.get("amount_satang")
        mode, delay = _delivery_mode(data)
        with self.lock:
            charge = self.get(charge_id)
            if charge.status == "paid":
                raise SandboxError(409, "charge already paid")
            if amount is None:
                amount = charge.amount_satang
            if isinstance(amount, bool) or not isinstance(amount, int) or amount <= 0:
                raise SandboxError(400, "amount_satang must be a positive integer")
            charge.status = "paid"
            charge.txn_id = "txn_" + secrets.token_hex(12)
            charge.paid_at = _now()
            charge.paid_amount_satang = amount
            charge.event_id = "evt_" + secrets.token_hex(12)
            charge.notification = json.dumps(
                {
                    "event_id": charge.event_id,
                    "charge_id": charge.id,
                    "ref1": charge.ref1,
                    "ref2": charge.ref2,
                    "amount_satang": amount,
                    "paid_at": charge.paid_at,
                    "txn_id": charge.txn_id,
                },
                separators=(",", ":"),
            ).encode()
        self.dispatch(charge, mode, delay)
        return charge

    def pay_by_qr(self, data: dict[str, Any]) -> Charge:
        payload = data.get("qr_payload")
        if not isinstance(payload, str):
            raise SandboxError(400, "qr_payload must be a string")
        fields = parse_bill_payment_qr(payload)
        with self.lock:
            matches = [
                c
                for c in self.charges.values()
                if c.status == "pending" and (c.ref1, c.ref2) == (fields["ref1"], fields["ref2"])
            ]
        if not matches:
            raise SandboxError(404, "no pending charge for these references")
        charge = matches[-1]
        if fields["amount_satang"] is not None and fields["amount_satang"] != charge.amount_satang:
            raise SandboxError(409, "the QR amount differs from the charge")
        return self.pay(charge.id, {})

    def resend(self, charge_id: str, data: dict[str, Any] | None = None) -> Charge:
        mode, delay = _delivery_mode(data or {})
        with self.lock:
            charge = self.get(charge_id)
            if charge.notification is None:
                raise SandboxError(409, "charge is not paid; nothing to resend")
        self.dispatch(charge, mode, delay)
        return charge

    # --- misbehaving on purpose: lost, duplicated, delayed and reordered notifications ---------------------

    def dispatch(self, target: Charge | Refund, mode: str, delay: float) -> None:
        """Deliver a notification the way it was asked to go wrong (or right)."""
        if mode == "lose":
            with self.lock:
                target.deliveries.append({"event_id": target.event_id, "attempt": 0, "status": "lost", "at": _now()})
        elif mode == "duplicate":
            self.deliver(target)
            self.deliver(target)
        elif mode == "delay":
            timer = threading.Timer(delay, self._deliver, args=(target,))
            timer.daemon = True
            timer.start()
        elif mode == "hold":
            with self.lock:
                self.held.append(target)
        else:
            self.deliver(target)

    def release(self, data: dict[str, Any]) -> int:
        """Deliver every held notification, one after another, oldest first ("fifo") or newest first ("reverse")."""
        order = data.get("order", "fifo")
        if order not in ("fifo", "reverse"):
            raise SandboxError(400, "order must be fifo or reverse")
        with self.lock:
            batch, self.held = self.held, []
        if order == "reverse":
            batch.reverse()

        def deliver_all() -> None:
            for target in batch:
                self._deliver(target)

        threading.Thread(target=deliver_all, daemon=True).start()
        return len(batch)

    # --- refunds ---------------------------------------------------------------------------------------

    def _refunded(self, charge_id: str) -> int:
        """What is already promised back from a charge: refunds that are pending or succeeded."""
        return sum(r.amount_satang for r in self.refunds.values() if r.charge_id == charge_id and r.status != "failed")

    def create_refund(self, data: dict[str, Any], idempotency_key: str | None) -> tuple[Refund, bool]:
        if not idempotency_key:
            raise SandboxError(400, "Idempotency-Key header is required for refunds")
        amount = data.get("amount_satang")
        if isinstance(amount, bool) or not isinstance(amount, int) or amount <= 0:
            raise SandboxError(400, "amount_satang must be a positive integer")
        charge_id, reason, reference = data.get("charge_id"), data.get("reason", ""), data.get("reference", "")
        callback = data.get("callback_url")
        if not (isinstance(charge_id, str) and isinstance(reason, str) and isinstance(reference, str)):
            raise SandboxError(400, "charge_id, reason and reference must be strings")
        if not (isinstance(callback, str) and callback.startswith(("http://", "https://"))):
            raise SandboxError(400, "callback_url must be an http(s) URL")
        mode, delay = _delivery_mode(data, key="sandbox_delivery")
        outcome = data.get("sandbox_outcome", "succeeded")
        if outcome not in ("succeeded", "failed"):
            raise SandboxError(400, "sandbox_outcome must be succeeded or failed")
        with self.lock:
            if idempotency_key in self.refunds_by_idempotency_key:
                existing = self.refunds[self.refunds_by_idempotency_key[idempotency_key]]
                if (existing.charge_id, existing.amount_satang, existing.reference) != (charge_id, amount, reference):
                    raise SandboxError(409, "idempotency key reused with different parameters")
                return existing, False
            charge = self.get(charge_id)
            if charge.status != "paid" or charge.paid_amount_satang is None:
                raise SandboxError(409, "charge_not_paid")
            if amount > charge.paid_amount_satang - self._refunded(charge_id):
                raise SandboxError(409, "refund_exceeds_remaining")
            refund = Refund(
                id="rf_" + secrets.token_hex(12),
                charge_id=charge_id,
                amount_satang=amount,
                reason=reason[:500],
                reference=reference[:64],
                callback_url=callback,
                created_at=_now(),
            )
            self.refunds[refund.id] = refund
            self.refunds_by_idempotency_key[idempotency_key] = refund.id
        threading.Thread(target=self._settle_refund, args=(refund, outcome, mode, delay), daemon=True).start()
        return refund, True

    def _settle_refund(self, refund: Refund, outcome: str, mode: str = "normal", delay: float = 0.0) -> None:
        if self.refund_delay_seconds:
            time.sleep(self.refund_delay_seconds)
        with self.lock:
            charge = self.charges[refund.charge_id]
            refund.status = outcome
            refund.completed_at = _now()
            refund.failure_reason = "" if outcome == "succeeded" else "the payer's account cannot receive transfers"
            refund.event_id = "evt_" + secrets.token_hex(12)
            refund.notification = json.dumps(
                {
                    "type": f"refund.{outcome}",
                    "event_id": refund.event_id,
                    "refund_id": refund.id,
                    "reference": refund.reference,
                    "charge_id": refund.charge_id,
                    "txn_id": charge.txn_id,
                    "amount_satang": refund.amount_satang,
                    "completed_at": refund.completed_at,
                    "failure_reason": refund.failure_reason,
                },
                separators=(",", ":"),
            ).encode()
        self.dispatch(refund, mode, delay)

    def get_refund(self, refund_id: str) -> Refund:
        refund = self.refunds.get(refund_id)
        if refund is None:
            raise SandboxError(404, "no such refund")
        return refund

    def resend_refund(self, refund_id: str) -> Refund:
        with self.lock:
            refund = self.get_refund(refund_id)
            if refund.notification is None:
                raise SandboxError(409, "refund is not settled; nothing to resend")
        self.deliver(refund)
        return refund

    # --- settlement statement ------------------------------------------------------------------------------

    def settlement_csv(self, day: str) -> bytes:
        try:
            wanted = date.fromisoformat(day)
        except ValueError as exc:
            raise SandboxError(400, "date must be YYYY-MM-DD") from exc

        def on_day(moment: str | None) -> bool:
            return moment is not None and datetime.fromisoformat(moment).astimezone(BANGKOK).date() == wanted

        out = io.StringIO()
        writer = csv.writer(out, lineterminator="\n")
        writer.writerow(SETTLEMENT_COLUMNS)
        with self.lock:
            for charge in self.charges.values():
                if charge.status == "paid" and on_day(charge.paid_at):
                    writer.writerow(
                        (
                            "payment",
                            charge.txn_id,
                            charge.id,
                            charge.ref1,
                            charge.ref2,
                            charge.paid_amount_satang,
                            charge.paid_at,
                            "",
                        )
                    )
            for refund in self.refunds.values():
                if refund.status == "succeeded" and on_day(refund.completed_at):
                    charge = self.charges[refund.charge_id]
                    writer.writerow(
                        (
                            "refund",
                            refund.id,
                            charge.id,
                            charge.ref1,
                            charge.ref2,
                            refund.amount_satang,
                            refund.completed_at,
                            refund.reference,
                        )
                    )
        return out.getvalue().encode()

    def deliver(self, charge: Charge | Refund) -> None:
        threading.Thread(target=self._deliver, args=(charge,), daemon=True).start()

    def _deliver(self, charge: Charge | Refund) -> None:
        assert charge.notification is not None  # noqa: S101 -- pay() sets it before any delivery
        for attempt in range(1, self.max_attempts + 1):
            request = urllib.request.Request(  # noqa: S310 -- callback_url is checked to be http(s)
                charge.callback_url,
                data=charge.notification,
                method="POST",
                headers={
                    "Content-Type": "application/json",
                    "X-Gateway-Signature": sign(charge.notification, self.webhook_secret, int(time.time())),
                },
            )
            try:
                with urllib.request.urlopen(request, timeout=DELIVERY_TIMEOUT_SECONDS) as response:  # noqa: S310
                    status, detail = response.status, response.read(2000).decode("utf-8", "replace")
            except urllib.error.HTTPError as exc:
                status, detail = exc.code, exc.read(2000).decode("utf-8", "replace")
            except (urllib.error.URLError, OSError) as exc:
                status, detail = 0, f"{exc.__class__.__name__}: {exc}"
            with self.lock:
                charge.deliveries.append(
                    {
                        "event_id": charge.event_id,
                        "attempt": attempt,
                        "status": status,
                        "detail": detail,
                        "at": _now(),
                    }
                )
            if 200 <= status < 300:
                return
            if attempt < self.max_attempts:
                time.sleep(min(self.backoff_seconds * 2 ** (attempt - 1), MAX_BACKOFF_SECONDS))


class Handler(BaseHTTPRequestHandler):
    server: SandboxServer
    protocol_version = "HTTP/1.1"

    def log_message(self, format: str, *args: Any) -> None:
        if self.server.verbose:
            sys.stderr.write(f"bank_gateway: {format % args}\n")

    def _send(self, status: int, payload: dict[str, Any]) -> None:
        body = json.dumps(payload).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def _send_bytes(self, status: int, body: bytes, content_type: str) -> None:
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def _json_body(self) -> dict[str, Any]:
        length = int(self.headers.get("Content-Length") or 0)
        if length > 64 * 1024:
            raise SandboxError(413, "body too large")
        raw = self.rfile.read(length) if length else b""
        if not raw:
            return {}
        try:
            data = json.loads(raw)
        except (UnicodeDecodeError, json.JSONDecodeError) as exc:
            raise SandboxError(400, "body is not JSON") from exc
        if not isinstance(data, dict):
            raise SandboxError(400, "body must be a JSON object")
        return data

    def _handle(self, method: str) -> None:
        gateway = self.server.gateway
        try:
            body = self._json_body() if method == "POST" else {}
            if self.path == "/healthz" and method == "GET":
                return self._send(200, {"status": "ok"})
            if not self.path.startswith("/v1/"):
                raise SandboxError(404, "not found")
            if not gateway.authorised(self.headers.get("Authorization")):
                raise SandboxError(401, "missing or wrong API key")
            if self.path == "/v1/qr-payments" and method == "POST":
                charge = gateway.pay_by_qr(body)
                with gateway.lock:
                    document = charge.document()
                return self._send(200, document)
            if self.path == "/v1/charges" and method == "POST":
                charge, created = gateway.create(body, self.headers.get("Idempotency-Key"))
                with gateway.lock:
                    document = charge.document()
                return self._send(201 if created else 200, document)
            if self.path == "/v1/sandbox/deliveries/release" and method == "POST":
                return self._send(202, {"released": gateway.release(body)})
            if self.path == "/v1/refunds" and method == "POST":
                refund, created = gateway.create_refund(body, self.headers.get("Idempotency-Key"))
                with gateway.lock:
                    document = refund.document()
                return self._send(201 if created else 200, document)
            if (found := _REFUND_PATH.match(self.path)) is not None:
                if found["action"] is None and method == "GET":
                    refund, status = gateway.get_refund(found["id"]), 200
                elif found["action"] == "/resend" and method == "POST":
                    refund, status = gateway.resend_refund(found["id"]), 202
                else:
                    raise SandboxError(405, "method not allowed")
                with gateway.lock:
                    document = refund.document()
                return self._send(status, document)
            if (found := _SETTLEMENT_PATH.match(self.path)) is not None and method == "GET":
                return self._send_bytes(200, gateway.settlement_csv(found["day"]), "text/csv; charset=utf-8")
            match = _CHARGE_PATH.match(self.path)
            if match is None:
                raise SandboxError(404, "not found")
            charge_id, action = match["id"], match["action"]
            if action is None and method == "GET":
                charge, status = gateway.get(charge_id), 200
            elif action == "/pay" and method == "POST":
                charge, status = gateway.pay(charge_id, body), 200
            elif action == "/resend" and method == "POST":
                charge, status = gateway.resend(charge_id, body), 202
            else:
                raise SandboxError(405, "method not allowed")
            with gateway.lock:
                document = charge.document()
            return self._send(status, document)
        except SandboxError as exc:
            return self._send(exc.status, {"error": exc.code})

    def do_GET(self) -> None:
        self._handle("GET")

    def do_POST(self) -> None:
        self._handle("POST")


class SandboxServer(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, address: tuple[str, int], gateway: Gateway, *, verbose: bool) -> None:
        super().__init__(address, Handler)
        self.gateway = gateway
        self.verbose = verbose


def spawn(
    *,
    api_key: str,
    webhook_secret: str,
    port: int | None = None,
    extra_args: tuple[str, ...] = (),
    timeout: float = 15,
) -> tuple[subprocess.Popen, str]:
    """Start the sandbox as a child process (for tests and the demo); return it and its base URL. Stop it with
    `stop()`."""
    # "--name=value": a key that starts with "-" must not be read as an option.
    args = [f"--api-key={api_key}", f"--webhook-secret={webhook_secret}", *extra_args]
    return spawn_module("borikan.sandboxes.bank_gateway", args, port=port, timeout=timeout)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description="borikan sandbox payment gateway")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--api-key", required=True)
    parser.add_argument("--webhook-secret", required=True)
    parser.add_argument("--max-attempts", type=int, default=6, help="webhook delivery attempts (default 6)")
    parser.add_argument("--backoff", type=float, default=0.5, help="first retry delay in seconds, doubling")
    parser.add_argument("--refund-delay", type=float, default=0.0, help="seconds before a refund settles")
    parser.add_argument("--verbose", action="store_true", help="log every request to stderr")
    args = parser.parse_args(argv)
    gateway = Gateway(
        api_key=args.api_key,
        webhook_secret=args.webhook_secret,
        max_attempts=max(1, args.max_attempts),
        backoff_seconds=max(0.0, args.backoff),
        refund_delay_seconds=max(0.0, args.refund_delay),
    )
    server = SandboxServer((args.host, args.port), gateway, verbose=args.verbose)
    sys.stderr.write(f"bank_gateway: listening on http://{args.host}:{server.server_address[1]}\n")
    serve(server)


if __name__ == "__main__":
    main()
