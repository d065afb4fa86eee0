"""A sandbox SMS provider: a separate process with the HTTP API an SMS aggregator offers.

    python -m borikan.sandboxes.sms_gateway --port 8083 --api-key KEY

- `POST /v1/messages` (bearer API key) `{"to": "+66812345678", "text": "..."}` → 202 `{"id", "to", "status":
  "queued"}`; 400 for a number that is not a Thai mobile in E.164 or an empty/too-long text; 401 without the key.
- `GET /v1/messages?to=+66812345678` (bearer API key) → the messages sent to that number, newest last: the
  "phone" a test or the demo reads its one-time code from.
- `GET /healthz`.
Nothing is sent anywhere; messages live in memory for the life of the process.
"""

from __future__ import annotations

import argparse
import hmac
import json
import os
import re
import socket
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
import uuid
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlparse

THAI_MOBILE = re.compile(r"^\+66[689]\d{8}$")
MAX_TEXT = 670  # ten concatenated UCS-2 parts: Thai text is sent as UCS-2


class Outbox:
    def __init__(self) -> None:
        self._messages: list[dict[str, Any]] = []
        self._lock = threading.Lock()

    def send(self, to: str, text: str) -> dict[str, Any]:
        message = {"id": str(uuid.uuid4()), "to": to, "text": text, "status": "queued", "at": time.time()}
        with self._lock:
            self._messages.append(message)
        return message

    def to(self, number: str) -> list[dict[str, Any]]:
        with self._lock:
            return [m for m in self._messages if m["to"] == number]


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
        if url.path != "/v1/messages":
            self._reply(404, {"error": "not_found"})
            return
        if self._authorised():
            number = (parse_qs(url.query).get("to") or [""])[0]
            self._reply(200, self.server.outbox.to(number))

    def do_POST(self) -> None:
        if urlparse(self.path).path != "/v1/messages":
            self._reply(404, {"error": "not_found"})
            return
        if not self._authorised():
            return
        try:
            length = int(self.headers.get("Content-Length") or 0)
            body = json.loads(self.rfile.read(min(length, 65536)) or b"{}")
        except (ValueError, json.JSONDecodeError):
            self._reply(400, {"error": "invalid_json"})
            return
        to, text = body.get("to"), body.get("text")
        if not isinstance(to, str) or not THAI_MOBILE.match(to):
            self._reply(400, {"error": "invalid_number"})
            return
        if not isinstance(text, str) or not text.strip() or len(text) > MAX_TEXT:
            self._reply(400, {"error": "invalid_text"})
            return
        message = self.server.outbox.send(to, text)
        self._reply(202, {"id": message["id"], "to": to, "status": message["status"]})


class SmsServer(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, address: tuple[str, int], api_key: str, *, verbose: bool) -> None:
        super().__init__(address, Handler)
        self.api_key = api_key
        self.outbox = Outbox()
        self.verbose = verbose


def free_port(host: str = "127.0.0.1") -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((host, 0))
        return sock.getsockname()[1]


def spawn(*, api_key: str, port: int | None = None, timeout: float = 15) -> tuple[subprocess.Popen, str]:
    """Start the sandbox as a child process; return it and its base URL once /healthz answers."""
    port = port or free_port()
    src_dir = str(Path(__file__).resolve().parents[2])
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(filter(None, [src_dir, os.environ.get("PYTHONPATH")]))}
    command = [sys.executable, "-m", "borikan.sandboxes.sms_gateway", "--port", str(port), "--api-key", api_key]
    process = subprocess.Popen(command, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)  # noqa: S603
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            detail = process.stderr.read().decode("utf-8", "replace") if process.stderr else ""
            raise RuntimeError(f"sms sandbox exited with {process.returncode}: {detail}")
        try:
            with urllib.request.urlopen(url + "/healthz", timeout=1) as response:  # noqa: S310 -- our own URL
                if response.status == 200:
                    return process, url
        except (urllib.error.URLError, OSError):
            time.sleep(0.05)
    stop(process)
    raise RuntimeError(f"sms sandbox did not answer {url}/healthz within {timeout} s")


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
    parser = argparse.ArgumentParser(description="borikan sandbox SMS provider")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--api-key", required=True)
    parser.add_argument("--verbose", action="store_true")
    args = parser.parse_args(argv)
    server = SmsServer((args.host, args.port), args.api_key, verbose=args.verbose)
    sys.stderr.write(f"sms_gateway: listening on http://{args.host}:{server.server_address[1]}\n")
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server.server_close()


if __name__ == "__main__":
    main()
