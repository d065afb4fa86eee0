"""Sending SMS through the provider's HTTP API (the sandbox in sandboxes/sms_gateway.py locally and in tests).

Thai mobile numbers are kept in E.164 (+66 and nine digits); `thai_mobile` turns what people type into that.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

import httpx
from django.conf import settings

from borikan.core.errors import ApplicationError, ValidationFailed

LOCAL_MOBILE = re.compile(r"^0([689]\d{8})$")
E164_MOBILE = re.compile(r"^\+66([689]\d{8})$")


def thai_mobile(value: str) -> str:
    """'081-234-5678', '0812345678' or '+66812345678' → '+66812345678'; anything else is refused."""
    raw = re.sub(r"[\s\-()]", "", value or "")
    match = LOCAL_MOBILE.match(raw) or E164_MOBILE.match(raw)
    if not match:
        raise ValidationFailed(
            "invalid_phone",
            "หมายเลขโทรศัพท์มือถือไม่ถูกต้อง (เช่น 081 234 5678)",
            "The mobile number is not valid (for example 081 234 5678)",
            field="phone",
        )
    return f"+66{match.group(1)}"


@dataclass(frozen=True)
class SmsSent:
    """The provider's answer: its message ID, and whether it had already taken a message with this reference."""

    message_id: str
    duplicate: bool
    receipt: dict[str, Any]


def _unavailable() -> ApplicationError:
    return ApplicationError(
        "sms_unavailable",
        "ระบบส่ง SMS ขัดข้องชั่วคราว กรุณาลองใหม่ภายหลัง",
        "The SMS service is unavailable; please try again later",
        status=503,
    )


def _headers() -> dict[str, str]:
    return {"Authorization": f"Bearer {settings.BORIKAN_SMS_API_KEY}"}


def sms_submit(*, to: str, text: str, reference: str | None = None) -> SmsSent:
    """Hand one message to the provider. `reference` is the provider's idempotency key: a message already taken
    with it is not sent again (the answer says `duplicate`). Provider down → 503; refused → 502."""
    payload: dict[str, Any] = {"to": to, "text": text}
    if reference is not None:
        payload["reference"] = reference
    try:
        response = httpx.post(
            f"{settings.BORIKAN_SMS_URL.rstrip('/')}/v1/messages", json=payload, headers=_headers(), timeout=5
        )
    except httpx.HTTPError:
        response = None
    if response is None or response.status_code >= 500 or response.status_code == 429:
        raise _unavailable()
    if response.status_code not in (200, 202):
        raise ApplicationError(
            "sms_refused",
            "ผู้ให้บริการ SMS ไม่รับข้อความนี้",
            f"The SMS provider refused the message ({response.status_code})",
            status=502,
        )
    body = response.json()
    return SmsSent(message_id=body["id"], duplicate=bool(body.get("duplicate")), receipt=body)


def sms_send(*, to: str, text: str) -> str:
    """Hand one message to the provider; returns its message ID. The provider down is a 503 to the caller."""
    return sms_submit(to=to, text=text).message_id


def sms_receipt(*, message_id: str) -> dict[str, Any]:
    """The provider's delivery receipt for a message (`status`: queued or delivered)."""
    try:
        response = httpx.get(
            f"{settings.BORIKAN_SMS_URL.rstrip('/')}/v1/messages/{message_id}", headers=_headers(), timeout=5
        )
    except httpx.HTTPError:
        raise _unavailable() from None
    if response.status_code != 200:
        raise _unavailable()
    return response.json()
