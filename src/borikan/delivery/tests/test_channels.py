"""Channels: SMS through the sandbox provider process, and post recorded by an officer."""

from __future__ import annotations

import pytest
from django.utils import timezone

from borikan.audit.models import AuditEntry
from borikan.core import sms
from borikan.core.errors import ApplicationError, NotFound, ValidationFailed
from borikan.core.events import DocumentDelivered
from borikan.delivery import outbox
from borikan.delivery.models import Delivery, DeliveryStatus
from borikan.delivery.services import (
    delivery_post_delivered,
    delivery_post_hand_over,
    delivery_send,
    notification_enqueue,
    s10_valid,
)
from borikan.documents.models import IssuedDocument
from borikan.identity.models import User

from .conftest import SmsSandbox

pytestmark = [pytest.mark.django_db, pytest.mark.slow]

MOBILE = "+66812345678"


@pytest.fixture
def holder_with_mobile(document: IssuedDocument) -> User:
    holder = document.holder
    holder.mobile = MOBILE
    holder.save(update_fields=["mobile"])
    return holder


def test_sms_delivery_reaches_the_provider_with_the_number_and_a_wallet_link(
    document: IssuedDocument,
    approver: User,
    holder_with_mobile: User,
    sms_sandbox: SmsSandbox,
    settings,
    delivered_events: list[DocumentDelivered],
    django_capture_on_commit_callbacks,
):
    before = len(sms_sandbox.messages_to(MOBILE))
    with django_capture_on_commit_callbacks(execute=True):
        [delivery] = delivery_send(actor=approver, document=document, channels=["sms"])

    messages = sms_sandbox.messages_to(MOBILE)[before:]
    [message] = messages
    assert document.number in message["text"]
    assert f"{settings.BORIKAN_PUBLIC_BASE_URL.rstrip('/')}/wallet/" in message["text"]
    assert message["reference"] == delivery.idempotency_key
    delivery.refresh_from_db()
    assert (delivery.status, delivery.recipient, delivery.attempts) == (DeliveryStatus.SENT, MOBILE, 1)
    assert delivery.provider_message_id == message["id"]
    assert delivery.provider_receipt["status"] == "queued"
    assert [event.channel for event in delivered_events] == ["sms"]


def test_an_sms_resent_after_a_crash_is_recognised_by_the_provider_and_not_sent_twice(
    document: IssuedDocument,
    approver: User,
    holder_with_mobile: User,
    sms_sandbox: SmsSandbox,
    django_capture_on_commit_callbacks,
):
    before = len(sms_sandbox.messages_to(MOBILE))
    with django_capture_on_commit_callbacks(execute=False):
        [delivery] = delivery_send(actor=approver, document=document, channels=["sms"])
    # A worker claims the message, hands it to the provider, and dies before it can record that.
    claim = outbox.claim_next(worker="dies")
    first = sms.sms_submit(to=MOBILE, text=outbox.document_sms_text(claim.delivery), reference=delivery.idempotency_key)
    Delivery.objects.filter(pk=delivery.pk).update(claimed_until=timezone.now())

    assert outbox.outbox_dispatch(worker="second") == 1

    assert len(sms_sandbox.messages_to(MOBILE)) - before == 1
    delivery.refresh_from_db()
    assert (delivery.status, delivery.provider_message_id) == (DeliveryStatus.SENT, first.message_id)
    resumed = delivery.attempt_log.get(number=2)
    assert (resumed.after_crash, resumed.duplicate_detected) == (True, True)


def test_an_sms_provider_outage_is_retried_with_backoff(
    holder_with_mobile: User, sms_sandbox: SmsSandbox, settings, django_capture_on_commit_callbacks
):
    settings.BORIKAN_OUTBOX_RETRY_BASE_SECONDS = 30
    sms_sandbox.fail_next(1, status=503)
    with django_capture_on_commit_callbacks(execute=True):
        delivery = notification_enqueue(
            channel="sms", to="081-234-5678", body="borikan: ทดสอบ", user_id=holder_with_mobile.pk
        )

    delivery.refresh_from_db()
    assert (delivery.status, delivery.attempts) == (DeliveryStatus.PENDING, 1)
    assert delivery.last_error.startswith("ApplicationError")
    waited = (delivery.next_attempt_at - delivery.updated_at).total_seconds()
    assert 29 <= waited <= 31
    Delivery.objects.filter(pk=delivery.pk).update(next_attempt_at=timezone.now())

    assert outbox.outbox_dispatch() == 1
    delivery.refresh_from_db()
    assert delivery.status == DeliveryStatus.SENT
    assert [a.outcome for a in delivery.attempt_log.all()] == ["failed", "sent"]


def test_sms_delivery_receipts_are_recorded(
    holder_with_mobile: User, sms_sandbox: SmsSandbox, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        delivery = notification_enqueue(channel="sms", to=MOBILE, body="borikan: ใบเสร็จ")

    assert outbox.sms_receipts_refresh() >= 1

    delivery.refresh_from_db()
    assert delivery.provider_receipt["status"] == "delivered"
    assert delivery.provider_receipt["id"] == delivery.provider_message_id


def test_sms_to_a_holder_without_a_mobile_number_is_refused(document: IssuedDocument, approver: User):
    with pytest.raises(ValidationFailed) as raised:
        delivery_send(actor=approver, document=document, channels=["wallet", "sms"])

    assert raised.value.code == "no_mobile_number"
    assert Delivery.objects.count() == 0


def test_s10_tracking_numbers_are_checked():
    assert s10_valid("EF123456785TH")
    assert not s10_valid("EF123456784TH")  # wrong check digit
    assert not s10_valid("EF12345678TH")
    assert not s10_valid("")


def test_post_is_handed_over_then_delivered_by_an_officer(
    document: IssuedDocument, approver: User, officer: User, delivered_events: list[DocumentDelivered]
):
    [delivery] = delivery_send(actor=approver, document=document, channels=["post"])
    assert delivery.status == DeliveryStatus.PENDING
    assert outbox.outbox_dispatch() == 0  # no worker sends post

    delivery = delivery_post_hand_over(
        actor=officer,
        delivery_id=delivery.pk,
        postal_address="99 ถนนพหลโยธิน แขวงจตุจักร เขตจตุจักร กรุงเทพฯ 10900",
        tracking_number="ef 1234 5678 5 th",
    )
    assert (delivery.status, delivery.tracking_number) == (DeliveryStatus.HANDED_OVER, "EF123456785TH")
    assert delivered_events == []

    delivery = delivery_post_delivered(actor=officer, delivery_id=delivery.pk)
    assert delivery.status == DeliveryStatus.DELIVERED
    assert delivery.delivered_at is not None
    assert [event.channel for event in delivered_events] == ["post"]
    actions = list(AuditEntry.objects.filter(object_type="delivery").values_list("action", flat=True))
    assert "delivery.handed_over" in actions and "delivery.delivered" in actions


@pytest.mark.parametrize(
    ("address", "tracking", "code"),
    [
        ("", "EF123456785TH", "invalid_postal_address"),
        ("x" * 501, "EF123456785TH", "invalid_postal_address"),
        ("99 ถนนพหลโยธิน", "EF123456784TH", "invalid_tracking_number"),
        ("99 ถนนพหลโยธิน", "", "invalid_tracking_number"),
    ],
)
def test_post_hand_over_with_bad_input_is_refused(
    document: IssuedDocument, approver: User, officer: User, address, tracking, code
):
    [delivery] = delivery_send(actor=approver, document=document, channels=["post"])

    with pytest.raises(ValidationFailed) as raised:
        delivery_post_hand_over(
            actor=officer, delivery_id=delivery.pk, postal_address=address, tracking_number=tracking
        )

    assert raised.value.code == code
    delivery.refresh_from_db()
    assert delivery.status == DeliveryStatus.PENDING


def test_post_cannot_be_marked_delivered_before_it_is_handed_over(
    document: IssuedDocument, approver: User, officer: User
):
    [delivery] = delivery_send(actor=approver, document=document, channels=["post"])

    with pytest.raises(ApplicationError) as raised:
        delivery_post_delivered(actor=officer, delivery_id=delivery.pk)

    assert (raised.value.code, raised.value.status) == ("delivery_state", 409)


def test_officers_of_another_agency_and_citizens_cannot_record_post(
    document: IssuedDocument, approver: User, foreign_officer: User, citizen: User
):
    [delivery] = delivery_send(actor=approver, document=document, channels=["post"])

    for actor in (foreign_officer, citizen):
        with pytest.raises(NotFound):
            delivery_post_hand_over(
                actor=actor, delivery_id=delivery.pk, postal_address="99 ถนนพหลโยธิน", tracking_number="EF123456785TH"
            )
