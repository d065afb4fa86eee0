"""The civil-registry adapter: check an ID card's details against the registration office's records.

`HttpCivilRegistry` speaks the registry's JSON API (the local sandbox `borikan.sandboxes.civil_registry` by
default, the registration office's card-check service in production): one POST per check, a bearer API key,
explicit timeouts. A registry that cannot be reached (or answers 5xx) is `RegistryUnavailable` (503: try again
later); an answer we cannot understand is `RegistryBadAnswer` (502). Neither is ever read as a match.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import Any, Protocol

import httpx
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured

from borikan.core.errors import ApplicationError

DEFAULT_TIMEOUT = httpx.Timeout(5.0, connect=2.0)


class Result:
    MATCH = "match"
    MISMATCH = "mismatch"
    CARD_REVOKED = "card_revoked"
    CARD_EXPIRED = "card_expired"
    NOT_FOUND = "not_found"
    ALL = frozenset({MATCH, MISMATCH, CARD_REVOKED, CARD_EXPIRED, NOT_FOUND})


@dataclass(frozen=True)
class CardCheck:
    """What the officer read from the card (citizen ID and laser code as printed, names in Thai)."""

    citizen_id: str
    laser_code: str
    first_name_th: str
    last_name_th: str
    birth_date: date


@dataclass(frozen=True)
class CardCheckResult:
    result: str
    card_expires_on: date | None  # None: a lifelong card, or details that did not agree
    checked_at: datetime
    check_id: str = ""


class RegistryUnavailable(ApplicationError):
    status = 503

    def __init__(self, detail: str) -> None:
        super().__init__(
            "registry_unavailable",
            "ระบบทะเบียนราษฎรไม่ตอบสนองในขณะนี้ กรุณาลองใหม่ภายหลัง",
            "The civil registry cannot be reached right now; please try again later",
        )
        self.detail = detail


class RegistryBadAnswer(ApplicationError):
    status = 502

    def __init__(self, detail: str) -> None:
        super().__init__(
            "registry_error",
            "ระบบทะเบียนราษฎรตอบกลับผิดรูปแบบ ไม่สามารถยืนยันตัวตนได้ในขณะนี้",
            "The civil registry gave an answer we cannot use; identity cannot be checked right now",
        )
        self.detail = detail


class CivilRegistry(Protocol):
    def check_card(self, check: CardCheck) -> CardCheckResult: ...


def parse_answer(data: Any) -> CardCheckResult:
    """Read the registry's answer strictly: anything unexpected is a bad answer, never a match."""
    if not isinstance(data, dict):
        raise RegistryBadAnswer("answer is not a JSON object")
    result = data.get("result")
    if result not in Result.ALL:
        raise RegistryBadAnswer(f"unknown result {str(result)[:40]!r}")
    try:
        expires = data.get("card_expires_on")
        card_expires_on = date.fromisoformat(expires) if expires is not None else None
        checked_at = datetime.fromisoformat(data["checked_at"])
    except (KeyError, TypeError, ValueError) as exc:
        raise RegistryBadAnswer(f"malformed dates in the answer: {exc.__class__.__name__}") from exc
    if checked_at.tzinfo is None:
        raise RegistryBadAnswer("checked_at has no time zone")
    check_id = data.get("check_id") or ""
    if not isinstance(check_id, str) or len(check_id) > 64:
        raise RegistryBadAnswer("check_id is not a short string")
    return CardCheckResult(result=result, card_expires_on=card_expires_on, checked_at=checked_at, check_id=check_id)


class HttpCivilRegistry:
    def __init__(self, *, base_url: str, api_key: str, timeout: httpx.Timeout = DEFAULT_TIMEOUT) -> None:
        if not (base_url and api_key):
            raise ImproperlyConfigured("BORIKAN_CIVIL_REGISTRY_URL and BORIKAN_CIVIL_REGISTRY_API_KEY must be set")
        self.base_url = base_url.rstrip("/")
        self.api_key = api_key
        self.timeout = timeout

    @classmethod
    def from_settings(cls) -> HttpCivilRegistry:
        return cls(base_url=settings.BORIKAN_CIVIL_REGISTRY_URL, api_key=settings.BORIKAN_CIVIL_REGISTRY_API_KEY)

    def check_card(self, check: CardCheck) -> CardCheckResult:
        payload = {
            "citizen_id": check.citizen_id,
            "laser_code": check.laser_code,
            "first_name_th": check.first_name_th,
            "last_name_th": check.last_name_th,
            "birth_date": check.birth_date.isoformat(),
        }
        try:
            with httpx.Client(base_url=self.base_url, timeout=self.timeout) as client:
                response = client.post(
                    "/v1/card-checks", json=payload, headers={"Authorization": f"Bearer {self.api_key}"}
                )
        except httpx.TransportError as exc:
            raise RegistryUnavailable(f"registry unreachable: {exc.__class__.__name__}") from exc
        if response.status_code >= 500:
            raise RegistryUnavailable(f"registry error {response.status_code}")
        if response.status_code != 200:
            # 401 (our key) or 400 (our request): our side is wrong, and retrying will not help.
            raise RegistryBadAnswer(f"registry refused the request ({response.status_code})")
        try:
            data = response.json()
        except ValueError as exc:
            raise RegistryBadAnswer("registry answered with something other than JSON") from exc
        return parse_answer(data)


def get_registry() -> CivilRegistry:
    return HttpCivilRegistry.from_settings()
