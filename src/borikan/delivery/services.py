"""Delivering issued documents and notifications (process 8).

Everything a caller asks for is written, in the caller's transaction, as rows of the outbox (`Delivery`): the
wallet is done at once (it is a database fact), e-mail and SMS are sent by background workers after commit
(outbox.py), post waits for an officer to record the address and tracking number. Delivery knows nothing about
applications: a delivery carries the document's opaque `case_ref` and reports success with `DocumentDelivered`.
"""

from __future__ import annotations

import re
import uuid
from typing import Any

from django.core.validators import validate_email
from django.db import transaction
from django.utils import timezone

from borikan.agencies.selectors import staff_agency_ids
from borikan.audit.services import audit_record
from borikan.core.errors import ApplicationError, NotFound, ValidationFailed
from borikan.core.sms import thai_mobile
from borikan.documents.models import IssuedDocument, VerificationStatus
from borikan.identity.enforcement import require_staff

from . import outbox
from .models import Delivery, DeliveryChannel, DeliveryKind, DeliveryStatus
from .states import DELIVERY

# Attempts in all before a delivery goes to the dead letter (an officer's list).
MAX_ATTEMPTS = {DeliveryChannel.EMAIL: 6, DeliveryChannel.SMS: 5, DeliveryChannel.WALLET: 1, DeliveryChannel.POST: 1}
IDEMPOTENCY_KEY = re.compile(r"^[A-Za-z0-9._:-]{1,64}$")
MAX_NOTE = 1000
MAX_ADDRESS = 500
# UPU S10: two letters, eight digits and a check digit, two letters (the country), e.g. EF123456785TH.
S10 = re.compile(r"^[A-Z]{2}(\d{8})(\d)[A-Z]{2}$")
S10_WEIGHTS = (8, 6, 4, 2, 3, 5, 9, 7)


def _clean_channels(channels: list[str]) -> list[str]:
    if not isinstance(channels, list | tuple) or not channels:
        raise ValidationFailed(
            "channels_required",
            "กรุณาเลือกช่องทางการจัดส่ง",
            "Choose at least one delivery channel",
            field="channels",
        )
    unknown = [channel for channel in channels if channel not in DeliveryChannel.values]
    if unknown:
        raise ValidationFailed(
            "unknown_channel",
            "ไม่รู้จักช่องทางการจัดส่ง: " + ", ".join(map(str, unknown)),
            "Unknown delivery channel: " + ", ".join(map(str, unknown)),
            field="channels",
        )
    return list(dict.fromkeys(channels))


def _document_recipient(document: IssuedDocument, channel: str) -> str:
    holder = document.holder
    if channel == DeliveryChannel.EMAIL:
        if not holder.email:
            raise ValidationFailed(
                "no_email_address",
                "ผู้ถือเอกสารไม่มีที่อยู่อีเมล จึงส่งทางอีเมลไม่ได้",
                "The holder has no e-mail address, so the document cannot be sent by e-mail",
                field="channels",
            )
        return holder.email
    if channel == DeliveryChannel.SMS:
        if not holder.mobile:
            raise ValidationFailed(
                "no_mobile_number",
                "ผู้ถือเอกสารไม่มีหมายเลขโทรศัพท์มือถือ จึงส่ง SMS ไม่ได้",
                "The holder has no mobile number, so no SMS can be sent",
                field="channels",
            )
        return holder.mobile
    return ""


def _audit(actor: Any, delivery: Delivery, action: str, **data: Any) -> None:
    audit_record(
        actor=actor,
        action=action,
        object_type="delivery",
        object_id=delivery.pk,
        subject_user_id=delivery.user_id,
        data={
            "kind": delivery.kind,
            "channel": delivery.channel,
            "document": delivery.document.number if delivery.document_id else None,
            **data,
        },
    )


def _mark_in_wallet(delivery: Delivery) -> None:
    delivery.attempts += 1
    DELIVERY.move(delivery, "put_in_wallet")
    delivery.sent_at = timezone.now()
    delivery.save(update_fields=["status", "attempts", "sent_at", "updated_at"])
    _audit(None, delivery, "delivery.sent", attempts=delivery.attempts)
    outbox.announce_delivered(delivery)


@transaction.atomic
def delivery_send(*, actor, document: IssuedDocument, channels: list[str]) -> list[Delivery]:
    """Deliver a document on each channel; asking again is safe (a delivery is never written or sent twice).

    The wallet is immediate. E-mail and SMS are outbox rows sent by a worker after this commits (retried with
    backoff, then dead-lettered for an officer). Post waits for an officer to hand the document over.
    """
    channels = _clean_channels(channels)
    if document.current_status != VerificationStatus.VALID:
        raise ApplicationError(
            "document_not_valid",
            "เอกสารนี้ถูกเพิกถอนหรือหมดอายุแล้ว จึงจัดส่งไม่ได้",
            "This document has been revoked or has expired and cannot be delivered",
            status=409,
        )
    recipients = {channel: _document_recipient(document, channel) for channel in channels}
    deliveries = []
    to_send = False
    for channel in channels:
        delivery, created = Delivery.objects.select_for_update(of=("self",)).get_or_create(
            kind=DeliveryKind.DOCUMENT,
            document=document,
            channel=channel,
            defaults={
                "case_ref": document.case_ref,
                "agency_id": document.agency_id,
                "user_id": document.holder_id,
                "recipient": recipients[channel],
                "reference": document.number,
                # Unique beyond this database too: the provider keeps references longer than a test database lives.
                "idempotency_key": f"doc-{document.pk}-{channel}-{uuid.uuid4().hex[:12]}",
                "max_attempts": MAX_ATTEMPTS[channel],
                "next_attempt_at": timezone.now(),
            },
        )
        if created:
            _audit(actor, delivery, "delivery.requested")
            if channel == DeliveryChannel.WALLET:
                _mark_in_wallet(delivery)
            elif channel in (DeliveryChannel.EMAIL, DeliveryChannel.SMS):
                to_send = True
        deliveries.append(delivery)
    if to_send:
        outbox.schedule_dispatch()
    return deliveries


def _clean_notification(channel: str, to: str, subject: str, body: str) -> str:
    if channel == DeliveryChannel.EMAIL:
        try:
            validate_email(to)
        except Exception:
            raise ValidationFailed(
                "invalid_email", "ที่อยู่อีเมลไม่ถูกต้อง", "The e-mail address is not valid", field="to"
            ) from None
        if not subject.strip():
            raise ValidationFailed("subject_required", "กรุณาระบุหัวเรื่อง", "A subject is required", field="subject")
    elif channel == DeliveryChannel.SMS:
        to = thai_mobile(to)
    else:
        raise ValidationFailed(
            "unknown_channel",
            "แจ้งเตือนได้ทางอีเมลหรือ SMS เท่านั้น",
            "Notifications go by e-mail or SMS only",
            field="channel",
        )
    if not body.strip():
        raise ValidationFailed("body_required", "กรุณาระบุข้อความ", "A message text is required", field="body")
    return to


def notification_enqueue(
    *,
    channel: str,
    to: str,
    body: str,
    subject: str = "",
    reference: str = "",
    idempotency_key: str | None = None,
    user_id: int | None = None,
    agency_id: int | None = None,
    case_ref: str = "",
) -> Delivery:
    """Write a notification (an acknowledgement, a notice) into the outbox, in the caller's transaction.

    It is sent by a worker after the caller's transaction commits, and not at all if it rolls back. A caller's
    `idempotency_key` (e.g. "ack-<tracking number>") makes asking twice write one message.
    """
    to = _clean_notification(channel, to, subject, body)
    key = idempotency_key or f"n-{uuid.uuid4().hex}"
    if not isinstance(key, str) or not IDEMPOTENCY_KEY.match(key):
        raise ValidationFailed(
            "invalid_idempotency_key",
            "รหัสกันส่งซ้ำไม่ถูกต้อง",
            "The idempotency key must be 1-64 letters, digits or . _ : -",
            field="idempotency_key",
        )
    with transaction.atomic():
        delivery, created = Delivery.objects.get_or_create(
            idempotency_key=key,
            defaults={
                "kind": DeliveryKind.NOTIFICATION,
                "channel": channel,
                "recipient": to,
                "subject": subject[:255],
                "body": body,
                "reference": reference[:100],
                "user_id": user_id,
                "agency_id": agency_id,
                "case_ref": case_ref,
                "max_attempts": MAX_ATTEMPTS[channel],
                "next_attempt_at": timezone.now(),
            },
        )
        if created:
            _audit(None, delivery, "delivery.requested", reference=reference[:100])
            outbox.schedule_dispatch()
    return delivery


# --- officers: the dead letter and the post ---------------------------------------------------------------


def _staff_delivery(actor: Any, delivery_id: Any) -> Delivery:
    """A delivery of an agency the actor is staff of, locked; NotFound for anyone else. Staff assurance."""
    try:
        pk = int(delivery_id)
    except (TypeError, ValueError):
        raise NotFound("delivery", "รายการจัดส่ง") from None
    delivery = (
        Delivery.objects.select_for_update(of=("self",))
        .select_related("document__agency")
        .filter(pk=pk, agency_id__in=staff_agency_ids(user=actor))
        .first()
    )
    if delivery is None:
        raise NotFound("delivery", "รายการจัดส่ง")
    require_staff(actor)
    return delivery


def _refuse_state(delivery: Delivery, allowed: str) -> ApplicationError:
    return ApplicationError(
        "delivery_state",
        f"ทำรายการนี้ไม่ได้ในสถานะปัจจุบัน ({delivery.status}) ต้องเป็น {allowed}",
        f"Not possible in the delivery's current status ({delivery.status}); it must be {allowed}",
        status=409,
    )


def delivery_retry_now(*, actor: Any, delivery_id: Any) -> Delivery:
    """An officer sends a dead-lettered (or waiting) e-mail or SMS once more, now."""
    with transaction.atomic():
        delivery = _staff_delivery(actor, delivery_id)
        if delivery.channel not in (DeliveryChannel.EMAIL, DeliveryChannel.SMS) or delivery.status not in (
            DeliveryStatus.DEAD,
            DeliveryStatus.PENDING,
        ):
            raise _refuse_state(delivery, "dead/pending (e-mail, SMS)")
        DELIVERY.move(delivery, "retry_now")
        delivery.next_attempt_at = timezone.now()
        delivery.max_attempts = max(delivery.max_attempts, delivery.attempts + 1)
        delivery.save(update_fields=["status", "next_attempt_at", "max_attempts", "updated_at"])
        _audit(actor, delivery, "delivery.retried", attempts=delivery.attempts)
        outbox.schedule_dispatch()
    return delivery


def delivery_give_up(*, actor: Any, delivery_id: Any, note: str) -> Delivery:
    """An officer gives up on a delivery that cannot be made, saying why (e.g. "the holder collected it")."""
    note = (note or "").strip() if isinstance(note, str) else ""
    if not note:
        raise ValidationFailed("note_required", "กรุณาระบุเหตุผล", "Please give a reason", field="note")
    if len(note) > MAX_NOTE:
        raise ValidationFailed(
            "note_too_long", "เหตุผลยาวเกิน 1000 ตัวอักษร", "The reason is longer than 1000 characters", field="note"
        )
    with transaction.atomic():
        delivery = _staff_delivery(actor, delivery_id)
        if delivery.status not in (DeliveryStatus.DEAD, DeliveryStatus.PENDING):
            raise _refuse_state(delivery, "dead/pending")
        DELIVERY.move(delivery, "give_up")
        delivery.given_up_note = note
        delivery.next_attempt_at = None
        delivery.save(update_fields=["status", "given_up_note", "next_attempt_at", "updated_at"])
        _audit(actor, delivery, "delivery.given_up", note=note[:200])
    return delivery


def s10_valid(tracking_number: str) -> bool:
    match = S10.match(tracking_number)
    if not match:
        return False
    total = sum(int(digit) * weight for digit, weight in zip(match.group(1), S10_WEIGHTS, strict=True))
    check = 11 - total % 11
    check = {10: 0, 11: 5}.get(check, check)
    return int(match.group(2)) == check


def delivery_post_hand_over(*, actor: Any, delivery_id: Any, postal_address: str, tracking_number: str) -> Delivery:
    """An officer records the address the document was posted to and the post's tracking number."""
    address = (postal_address or "").strip() if isinstance(postal_address, str) else ""
    tracking = re.sub(r"\s", "", tracking_number or "").upper() if isinstance(tracking_number, str) else ""
    if not address or len(address) > MAX_ADDRESS:
        raise ValidationFailed(
            "invalid_postal_address",
            "กรุณาระบุที่อยู่ที่ส่งไป (ไม่เกิน 500 ตัวอักษร)",
            "Give the postal address used (at most 500 characters)",
            field="postal_address",
        )
    if not s10_valid(tracking):
        raise ValidationFailed(
            "invalid_tracking_number",
            "เลขพัสดุไม่ถูกต้อง (เช่น EF123456785TH)",
            "The tracking number is not valid (for example EF123456785TH)",
            field="tracking_number",
        )
    with transaction.atomic():
        delivery = _staff_delivery(actor, delivery_id)
        if delivery.channel != DeliveryChannel.POST or delivery.status != DeliveryStatus.PENDING:
            raise _refuse_state(delivery, "pending (post)")
        delivery.postal_address = address
        delivery.tracking_number = tracking
        DELIVERY.move(delivery, "hand_over")
        delivery.handed_over_at = timezone.now()
        delivery.attempts += 1
        delivery.save()
        _audit(actor, delivery, "delivery.handed_over", tracking_number=tracking)
    return delivery


def delivery_post_delivered(*, actor: Any, delivery_id: Any) -> Delivery:
    """An officer records that the post delivered the document (from the post's tracking)."""
    with transaction.atomic():
        delivery = _staff_delivery(actor, delivery_id)
        if delivery.channel != DeliveryChannel.POST or delivery.status != DeliveryStatus.HANDED_OVER:
            raise _refuse_state(delivery, "handed over (post)")
        DELIVERY.move(delivery, "post_delivered")
        delivery.delivered_at = timezone.now()
        delivery.save(update_fields=["status", "delivered_at", "updated_at"])
        _audit(actor, delivery, "delivery.delivered", tracking_number=delivery.tracking_number)
        outbox.announce_delivered(delivery)
    return delivery
