"""A sandbox SMS provider: a separate process with the HTTP API an SMS aggregator offers.

    python -m borikan.sandboxes.sms_gateway --port 8083 --api-key KEY

- `POST /v1/messages` (bearer API key) `{"to": "+66812345678", "text": "...", "reference": "optional"}` → 202
  `{"id", "to", "status": "queued", "reference"}`; 400 for a number that is not a Thai mobile in E.164, an
  empty/too-long text or a malformed reference; 401 without the key. The client reference is an idempotency key,
  as aggregators offer: a second message with a reference already seen is not sent again, and the answer is 200
  with the first message's ID and `"duplicate": true`.
- `GET /v1/messages?to=+66812345678` or `?reference=...` (bearer API key) → the messages sent to that number (or
  with that reference), newest last: the "phone" a test or the demo reads its one-time code from.
- `GET /v1/messages/<id>` (bearer API key) → the delivery receipt: status `delivered` and `delivered_at` once the
  handset has it (after `--deliver-after` seconds, 0 by default), `queued` before.
- `POST /v1/faults` (bearer API key) `{"fail_next": 2, "status": 503}` → the next N sends are answered with that
  status (500–599, or 400/429) and nothing is sent: how tests make the provider fail.
- `GET /healthz`.
Nothing is sent anywhere; messages live in memory for the life of the process.
"""

from __future__ import annotations

import argparse
import hmac
import json
import re
import subprocess
import sys
import threading
import time
import uuid
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlparse

from borikan.sandboxes.process import free_port, serve, spawn_module, stop  # noqa: F401 - re-exported

THAI_MOBILE = re.compile(r"^\+66[689]\d{8}$")
MAX_TEXT = 670  # ten concatenated UCS-2 parts: Thai text is sent as UCS-2
FAULT_STATUSES = {400, 429, *range(500, 600)}
REFERENCE = re.compile(r"^[A-Za-z0-9._:-]{1,64}$")


class Outbox:
    def __init__(self, *, deliver_after: float = 0.0) -> None:
        self._messages: list[dict[str, Any]] = []
        self._by_reference: dict[str, dict[str, Any]] = {}
        self._lock = threading.Lock()
        self.deliver_after = deliver_after
        self.fail_next = 0
        self.fail_status = 503

    def send(self, to: str, text: str, reference: str | None = None) -> tuple[dict[str, Any], bool]:
        """Queue a message; (message, False), or (the first message, True) for a reference already seen."""
        with self._lock:
            if reference is not None and reference in self._by_reference:
                return self._by_reference[reference], True
            message = {
                "id": str(uuid.uuid4()),
                "to": to,
                "text": text,
                "reference": reference,
                "status": "queued",
                "at": time.time(),
            }
            self._messages.append(message)
            if reference is not None:
                self._by_reference[reference] = message
        return message, False

    def take_fault(self) -> int | None:
        with self._lock:
            if self.fail_next <= 0:
                return None
            self.fail_next -= 1
            return self.fail_status

    def _with_receipt(self, message: dict[str, Any]) -> dict[str, Any]:
        delivered_at = message["at"] + self.deliver_after
        if time.time() >= delivered_at:
            return {**message, "status": "delivered", "delivered_at": delivered_at}
        return dict(message)

    def get(self, message_id: str) -> dict[str, Any] | None:
        with self._lock:
            found = next((m for m in self._messages if m["id"] == message_id), None)
        return self._with_receipt(found) if found else None

    def to(self, number: str) -> list[dict[str, Any]]:
        with self._lock:
            return [self._with_receipt(m) for m in self._messages if m["to"] == number]

    def with_reference(self, reference: str) -> list[dict[str, Any]]:
        with self._lock:
            return [self._with_receipt(m) for m in self._messages if m["reference"] == reference]


class Handler(BaseHTTPRequestHandler):
    server: SmsServer

    def log_message(self, format: str, *args: Any) -> None:
        if self.server.verbose:
            super().log_message(format, *args)

    def _reply(self, status: int, body: dict[str, Any] | list[Any]) -> None:
        data = json.dumps(body, ensure_ascii=False).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json; charset=utf-8")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def _authorised(self) -> bool:
        given = self.headers.get("Authorization", "")
        if hmac.compare_digest(given.encode(), f"Bearer {self.server.api_key}".encode()):
            return True
        self._reply(401, {"error": "unauthorised"})
        return False

    def do_GET(self) -> None:
        url = urlparse(self.path)
        if url.path == "/healthz":
            self._reply(200, {"status": "ok"})
            return
        if url.path.startswith("/v1/messages/"):
            if self._authorised():
                message = self.server.outbox.get(url.path.removeprefix("/v1/messages/"))
                if message is None:
                    self._reply(404, {"error": "not_found"})
                else:
                    self._reply(200, message)
            return
        if url.path != "/v1/messages":
            self._reply(404, {"error": "not_found"})
            return
        if self._authorised():
            query = parse_qs(url.query)
            if "reference" in query:
                self._reply(200, self.server.outbox.with_reference(query["reference"][0]))
                return
            number = (query.get("to") or [""])[0]
            self._reply(200, self.server.outbox.to(number))

    def _json_body(self) -> Any:
        try:
            length = int(self.headers.get("Content-Length") or 0)
            return json.loads(self.rfile.read(min(length, 65536)) or b"{}")
        except (ValueError, json.JSONDecodeError):
            self._reply(400, {"error": "invalid_json"})
            return None

    def _set_faults(self) -> None:
        body = self._json_body()
        if body is None:
            return
        count, status = body.get("fail_next", 0), body.get("status", 503)
        if not isinstance(count, int) or count < 0 or not isinstance(status, int) or status not in FAULT_STATUSES:
            self._reply(400, {"error": "invalid_fault"})
            return
        self.server.outbox.fail_next, self.server.outbox.fail_status = count, status
        self._reply(200, {"fail_next": count, "status": status})

    def do_POST(self) -> None:
        path = urlparse(self.path).path
        if path not in ("/v1/messages", "/v1/faults"):
            self._reply(404, {"error": "not_found"})
            return
        if not self._authorised():
            return
        if path == "/v1/faults":
            self._set_faults()
            return
        body = self._json_body()
        if body is None:
            return
        if not isinstance(body, dict):
            self._reply(400, {"error": "invalid_json"})
            return
        to, text, reference = body.get("to"), body.get("text"), body.get("reference")
        if not isinstance(to, str) or not THAI_MOBILE.match(to):
            self._reply(400, {"error": "invalid_number"})
            return
        if not isinstance(text, str) or not text.strip() or len(text) > MAX_TEXT:
            self._reply(400, {"error": "invalid_text"})
            return
        if reference is not None and (not isinstance(reference, str) or not REFERENCE.match(reference)):
            self._reply(400, {"error": "invalid_reference"})
            return
        fault = self.server.outbox.take_fault()
        if fault is not None:
            self._reply(fault, {"error": "injected_fault"})
            return
        message, duplicate = self.server.outbox.send(to, text, reference)
        answer = {"id": message["id"], "to": message["to"], "status": message["status"], "reference": reference}
        if duplicate:
            self._reply(200, {**answer, "duplicate": True})
        else:
            self._reply(202, answer)


class SmsServer(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, address: tuple[str, int], api_key: str, *, verbose: bool, deliver_after: float = 0.0) -> None:
        super().__init__(address, Handler)
        self.api_key = api_key
        self.outbox = Outbox(deliver_after=deliver_after)
        self.verbose = verbose


def spawn(*, api_key: str, port: int | None = None, timeout: float = 15) -> tuple[subprocess.Popen, str]:
    """Start the sandbox as a child process; return it and its base URL once /healthz answers."""
    return spawn_module("borikan.sandboxes.sms_gateway", [f"--api-key={api_key}"], port=port, timeout=timeout)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description="borikan sandbox SMS provider")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--api-key", required=True)
    parser.add_argument("--deliver-after", type=float, default=0.0, help="seconds until a receipt says delivered")
    parser.add_argument("--verbose", action="store_true")
    args = parser.parse_args(argv)
    server = SmsServer((args.host, args.port), args.api_key, verbose=args.verbose, deliver_after=args.deliver_after)
    sys.stderr.write(f"sms_gateway: listening on http://{args.host}:{server.server_address[1]}\n")
    serve(server)


if __name__ == "__main__":
    main()
