"""Who may see an invoice, over the API and as a page: payer and the agency's staff; nobody else."""

import pytest

from borikan.audit.models import AuditEntry
from borikan.conftest import sign_in
from borikan.payments import promptpay
from borikan.payments.services import invoice_cancel

pytestmark = pytest.mark.django_db


def api_url(number: str) -> str:
    return f"/api/v1/payments/invoices/{number}"


def page_url(number: str) -> str:
    return f"/payments/invoices/{number}/"


def test_anonymous_api_request_is_unauthenticated(client, make_invoice):
    response = client.get(api_url(make_invoice().number))
    assert (response.status_code, response.json()["code"]) == (401, "not_authenticated")


def test_payer_reads_the_invoice_with_its_qr(client, make_invoice, payer):
    invoice = make_invoice()
    sign_in(client, payer)
    response = client.get(api_url(invoice.number))
    assert response.status_code == 200
    body = response.json()
    assert body == {
        "number": invoice.number,
        "case_ref": invoice.case_ref,
        "agency_code": "EXCISE",
        "description": "ค่าธรรมเนียมคำขอ",
        "amount_satang": 25_000,
        "ref1": "BK2569000001",
        "ref2": "EXCISE6",
        "due_date": invoice.due_date.isoformat(),
        "status": "open",
        "paid_at": None,
        "qr_payload": invoice.qr_payload,
        "qr_svg_data_uri": promptpay.qr_svg_data_uri(invoice.qr_payload),
        "lines": [
            {
                "kind": "fee",
                "label_th": "ค่าธรรมเนียมคำขอ",
                "label_en": "",
                "quantity": 1,
                "unit_satang": 25_000,
                "amount_satang": 25_000,
                "legal_basis_th": "",
            }
        ],
        "receipt_number": None,
    }
    assert not AuditEntry.objects.filter(action="invoice.viewed").exists()


def test_staff_of_the_invoice_agency_reads_it_and_the_read_is_audited(client, make_invoice, officer, payer):
    invoice = make_invoice()
    sign_in(client, officer)
    response = client.get(api_url(invoice.number))
    assert (response.status_code, response.json()["number"]) == (200, invoice.number)
    entry = AuditEntry.objects.get(action="invoice.viewed")
    assert (entry.actor_id, entry.object_id, entry.subject_user_id) == (officer.pk, invoice.number, payer.pk)


def test_staff_of_another_agency_gets_not_found(client, make_invoice, foreign_officer):
    invoice = make_invoice()
    sign_in(client, foreign_officer)
    response = client.get(api_url(invoice.number))
    assert (response.status_code, response.json()["code"]) == (404, "not_found")
    assert not AuditEntry.objects.filter(action="invoice.viewed").exists()


def test_another_citizen_gets_not_found(client, make_invoice, other_citizen):
    invoice = make_invoice()
    sign_in(client, other_citizen)
    assert client.get(api_url(invoice.number)).status_code == 404


def test_missing_invoice_looks_the_same_as_a_forbidden_one(client, payer):
    sign_in(client, payer)
    response = client.get(api_url("INV-EXCISE-2569-999999"))
    assert (response.status_code, response.json()["code"]) == (404, "not_found")


def test_cancelled_invoice_has_no_payable_qr(client, make_invoice, payer, officer):
    invoice = make_invoice()
    invoice_cancel(actor=officer, invoice=invoice, reason="withdrawn")
    sign_in(client, payer)
    body = client.get(api_url(invoice.number)).json()
    assert (body["status"], body["qr_svg_data_uri"]) == ("cancelled", None)


def test_payer_sees_the_invoice_page_with_the_qr(client, make_invoice, payer):
    invoice = make_invoice()
    sign_in(client, payer)
    response = client.get(page_url(invoice.number))
    assert response.status_code == 200
    html = response.content.decode()
    assert invoice.number in html
    assert "250.00" in html
    assert f'src="{promptpay.qr_svg_data_uri(invoice.qr_payload)}"' in html


def test_invoice_page_is_named_payments_invoice(make_invoice):
    from django.urls import reverse

    invoice = make_invoice()
    assert reverse("payments:invoice", args=[invoice.number]) == page_url(invoice.number)


def test_another_citizen_gets_a_404_page(client, make_invoice, other_citizen):
    invoice = make_invoice()
    sign_in(client, other_citizen)
    assert client.get(page_url(invoice.number)).status_code == 404


def test_anonymous_visitor_is_sent_to_sign_in(client, make_invoice):
    invoice = make_invoice()
    response = client.get(page_url(invoice.number))
    assert response.status_code == 302
    assert response["Location"].startswith("/account/login/")
