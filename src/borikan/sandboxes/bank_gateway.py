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

Every /v1 call needs `Authorization: Bearer <api key>`.
The webhook is a JSON POST {event_id, charge_id, ref1, ref2, amount_satang, paid_at, txn_id} to the
charge's callback_url with `X-Gateway-Signature: t=<unix>,v1=<hex HMAC-SHA256 of "<t>.<body>">`.
It is retried with exponential backoff until a 2xx answer, at most --max-attempts times; each attempt is
signed afresh.
"""

from __future__ import annotations

import argparse
import hashlib
import hmac
import json
import os
import re
import secrets
import socket
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

DELIVERY_TIMEOUT_SECONDS = 5
MAX_BACKOFF_SECONDS = 30.0
_CHARGE_PATH = re.compile(r"^/v1/charges/(?P<id>ch_[0-9a-f]+)(?P<action>/pay|/resend)?$")


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


class SandboxError(Exception):
    def __init__(self, status: int, code: str) -> None:
        super().__init__(code)
        self.status = status
        self.code = code


class Gateway:
    """The in-memory bank. One lock guards every charge; deliveries run on their own threads."""

    def __init__(self, *, api_key: str, webhook_secret: str, max_attempts: int, backoff_seconds: float) -> None:
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
        self.deliver(charge)
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

    def resend(self, charge_id: str) -> Charge:
        with self.lock:
            charge = self.get(charge_id)
            if charge.notification is None:
                raise SandboxError(409, "charge is not paid; nothing to resend")
        self.deliver(charge)
        return charge

    def deliver(self, charge: Charge) -> None:
        threading.Thread(target=self._deliver, args=(charge,), daemon=True).start()

    def _deliver(self, charge: Charge) -> None:
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
            match = _CHARGE_PATH.match(self.path)
            if match is None:
                raise SandboxError(404, "not found")
            charge_id, action = match["id"], match["action"]
            if action is None and method == "GET":
                charge, status = gateway.get(charge_id), 200
            elif action == "/pay" and method == "POST":
                charge, status = gateway.pay(charge_id, body), 200
            elif action == "/resend" and method == "POST":
                charge, status = gateway.resend(charge_id), 202
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


def free_port(host: str = "127.0.0.1") -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((host, 0))
        return sock.getsockname()[1]


def spawn(
    *,
    api_key: str,
    webhook_secret: str,
    port: int | None = None,
    extra_args: tuple[str, ...] = (),
    timeout: float = 15,
) -> tuple[subprocess.Popen, str]:
    """Start the sandbox as a child process (for tests and the demo); return it and its base URL once /healthz
    answers. Raises RuntimeError if it exits or stays silent for `timeout` seconds. Stop it with `stop()`."""
    port = port or free_port()
    src_dir = str(Path(__file__).resolve().parents[2])
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(filter(None, [src_dir, os.environ.get("PYTHONPATH")]))}
    command = [sys.executable, "-m", "borikan.sandboxes.bank_gateway", "--port", str(port)]
    command += ["--api-key", api_key, "--webhook-secret", webhook_secret, *extra_args]
    process = subprocess.Popen(command, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)  # noqa: S603
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            detail = process.stderr.read().decode("utf-8", "replace") if process.stderr else ""
            raise RuntimeError(f"sandbox gateway exited with {process.returncode}: {detail}")
        try:
            with urllib.request.urlopen(url + "/healthz", timeout=1) as response:  # noqa: S310 -- our own URL
                if response.status == 200:
                    return process, url
        except (urllib.error.URLError, OSError):
            time.sleep(0.05)
    stop(process)
    raise RuntimeError(f"sandbox gateway did not answer {url}/healthz within {timeout} s")


def stop(process: subprocess.Popen) -> None:
    process.terminate()
    try:
        process.wait(timeout=5)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait(timeout=5)
    if process.stderr:
        process.stderr.close()


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description="borikan sandbox payment gateway")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--api-key", required=True)
    parser.add_argument("--webhook-secret", required=True)
    parser.add_argument("--max-attempts", type=int, default=6, help="webhook delivery attempts (default 6)")
    parser.add_argument("--backoff", type=float, default=0.5, help="first retry delay in seconds, doubling")
    parser.add_argument("--verbose", action="store_true", help="log every request to stderr")
    args = parser.parse_args(argv)
    gateway = Gateway(
        api_key=args.api_key,
        webhook_secret=args.webhook_secret,
        max_attempts=max(1, args.max_attempts),
        backoff_seconds=max(0.0, args.backoff),
    )
    server = SandboxServer((args.host, args.port), gateway, verbose=args.verbose)
    sys.stderr.write(f"bank_gateway: listening on http://{args.host}:{server.server_address[1]}\n")
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server.server_close()


if __name__ == "__main__":
    main()
