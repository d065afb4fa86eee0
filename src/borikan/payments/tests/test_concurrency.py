"""Races that only a real database with row locks can show: numbering and simultaneous deliveries."""

import threading
from collections.abc import Callable

import pytest
from django.db import connection
from django.test import Client

from borikan.audit.models import AuditEntry
from borikan.core.errors import ApplicationError
from borikan.payments.models import (
    HeldPayment,
    InvoiceStatus,
    Payment,
    Receipt,
    ReceiptCounter,
    Refund,
    RefundStatus,
    WebhookReceipt,
)
from borikan.payments.refunds import refund_approve, refund_request

from .gatewaykit import notification_for, post_webhook, refund_notification, settle, sign

pytestmark = [
    pytest.mark.postgres,
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(connection.vendor != "postgresql", reason="needs PostgreSQL row locks (SELECT ... FOR UPDATE)"),
]


def run_together(work: Callable[[int], object], count: int) -> tuple[list[object], list[BaseException]]:
    results: list[object] = []
    errors: list[BaseException] = []
    start = threading.Barrier(count)

    def worker(index: int) -> None:
        try:
            start.wait(timeout=10)
            results.append(work(index))
        except BaseException as error:
            errors.append(error)
        finally:
            connection.close()

    threads = [threading.Thread(target=worker, args=(index,)) for index in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    return results, errors


def test_concurrent_invoices_get_consecutive_numbers(make_invoice):
    results, errors = run_together(lambda index: make_invoice(ref1=f"BK256900010{index}").number, 5)
    assert errors == []
    year = int(str(results[0]).split("-")[2])
    assert sorted(results) == [f"INV-EXCISE-{year}-{seq:06d}" for seq in range(1, 6)]


def test_simultaneous_deliveries_of_one_event_post_once(make_invoice, settled_events):
    invoice = make_invoice()
    body = notification_for(invoice)
    results, errors = run_together(lambda _: post_webhook(Client(), body, sign(body)).json()["outcome"], 5)
    assert errors == []
    assert sorted(results) == ["duplicate"] * 4 + ["posted"]
    invoice.refresh_from_db()
    assert (invoice.status, Payment.objects.count(), WebhookReceipt.objects.count()) == (
        InvoiceStatus.PAID,
        1,
        1,
    )
    assert len(settled_events) == 1


def test_simultaneous_events_for_one_transaction_post_once(make_invoice):
    invoice = make_invoice()
    txn_id = "txn_shared_between_events"
    bodies = [notification_for(invoice, txn_id=txn_id) for _ in range(5)]
    results, errors = run_together(lambda index: post_webhook(Client(), bodies[index], sign(bodies[index])).json(), 5)
    assert errors == []
    assert sorted(result["outcome"] for result in results) == ["duplicate"] * 4 + ["posted"]
    assert (Payment.objects.count(), HeldPayment.objects.count(), WebhookReceipt.objects.count()) == (1, 0, 5)


def test_receipts_posted_at_the_same_time_get_consecutive_numbers_without_gaps(make_invoice):
    invoices = [make_invoice(ref1=f"BK25690002{index:02d}") for index in range(8)]
    bodies = [notification_for(invoice, paid_at="2026-11-25T03:15:00+00:00") for invoice in invoices]
    results, errors = run_together(
        lambda index: post_webhook(Client(), bodies[index], sign(bodies[index])).json()["outcome"], len(bodies)
    )
    assert errors == []
    assert results == ["posted"] * 8
    numbers = sorted(Receipt.objects.values_list("number", flat=True))
    assert numbers == [f"EXCISE-2570-{seq:06d}" for seq in range(1, 9)]
    assert ReceiptCounter.objects.get().last_seq == 8


def test_simultaneous_refund_requests_never_promise_more_than_was_paid(make_invoice, officer):
    invoice = make_invoice()
    body = notification_for(invoice)
    assert post_webhook(Client(), body, sign(body)).json()["outcome"] == "posted"

    def ask(index: int) -> str:
        try:
            refund_request(actor=officer, invoice_number=invoice.number, amount_satang=10_000, reason=f"r{index}")
        except ApplicationError as error:
            return error.code
        return "requested"

    results, errors = run_together(ask, 5)
    assert errors == []
    assert sorted(results) == ["refund_exceeds_remaining"] * 3 + ["requested"] * 2
    assert sum(Refund.objects.values_list("amount_satang", flat=True)) == 20_000


def test_simultaneous_deliveries_of_one_refund_notification_complete_it_once(
    make_invoice, bank_gateway, officer, approver
):
    invoice = make_invoice()
    settle(bank_gateway, invoice)
    refund = refund_request(actor=officer, invoice_number=invoice.number, amount_satang=25_000, reason="rejected")
    refund = refund_approve(actor=approver, refund_id=refund.pk)
    body = refund_notification(bank_gateway, refund)
    results, errors = run_together(lambda _: post_webhook(Client(), body, sign(body)).json()["outcome"], 5)
    assert errors == []
    assert sorted(results) == ["duplicate"] * 4 + ["posted"]
    assert Refund.objects.get().status == RefundStatus.SUCCEEDED
    assert AuditEntry.objects.filter(action="refund.succeeded").count() == 1
