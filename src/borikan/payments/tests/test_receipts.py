"""Receipts: issued when a payment is posted, numbered per agency per Thai fiscal year without gaps; page and PDF."""

import shutil
import subprocess

import pytest
from django.test import Client

from borikan.audit.models import AuditEntry
from borikan.conftest import sign_in
from borikan.core import events
from borikan.payments.models import Receipt, ReceiptCounter
from borikan.payments.services import receipt_number

from .gatewaykit import notification_for, post_webhook, sign

pytestmark = pytest.mark.django_db


def pay(invoice, **overrides):
    body = notification_for(invoice, **overrides)
    response = post_webhook(Client(), body, sign(body))
    assert response.status_code == 200, response.content
    return response.json()["outcome"]


def test_posting_a_payment_issues_a_numbered_receipt(make_invoice, payer):
    invoice = make_invoice()
    assert pay(invoice, paid_at="2026-11-25T03:15:00+00:00") == "posted"
    receipt = Receipt.objects.get()
    assert (receipt.number, receipt.fiscal_year, receipt.seq) == ("EXCISE-2570-000001", 2570, 1)
    assert (receipt.invoice, receipt.payer, receipt.amount_satang) == (invoice, payer, 25_000)
    assert receipt.payment.gateway_txn_id == receipt.payment.raw_notification["txn_id"]
    entry = AuditEntry.objects.get(action="receipt.issued")
    assert (entry.object_id, entry.subject_user_id, entry.data["invoice"]) == (receipt.number, payer.pk, invoice.number)
    assert AuditEntry.objects.get(action="payment.posted").data["receipt"] == receipt.number


def test_numbering_restarts_on_1_october_in_thailand(make_invoice):
    # 30 Sep 2026 23:59:59 in Bangkok is fiscal year 2569; one second later it is 1 Oct, fiscal year 2570.
    before = make_invoice(ref1="BK2569000001")
    after = make_invoice(ref1="BK2569000002")
    again_before = make_invoice(ref1="BK2569000003")
    pay(before, paid_at="2026-09-30T16:59:59+00:00")
    pay(after, paid_at="2026-09-30T17:00:00+00:00")
    pay(again_before, paid_at="2026-09-30T23:59:59+07:00")
    assert list(Receipt.objects.order_by("id").values_list("number", flat=True)) == [
        "EXCISE-2569-000001",
        "EXCISE-2570-000001",
        "EXCISE-2569-000002",
    ]
    assert set(ReceiptCounter.objects.values_list("fiscal_year", "last_seq")) == {(2569, 2), (2570, 1)}


def test_each_agency_has_its_own_sequence(make_invoice, other_agency):
    pay(make_invoice(ref1="BK2569000001"))
    pay(make_invoice(ref1="BK2569000002", agency=other_agency))
    pay(make_invoice(ref1="BK2569000003"))
    assert list(Receipt.objects.order_by("id").values_list("number", flat=True)) == [
        "EXCISE-2570-000001",
        "DBD-2570-000001",
        "EXCISE-2570-000002",
    ]


def test_a_duplicate_or_held_notification_issues_no_receipt(make_invoice):
    invoice = make_invoice()
    body = notification_for(invoice)
    post_webhook(Client(), body, sign(body))
    post_webhook(Client(), body, sign(body))
    assert pay(invoice) == "held"  # a second transaction for a paid invoice
    wrong = make_invoice(ref1="BK2569000002")
    assert pay(wrong, amount_satang=1) == "held"
    assert Receipt.objects.count() == 1


def test_a_posting_that_rolls_back_takes_its_number_back(make_invoice):
    first, second = make_invoice(ref1="BK2569000001"), make_invoice(ref1="BK2569000002")

    failing = [True]

    def fail(event):
        if failing[0]:
            raise RuntimeError("the case lifecycle failed")

    events.subscribe(events.PaymentSettled, fail)
    with pytest.raises(RuntimeError):
        pay(first)
    assert (Receipt.objects.count(), ReceiptCounter.objects.count()) == (0, 0)
    failing[0] = False
    pay(second)
    pay(first)
    assert list(Receipt.objects.order_by("id").values_list("seq", flat=True)) == [1, 2]


def test_receipt_number_format():
    assert receipt_number(agency_code="excise", fiscal_year=2570, seq=123) == "EXCISE-2570-000123"


def test_payer_sees_the_receipt_page_and_the_invoice_links_to_it(client, make_invoice, payer, api_as):
    invoice = make_invoice()
    pay(invoice)
    receipt = Receipt.objects.get()
    assert api_as(payer).get(f"/api/v1/payments/invoices/{invoice.number}").json()["receipt_number"] == receipt.number
    sign_in(client, payer)
    html = client.get(f"/payments/receipts/{receipt.number}/").content.decode()
    assert receipt.number in html and "250.00" in html and receipt.payment.gateway_txn_id in html
    body = api_as(payer).get(f"/api/v1/payments/receipts/{receipt.number}").json()
    assert (body["number"], body["fiscal_year"], body["amount_satang"], body["invoice_number"]) == (
        receipt.number,
        2570,
        25_000,
        invoice.number,
    )


def test_receipts_are_hidden_from_others_and_staff_reads_are_audited(
    client, make_invoice, other_citizen, officer, foreign_officer
):
    pay(make_invoice())
    receipt = Receipt.objects.get()
    for outsider in (other_citizen, foreign_officer):
        sign_in(client, outsider)
        assert client.get(f"/payments/receipts/{receipt.number}/").status_code == 404
        assert client.get(f"/payments/receipts/{receipt.number}/pdf/").status_code == 404
    sign_in(client, officer)
    assert client.get(f"/payments/receipts/{receipt.number}/").status_code == 200
    assert AuditEntry.objects.filter(action="receipt.viewed", actor_id=officer.pk).count() == 1


@pytest.mark.slow
def test_receipt_pdf_carries_the_number_and_amount(client, make_invoice, payer, tmp_path):
    pay(make_invoice())
    receipt = Receipt.objects.get()
    sign_in(client, payer)
    response = client.get(f"/payments/receipts/{receipt.number}/pdf/")
    assert (response.status_code, response["Content-Type"]) == (200, "application/pdf")
    assert response.content.startswith(b"%PDF")
    if shutil.which("pdftotext") is None:
        pytest.skip("pdftotext (poppler-utils) is not installed")
    path = tmp_path / "receipt.pdf"
    path.write_bytes(response.content)
    text = subprocess.run(["pdftotext", str(path), "-"], capture_output=True, check=True, text=True).stdout
    assert receipt.number in text
    assert "250.00" in text
