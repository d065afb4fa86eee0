from django.http import HttpRequest
from django.urls import reverse
from ninja import Router

from borikan.identity.apiauth import api_auth

from . import promptpay, selectors, services
from .gateway import SIGNATURE_HEADER
from .models import Invoice, InvoiceStatus
from .schemas import InvoiceOut, ReceiptOut, WebhookOut

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
            promptpay.qr_svg_data_uri(invoice.qr_payload) if invoice.status == InvoiceStatus.OPEN else None
        ),
    }


@router.get(
    "/invoices/{number}",
    auth=api_auth,
    response=InvoiceOut,
    url_name="payments_invoice",
    summary="An invoice with its Thai QR (for the payer or staff of the invoice's agency)",
)
def invoice_detail(request: HttpRequest, number: str) -> dict:
    return _invoice_out(selectors.access_invoice_for_user(user=request.auth, number=number))


@router.get(
    "/receipts/{number}",
    auth=api_auth,
    response=ReceiptOut,
    url_name="payments_receipt",
    summary="An electronic receipt (for the payer or staff of its agency), with a link to its PDF",
)
def receipt_detail(request: HttpRequest, number: str) -> dict:
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
        "pdf_url": reverse("payments:receipt_pdf", args=[receipt.number]),
    }
