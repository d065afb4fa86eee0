"""The gateway webhook over HTTP: signature, replay, idempotency, holds, and the settled event."""

import datetime as dt
import json
import time
import uuid

import pytest

from borikan.audit.models import AuditEntry
from borikan.core.events import PaymentSettled
from borikan.payments.models import (
    HeldPayment,
    HoldReason,
    Invoice,
    InvoiceStatus,
    Payment,
    WebhookOutcome,
    WebhookReceipt,
)
from borikan.payments.services import invoice_cancel

from .gatewaykit import notification_for, post_webhook, sign

pytestmark = pytest.mark.django_db


def snapshot(invoice: Invoice) -> tuple:
    """Everything a webhook could change, to show that a rejected one changed nothing."""
    invoice.refresh_from_db()
    return (
        invoice.status,
        invoice.paid_at,
        Payment.objects.count(),
        WebhookReceipt.objects.count(),
        HeldPayment.objects.count(),
        AuditEntry.objects.count(),
    )


def test_good_signature_posts_the_payment_once(client, make_invoice):
    invoice = make_invoice()
    body = notification_for(invoice)
    response = post_webhook(client, body, sign(body))
    assert (response.status_code, response.json()) == (200, {"outcome": "posted"})
    invoice.refresh_from_db()
    assert (invoice.status, invoice.paid_at.isoformat()) == (InvoiceStatus.PAID, "2026-11-25T03:15:00+00:00")
    payment = Payment.objects.get()
    assert (payment.invoice, payment.gateway_txn_id, payment.amount_satang) == (
        invoice,
        json.loads(body)["txn_id"],
        25_000,
    )
    assert payment.raw_notification == json.loads(body)
    assert list(WebhookReceipt.objects.values_list("event_id", "outcome")) == [
        (json.loads(body)["event_id"], WebhookOutcome.POSTED)
    ]


def test_posting_writes_an_audit_entry_about_the_payer(client, make_invoice, payer):
    invoice = make_invoice()
    body = notification_for(invoice)
    post_webhook(client, body, sign(body))
    entry = AuditEntry.objects.get(action="payment.posted")
    assert (entry.actor_id, entry.actor_label, entry.object_id, entry.subject_user_id) == (
        None,
        "system",
        invoice.number,
        payer.pk,
    )
    assert entry.data["txn_id"] == json.loads(body)["txn_id"]


def test_posting_publishes_payment_settled_once(client, make_invoice, settled_events):
    invoice = make_invoice()
    body = notification_for(invoice)
    post_webhook(client, body, sign(body))
    post_webhook(client, body, sign(body))
    assert settled_events == [
        PaymentSettled(case_ref=invoice.case_ref, invoice_number=invoice.number, amount_satang=25_000)
    ]


def test_forged_signature_is_refused_and_nothing_changes(client, make_invoice, settled_events):
    invoice = make_invoice()
    before = snapshot(invoice)
    body = notification_for(invoice)
    response = post_webhook(client, body, sign(body, secret="an-attacker-guess"))
    assert (response.status_code, response["Content-Type"], response.json()["code"]) == (
        400,
        "application/problem+json",
        "bad_signature",
    )
    assert snapshot(invoice) == before
    assert settled_events == []


def test_missing_signature_is_refused_and_nothing_changes(client, make_invoice):
    invoice = make_invoice()
    before = snapshot(invoice)
    response = post_webhook(client, notification_for(invoice), None)
    assert (response.status_code, response.json()["code"]) == (400, "bad_signature")
    assert snapshot(invoice) == before


def test_body_changed_after_signing_is_refused(client, make_invoice):
    invoice = make_invoice()
    before = snapshot(invoice)
    body = notification_for(invoice, amount_satang=100)
    signature = sign(body)
    tampered = body.replace(b'"amount_satang": 100', b'"amount_satang": 25000')
    response = post_webhook(client, tampered, signature)
    assert (response.status_code, response.json()["code"]) == (400, "bad_signature")
    assert snapshot(invoice) == before


def test_stale_timestamp_is_refused_and_nothing_changes(client, make_invoice, settings):
    invoice = make_invoice()
    before = snapshot(invoice)
    body = notification_for(invoice)
    stale = int(time.time()) - settings.BORIKAN_WEBHOOK_TOLERANCE_SECONDS - 60
    response = post_webhook(client, body, sign(body, timestamp=stale))
    assert (response.status_code, response.json()["code"]) == (400, "stale_webhook")
    assert snapshot(invoice) == before


def test_signed_malformed_body_is_refused_and_nothing_changes(client, make_invoice):
    invoice = make_invoice()
    before = snapshot(invoice)
    body = json.dumps({"event_id": "evt_x", "charge_id": invoice.gateway_charge_id}).encode()
    response = post_webhook(client, body, sign(body))
    assert (response.status_code, response.json()["code"]) == (400, "malformed_webhook")
    assert snapshot(invoice) == before


def test_replay_of_the_same_event_is_a_duplicate_and_not_posted_again(client, make_invoice):
    invoice = make_invoice()
    body = notification_for(invoice)
    post_webhook(client, body, sign(body))
    after_first = snapshot(invoice)
    response = post_webhook(client, body, sign(body))
    assert (response.status_code, response.json()) == (200, {"outcome": "duplicate"})
    assert snapshot(invoice) == after_first
    assert (Payment.objects.count(), WebhookReceipt.objects.count()) == (1, 1)


def test_same_transaction_under_a_new_event_id_is_a_duplicate_and_not_posted_again(client, make_invoice):
    invoice = make_invoice()
    first = notification_for(invoice)
    post_webhook(client, first, sign(first))
    again = notification_for(invoice, txn_id=json.loads(first)["txn_id"], event_id="evt_" + uuid.uuid4().hex)
    response = post_webhook(client, again, sign(again))
    assert (response.status_code, response.json()) == (200, {"outcome": "duplicate"})
    assert (Payment.objects.count(), HeldPayment.objects.count()) == (1, 0)
    assert sorted(WebhookReceipt.objects.values_list("outcome", flat=True)) == [
        WebhookOutcome.DUPLICATE,
        WebhookOutcome.POSTED,
    ]


def test_amount_mismatch_is_held_and_the_invoice_stays_open(client, make_invoice, settled_events):
    invoice = make_invoice()
    body = notification_for(invoice, amount_satang=24_999)
    response = post_webhook(client, body, sign(body))
    assert (response.status_code, response.json()) == (200, {"outcome": "held"})
    invoice.refresh_from_db()
    assert (invoice.status, invoice.paid_at, Payment.objects.count()) == (InvoiceStatus.OPEN, None, 0)
    held = HeldPayment.objects.get()
    assert (held.invoice, held.reason, held.amount_satang, held.gateway_txn_id) == (
        invoice,
        HoldReason.AMOUNT_MISMATCH,
        24_999,
        json.loads(body)["txn_id"],
    )
    assert AuditEntry.objects.filter(action="payment.held", object_id=str(held.pk)).count() == 1
    assert settled_events == []


def test_replay_of_a_held_payment_is_not_held_twice(client, make_invoice):
    invoice = make_invoice()
    body = notification_for(invoice, amount_satang=1)
    post_webhook(client, body, sign(body))
    again = notification_for(invoice, amount_satang=1, txn_id=json.loads(body)["txn_id"])
    response = post_webhook(client, again, sign(again))
    assert response.json() == {"outcome": "duplicate"}
    assert HeldPayment.objects.count() == 1


def test_payment_for_a_cancelled_invoice_is_held(client, make_invoice, officer):
    invoice = make_invoice()
    invoice_cancel(actor=officer, invoice=invoice, reason="คำขอถูกถอน")
    body = notification_for(invoice)
    response = post_webhook(client, body, sign(body))
    assert response.json() == {"outcome": "held"}
    invoice.refresh_from_db()
    assert (invoice.status, Payment.objects.count()) == (InvoiceStatus.CANCELLED, 0)
    assert HeldPayment.objects.get().reason == HoldReason.INVOICE_CANCELLED


def test_second_transaction_for_a_paid_invoice_is_held_not_posted(client, make_invoice, settled_events):
    invoice = make_invoice()
    first = notification_for(invoice)
    post_webhook(client, first, sign(first))
    second = notification_for(invoice)  # a new event and a new transaction: the citizen paid twice
    response = post_webhook(client, second, sign(second))
    assert response.json() == {"outcome": "held"}
    assert list(Payment.objects.values_list("gateway_txn_id", flat=True)) == [json.loads(first)["txn_id"]]
    held = HeldPayment.objects.get()
    assert (held.reason, held.gateway_txn_id) == (
        HoldReason.INVOICE_ALREADY_PAID,
        json.loads(second)["txn_id"],
    )
    assert len(settled_events) == 1


def test_references_that_do_not_match_the_invoice_are_held(client, make_invoice):
    invoice = make_invoice()
    body = notification_for(invoice, ref2="EXCISE9")
    assert post_webhook(client, body, sign(body)).json() == {"outcome": "held"}
    invoice.refresh_from_db()
    assert (invoice.status, HeldPayment.objects.get().reason) == (
        InvoiceStatus.OPEN,
        HoldReason.REFERENCE_MISMATCH,
    )


def test_payment_for_an_unknown_charge_is_held_without_an_invoice(client, make_invoice):
    invoice = make_invoice()
    body = notification_for(invoice, charge_id="ch_unknown")
    assert post_webhook(client, body, sign(body)).json() == {"outcome": "held"}
    held = HeldPayment.objects.get()
    assert (held.invoice, held.reason, held.charge_id) == (None, HoldReason.UNKNOWN_CHARGE, "ch_unknown")


def test_a_failing_settled_handler_rolls_back_the_posting(client, make_invoice):
    from borikan.core import events

    def broken_handler(event: PaymentSettled) -> None:
        raise RuntimeError("the case lifecycle failed")

    events.subscribe(PaymentSettled, broken_handler)
    invoice = make_invoice()
    before = snapshot(invoice)
    body = notification_for(invoice)
    client.raise_request_exception = False
    response = post_webhook(client, body, sign(body))
    assert response.status_code == 500
    assert snapshot(invoice) == before


def test_a_payment_after_the_due_date_is_held_for_an_officer(client, make_invoice, settled_events):
    invoice = make_invoice(due_date=dt.date(2026, 11, 30))
    # 1 December 2026 00:30 in Bangkok is after the due date, though still 30 November in UTC.
    body = notification_for(invoice, paid_at="2026-11-30T17:30:00+00:00")
    assert post_webhook(client, body, sign(body)).json() == {"outcome": "held"}
    assert HeldPayment.objects.get().reason == HoldReason.LATE_PAYMENT
    invoice.refresh_from_db()
    assert (invoice.status, Payment.objects.count(), settled_events) == (InvoiceStatus.OPEN, 0, [])


def test_a_payment_on_the_due_date_in_thailand_is_posted(client, make_invoice):
    invoice = make_invoice(due_date=dt.date(2026, 11, 30))
    body = notification_for(invoice, paid_at="2026-11-30T16:59:59+00:00")  # 23:59:59 on the 30th in Bangkok
    assert post_webhook(client, body, sign(body)).json() == {"outcome": "posted"}
