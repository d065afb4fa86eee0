"""Delivering documents: the wallet at once, e-mail through a real SMTP server from the outbox."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core import mail
from django.utils import timezone

from borikan.audit.models import AuditEntry
from borikan.core.errors import ApplicationError, ValidationFailed
from borikan.core.events import DocumentDelivered
from borikan.delivery.models import Delivery, DeliveryStatus
from borikan.delivery.outbox import outbox_dispatch
from borikan.delivery.services import delivery_send
from borikan.delivery.tasks import delivery_outbox_dispatch
from borikan.documents.models import IssuedDocument
from borikan.documents.services import document_revoke
from borikan.identity.models import User

from .conftest import SmtpServer

pytestmark = pytest.mark.django_db


def test_wallet_delivery_is_immediate(
    document: IssuedDocument, approver: User, delivered_events: list[DocumentDelivered]
):
    [delivery] = delivery_send(actor=approver, document=document, channels=["wallet"])

    delivery.refresh_from_db()
    assert delivery.status == DeliveryStatus.SENT
    assert delivery.attempts == 1
    assert delivery.sent_at is not None
    assert delivery.case_ref == document.case_ref
    assert delivery.recipient == ""
    assert delivered_events == [
        DocumentDelivered(case_ref=document.case_ref, document_number=document.number, channel="wallet")
    ]
    assert AuditEntry.objects.filter(action="delivery.sent", subject_user_id=document.holder_id).count() == 1


def test_wallet_delivery_asked_twice_is_delivered_once(
    document: IssuedDocument, approver: User, delivered_events: list[DocumentDelivered]
):
    delivery_send(actor=approver, document=document, channels=["wallet"])
    [again] = delivery_send(actor=approver, document=document, channels=["wallet", "wallet"])

    assert Delivery.objects.count() == 1
    assert again.attempts == 1
    assert len(delivered_events) == 1


def test_email_is_not_sent_before_the_transaction_commits(
    document: IssuedDocument, approver: User, smtp_server: SmtpServer, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        [delivery] = delivery_send(actor=approver, document=document, channels=["email"])

    assert len(callbacks) == 1
    assert smtp_server.sink.messages == []
    delivery.refresh_from_db()
    assert (delivery.status, delivery.attempts) == (DeliveryStatus.PENDING, 0)


def test_email_delivery_arrives_through_smtp_with_the_pdf(
    document: IssuedDocument,
    approver: User,
    citizen: User,
    smtp_server: SmtpServer,
    delivered_events: list[DocumentDelivered],
    django_capture_on_commit_callbacks,
):
    with django_capture_on_commit_callbacks(execute=True):
        [delivery] = delivery_send(actor=approver, document=document, channels=["email"])

    [(recipients, message)] = smtp_server.sink.messages
    assert recipients == [citizen.email]
    assert message["To"] == citizen.email
    assert message["Subject"] == (f"ใบอนุญาตขับรถ เลขที่ {document.number} / Your Driving licence no. {document.number}")
    assert message["Reply-To"] == "saraban@excise.go.th"
    [attachment] = list(message.iter_attachments())
    assert attachment.get_filename() == f"{document.number}.pdf"
    assert attachment.get_content_type() == "application/pdf"
    assert attachment.get_content() == document.pdf.read()
    body = message.get_body(preferencelist=("plain",)).get_content()
    assert "สมชาย ใจดี" in body
    assert document.verification_url in body
    assert f"http://localhost:8000/applications/{document.case_ref}/" in body  # the holder's case page

    delivery.refresh_from_db()
    assert delivery.status == DeliveryStatus.SENT
    assert delivery.attempts == 1
    assert delivery.recipient == citizen.email
    assert delivery.provider_message_id == message["Message-ID"]
    assert delivered_events == [
        DocumentDelivered(case_ref=document.case_ref, document_number=document.number, channel="email")
    ]


def test_email_task_is_idempotent(
    document: IssuedDocument,
    approver: User,
    smtp_server: SmtpServer,
    delivered_events: list[DocumentDelivered],
    django_capture_on_commit_callbacks,
):
    with django_capture_on_commit_callbacks(execute=True):
        [delivery] = delivery_send(actor=approver, document=document, channels=["email"])

    result = delivery_outbox_dispatch.enqueue()
    with django_capture_on_commit_callbacks(execute=True):
        delivery_send(actor=approver, document=document, channels=["email"])

    assert result.return_value == 0
    assert len(smtp_server.sink.messages) == 1
    assert len(delivered_events) == 1
    delivery.refresh_from_db()
    assert delivery.attempts == 1


def test_smtp_failure_is_recorded_and_retried_later_without_raising(
    document: IssuedDocument,
    approver: User,
    stopped_smtp_server: int,
    delivered_events: list[DocumentDelivered],
    django_capture_on_commit_callbacks,
):
    with django_capture_on_commit_callbacks(execute=True):
        [delivery] = delivery_send(actor=approver, document=document, channels=["email"])

    delivery.refresh_from_db()
    assert delivery.status == DeliveryStatus.PENDING
    assert delivery.attempts == 1
    assert delivery.next_attempt_at > delivery.updated_at - dt.timedelta(seconds=1)
    assert delivery.last_error.startswith("ConnectionRefusedError")
    assert delivery.sent_at is None
    [attempt] = delivery.attempt_log.all()
    assert (attempt.outcome, attempt.error) == ("failed", delivery.last_error)
    assert delivered_events == []
    assert AuditEntry.objects.filter(action="delivery.failed").count() == 1


def test_dispatch_does_not_raise_on_smtp_failure(
    document: IssuedDocument, approver: User, stopped_smtp_server: int, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=False):
        [delivery] = delivery_send(actor=approver, document=document, channels=["email"])

    assert outbox_dispatch() == 1

    delivery.refresh_from_db()
    assert (delivery.status, delivery.attempts) == (DeliveryStatus.PENDING, 1)


def test_failed_email_is_sent_by_the_next_dispatch_once_due(
    document: IssuedDocument,
    approver: User,
    delivered_events: list[DocumentDelivered],
    django_capture_on_commit_callbacks,
    request: pytest.FixtureRequest,
):
    request.getfixturevalue("stopped_smtp_server")
    with django_capture_on_commit_callbacks(execute=True):
        [delivery] = delivery_send(actor=approver, document=document, channels=["email"])
    server: SmtpServer = request.getfixturevalue("smtp_server")

    assert outbox_dispatch() == 0  # not due yet: the backoff holds it back
    Delivery.objects.filter(pk=delivery.pk).update(next_attempt_at=timezone.now())
    assert outbox_dispatch() == 1

    delivery.refresh_from_db()
    assert (delivery.status, delivery.attempts, delivery.last_error) == (DeliveryStatus.SENT, 2, "")
    [(_, message)] = server.sink.messages
    assert message["Message-ID"] == delivery.provider_message_id == delivery.email_message_id
    assert len(delivered_events) == 1


def test_both_channels_at_once(
    document: IssuedDocument,
    approver: User,
    smtp_server: SmtpServer,
    delivered_events: list[DocumentDelivered],
    django_capture_on_commit_callbacks,
):
    with django_capture_on_commit_callbacks(execute=True):
        deliveries = delivery_send(actor=approver, document=document, channels=["wallet", "email"])

    assert [d.channel for d in deliveries] == ["wallet", "email"]
    assert [event.channel for event in delivered_events] == ["wallet", "email"]
    assert len(smtp_server.sink.messages) == 1


@pytest.mark.parametrize("channels", [[], ["fax"], ["wallet", "pigeon"], "email"])
def test_unknown_or_missing_channels_are_rejected_and_nothing_is_created(
    document: IssuedDocument, approver: User, channels, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=False) as callbacks, pytest.raises(ValidationFailed):
        delivery_send(actor=approver, document=document, channels=channels)

    assert Delivery.objects.count() == 0
    assert callbacks == []
    assert mail.outbox == []


def test_a_revoked_document_is_not_delivered(
    document: IssuedDocument, approver: User, delivered_events: list[DocumentDelivered]
):
    document = document_revoke(actor=approver, document=document, reason="ออกผิด")

    with pytest.raises(ApplicationError) as raised:
        delivery_send(actor=approver, document=document, channels=["wallet"])

    assert raised.value.code == "document_not_valid"
    assert Delivery.objects.count() == 0
    assert delivered_events == []
