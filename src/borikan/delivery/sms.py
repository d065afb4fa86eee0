"""Sending SMS through the provider's HTTP API (the sandbox in sandboxes/sms_gateway.py locally and in tests).

Thai mobile numbers are kept in E.164 (+66 and nine digits); `thai_mobile` turns what people type into that.
"""

from __future__ import annotations

import re

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


def sms_send(*, to: str, text: str) -> str:
    """Hand one message to the provider; returns its message ID. The provider down is a 503 to the caller."""
    try:
        response = httpx.post(
            f"{settings.BORIKAN_SMS_URL.rstrip('/')}/v1/messages",
            json={"to": to, "text": text},
            headers={"Authorization": f"Bearer {settings.BORIKAN_SMS_API_KEY}"},
            timeout=5,
        )
    except httpx.HTTPError:
        response = None
    if response is None or response.status_code >= 500:
        raise ApplicationError(
            "sms_unavailable",
            "ระบบส่ง SMS ขัดข้องชั่วคราว กรุณาลองใหม่ภายหลัง",
            "The SMS service is unavailable; please try again later",
            status=503,
        )
    if response.status_code != 202:
        raise ApplicationError(
            "sms_refused",
            "ผู้ให้บริการ SMS ไม่รับข้อความนี้",
            f"The SMS provider refused the message ({response.status_code})",
            status=502,
        )
    return response.json()["id"]
