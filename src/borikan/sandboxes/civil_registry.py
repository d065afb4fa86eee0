"""A sandbox civil registry: the card-check service of the registration office (DOPA), as its own process.

    python -m borikan.sandboxes.civil_registry --port 8082 --api-key KEY [--data FILE]

Standard library only (no Django, nothing from borikan): it stands for an outside party. Its people come from a
JSON file (default: data/civil_registry_people.json next to this module) and never change while it runs.

    GET  /healthz            → {"status": "ok", "people": n}
    POST /v1/card-checks     {citizen_id, laser_code, first_name_th, last_name_th, birth_date}
                             → 200 {"result", "card_expires_on", "checked_at", "check_id"}

`result` is one of
    match          the card exists, is in force, and every detail agrees
    mismatch       the citizen ID exists but another detail (laser code, names, birth date) differs; which one
                   is not said, so the service cannot be used to guess details one at a time
    card_revoked   the details agree but the card was cancelled (reported lost or replaced)
    card_expired   the details agree but the card's validity ended
    not_found      no person with this citizen ID
`card_expires_on` (ISO date) is given only when the details agree; null for a lifelong card or when they do not.
`birth_date` is an ISO date in the Gregorian calendar (a Buddhist-era year is simply a wrong date).

Every /v1 call needs `Authorization: Bearer <api key>` (401 otherwise); malformed input is a 400
`{"error": "..."}`.
"""

from __future__ import annotations

import argparse
import hmac
import json
import re
import secrets
import subprocess
import sys
import unicodedata
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta, timezone
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

from borikan.sandboxes.process import free_port, serve, spawn_module, stop  # noqa: F401 - re-exported

DEFAULT_DATA = Path(__file__).resolve().parent / "data" / "civil_registry_people.json"
BANGKOK = timezone(timedelta(hours=7), "Asia/Bangkok")
_CITIZEN_ID = re.compile(r"^[0-9]{13}$")
_LASER_CODE = re.compile(r"^[A-Z]{2}[0-9]{10}$")  # "JT1-1234567-89" without the dashes
_ISO_DATE = re.compile(r"^[0-9]{4}-[0-9]{2}-[0-9]{2}$")
MAX_NAME = 100


class SandboxError(Exception):
    def __init__(self, status: int, code: str) -> None:
        super().__init__(code)
        self.status = status
        self.code = code


def _check_digit_ok(citizen_id: str) -> bool:
    total = sum(int(digit) * weight for digit, weight in zip(citizen_id[:12], range(13, 1, -1), strict=True))
    return (11 - total % 11) % 10 == int(citizen_id[12])


def normal_laser_code(value: str) -> str:
    return value.replace("-", "").replace(" ", "").upper()


def normal_name(value: str) -> str:
    return " ".join(unicodedata.normalize("NFC", value).split())


def _date(value: Any, what: str) -> date:
    if not isinstance(value, str) or not _ISO_DATE.match(value):
        raise SandboxError(400, f"{what} must be an ISO date (YYYY-MM-DD)")
    try:
        return date.fromisoformat(value)
    except ValueError as exc:
        raise SandboxError(400, f"{what} is not a real date") from exc


@dataclass(frozen=True)
class Person:
    citizen_id: str
    laser_code: str
    first_name_th: str
    last_name_th: str
    birth_date: date
    card_expires_on: date | None
    card_status: str  # "active" or "revoked"


def load_people(path: Path) -> dict[str, Person]:
    """Read and check the data file; a bad file stops the sandbox at start rather than answering wrongly."""
    document = json.loads(path.read_text(encoding="utf-8"))
    people: dict[str, Person] = {}
    for item in document["people"]:
        citizen_id = item["citizen_id"]
        if not (_CITIZEN_ID.match(citizen_id) and _check_digit_ok(citizen_id)):
            raise ValueError(f"{path}: citizen ID {citizen_id} has a wrong check digit")
        if not _LASER_CODE.match(normal_laser_code(item["laser_code"])):
            raise ValueError(f"{path}: laser code of {citizen_id} is malformed")
        if item["card_status"] not in {"active", "revoked"}:
            raise ValueError(f"{path}: card_status of {citizen_id} must be active or revoked")
        if citizen_id in people:
            raise ValueError(f"{path}: citizen ID {citizen_id} appears twice")
        expires = item.get("card_expires_on")
        people[citizen_id] = Person(
            citizen_id=citizen_id,
            laser_code=normal_laser_code(item["laser_code"]),
            first_name_th=normal_name(item["first_name_th"]),
            last_name_th=normal_name(item["last_name_th"]),
            birth_date=date.fromisoformat(item["birth_date"]),
            card_expires_on=date.fromisoformat(expires) if expires else None,
            card_status=item["card_status"],
        )
    return people


class Registry:
    def __init__(self, *, api_key: str, people: dict[str, Person]) -> None:
        self.api_key = api_key
        self.people = people

    def authorised(self, header: str | None) -> bool:
        scheme, _, token = (header or "").partition(" ")
        return scheme == "Bearer" and hmac.compare_digest(token.encode(), self.api_key.encode())

    def check(self, data: dict[str, Any]) -> dict[str, Any]:
        citizen_id = data.get("citizen_id")
        if not isinstance(citizen_id, str) or not _CITIZEN_ID.match(citizen_id):
            raise SandboxError(400, "citizen_id must be 13 digits")
        laser_code = data.get("laser_code")
        if not isinstance(laser_code, str) or not _LASER_CODE.match(normal_laser_code(laser_code)):
            raise SandboxError(400, "laser_code must look like JT1-1234567-89")
        names = {}
        for key in ("first_name_th", "last_name_th"):
            value = data.get(key)
            if not isinstance(value, str) or not value.strip() or len(value) > MAX_NAME:
                raise SandboxError(400, f"{key} must be a non-empty string of at most {MAX_NAME} characters")
            names[key] = normal_name(value)
        birth_date = _date(data.get("birth_date"), "birth_date")

        today = datetime.now(BANGKOK).date()
        answer: dict[str, Any] = {
            "card_expires_on": None,
            "checked_at": datetime.now(UTC).isoformat(timespec="seconds"),
            "check_id": "chk_" + secrets.token_hex(10),
        }
        person = self.people.get(citizen_id)
        if person is None:
            return {"result": "not_found", **answer}
        agrees = (
            hmac.compare_digest(person.laser_code, normal_laser_code(laser_code))
            and person.first_name_th == names["first_name_th"]
            and person.last_name_th == names["last_name_th"]
            and person.birth_date == birth_date
        )
        if not agrees:
            return {"result": "mismatch", **answer}
        answer["card_expires_on"] = person.card_expires_on.isoformat() if person.card_expires_on else None
        if person.card_status == "revoked":
            return {"result": "card_revoked", **answer}
        if person.card_expires_on is not None and person.card_expires_on < today:
            return {"result": "card_expired", **answer}
        return {"result": "match", **answer}


class Handler(BaseHTTPRequestHandler):
    server: SandboxServer
    protocol_version = "HTTP/1.1"

    def log_message(self, format: str, *args: Any) -> None:
        if self.server.verbose:
            sys.stderr.write(f"civil_registry: {format % args}\n")

    def _send(self, status: int, payload: dict[str, Any]) -> None:
        body = json.dumps(payload, ensure_ascii=False).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json; charset=utf-8")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def _json_body(self) -> dict[str, Any]:
        try:
            length = int(self.headers.get("Content-Length") or 0)
        except ValueError as exc:
            raise SandboxError(400, "bad Content-Length") from exc
        if length > 16 * 1024:
            raise SandboxError(413, "body too large")
        raw = self.rfile.read(length) if length > 0 else b""
        try:
            data = json.loads(raw)
        except (UnicodeDecodeError, json.JSONDecodeError) as exc:
            raise SandboxError(400, "body is not JSON") from exc
        if not isinstance(data, dict):
            raise SandboxError(400, "body must be a JSON object")
        return data

    def _handle(self, method: str) -> None:
        registry = self.server.registry
        try:
            if self.path == "/healthz" and method == "GET":
                return self._send(200, {"status": "ok", "people": len(registry.people)})
            if not self.path.startswith("/v1/"):
                raise SandboxError(404, "not found")
            if not registry.authorised(self.headers.get("Authorization")):
                raise SandboxError(401, "missing or wrong API key")
            if self.path != "/v1/card-checks":
                raise SandboxError(404, "not found")
            if method != "POST":
                raise SandboxError(405, "method not allowed")
            return self._send(200, registry.check(self._json_body()))
        except SandboxError as exc:
            return self._send(exc.status, {"error": exc.code})

    def do_GET(self) -> None:
        self._handle("GET")

    def do_POST(self) -> None:
        self._handle("POST")


class SandboxServer(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, address: tuple[str, int], registry: Registry, *, verbose: bool) -> None:
        super().__init__(address, Handler)
        self.registry = registry
        self.verbose = verbose


def spawn(
    *, api_key: str, data: Path | None = None, port: int | None = None, timeout: float = 15
) -> tuple[subprocess.Popen, str]:
    """Start the sandbox as a child process (tests, the demo); return it and its base URL. Stop it with `stop()`."""
    args = [f"--api-key={api_key}", *([f"--data={data}"] if data is not None else [])]
    return spawn_module("borikan.sandboxes.civil_registry", args, port=port, timeout=timeout)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description="borikan sandbox civil registry (card checks)")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--api-key", required=True)
    parser.add_argument("--data", type=Path, default=DEFAULT_DATA, help="JSON file of people")
    parser.add_argument("--verbose", action="store_true", help="log every request to stderr")
    args = parser.parse_args(argv)
    if not args.api_key:
        parser.error("--api-key must not be empty")
    registry = Registry(api_key=args.api_key, people=load_people(args.data))
    server = SandboxServer((args.host, args.port), registry, verbose=args.verbose)
    sys.stderr.write(f"civil_registry: {len(registry.people)} people, listening on http://{args.host}:{args.port}\n")
    serve(server)


if __name__ == "__main__":
    main()
