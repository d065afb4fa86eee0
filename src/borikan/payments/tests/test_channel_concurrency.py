"""The counter and the bank racing for one invoice: only a real database with row locks can show it."""

import pytest
from django.db import connection
from django.test import Client

from borikan.core.errors import ApplicationError
from borikan.payments.models import Charge, ChargeStatus, HeldPayment, HoldReason, Payment, Receipt
from borikan.payments.services import counter_payment_record

from .gatewaykit import notification_for, post_webhook, sign
from .test_concurrency import run_together

pytestmark = [
    pytest.mark.postgres,
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(connection.vendor != "postgresql", reason="needs PostgreSQL row locks (SELECT ... FOR UPDATE)"),
]


def test_the_counter_and_the_bank_at_once_post_one_payment(make_invoice, officer, settled_events):
    invoice = make_invoice()
    body = notification_for(invoice)

    def work(index: int) -> str:
        if index == 0:
            return "bank " + post_webhook(Client(), body, sign(body)).json()["outcome"]
        try:
            counter_payment_record(actor=officer, invoice_number=invoice.number, amount_satang=25_000, method="cash")
        except ApplicationError as refused:
            return "counter " + refused.code
        return "counter posted"

    results, errors = run_together(work, 4)
    assert errors == []
    posted = [result for result in results if result.endswith("posted")]
    assert len(posted) == 1, results
    assert set(results) - set(posted) <= {"bank held", "counter invoice_already_paid"}
    assert (Payment.objects.count(), Receipt.objects.count(), len(settled_events)) == (1, 1, 1)
    assert Charge.objects.filter(invoice=invoice, status=ChargeStatus.PAID).count() == 1
    if posted == ["counter posted"]:  # the bank's money came after the counter took the fee: an officer returns it
        assert HeldPayment.objects.get().reason == HoldReason.INVOICE_ALREADY_PAID
