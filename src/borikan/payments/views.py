from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.utils.translation import gettext as _

from borikan.core.errors import NotFound
from borikan.core.thaidate import thai_date

from . import promptpay, receipts, selectors
from .models import InvoiceStatus


def _baht(satang: int) -> str:
    sign, satang = ("-", -satang) if satang < 0 else ("", satang)
    return f"{sign}{satang // 100:,}.{satang % 100:02d}"


def invoice_detail(request: HttpRequest, number: str) -> HttpResponse:
    """The payer's (or agency staff's) view of one invoice, with the Thai QR to scan while it is open."""
    try:
        invoice = selectors.access_invoice_for_user(user=request.user, number=number)
    except NotFound as exc:
        raise Http404(exc.message) from exc
    status_labels = {
        InvoiceStatus.OPEN: _("Awaiting payment"),
        InvoiceStatus.PAID: _("Paid"),
        InvoiceStatus.CANCELLED: _("Cancelled"),
    }
    return render(
        request,
        "payments/invoice_detail.html",
        {
            "invoice": invoice,
            "amount_baht": _baht(invoice.amount_satang),
            "due_date_th": thai_date(invoice.due_date),
            "status_label": status_labels[InvoiceStatus(invoice.status)],
            "lines": [
                {"line": line, "amount_baht": _baht(line.amount_satang), "unit_baht": _baht(line.unit_satang)}
                for line in invoice.lines.all()
            ],
            "claims": (
                selectors.exemption_claims_for_case(case_ref=invoice.case_ref)
                if selectors.is_invoice_staff(user=request.user, invoice=invoice)
                else None
            ),
            "receipt": selectors.receipt_for_invoice(invoice=invoice),
            "qr_data_uri": (
                promptpay.qr_svg_data_uri(invoice.qr_payload) if invoice.status == InvoiceStatus.OPEN else None
            ),
        },
    )


def _receipt_or_404(request: HttpRequest, number: str):
    try:
        return selectors.access_receipt_for_user(user=request.user, number=number)
    except NotFound as exc:
        raise Http404(exc.message) from exc


def receipt_detail(request: HttpRequest, number: str) -> HttpResponse:
    """The electronic receipt of a posted payment, for its payer or the agency's staff."""
    receipt = _receipt_or_404(request, number)
    invoice = receipt.invoice
    paid_local = timezone.localtime(receipt.paid_at)
    return render(
        request,
        "payments/receipt_detail.html",
        {
            "receipt": receipt,
            "invoice": invoice,
            "amount_baht": _baht(receipt.amount_satang),
            "paid_on_th": thai_date(paid_local.date()),
            "paid_local": paid_local,
            "lines": [
                {"line": line, "amount_baht": _baht(line.amount_satang), "unit_baht": _baht(line.unit_satang)}
                for line in invoice.lines.all()
            ],
        },
    )


def receipt_pdf(request: HttpRequest, number: str) -> HttpResponse:
    receipt = _receipt_or_404(request, number)
    response = HttpResponse(receipts.receipt_pdf(receipt), content_type="application/pdf")
    response["Content-Disposition"] = f'inline; filename="{receipt.number}.pdf"'
    response["Cache-Control"] = "private, no-store"
    return response
