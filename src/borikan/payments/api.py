import datetime as dt

from django.http import HttpRequest, HttpResponse
from django.urls import reverse
from ninja import Router, Status

from borikan.catalog.selectors import service_get, service_get_for_staff
from borikan.core.errors import ValidationFailed
from borikan.core.fields import PathCode, PathId
from borikan.identity.apiauth import api_auth

from . import fee_services, fees, promptpay, reconciliation, refunds, selectors, services
from .gateway import SIGNATURE_HEADER
from .models import Charge, FeeExemption, Invoice, InvoiceStatus, Refund
from .schemas import (
    ChargeOut,
    ClaimDecisionIn,
    CounterPaymentIn,
    CounterPaymentOut,
    DaySheetOut,
    DecisionIn,
    ExemptionClaimOut,
    FeeQuoteIn,
    FeeQuoteOut,
    FeeScheduleIn,
    FeeScheduleOut,
    InvoiceOut,
    PayOutIn,
    ReceiptOut,
    RefundIn,
    RefundOut,
    WebhookOut,
)
from .states import CHARGE

router = Router(tags=["payments"])


@router.post(
    "/webhooks/gateway",
    auth=None,
    response=WebhookOut,
    url_name="payments_gateway_webhook",
    summary="Payment notification from the gateway (HMAC-signed)",
    description="400: bad_signature, stale_webhook or malformed_webhook. 200: posted, held or duplicate.",
)
def gateway_webhook(request: HttpRequest) -> dict:
    result = services.webhook_receive(body=request.body, signature_header=request.headers.get(SIGNATURE_HEADER, ""))
    return {"outcome": result.outcome}


def _invoice_out(invoice: Invoice) -> dict:
    return {
        "number": invoice.number,
        "case_ref": invoice.case_ref,
        "agency_code": invoice.agency.code,
        "description": invoice.description,
        "amount_satang": invoice.amount_satang,
        "ref1": invoice.ref1,
        "ref2": invoice.ref2,
        "due_date": invoice.due_date,
        "status": invoice.status,
        "paid_at": invoice.paid_at,
        "qr_payload": invoice.qr_payload,
        "lines": list(invoice.lines.all()),
        "receipt_number": getattr(selectors.receipt_for_invoice(invoice=invoice), "number", None),
        "qr_svg_data_uri": (
            promptpay.qr_svg_data_uri(invoice.qr_payload)
            if invoice.status == InvoiceStatus.OPEN and invoice.qr_payload
            else None
        ),
    }


@router.get(
    "/invoices/{number}",
    auth=api_auth,
    response=InvoiceOut,
    url_name="payments_invoice",
    summary="An invoice with its Thai QR (for the payer or staff of the invoice's agency)",
)
def invoice_detail(request: HttpRequest, number: PathCode) -> dict:
    return _invoice_out(selectors.access_invoice_for_user(user=request.auth, number=number))


@router.get(
    "/receipts/{number}",
    auth=api_auth,
    response=ReceiptOut,
    url_name="payments_receipt",
    summary="An electronic receipt (for the payer or staff of its agency), with a link to its PDF",
)
def receipt_detail(request: HttpRequest, number: PathCode) -> dict:
    receipt = selectors.access_receipt_for_user(user=request.auth, number=number)
    return {
        "number": receipt.number,
        "fiscal_year": receipt.fiscal_year,
        "agency_code": receipt.agency.code,
        "invoice_number": receipt.invoice.number,
        "amount_satang": receipt.amount_satang,
        "paid_at": receipt.paid_at,
        "issued_at": receipt.issued_at,
        "gateway_txn_id": receipt.payment.gateway_txn_id,
        "channel": receipt.payment.channel,
        "pdf_url": reverse("payments:receipt_pdf", args=[receipt.number]),
    }


def _refund_out(refund: Refund) -> dict:
    return {
        "id": refund.pk,
        "reference": refund.reference,
        "invoice_number": refund.invoice.number,
        "amount_satang": refund.amount_satang,
        "reason": refund.reason,
        "status": refund.status,
        "requested_at": refund.created_at,
        "decided_at": refund.decided_at,
        "completed_at": refund.completed_at,
        "failure_reason": refund.failure_reason,
        "remaining_satang": refunds.refundable_satang(refund.payment),
        "channel": refund.payment.channel,
    }


@router.post(
    "/invoices/{number}/refunds",
    auth=api_auth,
    response={201: RefundOut},
    url_name="payments_refund_request",
    summary="Ask to refund (part of) a paid invoice (officer or approver of its agency); another approver approves",
    description="409 refund_exceeds_remaining when more than what is left is asked; 409 invoice_not_paid.",
)
def refund_request(request: HttpRequest, number: PathCode, payload: RefundIn):
    refund = refunds.refund_request(
        actor=request.auth, invoice_number=number, amount_satang=payload.amount_satang, reason=payload.reason
    )
    return Status(201, _refund_out(refund))


@router.get(
    "/invoices/{number}/refunds",
    auth=api_auth,
    response=list[RefundOut],
    url_name="payments_invoice_refunds",
    summary="Refunds of an invoice (for the payer or staff of its agency)",
)
def invoice_refunds(request: HttpRequest, number: PathCode) -> list[dict]:
    invoice = selectors.access_invoice_for_user(user=request.auth, number=number)
    return [_refund_out(refund) for refund in invoice.refunds.select_related("invoice", "payment")]


@router.post(
    "/refunds/{refund_id}/approve",
    auth=api_auth,
    response=RefundOut,
    url_name="payments_refund_approve",
    summary="Approve a refund (an approver other than the requester) and send it to the bank",
)
def refund_approve(request: HttpRequest, refund_id: PathId, payload: DecisionIn):
    return _refund_out(refunds.refund_approve(actor=request.auth, refund_id=refund_id, reason=payload.reason))


@router.post(
    "/refunds/{refund_id}/reject",
    auth=api_auth,
    response=RefundOut,
    url_name="payments_refund_reject",
    summary="Decline a refund with a reason (an approver other than the requester)",
)
def refund_reject(request: HttpRequest, refund_id: PathId, payload: DecisionIn):
    return _refund_out(refunds.refund_reject(actor=request.auth, refund_id=refund_id, reason=payload.reason))


@router.post(
    "/refunds/{refund_id}/send",
    auth=api_auth,
    response=RefundOut,
    url_name="payments_refund_send",
    summary="Send an approved refund to the bank again after a network failure (same idempotency key)",
)
def refund_send(request: HttpRequest, refund_id: PathId):
    refund = refunds.refund_visible_to_staff(actor=request.auth, refund_id=refund_id)
    return _refund_out(refunds.refund_submit(actor=request.auth, refund_id=refund.pk))


@router.post(
    "/refunds/{refund_id}/pay-out",
    auth=api_auth,
    response=RefundOut,
    url_name="payments_refund_pay_out",
    summary="Record an approved refund of a counter payment as handed back at the counter (officer or approver)",
    description="409 refund_not_at_counter for a bank payment's refund (the bank pays it back); 409 "
    "refund_not_approved when it is not approved or already paid out; 404 for staff of another agency.",
)
def refund_pay_out(request: HttpRequest, refund_id: PathId, payload: PayOutIn):
    return _refund_out(refunds.refund_pay_out(actor=request.auth, refund_id=refund_id, note=payload.note))


# --- channels: charges and the counter ------------------------------------------------------------------------


def _charge_out(charge: Charge) -> dict:
    return {
        "channel": charge.channel,
        "reference": charge.reference,
        "status": charge.status,
        "status_label_th": CHARGE.label_th(charge.status),
        "status_label_en": CHARGE.label_en(charge.status),
        "amount_satang": charge.amount_satang,
        "method": charge.method,
        "created_at": charge.created_at,
        "paid_at": charge.paid_at,
        "closed_at": charge.closed_at,
    }


@router.get(
    "/invoices/{number}/charges",
    auth=api_auth,
    response=list[ChargeOut],
    url_name="payments_invoice_charges",
    summary="The attempts to collect an invoice, one per channel tried (for the payer or staff of its agency)",
)
def invoice_charges(request: HttpRequest, number: PathCode) -> list[dict]:
    invoice = selectors.access_invoice_for_user(user=request.auth, number=number)
    return [_charge_out(charge) for charge in invoice.charges.all()]


@router.post(
    "/invoices/{number}/counter-payments",
    auth=api_auth,
    response={201: CounterPaymentOut},
    url_name="payments_counter_payment",
    summary="Record the fee taken at the counter, cash or card (officer or approver of the invoice's agency)",
    description="Posted exactly as a bank payment: invoice paid, receipt numbered, the case moves on. "
    "409 invoice_already_paid (once only; names the receipt), 409 invoice_not_open; 422 counter_amount_mismatch, "
    "invalid_counter_method, invalid_amount; 404 for anyone not staff of the invoice's agency.",
)
def counter_payment(request: HttpRequest, number: PathCode, payload: CounterPaymentIn):
    posted = services.counter_payment_record(
        actor=request.auth,
        invoice_number=number,
        amount_satang=payload.amount_satang,
        method=payload.method,
        note=payload.note,
    )
    return Status(
        201,
        {
            "invoice_number": number,
            "charge": _charge_out(posted.charge),
            "receipt_number": posted.receipt.number,
            "receipt_url": reverse("payments:receipt", args=[posted.receipt.number]),
            "receipt_pdf_url": reverse("payments:receipt_pdf", args=[posted.receipt.number]),
        },
    )


def _day_sheet_out(sheet: reconciliation.DaySheet) -> dict:
    return {
        "agency_code": sheet.agency.code,
        "date": sheet.day,
        "lines": sheet.lines,
        "totals": sheet.totals,
    }


@router.get(
    "/counter/day-sheet",
    auth=api_auth,
    response=DaySheetOut,
    url_name="payments_counter_day_sheet",
    summary="An agency's counter day-sheet: payments taken and refunds handed back that day, with totals",
    description="For staff of the agency (officer, approver, admin); 404 otherwise. Bank payments are not here.",
)
def counter_day_sheet(request: HttpRequest, agency: PathCode, date: dt.date) -> dict:
    return _day_sheet_out(reconciliation.counter_day_sheet(actor=request.auth, agency_code=agency, day=date))


@router.get(
    "/counter/day-sheet.csv",
    auth=api_auth,
    url_name="payments_counter_day_sheet_csv",
    summary="The counter day-sheet as CSV (satang; refunds negative; totals at the end)",
)
def counter_day_sheet_csv(request: HttpRequest, agency: PathCode, date: dt.date) -> HttpResponse:
    sheet = reconciliation.counter_day_sheet(actor=request.auth, agency_code=agency, day=date)
    response = HttpResponse(reconciliation.day_sheet_csv(sheet), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="counter-{sheet.agency.code}-{sheet.day}.csv"'
    response["Cache-Control"] = "private, no-store"
    return response


# --- fee schedules --------------------------------------------------------------------------------------------


def _schedule_out(service) -> dict:
    return selectors.fee_schedule_current(service=service)


@router.get(
    "/services/{slug}/fees",
    auth=api_auth,
    response=FeeScheduleOut,
    url_name="payments_fee_schedule",
    summary="How a service's fee is computed, and the exemptions with their legal basis",
)
def fee_schedule(request: HttpRequest, slug: PathCode) -> dict:
    return _schedule_out(service_get(slug=slug))


@router.put(
    "/services/{slug}/fees",
    auth=api_auth,
    response=FeeScheduleOut,
    url_name="payments_fee_schedule_set",
    summary="Set a service's fee schedule and exemptions (an admin of its agency)",
    description="422 invalid_fee_tiers, invalid_fee_kind, invalid_exemption, exemption_needs_legal_basis, ...; "
    "409 exemption_in_use.",
)
def fee_schedule_set(request: HttpRequest, slug: PathCode, payload: FeeScheduleIn) -> dict:
    service = service_get_for_staff(user=request.auth, slug=slug)
    fee_services.fee_schedule_set(actor=request.auth, service=service, **payload.model_dump())
    return _schedule_out(service)


@router.post(
    "/services/{slug}/fees/quote",
    auth=api_auth,
    response=FeeQuoteOut,
    url_name="payments_fee_quote",
    summary="The fee an application would be charged: computed lines and the exemption that would apply",
)
def fee_quote(request: HttpRequest, slug: PathCode, payload: FeeQuoteIn) -> dict:
    service = service_get(slug=slug)
    found = list(FeeExemption.objects.filter(schedule__service=service, code__in=payload.exemptions))
    unknown = sorted(set(payload.exemptions) - {e.code for e in found})
    if unknown:
        raise ValidationFailed(
            "unknown_exemption",
            "บริการนี้ไม่มีข้อยกเว้นค่าธรรมเนียมที่ขอ",
            f"This service has no fee exemption {', '.join(unknown)}",
            field="exemptions",
            details={"unknown": unknown},
        )
    assessment = fees.assess(service=service, form_data=payload.form_data, exemptions=found)
    return {
        "lines": assessment.lines,
        "subtotal_satang": assessment.subtotal_satang,
        "total_satang": assessment.total_satang,
        "exemption": assessment.exemption_code,
        "payment_needed": assessment.total_satang > 0,
    }


@router.post(
    "/exemption-claims/{claim_id}/decide",
    auth=api_auth,
    response=ExemptionClaimOut,
    url_name="payments_exemption_claim_decide",
    summary="Accept or reject an applicant's fee exemption claim (officer or approver of the service's agency)",
)
def exemption_claim_decide(request: HttpRequest, claim_id: PathId, payload: ClaimDecisionIn) -> dict:
    claim = fee_services.exemption_claim_decide(
        actor=request.auth, claim_id=claim_id, accept=payload.accept, reason=payload.reason
    )
    return {
        "id": claim.pk,
        "case_ref": claim.case_ref,
        "exemption": claim.exemption.code,
        "status": claim.status,
        "decision_reason": claim.decision_reason,
    }
