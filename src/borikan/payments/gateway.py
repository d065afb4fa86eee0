"""The payment gateway adapter: a small interface with typed dataclasses at the boundary.

`HttpGateway` speaks the gateway's HTTP API (the local sandbox `borikan.sandboxes.bank_gateway` by default,
a bank's endpoint in production). Every call has explicit timeouts; failures say whether a retry may help.

Notifications are signed: header `X-Gateway-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256>` over
`"<t>." + raw body` with the shared webhook secret. Several `v1=` entries are accepted (secret rotation).
A notification is a payment (no `type`, or "charge.paid") or a refund's outcome ("refund.succeeded" /
"refund.failed"). Refunds are created with our reference as the idempotency key; the daily settlement
statement is a CSV (`settlement_csv`).
"""

from __future__ import annotations

import hashlib
import hmac
import json
import time
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any, Protocol
from urllib.parse import quote

import httpx
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured

SIGNATURE_HEADER = "X-Gateway-Signature"
DEFAULT_TIMEOUT = httpx.Timeout(5.0, connect=2.0)


@dataclass(frozen=True)
class ChargeRequest:
    """Ask the gateway to expect a payment. A retry with the same idempotency key gets the same charge."""

    idempotency_key: str
    amount_satang: int
    ref1: str
    ref2: str
    callback_url: str


@dataclass(frozen=True)
class Charge:
    charge_id: str
    status: str  # "pending" or "paid"
    amount_satang: int
    ref1: str
    ref2: str
    txn_id: str | None
    paid_at: datetime | None
    paid_amount_satang: int | None = None  # what the payer actually paid, when paid


@dataclass(frozen=True)
class PaymentNotification:
    """A verified "this charge was paid" message from the gateway."""

    event_id: str
    charge_id: str
    txn_id: str
    ref1: str
    ref2: str
    amount_satang: int
    paid_at: datetime
    raw: dict[str, Any]


@dataclass(frozen=True)
class RefundRequest:
    """Ask the gateway to return (part of) a paid charge. `reference` is ours (echoed in the notification); a
    retry with the same idempotency key gets the same refund, never a second one."""

    idempotency_key: str
    reference: str
    charge_id: str
    amount_satang: int
    reason: str
    callback_url: str


@dataclass(frozen=True)
class GatewayRefund:
    refund_id: str
    status: str  # "pending", "succeeded" or "failed"
    charge_id: str
    amount_satang: int
    reference: str
    completed_at: datetime | None = None
    failure_reason: str = ""


REFUND_EVENT_TYPES = {"refund.succeeded": "succeeded", "refund.failed": "failed"}


@dataclass(frozen=True)
class RefundNotification:
    """A verified "this refund succeeded / failed" message from the gateway."""

    event_id: str
    refund_id: str
    reference: str
    charge_id: str
    status: str  # "succeeded" or "failed"
    amount_satang: int
    completed_at: datetime
    failure_reason: str
    raw: dict[str, Any]


class GatewayError(Exception):
    """The gateway call failed. `retryable` is True for timeouts, connection errors and 5xx answers."""

    def __init__(self, message: str, *, retryable: bool, status: int | None = None, code: str = "") -> None:
        super().__init__(message)
        self.retryable = retryable
        self.status = status
        self.code = code


class NotificationRejected(Exception):
    """Do not process: `code` is bad_signature, stale_webhook or malformed_webhook."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code


class PaymentGateway(Protocol):
    def create_charge(self, request: ChargeRequest) -> Charge: ...

    def charge_status(self, charge_id: str) -> Charge: ...

    def verify_notification(
        self, *, body: bytes, signature_header: str
    ) -> PaymentNotification | RefundNotification: ...

    def create_refund(self, request: RefundRequest) -> GatewayRefund: ...

    def refund_status(self, refund_id: str) -> GatewayRefund: ...

    def settlement_csv(self, day: date) -> bytes: ...


def _parse_signature_header(header: str) -> tuple[int, list[str]]:
    timestamp: int | None = None
    signatures: list[str] = []
    for part in (header or "").split(","):
        key, _, value = part.strip().partition("=")
        if key == "t" and value.isdigit():
            timestamp = int(value)
        elif key == "v1" and value:
            signatures.append(value)
    if timestamp is None or not signatures:
        raise NotificationRejected("bad_signature", "signature header is missing or malformed")
    return timestamp, signatures


def _text(data: dict[str, Any], key: str, *, required: bool = True) -> str:
    value = data.get(key, "")
    if not isinstance(value, str) or len(value) > 64 or (required and not value):
        raise NotificationRejected("malformed_webhook", f"field {key!r} must be a non-empty string")
    return value


def _moment(data: dict[str, Any], key: str) -> datetime:
    try:
        moment = datetime.fromisoformat(_text(data, key))
    except ValueError as exc:
        raise NotificationRejected("malformed_webhook", f"{key} is not an ISO 8601 time") from exc
    if moment.tzinfo is None:
        raise NotificationRejected("malformed_webhook", f"{key} has no time zone")
    return moment


def _parse_notification(body: bytes) -> PaymentNotification | RefundNotification:
    try:
        data = json.loads(body)
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise NotificationRejected("malformed_webhook", "body is not JSON") from exc
    if not isinstance(data, dict):
        raise NotificationRejected("malformed_webhook", "body is not a JSON object")
    amount = data.get("amount_satang")
    if isinstance(amount, bool) or not isinstance(amount, int) or amount <= 0:
        raise NotificationRejected("malformed_webhook", "amount_satang must be a positive integer")
    kind = data.get("type", "charge.paid")  # payment notifications predate the field
    if kind in REFUND_EVENT_TYPES:
        reason = data.get("failure_reason") or ""
        if not isinstance(reason, str):
            raise NotificationRejected("malformed_webhook", "failure_reason must be a string")
        return RefundNotification(
            event_id=_text(data, "event_id"),
            refund_id=_text(data, "refund_id"),
            reference=_text(data, "reference"),
            charge_id=_text(data, "charge_id"),
            status=REFUND_EVENT_TYPES[kind],
            amount_satang=amount,
            completed_at=_moment(data, "completed_at"),
            failure_reason=reason[:500],
            raw=data,
        )
    if kind != "charge.paid":
        raise NotificationRejected("malformed_webhook", f"unknown notification type {kind!r}")
    paid_at = _moment(data, "paid_at")
    return PaymentNotification(
        event_id=_text(data, "event_id"),
        charge_id=_text(data, "charge_id"),
        txn_id=_text(data, "txn_id"),
        ref1=_text(data, "ref1"),
        ref2=_text(data, "ref2", required=False),
        amount_satang=amount,
        paid_at=paid_at,
        raw=data,
    )


def verify_notification(
    *, body: bytes, signature_header: str, secret: str, tolerance_seconds: int, now: float | None = None
) -> PaymentNotification | RefundNotification:
    """Check the HMAC (constant time), then the timestamp window (replay), then the body."""
    if not secret:
        raise ImproperlyConfigured("the gateway webhook secret is empty")
    timestamp, signatures = _parse_signature_header(signature_header)
    expected = hmac.new(secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256).hexdigest()
    if not any(hmac.compare_digest(expected, candidate) for candidate in signatures):
        raise NotificationRejected("bad_signature", "signature does not match")
    current = time.time() if now is None else now
    if abs(current - timestamp) > tolerance_seconds:
        raise NotificationRejected("stale_webhook", "signature timestamp is outside the tolerance window")
    return _parse_notification(body)


def _charge_from_json(data: dict[str, Any]) -> Charge:
    try:
        paid_at = data.get("paid_at")
        return Charge(
            charge_id=str(data["id"]),
            status=str(data["status"]),
            amount_satang=int(data["amount_satang"]),
            ref1=str(data["ref1"]),
            ref2=str(data.get("ref2") or ""),
            txn_id=data.get("txn_id"),
            paid_at=datetime.fromisoformat(paid_at) if paid_at else None,
            paid_amount_satang=int(data["paid_amount_satang"]) if data.get("paid_amount_satang") else None,
        )
    except (KeyError, TypeError, ValueError) as exc:
        raise GatewayError(f"unexpected charge document from the gateway: {exc}", retryable=False) from exc


def _refund_from_json(data: dict[str, Any]) -> GatewayRefund:
    try:
        return GatewayRefund(
            refund_id=str(data["id"]),
            status=str(data["status"]),
            charge_id=str(data["charge_id"]),
            amount_satang=int(data["amount_satang"]),
            reference=str(data.get("reference") or ""),
            completed_at=datetime.fromisoformat(data["completed_at"]) if data.get("completed_at") else None,
            failure_reason=str(data.get("failure_reason") or ""),
        )
    except (KeyError, TypeError, ValueError) as exc:
        raise GatewayError(f"unexpected refund document from the gateway: {exc}", retryable=False) from exc


class HttpGateway:
    def __init__(
        self,
        *,
        base_url: str,
        api_key: str,
        webhook_secret: str,
        tolerance_seconds: int,
        timeout: httpx.Timeout = DEFAULT_TIMEOUT,
    ) -> None:
        if not (base_url and api_key and webhook_secret):
            raise ImproperlyConfigured(
                "BORIKAN_GATEWAY_URL, BORIKAN_GATEWAY_API_KEY and BORIKAN_GATEWAY_WEBHOOK_SECRET must be set"
            )
        self.base_url = base_url.rstrip("/")
        self.api_key = api_key
        self.webhook_secret = webhook_secret
        self.tolerance_seconds = tolerance_seconds
        self.timeout = timeout

    @classmethod
    def from_settings(cls) -> HttpGateway:
        return cls(
            base_url=settings.BORIKAN_GATEWAY_URL,
            api_key=settings.BORIKAN_GATEWAY_API_KEY,
            webhook_secret=settings.BORIKAN_GATEWAY_WEBHOOK_SECRET,
            tolerance_seconds=settings.BORIKAN_WEBHOOK_TOLERANCE_SECONDS,
        )

    def _call(self, method: str, path: str, *, payload: dict | None = None, headers: dict | None = None) -> dict:
        all_headers = {"Authorization": f"Bearer {self.api_key}", **(headers or {})}
        try:
            with httpx.Client(base_url=self.base_url, timeout=self.timeout) as client:
                response = client.request(method, path, json=payload, headers=all_headers)
        except httpx.TransportError as exc:
            raise GatewayError(f"gateway unreachable: {exc.__class__.__name__}", retryable=True) from exc
        if response.status_code >= 500:
            raise GatewayError(f"gateway error {response.status_code}", retryable=True)
        if response.status_code >= 400:
            try:
                code = str(response.json().get("error", ""))[:100]
            except (ValueError, AttributeError):
                code = ""
            raise GatewayError(
                f"gateway refused the request ({response.status_code} {code})",
                retryable=False,
                status=response.status_code,
                code=code,
            )
        try:
            return response.json()
        except ValueError as exc:
            raise GatewayError("gateway answered with something other than JSON", retryable=False) from exc

    def create_charge(self, request: ChargeRequest) -> Charge:
        data = self._call(
            "POST",
            "/v1/charges",
            payload={
                "amount_satang": request.amount_satang,
                "ref1": request.ref1,
                "ref2": request.ref2,
                "callback_url": request.callback_url,
            },
            headers={"Idempotency-Key": request.idempotency_key},
        )
        return _charge_from_json(data)

    def charge_status(self, charge_id: str) -> Charge:
        return _charge_from_json(self._call("GET", f"/v1/charges/{quote(charge_id, safe='')}"))

    def create_refund(self, request: RefundRequest) -> GatewayRefund:
        data = self._call(
            "POST",
            "/v1/refunds",
            payload={
                "charge_id": request.charge_id,
                "amount_satang": request.amount_satang,
                "reason": request.reason,
                "reference": request.reference,
                "callback_url": request.callback_url,
            },
            headers={"Idempotency-Key": request.idempotency_key},
        )
        return _refund_from_json(data)

    def refund_status(self, refund_id: str) -> GatewayRefund:
        return _refund_from_json(self._call("GET", f"/v1/refunds/{quote(refund_id, safe='')}"))

    def settlement_csv(self, day: date) -> bytes:
        """The bank's settlement statement for one day (Thai time): every payment and refund it settled."""
        path = f"/v1/settlements/{day.isoformat()}.csv"
        try:
            with httpx.Client(base_url=self.base_url, timeout=self.timeout) as client:
                response = client.get(path, headers={"Authorization": f"Bearer {self.api_key}"})
        except httpx.TransportError as exc:
            raise GatewayError(f"gateway unreachable: {exc.__class__.__name__}", retryable=True) from exc
        if response.status_code >= 500:
            raise GatewayError(f"gateway error {response.status_code}", retryable=True)
        if response.status_code >= 400:
            raise GatewayError(f"gateway refused the request ({response.status_code})", retryable=False)
        return response.content

    def verify_notification(self, *, body: bytes, signature_header: str) -> PaymentNotification | RefundNotification:
        return verify_notification(
            body=body,
            signature_header=signature_header,
            secret=self.webhook_secret,
            tolerance_seconds=self.tolerance_seconds,
        )


def get_gateway() -> PaymentGateway:
    return HttpGateway.from_settings()
