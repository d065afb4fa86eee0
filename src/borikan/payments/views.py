import datetime as dt

from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _

from borikan.core.errors import ApplicationError, NotFound
from borikan.core.thaidate import thai_date
from borikan.identity.enforcement import AssuranceRequired

from . import promptpay, receipts, reconciliation, selectors
from .models import InvoiceStatus, LineStatus


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


def reconciliation_list(request: HttpRequest) -> HttpResponse:
    """Agency staff: past reconciliation runs, and a form to reconcile a day (from the bank or an uploaded CSV)."""
    error = None
    if request.method == "POST":
        try:
            day = dt.date.fromisoformat(request.POST.get("date", ""))
        except ValueError:
            error = _("Enter the settlement date as YYYY-MM-DD.")
        else:
            upload = request.FILES.get("file")
            try:
                run = reconciliation.reconciliation_run(
                    actor=request.user,
                    day=day,
                    content=upload.read(reconciliation.MAX_FILE_BYTES + 1) if upload else None,
                    file_name=upload.name if upload else "",
                )
            except NotFound as exc:
                raise Http404(exc.message) from exc
            except AssuranceRequired:
                raise  # the identity middleware sends the person to step up and back
            except ApplicationError as exc:
                error = exc.message
            else:
                return redirect("payments:reconciliation_run", pk=run.pk)
    try:
        runs = reconciliation.runs_for_staff(user=request.user)
    except NotFound as exc:
        raise Http404(exc.message) from exc
    return render(
        request,
        "payments/reconciliation_list.html",
        {"runs": runs, "error": error, "today": timezone.localdate()},
        status=422 if error else 200,
    )


def reconciliation_run(request: HttpRequest, pk: int) -> HttpResponse:
    try:
        run, lines = reconciliation.run_for_staff(user=request.user, run_id=pk)
    except NotFound as exc:
        raise Http404(exc.message) from exc
    counts: dict[str, int] = dict.fromkeys(LineStatus.values, 0)
    for line in lines:
        counts[line.status] += 1
    return render(
        request,
        "payments/reconciliation_run.html",
        {
            "run": run,
            "lines": lines,
            "counts": [(LineStatus(status).label, status, count) for status, count in counts.items()],
        },
    )


def reconciliation_export(request: HttpRequest, pk: int) -> HttpResponse:
    try:
        run, lines = reconciliation.run_for_staff(user=request.user, run_id=pk)
    except NotFound as exc:
        raise Http404(exc.message) from exc
    response = HttpResponse(reconciliation.lines_csv(lines), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="reconciliation-{run.settlement_date}-{run.pk}.csv"'
    response["Cache-Control"] = "private, no-store"
    return response
