"""Delivering issued documents (process 8): to the holder's wallet at once, by e-mail from a task.

Delivery knows nothing about applications: each delivery carries the document's opaque `case_ref`
and reports success with `DocumentDelivered`, which the case lifecycle subscribes to.
"""

from __future__ import annotations

from email.utils import make_msgid

from django.conf import settings
from django.core.mail import EmailMessage
from django.core.mail.utils import DNS_NAME
from django.db import transaction
from django.template.loader import render_to_string
from django.utils import timezone

from borikan.audit.services import audit_record
from borikan.core.errors import ApplicationError, ValidationFailed
from borikan.core.events import DocumentDelivered, publish
from borikan.documents.models import IssuedDocument, VerificationStatus
from borikan.documents.selectors import document_pdf_content

from .models import Delivery, DeliveryChannel, DeliveryStatus

# A failed e-mail is tried again when delivery is requested again, up to this many attempts in all.
MAX_EMAIL_ATTEMPTS = 5
MAX_ERROR_LENGTH = 1000


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


def _mark_sent(*, delivery: Delivery, provider_message_id: str = "") -> None:
    delivery.status = DeliveryStatus.SENT
    delivery.sent_at = timezone.now()
    delivery.provider_message_id = provider_message_id
    delivery.last_error = ""
    delivery.save(update_fields=["status", "attempts", "sent_at", "provider_message_id", "last_error", "updated_at"])
    audit_record(
        actor=None,
        action="delivery.sent",
        object_type="delivery",
        object_id=delivery.pk,
        subject_user_id=delivery.document.holder_id,
        data={
            "document": delivery.document.number,
            "channel": delivery.channel,
            "attempts": delivery.attempts,
        },
    )
    publish(
        DocumentDelivered(
            case_ref=delivery.case_ref, document_number=delivery.document.number, channel=delivery.channel
        )
    )


@transaction.atomic
def delivery_send(*, actor, document: IssuedDocument, channels: list[str]) -> list[Delivery]:
    """Deliver a document on each channel; asking again is safe (a sent delivery is never repeated).

    The wallet is immediate: the document is in the holder's wallet once this commits. E-mail is
    sent by a task after commit; a failed e-mail is retried by asking again, up to MAX_EMAIL_ATTEMPTS.
    """
    channels = _clean_channels(channels)
    if document.current_status != VerificationStatus.VALID:
        raise ApplicationError(
            "document_not_valid",
            "เอกสารนี้ถูกเพิกถอนหรือหมดอายุแล้ว จึงจัดส่งไม่ได้",
            "This document has been revoked or has expired and cannot be delivered",
            status=409,
        )
    holder = document.holder
    deliveries = []
    for channel in channels:
        delivery, created = Delivery.objects.select_for_update().get_or_create(
            document=document,
            channel=channel,
            defaults={
                "case_ref": document.case_ref,
                "recipient": holder.email if channel == DeliveryChannel.EMAIL else "",
            },
        )
        if created:
            audit_record(
                actor=actor,
                action="delivery.requested",
                object_type="delivery",
                object_id=delivery.pk,
                subject_user_id=holder.pk,
                data={"document": document.number, "channel": channel},
            )
        if delivery.status != DeliveryStatus.SENT:
            if channel == DeliveryChannel.WALLET:
                delivery.attempts += 1
                _mark_sent(delivery=delivery)
            elif delivery.attempts < MAX_EMAIL_ATTEMPTS:
                _enqueue_email(delivery.pk)
        deliveries.append(delivery)
    return deliveries


def _enqueue_email(delivery_id: int) -> None:
    from .tasks import send_delivery_email

    transaction.on_commit(lambda: send_delivery_email.enqueue(delivery_id))


def _document_email(*, delivery: Delivery, message_id: str) -> EmailMessage:
    document = delivery.document
    base_url = settings.BORIKAN_PUBLIC_BASE_URL.rstrip("/")
    context = {
        "document": document,
        "agency": document.agency,
        "verification_url": document.verification_url,
        "wallet_url": f"{base_url}/wallet/",
    }
    subject = render_to_string("delivery/email/document_subject.txt", context).strip().replace("\n", " ")
    message = EmailMessage(
        subject=subject,
        body=render_to_string("delivery/email/document_body.txt", context),
        from_email=settings.DEFAULT_FROM_EMAIL,
        to=[delivery.recipient],
        reply_to=[document.agency.email] if document.agency.email else [],
        headers={"Message-ID": message_id},
    )
    message.attach(f"{document.number}.pdf", document_pdf_content(document=document), "application/pdf")
    return message


def delivery_email_send(*, delivery_id: int) -> Delivery | None:
    """Send one e-mail delivery (the task's body). Idempotent: a sent delivery is not sent again.

    The row stays locked while the message is handed to the mail server, so two workers never send
    the same delivery. A failure is recorded on the delivery (attempts, last_error) and not raised.
    """
    with transaction.atomic():
        delivery = (
            Delivery.objects.select_for_update(of=("self",))
            .select_related("document__agency")
            .filter(pk=delivery_id, channel=DeliveryChannel.EMAIL)
            .first()
        )
        if delivery is None or delivery.status == DeliveryStatus.SENT or delivery.attempts >= MAX_EMAIL_ATTEMPTS:
            return delivery
        delivery.attempts += 1
        message_id = make_msgid(domain=str(DNS_NAME))
        try:
            _document_email(delivery=delivery, message_id=message_id).send(using="default")
        except (OSError, ApplicationError) as error:  # smtplib.SMTPException is an OSError
            delivery.status = DeliveryStatus.FAILED
            delivery.last_error = f"{type(error).__name__}: {error}"[:MAX_ERROR_LENGTH]
            delivery.save(update_fields=["status", "attempts", "last_error", "updated_at"])
            audit_record(
                actor=None,
                action="delivery.failed",
                object_type="delivery",
                object_id=delivery.pk,
                subject_user_id=delivery.document.holder_id,
                data={
                    "document": delivery.document.number,
                    "channel": delivery.channel,
                    "attempts": delivery.attempts,
                },
            )
            return delivery
        _mark_sent(delivery=delivery, provider_message_id=message_id)
    return delivery


def notification_email_send(*, to: str, subject: str, body: str, reference: str) -> str:
    """Send a plain notification (an acknowledgement, a notice) by e-mail; returns the Message-ID.

    Used from background tasks after the change it reports has committed. Failures raise, so the task backend
    records them and a worker can retry.
    """
    message_id = make_msgid(domain=str(DNS_NAME))
    message = EmailMessage(
        subject=subject,
        body=body,
        from_email=settings.DEFAULT_FROM_EMAIL,
        to=[to],
        headers={"Message-ID": message_id, "X-Borikan-Reference": reference},
    )
    message.send()
    return message_id
