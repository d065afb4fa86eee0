"""Exactly-once posting when the bank's notifications are lost, duplicated, delayed or reordered (the sandbox is
told to misbehave), and recovery of a lost one by asking the gateway (status query)."""

import io
import json

import pytest
from django.core.management import call_command
from django.test import Client

from borikan.payments.models import Invoice, InvoiceStatus, Payment, Receipt, Refund, RefundStatus, WebhookReceipt
from borikan.payments.refunds import refund_approve, refund_request, refund_sync
from borikan.payments.services import payment_sync

from .gatewaykit import (
    SandboxProcess,
    bank_notification,
    bank_refund,
    post_webhook,
    refund_notification,
    settle,
    sign,
    wait_until,
)


def deliveries(sandbox: SandboxProcess, charge_id: str) -> list[dict]:
    return sandbox.charge(charge_id)["deliveries"]


def outcomes(sandbox: SandboxProcess, charge_id: str) -> list[str]:
    return [json.loads(d["detail"])["outcome"] for d in deliveries(sandbox, charge_id) if d["status"] == 200]


# --- the status query (no live server needed) --------------------------------------------------------------


@pytest.mark.django_db
def test_a_lost_notification_is_recovered_by_asking_the_gateway_once(make_invoice, bank_gateway, settled_events):
    invoice = make_invoice()
    assert payment_sync(invoice=invoice) is None  # not paid yet
    paid = bank_gateway.pay(invoice.gateway_charge_id, delivery="lose")
    assert deliveries(bank_gateway, invoice.gateway_charge_id)[0]["status"] == "lost"
    assert payment_sync(invoice=invoice).outcome == "posted"
    assert payment_sync(invoice=invoice).outcome == "duplicate"
    late = bank_notification(paid)  # the bank's own notification arrives after all
    assert post_webhook(Client(), late, sign(late)).json() == {"outcome": "duplicate"}
    invoice.refresh_from_db()
    assert (invoice.status, Payment.objects.count(), Receipt.objects.count(), len(settled_events)) == (
        InvoiceStatus.PAID,
        1,
        1,
        1,
    )
    assert Payment.objects.get().raw_notification["source"] == "status_query"


@pytest.mark.django_db
def test_a_status_query_showing_a_different_amount_is_held(make_invoice, bank_gateway):
    invoice = make_invoice()
    bank_gateway.pay(invoice.gateway_charge_id, delivery="lose", amount_satang=100)
    assert payment_sync(invoice=invoice).outcome == "held"
    assert Invoice.objects.get(pk=invoice.pk).status == InvoiceStatus.OPEN


@pytest.mark.django_db
def test_the_sync_command_checks_open_invoices(make_invoice, bank_gateway):
    lost = make_invoice(ref1="BK2569000001")
    make_invoice(ref1="BK2569000002")
    bank_gateway.pay(lost.gateway_charge_id, delivery="lose")
    out = io.StringIO()
    call_command("sync_payments", "--older-than-minutes", "0", stdout=out)
    assert f"{lost.number}: posted" in out.getvalue()
    assert "checked 2 open invoices; 1 paid at the bank" in out.getvalue()


@pytest.mark.django_db
def test_the_sandbox_refuses_an_unknown_delivery_mode(make_invoice, bank_gateway):
    invoice = make_invoice()
    response = bank_gateway.call("POST", f"/v1/charges/{invoice.gateway_charge_id}/pay", json={"delivery": "maybe"})
    assert response.status_code == 400
    assert bank_gateway.charge(invoice.gateway_charge_id)["status"] == "pending"


# --- the bank calling the live portal --------------------------------------------------------------------------


@pytest.fixture
def portal(live_server, settings, bank_gateway: SandboxProcess) -> SandboxProcess:
    settings.BORIKAN_PUBLIC_BASE_URL = live_server.url
    return bank_gateway


@pytest.mark.slow
@pytest.mark.django_db(transaction=True)
def test_a_duplicated_notification_posts_once(portal, make_invoice, settled_events):
    invoice = make_invoice()
    portal.pay(invoice.gateway_charge_id, delivery="duplicate")
    found = wait_until(lambda: (o := outcomes(portal, invoice.gateway_charge_id)) and len(o) == 2 and o)
    assert sorted(found) == ["duplicate", "posted"]
    assert (Payment.objects.count(), Receipt.objects.count(), len(settled_events)) == (1, 1, 1)


@pytest.mark.slow
@pytest.mark.django_db(transaction=True)
def test_a_delayed_notification_posts_when_it_comes(portal, make_invoice):
    invoice = make_invoice()
    portal.pay(invoice.gateway_charge_id, delivery="delay", delay_seconds=1.5)
    assert Invoice.objects.get(pk=invoice.pk).status == InvoiceStatus.OPEN
    wait_until(lambda: Invoice.objects.get(pk=invoice.pk).status == InvoiceStatus.PAID)
    assert Payment.objects.count() == 1


@pytest.mark.slow
@pytest.mark.django_db(transaction=True)
def test_reordered_and_repeated_notifications_post_each_payment_once(portal, make_invoice, settled_events):
    invoices = [make_invoice(ref1=f"BK256900030{index}") for index in range(3)]
    for invoice in invoices:
        portal.pay(invoice.gateway_charge_id, delivery="hold")
    portal.call("POST", f"/v1/charges/{invoices[0].gateway_charge_id}/resend", json={"delivery": "hold"})
    released = portal.call("POST", "/v1/sandbox/deliveries/release", json={"order": "reverse"})
    assert released.json() == {"released": 4}
    wait_until(
        lambda: [len(outcomes(portal, i.gateway_charge_id)) for i in invoices] == [2, 1, 1],
        timeout=20,
    )
    assert WebhookReceipt.objects.count() == 3  # a repeated event id is recognised before anything is written
    # Newest first: the repeated notification of the first payment came first and posted it; the original,
    # last to arrive, was recognised as a duplicate.
    assert outcomes(portal, invoices[0].gateway_charge_id) == ["posted", "duplicate"]
    assert all(Invoice.objects.get(pk=i.pk).status == InvoiceStatus.PAID for i in invoices)
    assert (Payment.objects.count(), Receipt.objects.count(), len(settled_events)) == (3, 3, 3)
    numbers = sorted(Receipt.objects.values_list("seq", flat=True))
    assert numbers == [1, 2, 3]


@pytest.mark.django_db
def test_a_refund_whose_notification_is_lost_is_completed_by_asking_the_gateway(
    make_invoice, bank_gateway, officer, approver
):
    invoice = make_invoice()
    settle(bank_gateway, invoice)
    refund = refund_request(actor=officer, invoice_number=invoice.number, amount_satang=25_000, reason="rejected")
    refund = refund_approve(actor=approver, refund_id=refund.pk)
    bank_refund(bank_gateway, refund)  # settled at the bank; its notification went nowhere
    out = io.StringIO()
    call_command("sync_payments", "--older-than-minutes", "0", stdout=out)
    assert f"{refund.reference}: posted" in out.getvalue()
    refund.refresh_from_db()
    assert refund.status == RefundStatus.SUCCEEDED
    assert refund_sync(refund=refund) is None  # completed: nothing more to ask
    late = refund_notification(bank_gateway, refund)
    assert post_webhook(Client(), late, sign(late)).json() == {"outcome": "duplicate"}
    assert Refund.objects.get().status == RefundStatus.SUCCEEDED
