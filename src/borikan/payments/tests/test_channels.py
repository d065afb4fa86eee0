"""Payment channels (ADR 0018): a charge per attempt; the counter posts through the same path as the bank; refunds
and reconciliation per channel. The bank is the sandbox gateway process; the counter has no outside party."""

from __future__ import annotations

import csv
import io
import json

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from borikan.agencies.models import StaffRole
from borikan.applications.services import application_approve, application_payment_settled
from borikan.applications.tests.factories import make_application
from borikan.audit.models import AuditEntry
from borikan.conftest import PASSWORD_ONLY, make_staff, sign_in
from borikan.core import events
from borikan.core.errors import ApplicationError, NotFound
from borikan.core.events import PaymentSettled
from borikan.payments import channels
from borikan.payments.models import (
    Charge,
    ChargeStatus,
    HeldPayment,
    HoldReason,
    InvoiceStatus,
    LineStatus,
    Payment,
    PaymentChannel,
    Receipt,
    Refund,
    RefundStatus,
)
from borikan.payments.reconciliation import counter_day_sheet, reconciliation_run
from borikan.payments.refunds import refund_approve, refund_pay_out, refund_request
from borikan.payments.selectors import invoice_for_case
from borikan.payments.services import counter_payment_record, invoice_cancel
from borikan.payments.tests.gatewaykit import bank_notification, post_webhook, settle, sign

pytestmark = pytest.mark.django_db


def counter_url(invoice) -> str:
    return f"/api/v1/payments/invoices/{invoice.number}/counter-payments"


def take_at_counter(api_as, officer, invoice, **body):
    return api_as(officer).post(
        counter_url(invoice),
        data=json.dumps({"amount_satang": invoice.amount_satang, "method": "cash"} | body),
        content_type="application/json",
    )


@pytest.fixture
def second_approver(agency):
    return make_staff("approver2@excise.go.th", agency, StaffRole.APPROVER)


# --- charges -------------------------------------------------------------------------------------------------------


def test_an_invoice_opens_its_thai_qr_charge_at_the_gateway(make_invoice, bank_gateway):
    invoice = make_invoice()
    (charge,) = invoice.charges.all()
    assert (charge.channel, charge.reference, charge.status, charge.amount_satang) == (
        "thai_qr",
        invoice.gateway_charge_id,
        ChargeStatus.PENDING,
        25_000,
    )
    assert bank_gateway.charge(charge.reference)["amount_satang"] == 25_000


def test_paying_by_thai_qr_pays_its_charge(make_invoice, bank_gateway):
    invoice = make_invoice()
    paid = settle(bank_gateway, invoice)
    payment = Payment.objects.get()
    assert (payment.channel, payment.charge.reference, payment.charge.status) == (
        "thai_qr",
        paid["id"],
        ChargeStatus.PAID,
    )


def test_cancelling_an_invoice_closes_its_charges(make_invoice, officer):
    invoice = invoice_cancel(actor=officer, invoice=make_invoice(), reason="withdrawn")
    assert list(invoice.charges.values_list("status", flat=True)) == [ChargeStatus.CLOSED]


def test_the_registry_knows_each_channel_and_refuses_others():
    assert set(channels.CHANNELS) == {"thai_qr", "counter"}
    assert channels.bank_statement_channels() == ["thai_qr"]
    assert channels.counter_channels() == ["counter"]
    with pytest.raises(ApplicationError) as refused:
        channels.channel("cheque")
    assert (refused.value.code, refused.value.status) == ("unknown_payment_channel", 422)


# --- the counter ----------------------------------------------------------------------------------------------------


def test_a_counter_payment_posts_once_like_a_bank_payment(make_invoice, api_as, officer, payer, settled_events):
    invoice = make_invoice()
    response = take_at_counter(api_as, officer, invoice, method="card", note="บัตรเดบิต")
    assert response.status_code == 201, response.content
    body = response.json()
    receipt = Receipt.objects.get()
    assert body["receipt_number"] == receipt.number and receipt.number.startswith("EXCISE-")
    assert (body["charge"]["channel"], body["charge"]["status"], body["charge"]["method"]) == (
        "counter",
        "paid",
        "card",
    )
    assert body["charge"]["status_label_th"] == "ชำระแล้ว"

    invoice.refresh_from_db()
    payment = Payment.objects.get()
    assert (invoice.status, payment.channel, payment.amount_satang, receipt.payment_id) == (
        InvoiceStatus.PAID,
        PaymentChannel.COUNTER,
        25_000,
        payment.pk,
    )
    assert payment.charge.recorded_by_id == officer.pk
    # The Thai QR printed on the invoice can no longer be the attempt that pays it.
    assert dict(invoice.charges.values_list("channel", "status")) == {"thai_qr": "closed", "counter": "paid"}
    assert settled_events == [
        PaymentSettled(case_ref=invoice.case_ref, invoice_number=invoice.number, amount_satang=25_000)
    ]
    entry = AuditEntry.objects.get(action="payment.posted_at_counter")
    assert (entry.actor_id, entry.subject_user_id, entry.data["method"], entry.data["receipt"]) == (
        officer.pk,
        payer.pk,
        "card",
        receipt.number,
    )
    assert AuditEntry.objects.filter(action="receipt.issued", object_id=receipt.number).exists()

    again = take_at_counter(api_as, officer, invoice)
    assert again.status_code == 409
    assert again.json()["code"] == "invoice_already_paid"
    assert receipt.number in again.json()["detail_en"]
    assert again.json()["errors"] == {"receipt_number": receipt.number}
    assert (Payment.objects.count(), Receipt.objects.count(), len(settled_events)) == (1, 1, 1)


def test_paying_the_qr_after_the_counter_took_the_fee_is_held(make_invoice, bank_gateway, officer):
    invoice = make_invoice()
    counter_payment_record(actor=officer, invoice_number=invoice.number, amount_satang=25_000, method="cash")
    paid = bank_gateway.pay(invoice.gateway_charge_id)
    body = bank_notification(paid)
    assert post_webhook(Client(), body, sign(body)).json()["outcome"] == "held"
    held = HeldPayment.objects.get()
    assert (held.reason, held.invoice_id) == (HoldReason.INVOICE_ALREADY_PAID, invoice.pk)
    assert Payment.objects.count() == 1


def test_a_counter_payment_moves_the_case_to_paid(
    bank_gateway, service, citizen, approver, officer, django_capture_on_commit_callbacks
):
    # Payments tests run with no handlers subscribed; the case engine's own is the one that moves the case.
    events.subscribe(PaymentSettled, lambda e: application_payment_settled(case_ref=e.case_ref))
    app = make_application(service=service, applicant=citizen, status="pending_approval")
    with django_capture_on_commit_callbacks(execute=True):
        assert application_approve(actor=approver, application_id=app.pk).status == "awaiting_payment"
    invoice = invoice_for_case(case_ref=app.case_ref)
    assert invoice.charges.get().channel == "thai_qr"

    with django_capture_on_commit_callbacks(execute=False) as follow_ups:
        posted = counter_payment_record(
            actor=officer, invoice_number=invoice.number, amount_satang=invoice.amount_satang, method="cash"
        )
    app.refresh_from_db()
    assert app.status == "paid"
    assert posted.receipt.invoice_id == invoice.pk
    assert len(follow_ups) >= 1  # issuing the licence is queued for after the commit, as after a bank payment


def test_staff_of_another_agency_and_the_payer_see_no_invoice(make_invoice, api_as, foreign_officer, payer):
    invoice = make_invoice()
    for who in (foreign_officer, payer):
        response = take_at_counter(api_as, who, invoice)
        assert (response.status_code, response.json()["code"]) == (404, "not_found")
    missing = api_as(foreign_officer).post(
        "/api/v1/payments/invoices/INV-NOPE/counter-payments",
        data=json.dumps({"amount_satang": 1, "method": "cash"}),
        content_type="application/json",
    )
    assert missing.status_code == 404
    assert Payment.objects.count() == 0


def test_counter_staff_need_staff_assurance(make_invoice, api_as, officer):
    response = api_as(officer, *PASSWORD_ONLY).post(
        counter_url(make_invoice(ref1="BK2569000009")),
        data=json.dumps({"amount_satang": 25_000, "method": "cash"}),
        content_type="application/json",
    )
    assert (response.status_code, response.json()["code"]) == (403, "assurance_required")
    assert Payment.objects.count() == 0


@pytest.mark.parametrize(
    ("body", "code"),
    [
        ({"method": "cheque"}, "invalid_counter_method"),
        ({"amount_satang": 20_000}, "counter_amount_mismatch"),
        ({"amount_satang": -5}, "invalid_request"),  # the schema's minimum
        ({"amount_satang": True}, "invalid_request"),
        ({"amount_satang": "two hundred"}, "invalid_request"),
        ({"note": "x" * 501}, "invalid_note"),
    ],
)
def test_bad_counter_input_is_refused_with_a_code(make_invoice, api_as, officer, body, code):
    response = take_at_counter(api_as, officer, make_invoice(), **body)
    assert response.status_code == 422, response.content
    assert response.json()["code"] == code
    assert Payment.objects.count() == 0


def test_a_cancelled_invoice_cannot_be_paid_at_the_counter(make_invoice, api_as, officer):
    invoice = invoice_cancel(actor=officer, invoice=make_invoice(), reason="withdrawn")
    response = take_at_counter(api_as, officer, invoice)
    assert (response.status_code, response.json()["code"]) == (409, "invoice_not_open")


def test_the_officer_records_it_on_the_invoice_page_and_lands_on_the_receipt(make_invoice, officer, payer):
    invoice = make_invoice()
    client = sign_in(Client(), officer)
    page = client.get(reverse("payments:invoice", args=[invoice.number])).content.decode()
    assert "บันทึกการรับชำระที่เคาน์เตอร์" in page
    response = client.post(
        reverse("payments:invoice_counter_payment", args=[invoice.number]),
        {"amount_baht": "250.00", "method": "cash", "note": ""},
    )
    receipt = Receipt.objects.get()
    assert response.status_code == 302 and response["Location"] == reverse("payments:receipt", args=[receipt.number])
    shown = client.get(response["Location"]).content.decode()
    assert receipt.number in shown and "ชำระที่เคาน์เตอร์" in shown and "เงินสด" in shown
    # The payer never sees the counter form.
    payer_page = sign_in(Client(), payer).get(reverse("payments:invoice", args=[invoice.number])).content.decode()
    assert "counter-payment" not in payer_page


def test_a_foreign_officer_posting_the_form_gets_404(make_invoice, foreign_officer):
    invoice = make_invoice()
    response = sign_in(Client(), foreign_officer).post(
        reverse("payments:invoice_counter_payment", args=[invoice.number]), {"amount_baht": "250", "method": "cash"}
    )
    assert response.status_code == 404
    assert Payment.objects.count() == 0


# --- refunds per channel --------------------------------------------------------------------------------------------


def test_a_counter_refund_is_approved_then_paid_out_at_the_counter(
    make_invoice, bank_gateway, api_as, officer, approver, second_approver
):
    invoice = make_invoice()
    counter_payment_record(actor=officer, invoice_number=invoice.number, amount_satang=25_000, method="cash")
    refund = refund_request(actor=approver, invoice_number=invoice.number, amount_satang=10_000, reason="ยื่นซ้ำ")
    refund = refund_approve(actor=second_approver, refund_id=refund.pk)
    # Nothing goes to the bank: the money was never there.
    assert (refund.status, refund.gateway_refund_id) == (RefundStatus.APPROVED, None)
    assert not AuditEntry.objects.filter(action="refund.sent").exists()

    response = api_as(officer).post(
        f"/api/v1/payments/refunds/{refund.pk}/pay-out",
        data=json.dumps({"note": "ผู้ชำระลงนามรับเงินคืน"}),
        content_type="application/json",
    )
    assert response.status_code == 200, response.content
    assert (response.json()["status"], response.json()["channel"], response.json()["remaining_satang"]) == (
        "succeeded",
        "counter",
        15_000,
    )
    refund.refresh_from_db()
    assert (refund.paid_out_by_id, refund.completed_at is not None) == (officer.pk, True)
    assert AuditEntry.objects.get(action="refund.paid_out_at_counter").actor_id == officer.pk

    again = api_as(officer).post(
        f"/api/v1/payments/refunds/{refund.pk}/pay-out", data="{}", content_type="application/json"
    )
    assert (again.status_code, again.json()["code"]) == (409, "refund_not_approved")


def test_a_counter_refund_cannot_be_paid_out_before_approval_nor_by_another_agency(
    make_invoice, officer, approver, foreign_officer
):
    invoice = make_invoice()
    counter_payment_record(actor=officer, invoice_number=invoice.number, amount_satang=25_000, method="cash")
    refund = refund_request(actor=approver, invoice_number=invoice.number, amount_satang=25_000, reason="r")
    with pytest.raises(ApplicationError) as refused:
        refund_pay_out(actor=officer, refund_id=refund.pk)
    assert refused.value.code == "refund_not_approved"
    with pytest.raises(NotFound):
        refund_pay_out(actor=foreign_officer, refund_id=refund.pk)


def test_a_bank_refund_goes_to_the_gateway_and_is_not_paid_out_at_the_counter(
    make_invoice, bank_gateway, officer, approver, second_approver
):
    invoice = make_invoice()
    settle(bank_gateway, invoice)
    refund = refund_request(actor=officer, invoice_number=invoice.number, amount_satang=5_000, reason="r")
    refund = refund_approve(actor=approver, refund_id=refund.pk)
    assert refund.status == RefundStatus.PENDING and refund.gateway_refund_id.startswith("rf_")
    assert bank_gateway.call("GET", f"/v1/refunds/{refund.gateway_refund_id}").json()["charge_id"] == (
        invoice.charges.get().reference
    )
    with pytest.raises(ApplicationError) as refused:
        refund_pay_out(actor=second_approver, refund_id=refund.pk)
    assert (refused.value.code, refused.value.status) == ("refund_not_at_counter", 409)


def test_a_bank_notification_cannot_complete_a_counter_refund(make_invoice, officer, approver, second_approver):
    invoice = make_invoice()
    posted = counter_payment_record(actor=officer, invoice_number=invoice.number, amount_satang=25_000, method="cash")
    refund = refund_request(actor=approver, invoice_number=invoice.number, amount_satang=25_000, reason="r")
    refund = refund_approve(actor=second_approver, refund_id=refund.pk)
    forged = json.dumps(
        {
            "type": "refund.succeeded",
            "event_id": "evt_forged",
            "refund_id": "rf_forged",
            "reference": refund.reference,
            "charge_id": posted.charge.reference,
            "amount_satang": 25_000,
            "completed_at": timezone.now().isoformat(),
        }
    ).encode()
    assert post_webhook(Client(), forged, sign(forged)).json()["outcome"] == "held"
    refund.refresh_from_db()
    assert refund.status == RefundStatus.APPROVED


# --- reconciliation per channel -------------------------------------------------------------------------------------


@pytest.fixture
def mixed_day(make_invoice, bank_gateway, officer, approver, second_approver):
    """Today: one Thai QR payment, and one counter payment with part of it handed back at the counter."""
    bank = settle(bank_gateway, make_invoice(ref1="BK2569000001"))
    counter_invoice = make_invoice(ref1="BK2569000002", amount_satang=30_000)
    counter = counter_payment_record(
        actor=officer, invoice_number=counter_invoice.number, amount_satang=30_000, method="cash"
    )
    refund = refund_request(actor=approver, invoice_number=counter_invoice.number, amount_satang=5_000, reason="r")
    refund_approve(actor=second_approver, refund_id=refund.pk)
    refund_pay_out(actor=officer, refund_id=refund.pk)
    return {"bank_txn": bank["txn_id"], "counter": counter, "refund": Refund.objects.get(pk=refund.pk)}


def test_the_bank_statement_reconciles_thai_qr_only(mixed_day):
    run = reconciliation_run(actor=None, day=timezone.localdate())
    lines = dict(run.lines.values_list("txn_id", "status"))
    assert lines[mixed_day["bank_txn"]] == LineStatus.MATCHED
    assert mixed_day["counter"].payment.gateway_txn_id not in lines
    assert run.counts["missing_at_bank"] == 0  # neither the counter payment nor its refund is "missing at the bank"
    assert not run.lines.filter(invoice=mixed_day["counter"].payment.invoice).exists()


def test_the_counter_day_sheet_lists_the_counter_money_with_totals(mixed_day, api_as, officer, agency):
    response = api_as(officer).get(
        "/api/v1/payments/counter/day-sheet", {"agency": agency.code, "date": timezone.localdate().isoformat()}
    )
    assert response.status_code == 200, response.content
    sheet = response.json()
    assert [(line["record_type"], line["amount_satang"], line["method"]) for line in sheet["lines"]] == [
        ("payment", 30_000, "cash"),
        ("refund", -5_000, "cash"),
    ]
    assert sheet["lines"][0]["receipt_number"] == mixed_day["counter"].receipt.number
    assert sheet["totals"] == {
        "received_satang": 30_000,
        "refunded_satang": -5_000,
        "net_satang": 25_000,
        "cash_net_satang": 25_000,
        "card_net_satang": 0,
    }
    exported = api_as(officer).get(
        "/api/v1/payments/counter/day-sheet.csv", {"agency": agency.code, "date": timezone.localdate().isoformat()}
    )
    rows = list(csv.reader(io.StringIO(exported.content.decode())))
    assert rows[0][:3] == ["record_type", "time", "reference"]
    assert [row[0] for row in rows[1:3]] == ["payment", "refund"]
    assert ["total", "", "net_satang", "", "", "", "25000", ""] in rows
    assert AuditEntry.objects.filter(action="payments.counter_day_sheet_viewed", actor_id=officer.pk).count() == 2


def test_the_day_sheet_is_the_agencys_own(mixed_day, api_as, foreign_officer, citizen, agency, officer):
    for who in (foreign_officer, citizen):
        response = api_as(who).get(
            "/api/v1/payments/counter/day-sheet", {"agency": agency.code, "date": timezone.localdate().isoformat()}
        )
        assert response.status_code == 404
    bad_date = api_as(officer).get("/api/v1/payments/counter/day-sheet", {"agency": agency.code, "date": "tomorrow"})
    assert (bad_date.status_code, bad_date.json()["code"]) == (422, "invalid_request")
    with pytest.raises(NotFound):
        counter_day_sheet(actor=foreign_officer, agency_code=agency.code, day=timezone.localdate())


def test_the_day_sheet_page(mixed_day, officer, citizen):
    page = sign_in(Client(), officer).get(reverse("payments:counter_day_sheet"))
    assert page.status_code == 200
    text = page.content.decode()
    assert mixed_day["counter"].receipt.number in text and "300.00" in text and "-50.00" in text
    assert sign_in(Client(), citizen).get(reverse("payments:counter_day_sheet")).status_code == 404


def test_a_counter_charge_is_never_asked_about_at_the_gateway(make_invoice, officer):
    invoice = make_invoice()
    posted = counter_payment_record(actor=officer, invoice_number=invoice.number, amount_satang=25_000, method="cash")
    assert channels.CHANNELS["counter"].paid_at_channel(posted.charge) is None
    assert Charge.objects.filter(channel="counter").get().reference.startswith("CTR-")


def test_an_officer_cannot_take_the_fee_of_their_own_invoice_at_the_counter(make_invoice, officer):
    invoice = make_invoice(payer=officer)
    with pytest.raises(ApplicationError) as refused:
        counter_payment_record(actor=officer, invoice_number=invoice.number, amount_satang=25_000, method="cash")
    assert (refused.value.code, refused.value.status) == ("conflict_of_interest", 403)
    assert not Payment.objects.filter(invoice=invoice).exists()
