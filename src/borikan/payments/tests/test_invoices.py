"""Issuing invoices: numbering, references, QR, the charge at the sandbox gateway, and refusals."""

import datetime as dt

import pytest
from django.db import IntegrityError
from django.utils import timezone

from borikan.audit.models import AuditEntry
from borikan.core.errors import ApplicationError
from borikan.payments import promptpay
from borikan.payments.gateway import HttpGateway
from borikan.payments.models import Invoice, InvoiceCounter, InvoiceStatus
from borikan.payments.selectors import invoice_for_case
from borikan.payments.services import invoice_cancel, invoice_create, ref2_for
from borikan.sandboxes.bank_gateway import free_port

pytestmark = pytest.mark.django_db
THIS_BE_YEAR = timezone.localdate().year + 543


def test_invoice_numbers_count_per_agency_and_buddhist_year(make_invoice, other_agency):
    first = make_invoice(ref1="BK2569000001")
    second = make_invoice(ref1="BK2569000002")
    elsewhere = make_invoice(ref1="BK2569000003", agency=other_agency)
    assert [first.number, second.number, elsewhere.number] == [
        f"INV-EXCISE-{THIS_BE_YEAR}-000001",
        f"INV-EXCISE-{THIS_BE_YEAR}-000002",
        f"INV-DBD-{THIS_BE_YEAR}-000001",
    ]


def test_ref2_is_the_agency_code_plus_a_luhn_check_digit():
    # Luhn over "BK2569000001DOPA" with letters as A=10..Z=35: 1120256900000113242510 → check digit 4.
    assert ref2_for(agency_code="dopa", ref1="BK2569000001") == "DOPA4"
    assert ref2_for(agency_code="dopa", ref1="BK2569000002") == "DOPA2"
    assert ref2_for(agency_code="dlt", ref1="BK2569000001") == "DLT3"


def test_invoice_carries_a_dynamic_bill_payment_qr_for_the_platform_biller(make_invoice):
    invoice = make_invoice(amount_satang=25_050)
    assert promptpay.parse_payload(invoice.qr_payload) == {
        "00": "01",
        "01": "12",
        "30": {"00": "A000000677010112", "01": "099400000000600", "02": "BK2569000001", "03": "EXCISE6"},
        "53": "764",
        "58": "TH",
        "54": "250.50",
        "63": invoice.qr_payload[-4:],
    }


def test_invoice_has_an_open_status_refs_and_a_due_date_a_week_ahead(make_invoice, agency, payer):
    invoice = make_invoice()
    assert (invoice.status, invoice.ref1, invoice.ref2, invoice.amount_satang) == (
        InvoiceStatus.OPEN,
        "BK2569000001",
        "EXCISE6",
        25_000,
    )
    assert (invoice.agency, invoice.payer, invoice.paid_at) == (agency, payer, None)
    assert invoice.due_date == timezone.localdate() + dt.timedelta(days=7)


def test_invoice_registers_a_matching_charge_at_the_gateway(make_invoice, bank_gateway, settings):
    settings.BORIKAN_PUBLIC_BASE_URL = "https://borikan.example.go.th/"
    invoice = make_invoice()
    charge = HttpGateway.from_settings().charge_status(invoice.gateway_charge_id)
    assert (charge.charge_id, charge.status, charge.amount_satang, charge.ref1, charge.ref2) == (
        invoice.gateway_charge_id,
        "pending",
        25_000,
        "BK2569000001",
        "EXCISE6",
    )
    assert bank_gateway.charge(invoice.gateway_charge_id)["callback_url"] == (
        "https://borikan.example.go.th/api/v1/payments/webhooks/gateway"
    )


def test_invoice_creation_is_audited(make_invoice, officer, payer):
    invoice = make_invoice()
    entry = AuditEntry.objects.get(action="invoice.created")
    assert (entry.actor_id, entry.object_type, entry.object_id, entry.subject_user_id) == (
        officer.pk,
        "invoice",
        invoice.number,
        payer.pk,
    )
    assert entry.data == {
        "case_ref": invoice.case_ref,
        "amount_satang": 25_000,
        "ref1": "BK2569000001",
        "ref2": "EXCISE6",
        "gateway_charge_id": invoice.gateway_charge_id,
    }


@pytest.mark.parametrize("amount", [0, -100, 10.5, True])
def test_invoice_with_a_non_positive_or_non_integer_amount_is_refused_and_nothing_is_written(make_invoice, amount):
    with pytest.raises(ApplicationError) as caught:
        make_invoice(amount_satang=amount)
    assert (caught.value.code, caught.value.status, caught.value.field) == (
        "invalid_amount",
        422,
        "amount_satang",
    )
    assert (Invoice.objects.count(), InvoiceCounter.objects.count(), AuditEntry.objects.count()) == (0, 0, 0)


@pytest.mark.parametrize("ref1", ["", "bk2569", "BK-2569-1", "B" * 21])
def test_invoice_with_an_invalid_ref1_is_refused_and_nothing_is_written(make_invoice, ref1):
    with pytest.raises(ApplicationError) as caught:
        make_invoice(ref1=ref1)
    assert (caught.value.code, caught.value.field) == ("invalid_payment_reference", "ref1")
    assert (Invoice.objects.count(), AuditEntry.objects.count()) == (0, 0)


def test_a_second_open_invoice_for_the_same_references_is_refused(make_invoice):
    first = make_invoice()
    with pytest.raises(ApplicationError) as caught:
        make_invoice(case_ref=first.case_ref)
    assert (caught.value.code, caught.value.status) == ("invoice_already_open", 409)
    assert list(Invoice.objects.values_list("number", flat=True)) == [first.number]


def test_a_new_invoice_may_follow_a_cancelled_one(make_invoice, officer):
    first = make_invoice()
    invoice_cancel(actor=officer, invoice=first, reason="ยื่นผิดประเภท")
    second = make_invoice(case_ref=first.case_ref)
    assert (second.status, second.ref1, second.ref2) == (InvoiceStatus.OPEN, first.ref1, first.ref2)
    assert invoice_for_case(case_ref=first.case_ref) == second


def test_cancelling_an_invoice_that_is_not_open_is_refused(make_invoice, officer):
    invoice = make_invoice()
    invoice_cancel(actor=officer, invoice=invoice, reason="withdrawn")
    with pytest.raises(ApplicationError) as caught:
        invoice_cancel(actor=officer, invoice=invoice, reason="again")
    assert caught.value.code == "invoice_not_open"
    assert AuditEntry.objects.filter(action="invoice.cancelled").count() == 1


def test_unreachable_gateway_refuses_the_invoice_and_writes_nothing(make_invoice, settings):
    settings.BORIKAN_GATEWAY_URL = f"http://127.0.0.1:{free_port()}"
    with pytest.raises(ApplicationError) as caught:
        make_invoice()
    assert (caught.value.code, caught.value.status) == ("payment_gateway_unavailable", 503)
    assert (Invoice.objects.count(), InvoiceCounter.objects.count(), AuditEntry.objects.count()) == (0, 0, 0)


def test_gateway_refusing_our_api_key_refuses_the_invoice_and_writes_nothing(make_invoice, settings):
    settings.BORIKAN_GATEWAY_API_KEY = "not-the-key"
    with pytest.raises(ApplicationError) as caught:
        make_invoice()
    assert (caught.value.code, caught.value.status) == ("payment_gateway_unavailable", 502)
    assert (Invoice.objects.count(), AuditEntry.objects.count()) == (0, 0)


def test_invoice_for_case_is_none_for_an_unknown_case(make_invoice):
    make_invoice()
    assert invoice_for_case(case_ref="no-such-case") is None


def test_the_database_refuses_a_non_positive_invoice_amount(make_invoice):
    invoice = make_invoice()
    with pytest.raises(IntegrityError):
        Invoice.objects.filter(pk=invoice.pk).update(amount_satang=0)


def test_the_database_refuses_an_unknown_invoice_status(make_invoice):
    invoice = make_invoice()
    with pytest.raises(IntegrityError):
        Invoice.objects.filter(pk=invoice.pk).update(status="refunded")


def test_invoice_create_takes_an_explicit_due_date(bank_gateway, agency, payer, officer):
    invoice = invoice_create(
        actor=officer,
        case_ref="case-1",
        agency=agency,
        payer=payer,
        amount_satang=10_000,
        ref1="BK2569000009",
        description="ค่าธรรมเนียม",
        due_date=dt.date(2026, 12, 31),
    )
    assert invoice.due_date == dt.date(2026, 12, 31)
