"""Test helpers: start the sandbox civil registry as a real process and point borikan at it."""

from __future__ import annotations

import json
import secrets
import subprocess
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest

from borikan.sandboxes import civil_registry

# People in src/borikan/sandboxes/data/civil_registry_people.json, as an officer reads them off the card.
SOMCHAI = {
    "citizen_id": "1101700230708",
    "laser_code": "JT1-1234567-89",
    "first_name_th": "สมชาย",
    "last_name_th": "ใจดี",
    "birth_date": "1985-03-14",
}
SOMSRI = {
    "citizen_id": "3100500123458",
    "laser_code": "ME0-2345678-90",
    "first_name_th": "สมศรี",
    "last_name_th": "มีสุข",
    "birth_date": "1979-07-02",
}
REVOKED_CARD = {
    "citizen_id": "1103500456127",
    "laser_code": "AB2-3456789-01",
    "first_name_th": "ประเสริฐ",
    "last_name_th": "วงศ์ทอง",
    "birth_date": "1992-11-20",
}
EXPIRED_CARD = {
    "citizen_id": "5701100334216",
    "laser_code": "CD3-4567890-12",
    "first_name_th": "มาลี",
    "last_name_th": "ศรีสวัสดิ์",
    "birth_date": "1968-01-05",
}
LIFELONG_CARD = {
    "citizen_id": "3500100987656",
    "laser_code": "LM7-8901234-56",
    "first_name_th": "บุญมี",
    "last_name_th": "คำแสน",
    "birth_date": "1948-04-10",
}
NOT_REGISTERED = {  # a valid check digit, but nobody in the registry
    "citizen_id": "1900800776542",
    "laser_code": "ZZ1-1111111-11",
    "first_name_th": "ไม่มี",
    "last_name_th": "ในทะเบียน",
    "birth_date": "1990-01-01",
}


@dataclass(frozen=True)
class RegistryProcess:
    url: str
    api_key: str
    process: subprocess.Popen

    def check(self, body: Any, *, api_key: str | None = None) -> httpx.Response:
        key = self.api_key if api_key is None else api_key
        headers = {"Authorization": f"Bearer {key}"} if key else {}
        if isinstance(body, dict):
            return httpx.post(self.url + "/v1/card-checks", json=body, headers=headers, timeout=5.0)
        return httpx.post(self.url + "/v1/card-checks", content=body, headers=headers, timeout=5.0)


def start_registry(*, data: Path | None = None) -> RegistryProcess:
    api_key = secrets.token_urlsafe(24)
    try:
        process, url = civil_registry.spawn(api_key=api_key, data=data)
    except RuntimeError as exc:
        pytest.fail(str(exc))
    return RegistryProcess(url, api_key, process)


def stop_registry(registry: RegistryProcess) -> None:
    civil_registry.stop(registry.process)


def write_people(path: Path, people: list[dict[str, Any]]) -> Path:
    path.write_text(json.dumps({"people": people}, ensure_ascii=False), encoding="utf-8")
    return path


def use_registry(settings: Any, registry: RegistryProcess | None, *, url: str | None = None) -> None:
    """Point borikan's adapter at this sandbox (or at `url`, e.g. a port nobody listens on)."""
    settings.BORIKAN_CIVIL_REGISTRY_URL = url or registry.url
    settings.BORIKAN_CIVIL_REGISTRY_API_KEY = registry.api_key if registry else "unused-key"
