"""The transactional outbox's worker side (ADR 0016): claim one due delivery, send it, mark it sent once.

Claiming is a short transaction: the due row is locked with SELECT ... FOR UPDATE SKIP LOCKED (a row another
worker is claiming is skipped, not waited for), then leased to this worker until `claimed_until` and the
attempt is recorded, and the transaction commits before anything leaves the building. Sending happens outside
any transaction; a second short transaction records the outcome. A worker killed in between leaves the row
"sending" with an expired lease: the next worker takes it over as an attempt *after a crash*, and sends it with
the same idempotency key (the e-mail's Message-ID, the SMS client reference), so the provider (SMS) or the
recipient's mail system (e-mail) recognises the message it may already have.
"""

from __future__ import annotations

import datetime as dt
import logging
import os
import socket
from dataclasses import dataclass

from django.conf import settings
from django.core.mail import EmailMessage
from django.db import transaction
from django.db.models import Q
from django.template.loader import render_to_string
from django.utils import timezone

from borikan.audit.services import audit_record
from borikan.core import sms
from borikan.core.errors import ApplicationError
from borikan.core.events import DocumentDelivered, publish
from borikan.documents.selectors import document_pdf_content

from .models import OUTBOX_CHANNELS, AttemptOutcome, Delivery, DeliveryAttempt, DeliveryKind, DeliveryStatus
from .states import DELIVERY

logger = logging.getLogger(__name__)
MAX_ERROR_LENGTH = 1000


def worker_name() -> str:
    return f"{socket.gethostname()}:{os.getpid()}"[:100]


def lease_seconds() -> int:
    return int(settings.BORIKAN_OUTBOX_LEASE_SECONDS)


def backoff(attempts: int) -> dt.timedelta:
    """Wait before attempt `attempts + 1`: base × 2^(attempts − 1), at most BORIKAN_OUTBOX_RETRY_MAX_SECONDS."""
    base = float(settings.BORIKAN_OUTBOX_RETRY_BASE_SECONDS)
    return dt.timedelta(seconds=min(base * 2 ** max(attempts - 1, 0), float(settings.BORIKAN_OUTBOX_RETRY_MAX_SECONDS)))


def schedule_dispatch(at: dt.datetime | None = None) -> None:
    """Ask a worker to run the outbox after this transaction commits (at `at` when the backend can defer).

    Only a hint: the rows are already safe in the database, and `dispatch_outbox` finds them if the broker is
    down, so a failure to enqueue never fails the change that wrote them.
    """
    from django.tasks import default_task_backend

    from .tasks import delivery_outbox_dispatch

    def enqueue() -> None:
        task = delivery_outbox_dispatch
        if at is not None and default_task_backend.supports_defer:
            task = task.using(run_after=at)
        elif at is not None:
            return  # in-process tasks cannot wait: the periodic dispatch_outbox picks the retry up when due
        task.enqueue()

    transaction.on_commit(enqueue, robust=True)


def _due_q(now: dt.datetime) -> Q:
    waiting = Q(status=DeliveryStatus.PENDING) & (Q(next_attempt_at__isnull=True) | Q(next_attempt_at__lte=now))
    abandoned = Q(status=DeliveryStatus.SENDING, claimed_until__lt=now)
    return Q(channel__in=OUTBOX_CHANNELS) & (waiting | abandoned)


@dataclass(frozen=True)
class Claim:
    delivery: Delivery
    attempt: DeliveryAttempt


def claim_next(*, worker: str, only: int | None = None) -> Claim | None:
    """Lease the next due delivery to `worker` and record the attempt; None when nothing is due."""
    now = timezone.now()
    with transaction.atomic():
        rows = Delivery.objects.select_for_update(skip_locked=True, of=("self",)).filter(_due_q(now))
        if only is not None:
            rows = rows.filter(pk=only)
        delivery = rows.order_by("next_attempt_at", "id").first()
        if delivery is None:
            return None
        after_crash = delivery.status == DeliveryStatus.SENDING
        # Compare-and-set as well as the row lock: on a database without SKIP LOCKED two workers still never
        # both win the same row.
        won = DELIVERY.update(
            Delivery.objects.filter(
                pk=delivery.pk, status=delivery.status, claimed_until=delivery.claimed_until, attempts=delivery.attempts
            ),
            "claim",
            claimed_until=now + dt.timedelta(seconds=lease_seconds()),
            claimed_by=worker,
            attempts=delivery.attempts + 1,
            updated_at=now,
        )
        if not won:
            return None
        delivery.refresh_from_db()
        attempt = DeliveryAttempt.objects.create(
            delivery=delivery, number=delivery.attempts, worker=worker, started_at=now, after_crash=after_crash
        )
    return Claim(delivery=delivery, attempt=attempt)


@dataclass(frozen=True)
class Sent:
    provider_message_id: str
    receipt: dict
    duplicate: bool = False


def _case_url(case_ref: str) -> str:
    """The holder's page of the application the document was issued for ("" when the case is not an application)."""
    from django.urls import NoReverseMatch

    from borikan.core.messages import citizen_case_url

    try:
        return citizen_case_url(case_ref)
    except NoReverseMatch:
        return ""


def _document_email(delivery: Delivery) -> EmailMessage:
    document = delivery.document
    base_url = settings.BORIKAN_PUBLIC_BASE_URL.rstrip("/")
    context = {
        "document": document,
        "agency": document.agency,
        "verification_url": document.verification_url,
        "wallet_url": f"{base_url}/wallet/",
        "case_url": _case_url(document.case_ref),
    }
    subject = render_to_string("delivery/email/document_subject.txt", context).strip().replace("\n", " ")
    message = EmailMessage(
        subject=subject,
        body=render_to_string("delivery/email/document_body.txt", context),
        from_email=settings.DEFAULT_FROM_EMAIL,
        to=[delivery.recipient],
        reply_to=[document.agency.email] if document.agency.email else [],
        headers={"Message-ID": delivery.email_message_id},
    )
    message.attach(f"{document.number}.pdf", document_pdf_content(document=document), "application/pdf")
    return message


def _notification_email(delivery: Delivery) -> EmailMessage:
    headers = {"Message-ID": delivery.email_message_id}
    if delivery.reference:
        headers["X-Borikan-Reference"] = delivery.reference
    return EmailMessage(
        subject=delivery.subject,
        body=delivery.body,
        from_email=settings.DEFAULT_FROM_EMAIL,
        to=[delivery.recipient],
        headers=headers,
    )


def document_sms_text(delivery: Delivery) -> str:
    document = delivery.document
    wallet_url = f"{settings.BORIKAN_PUBLIC_BASE_URL.rstrip('/')}/wallet/"
    return f"borikan: {document.agency.name_th} ออก{document.title_th} เลขที่ {document.number} แล้ว ดูได้ที่ {wallet_url}"


def _send(delivery: Delivery) -> Sent:
    """Hand the message to its provider. Raises OSError (SMTP, sockets) or ApplicationError (SMS, the PDF)."""
    if delivery.channel == "email":
        message = _document_email(delivery) if delivery.kind == DeliveryKind.DOCUMENT else _notification_email(delivery)
        message.send(using="default")
        return Sent(provider_message_id=delivery.email_message_id, receipt={"smtp": "accepted"})
    text = document_sms_text(delivery) if delivery.kind == DeliveryKind.DOCUMENT else delivery.body
    answer = sms.sms_submit(to=delivery.recipient, text=text, reference=delivery.idempotency_key)
    return Sent(provider_message_id=answer.message_id, receipt=answer.receipt, duplicate=answer.duplicate)


def _audit(delivery: Delivery, action: str, **data: object) -> None:
    audit_record(
        actor=None,
        action=action,
        object_type="delivery",
        object_id=delivery.pk,
        subject_user_id=delivery.user_id,
        data={
            "kind": delivery.kind,
            "channel": delivery.channel,
            "document": delivery.document.number if delivery.document_id else None,
            "attempts": delivery.attempts,
            **data,
        },
    )


def announce_delivered(delivery: Delivery) -> None:
    """A document reached its holder on this channel: the case lifecycle hears of it (first channel wins)."""
    if delivery.kind == DeliveryKind.DOCUMENT:
        publish(
            DocumentDelivered(
                case_ref=delivery.case_ref, document_number=delivery.document.number, channel=delivery.channel
            )
        )


def _finish(claim: Claim, *, sent: Sent | None, error: str) -> Delivery:
    now = timezone.now()
    with transaction.atomic():
        delivery = (
            Delivery.objects.select_for_update(of=("self",))
            .select_related("document__agency")
            .get(pk=claim.delivery.pk)
        )
        attempt = DeliveryAttempt.objects.select_for_update().get(pk=claim.attempt.pk)
        attempt.finished_at = now
        if sent is not None:
            attempt.outcome = AttemptOutcome.SENT
            attempt.provider_message_id = sent.provider_message_id
            attempt.provider_receipt = sent.receipt
            attempt.duplicate_detected = sent.duplicate
        else:
            attempt.outcome = AttemptOutcome.FAILED
            attempt.error = error
        attempt.save()
        if delivery.status != DeliveryStatus.SENDING:
            # Another worker took the row over after our lease ran out and has already finished it.
            return delivery
        delivery.claimed_until = None
        delivery.claimed_by = ""
        if sent is not None:
            DELIVERY.move(delivery, "sent")
            delivery.sent_at = now
            delivery.provider_message_id = sent.provider_message_id
            delivery.provider_receipt = sent.receipt
            delivery.last_error = ""
            delivery.next_attempt_at = None
            delivery.save()
            _audit(delivery, "delivery.sent", after_crash=attempt.after_crash, duplicate_detected=sent.duplicate)
            announce_delivered(delivery)
            return delivery
        delivery.last_error = error
        if delivery.attempts >= delivery.max_attempts:
            DELIVERY.move(delivery, "dead_letter")
            delivery.next_attempt_at = None
            delivery.save()
            _audit(delivery, "delivery.dead_lettered", error=error[:200])
            return delivery
        DELIVERY.move(delivery, "retry_later")
        delivery.next_attempt_at = now + backoff(delivery.attempts)
        delivery.save()
        _audit(delivery, "delivery.failed", error=error[:200], next_attempt_at=delivery.next_attempt_at.isoformat())
        schedule_dispatch(delivery.next_attempt_at)
    return delivery


def process(claim: Claim) -> Delivery:
    """Send a claimed delivery and record the outcome; a provider failure is recorded, never raised."""
    try:
        sent = _send(claim.delivery)
    except (OSError, ApplicationError) as failure:  # smtplib.SMTPException is an OSError
        logger.warning("delivery %s attempt %s failed: %s", claim.delivery.pk, claim.attempt.number, failure)
        return _finish(claim, sent=None, error=f"{type(failure).__name__}: {failure}"[:MAX_ERROR_LENGTH])
    return _finish(claim, sent=sent, error="")


def outbox_dispatch(*, limit: int = 100, worker: str | None = None, only: int | None = None) -> int:
    """Send up to `limit` due deliveries, one claim at a time; returns how many were attempted."""
    worker = worker or worker_name()
    done = 0
    while done < limit:
        claim = claim_next(worker=worker, only=only)
        if claim is None:
            break
        process(claim)
        done += 1
    return done


def sms_receipts_refresh(*, limit: int = 100) -> int:
    """Ask the SMS provider for the delivery receipt of sent messages it has not yet reported delivered."""
    updated = 0
    rows = Delivery.objects.filter(channel="sms", status=DeliveryStatus.SENT).exclude(
        provider_receipt__status="delivered"
    )
    for delivery in rows.order_by("sent_at")[:limit]:
        try:
            receipt = sms.sms_receipt(message_id=delivery.provider_message_id)
        except ApplicationError:
            break
        if receipt != delivery.provider_receipt:
            Delivery.objects.filter(pk=delivery.pk).update(provider_receipt=receipt, updated_at=timezone.now())
            updated += 1
    return updated
