"""Retries with backoff, then the dead letter: an SMTP server that refuses or never answers, and the officers'
page where a failed delivery is retried now or given up with a note."""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from borikan.agencies.models import Agency
from borikan.audit.models import AuditEntry
from borikan.conftest import sign_in
from borikan.delivery import outbox
from borikan.delivery.models import Delivery, DeliveryStatus
from borikan.delivery.services import MAX_ATTEMPTS, delivery_send, notification_enqueue
from borikan.documents.models import IssuedDocument
from borikan.identity.models import User

from .conftest import RefusingSink, SmtpServer

pytestmark = pytest.mark.django_db


def _run_until_settled(delivery: Delivery) -> list[float]:
    """Dispatch, and each time the delivery waits for its retry, pretend the wait is over; return the waits."""
    waits = []
    for _ in range(20):
        delivery.refresh_from_db()
        if delivery.status != DeliveryStatus.PENDING:
            return waits
        if delivery.attempts:
            waits.append((delivery.next_attempt_at - delivery.updated_at).total_seconds())
            Delivery.objects.filter(pk=delivery.pk).update(next_attempt_at=timezone.now())
        outbox.outbox_dispatch()
    pytest.fail("the delivery never settled")


def _notice(agency: Agency, n: int = 1) -> Delivery:
    return notification_enqueue(
        channel="email",
        to=f"person{n}@example.com",
        subject=f"แจ้งเตือน / Notice {n}",
        body="ข้อความ / Message",
        agency_id=agency.pk,
    )


def test_a_refusing_smtp_server_is_retried_with_exponential_backoff_then_dead_lettered(
    agency: Agency, refusing_smtp_server: RefusingSink, settings, django_capture_on_commit_callbacks
):
    settings.BORIKAN_OUTBOX_RETRY_BASE_SECONDS = 60
    with django_capture_on_commit_callbacks(execute=False):
        delivery = _notice(agency)

    waits = _run_until_settled(delivery)

    delivery.refresh_from_db()
    assert delivery.status == DeliveryStatus.DEAD
    assert delivery.attempts == MAX_ATTEMPTS["email"] == refusing_smtp_server.refused
    assert [round(wait) for wait in waits] == [60, 120, 240, 480, 960]
    assert "554" in delivery.last_error
    assert [a.outcome for a in delivery.attempt_log.all()] == ["failed"] * MAX_ATTEMPTS["email"]
    assert delivery.next_attempt_at is None
    assert outbox.outbox_dispatch() == 0  # a dead letter waits for an officer
    assert AuditEntry.objects.filter(action="delivery.failed").count() == MAX_ATTEMPTS["email"] - 1
    assert AuditEntry.objects.filter(action="delivery.dead_lettered", object_id=str(delivery.pk)).count() == 1


def test_an_smtp_server_that_times_out_is_retried_then_dead_lettered(
    document: IssuedDocument, approver: User, silent_smtp_server: int, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        [delivery] = delivery_send(actor=approver, document=document, channels=["email"])

    _run_until_settled(delivery)

    delivery.refresh_from_db()
    assert delivery.status == DeliveryStatus.DEAD
    assert delivery.attempts == MAX_ATTEMPTS["email"]
    assert "timed out" in delivery.last_error.lower() or "timeout" in delivery.last_error.lower()


def test_backoff_is_capped(settings):
    settings.BORIKAN_OUTBOX_RETRY_BASE_SECONDS = 60
    settings.BORIKAN_OUTBOX_RETRY_MAX_SECONDS = 3600
    assert [outbox.backoff(n).total_seconds() for n in (1, 2, 3, 6, 7, 20)] == [60, 120, 240, 1920, 3600, 3600]


@pytest.fixture
def dead_delivery(agency: Agency, settings, django_capture_on_commit_callbacks, request) -> Delivery:
    request.getfixturevalue("stopped_smtp_server")
    with django_capture_on_commit_callbacks(execute=False):
        delivery = _notice(agency)
    _run_until_settled(delivery)
    delivery.refresh_from_db()
    assert delivery.status == DeliveryStatus.DEAD
    return delivery


def test_officers_see_failed_deliveries_with_the_last_error(dead_delivery: Delivery, officer: User):
    client = sign_in(Client(), officer)

    response = client.get(reverse("delivery:staff"))

    assert response.status_code == 200
    body = response.content.decode()
    assert f'id="delivery-{dead_delivery.pk}"' in body
    assert "ConnectionRefusedError" in body
    assert dead_delivery.recipient in body


def test_retry_now_sends_a_dead_letter_once_the_server_is_back(
    dead_delivery: Delivery, officer: User, request, django_capture_on_commit_callbacks
):
    server: SmtpServer = request.getfixturevalue("smtp_server")
    client = sign_in(Client(), officer)

    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("delivery:staff_action", args=[dead_delivery.pk, "retry"]))

    assert response.status_code == 302
    dead_delivery.refresh_from_db()
    assert (dead_delivery.status, dead_delivery.attempts) == (DeliveryStatus.SENT, MAX_ATTEMPTS["email"] + 1)
    [(_, message)] = server.sink.messages
    assert message["Message-ID"] == dead_delivery.email_message_id
    retried = AuditEntry.objects.get(action="delivery.retried")
    assert retried.actor_id == officer.pk


def test_a_retry_that_fails_again_goes_back_to_the_dead_letter(
    dead_delivery: Delivery, officer: User, django_capture_on_commit_callbacks
):
    client = sign_in(Client(), officer)

    with django_capture_on_commit_callbacks(execute=True):
        client.post(reverse("delivery:staff_action", args=[dead_delivery.pk, "retry"]))

    dead_delivery.refresh_from_db()
    assert (dead_delivery.status, dead_delivery.attempts) == (DeliveryStatus.DEAD, MAX_ATTEMPTS["email"] + 1)


def test_giving_up_needs_a_note_and_is_audited(dead_delivery: Delivery, officer: User):
    client = sign_in(Client(), officer)
    url = reverse("delivery:staff_action", args=[dead_delivery.pk, "give-up"])

    refused = client.post(url, {"note": "  "})
    assert refused.status_code == 422
    assert 'data-code="note_required"' in refused.content.decode()
    dead_delivery.refresh_from_db()
    assert dead_delivery.status == DeliveryStatus.DEAD

    response = client.post(url, {"note": "ผู้ถือมารับเอกสารที่สำนักงานแล้ว / collected at the counter"})
    assert response.status_code == 302
    dead_delivery.refresh_from_db()
    assert dead_delivery.status == DeliveryStatus.GIVEN_UP
    assert dead_delivery.given_up_note.startswith("ผู้ถือมารับ")
    entry = AuditEntry.objects.get(action="delivery.given_up")
    assert entry.actor_id == officer.pk
    # Given up is final: it cannot be retried or given up again.
    again = client.post(reverse("delivery:staff_action", args=[dead_delivery.pk, "retry"]))
    assert again.status_code == 409
    assert 'data-code="delivery_state"' in again.content.decode()


def test_the_dead_letter_is_only_for_the_agencys_staff_at_aal2(
    dead_delivery: Delivery, officer: User, foreign_officer: User, citizen: User
):
    for outsider in (foreign_officer, citizen):
        client = sign_in(Client(), outsider)
        assert client.post(reverse("delivery:staff_action", args=[dead_delivery.pk, "retry"])).status_code == 404
    assert sign_in(Client(), citizen).get(reverse("delivery:staff")).status_code == 404
    assert sign_in(Client(), foreign_officer).get(reverse("delivery:staff")).status_code == 200

    # An officer signed in with a password only is sent to step up to AAL 2 first.
    password_only = sign_in(Client(), officer, "password")
    for response in (
        password_only.get(reverse("delivery:staff")),
        password_only.post(reverse("delivery:staff_action", args=[dead_delivery.pk, "retry"])),
    ):
        assert response.status_code == 302
        assert response["Location"].startswith(reverse("identity:step_up"))
    dead_delivery.refresh_from_db()
    assert dead_delivery.status == DeliveryStatus.DEAD


def test_post_is_recorded_from_the_officers_page(document: IssuedDocument, approver: User, officer: User):
    [delivery] = delivery_send(actor=approver, document=document, channels=["post"])
    client = sign_in(Client(), officer)
    assert f'id="delivery-{delivery.pk}"' in client.get(reverse("delivery:staff")).content.decode()

    bad = client.post(
        reverse("delivery:staff_action", args=[delivery.pk, "hand-over"]),
        {"postal_address": "99 ถนนพหลโยธิน กรุงเทพฯ 10900", "tracking_number": "EF123456784TH"},
    )
    assert bad.status_code == 422
    assert 'data-code="invalid_tracking_number"' in bad.content.decode()

    good = client.post(
        reverse("delivery:staff_action", args=[delivery.pk, "hand-over"]),
        {"postal_address": "99 ถนนพหลโยธิน กรุงเทพฯ 10900", "tracking_number": "EF123456785TH"},
    )
    assert good.status_code == 302
    client.post(reverse("delivery:staff_action", args=[delivery.pk, "delivered"]))
    delivery.refresh_from_db()
    assert (delivery.status, delivery.tracking_number) == (DeliveryStatus.DELIVERED, "EF123456785TH")
