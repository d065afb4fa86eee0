"""The case lifecycle with the fee from the service's schedule: claimed exemptions, a fully exempt case issued
without a payment step, and a fee paid before review put up for refund when the application is rejected."""

from __future__ import annotations

import pytest
from django.utils import timezone

from borikan.applications.services import application_approve, application_reject, application_withdraw
from borikan.applications.tests.factories import make_application
from borikan.catalog.models import PaymentTiming, StepMode
from borikan.conftest import VALID_FORM, api_client_for, make_service
from borikan.payments.fee_services import fee_schedule_set
from borikan.payments.models import ExemptionClaim, Invoice, InvoiceStatus, Payment, Refund
from borikan.payments.tests.conftest import bank_gateway, sandbox_process  # noqa: F401 - fixtures

ACT = "กฎกระทรวงกำหนดค่าธรรมเนียม พ.ศ. 2560 ข้อ 3"
ELDERLY = {
    "code": "elderly",
    "category": "elderly",
    "name_th": "ผู้สูงอายุ (60 ปีขึ้นไป)",
    "name_en": "Elderly person (60 or over)",
    "percent": 100,
    "legal_basis_th": "พระราชบัญญัติผู้สูงอายุ พ.ศ. 2546 มาตรา 11",
    "evidence_th": "บัตรประจำตัวประชาชนแสดงวันเกิด",
}


def _fixed(service, satang: int = 20_000):
    if service.mode_payment != StepMode.ONLINE:
        service.mode_payment = StepMode.ONLINE  # paid online, by the schedule (no flat fee_satang)
        service.save(update_fields=["mode_payment"])
    return fee_schedule_set(
        actor=None, service=service, kind="fixed", base_satang=satang, legal_basis_th=ACT, exemptions=[ELDERLY]
    )


@pytest.mark.django_db
def test_exemptions_claimed_at_submission_are_recorded_for_the_officer(service, citizen):
    _fixed(service)
    api = api_client_for(citizen)
    app_id = api.post(
        "/api/v1/applications", {"service": service.slug, "form_data": VALID_FORM}, content_type="application/json"
    ).json()["id"]
    unknown = api.post(
        f"/api/v1/applications/{app_id}/submit", {"exemptions": ["friends"]}, content_type="application/json"
    )
    assert unknown.status_code == 422
    assert not ExemptionClaim.objects.exists()
    submitted = api.post(
        f"/api/v1/applications/{app_id}/submit",
        {"exemptions": ["elderly"], "exemption_note": "อายุ 67 ปี"},
        content_type="application/json",
    )
    assert submitted.status_code == 200, submitted.content
    assert ExemptionClaim.objects.get().exemption.code == "elderly"


@pytest.mark.django_db
def test_a_fully_exempt_case_is_issued_without_a_payment_step(
    agency, citizen, approver, django_capture_on_commit_callbacks
):
    service = make_service(agency, fee_satang=None)  # the fee comes from the schedule only
    _fixed(service)
    app = make_application(service=service, applicant=citizen, status="pending_approval")
    from borikan.payments.fee_services import exemption_claims_record

    exemption_claims_record(actor=citizen, case_ref=app.case_ref, service=service, codes=["elderly"])
    with django_capture_on_commit_callbacks(execute=False):
        decided = application_approve(actor=approver, application_id=app.pk)
    assert decided.status == "approved" and decided.fee_waived
    assert not Invoice.objects.exists()


@pytest.mark.django_db
@pytest.mark.usefixtures("bank_gateway")
def test_a_scheduled_fee_is_invoiced_with_its_lines(agency, citizen, approver, django_capture_on_commit_callbacks):
    service = make_service(agency, fee_satang=None)
    _fixed(service, 35_000)
    app = make_application(service=service, applicant=citizen, status="pending_approval")
    with django_capture_on_commit_callbacks(execute=True):  # the invoice is created after the move commits
        decided = application_approve(actor=approver, application_id=app.pk)
    assert decided.status == "awaiting_payment"
    assert Invoice.objects.get(case_ref=app.case_ref).amount_satang == 35_000


@pytest.mark.django_db
def test_rejecting_a_case_whose_fee_was_paid_puts_the_fee_up_for_refund(agency, citizen, approver):
    service = make_service(agency, payment_timing=PaymentTiming.BEFORE_REVIEW)
    app = make_application(service=service, applicant=citizen, status="pending_approval")
    # The fee was paid before review (the bank round trip is tested in payments): an invoice and its posting.
    invoice = Invoice.objects.create(
        number="INV-EXCISE-2569-000001", case_ref=app.case_ref, agency=agency, service=service, payer=citizen,
        description=service.name_th, amount_satang=165_000, ref1="EXCISE2569000001", ref2="EXCISE2",
        due_date=timezone.localdate(), qr_payload="-", gateway_charge_id="ch_test", status=InvoiceStatus.PAID,
        paid_at=timezone.now(),
    )  # fmt: skip
    Payment.objects.create(
        invoice=invoice, gateway_txn_id="txn_test", amount_satang=165_000, paid_at=timezone.now(), raw_notification={}
    )
    application_reject(actor=approver, application_id=app.pk, reason="ไม่ผ่านหลักเกณฑ์")
    refund = Refund.objects.get(invoice=invoice)
    assert refund.amount_satang == 165_000 and "ไม่ผ่านหลักเกณฑ์" in refund.reason
    assert refund.requested_by == approver  # another approver must approve it (payments: four eyes)


@pytest.mark.django_db
def test_withdrawing_after_paying_asks_for_the_refund_in_the_payers_name(agency, citizen):
    service = make_service(agency, payment_timing=PaymentTiming.BEFORE_REVIEW)
    app = make_application(service=service, applicant=citizen, status="paid")
    invoice = Invoice.objects.create(
        number="INV-EXCISE-2569-000002", case_ref=app.case_ref, agency=agency, service=service, payer=citizen,
        description=service.name_th, amount_satang=165_000, ref1="EXCISE2569000002", ref2="EXCISE2",
        due_date=timezone.localdate(), qr_payload="-", gateway_charge_id="ch_test2", status=InvoiceStatus.PAID,
        paid_at=timezone.now(),
    )  # fmt: skip
    Payment.objects.create(
        invoice=invoice, gateway_txn_id="txn_test2", amount_satang=165_000, paid_at=timezone.now(), raw_notification={}
    )
    withdrawn = application_withdraw(actor=citizen, application_id=app.pk, reason="เปลี่ยนใจ")
    assert withdrawn.status == "withdrawn"
    refund = Refund.objects.get(invoice=invoice)
    assert (refund.amount_satang, refund.requested_by) == (165_000, citizen)
    assert refund.decided_by is None  # an approver of the agency still has to agree
