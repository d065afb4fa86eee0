import datetime as dt
from decimal import Decimal, InvalidOperation

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import get_language
from django.utils.translation import gettext as _

from borikan.agencies.models import Agency, StaffRole
from borikan.agencies.selectors import staff_agency_ids, staff_roles
from borikan.core.errors import ApplicationError, NotFound
from borikan.core.thaidate import parse_typed_date, thai_date

from . import promptpay, receipts, reconciliation, refunds, selectors, services
from .channels import CHANNELS
from .models import CounterMethod, InvoiceStatus, LineStatus, PaymentChannel, RefundStatus
from .services import held_payment_agency_id
from .states import CHARGE


def _baht(satang: int) -> str:
    sign, satang = ("-", -satang) if satang < 0 else ("", satang)
    return f"{sign}{satang // 100:,}.{satang % 100:02d}"


def invoice_detail(request: HttpRequest, number: str) -> HttpResponse:
    """The payer's (or agency staff's) view of one invoice, with the Thai QR to scan while it is open."""
    try:
        invoice = selectors.access_invoice_for_user(user=request.user, number=number)
    except NotFound as exc:
        raise Http404(exc.message) from exc
    payable_by_qr = invoice.status == InvoiceStatus.OPEN and bool(invoice.qr_payload)  # never once it is paid
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
            "refunds": [
                {
                    "refund": refund,
                    "amount_baht": _baht(refund.amount_satang),
                    "at_counter": refund.payment.channel == PaymentChannel.COUNTER,
                    "awaiting_payout": refund.payment.channel == PaymentChannel.COUNTER
                    and refund.status == RefundStatus.APPROVED,
                }
                for refund in invoice.refunds.select_related("requested_by", "decided_by", "payment")
            ],
            "is_staff": selectors.is_invoice_staff(user=request.user, invoice=invoice),
            # Officers and approvers of the agency take the fee at the counter (services.counter_payment_record).
            "takes_counter_payments": invoice.status == InvoiceStatus.OPEN
            and bool(
                staff_roles(user=request.user, agency_id=invoice.agency_id) & {StaffRole.OFFICER, StaffRole.APPROVER}
            ),
            "counter_methods": CounterMethod.choices,
            "charges": (
                [
                    {
                        "charge": charge,
                        "channel_label": _channel_label(charge.channel),
                        "status_label": _charge_status_label(charge.status),
                    }
                    for charge in invoice.charges.all()
                ]
                if selectors.is_invoice_staff(user=request.user, invoice=invoice)
                else None
            ),
            "qr_data_uri": promptpay.qr_svg_data_uri(invoice.qr_payload) if payable_by_qr else None,
            # The same QR as a picture to keep: a payer on a phone saves it and picks it in the banking app.
            "qr_png_data_uri": promptpay.qr_png_data_uri(invoice.qr_payload) if payable_by_qr else None,
        },
    )


def _takes_payments(request: HttpRequest, invoice) -> bool:
    return bool(staff_roles(user=request.user, agency_id=invoice.agency_id) & {StaffRole.OFFICER, StaffRole.APPROVER})


def _channel_label(code: str) -> str:
    adapter = CHANNELS[code]
    return adapter.label_th if (get_language() or "th").startswith("th") else adapter.label_en


def _charge_status_label(status: str) -> str:
    return CHARGE.label_th(status) if (get_language() or "th").startswith("th") else CHARGE.label_en(status)


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
            "channel_label": _channel_label(receipt.payment.channel),
            "at_counter": receipt.payment.channel == PaymentChannel.COUNTER,
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
            day = parse_typed_date(request.POST.get("date", ""))
        except ValueError:
            error = _("Enter the settlement date as day/month/Buddhist-Era year, for example 15/08/2569.")
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


def _satang_from_baht(text: str) -> int | None:
    try:
        amount = Decimal((text or "").replace(",", "").strip())
        if not amount.is_finite() or amount != amount.quantize(Decimal("0.01")) or abs(amount) > 10**12:
            return None
    except InvalidOperation:
        return None
    return int(amount * 100)


def invoice_refund_request(request: HttpRequest, number: str) -> HttpResponse:
    """Staff ask to refund part or all of a paid invoice (a form on the invoice page); another approver decides."""
    if request.method == "POST":
        amount = _satang_from_baht(request.POST.get("amount_baht", ""))
        try:
            refund = refunds.refund_request(
                actor=request.user,
                invoice_number=number,
                amount_satang=amount if amount is not None else 0,
                reason=request.POST.get("reason", ""),
            )
        except NotFound as exc:
            raise Http404(exc.message) from exc
        except ApplicationError as exc:
            messages.error(request, exc.message)
        else:
            messages.success(
                request,
                _("Refund %(reference)s requested; an approver must approve it.") % {"reference": refund.reference},
            )
    return redirect("payments:invoice", number=number)


def refund_decide(request: HttpRequest, pk: int) -> HttpResponse:
    """An approver (not the requester) approves — the refund is then sent to the bank — or rejects with a reason."""
    refund = refunds.refund_for_staff_page(actor=request.user, refund_id=pk)
    if refund is None:
        raise Http404
    if request.method == "POST":
        decide = refunds.refund_approve if request.POST.get("decision") == "approve" else refunds.refund_reject
        try:
            decided = decide(actor=request.user, refund_id=pk, reason=request.POST.get("reason", ""))
        except NotFound as exc:
            raise Http404(exc.message) from exc
        except ApplicationError as exc:
            messages.error(request, exc.message)
        else:
            messages.success(
                request,
                _("Refund %(reference)s: %(status)s.")
                % {"reference": decided.reference, "status": decided.get_status_display()},
            )
    return redirect("payments:invoice", number=refund.invoice.number)


def held_payments(request: HttpRequest) -> HttpResponse:
    """Officers: money the bank reported that could not be posted, to accept or close with a note."""
    try:
        held = selectors.held_payments_for_staff(user=request.user)
    except NotFound as exc:
        raise Http404(exc.message) from exc
    # Settling one is for its agency's officers and approvers (services.held_payment_resolve); an admin only sees it.
    resolving = staff_agency_ids(user=request.user, roles=[StaffRole.OFFICER, StaffRole.APPROVER])
    return render(
        request,
        "payments/held_payments.html",
        {
            "held": [
                {
                    "item": item,
                    "amount_baht": _baht(item.amount_satang),
                    "can_resolve": held_payment_agency_id(item) in resolving,
                }
                for item in held
            ]
        },
    )


def held_payment_resolve(request: HttpRequest, pk: int) -> HttpResponse:
    if request.method == "POST":
        try:
            resolved = services.held_payment_resolve(
                actor=request.user,
                held_id=pk,
                accept=request.POST.get("decision") == "accept",
                note=request.POST.get("note", ""),
            )
        except NotFound as exc:
            raise Http404(exc.message) from exc
        except ApplicationError as exc:
            messages.error(request, exc.message)
        else:
            messages.success(
                request,
                _("Held payment %(txn)s: %(resolution)s.")
                % {"txn": resolved.gateway_txn_id, "resolution": resolved.get_resolution_display()},
            )
    return redirect("payments:held_payments")


# --- the counter --------------------------------------------------------------------------------------------------


def invoice_counter_payment(request: HttpRequest, number: str) -> HttpResponse:
    """An officer records the fee taken at the counter (a form on the invoice page); then prints the receipt."""
    if request.method != "POST":
        return redirect("payments:invoice", number=number)
    amount = _satang_from_baht(request.POST.get("amount_baht", ""))
    try:
        posted = services.counter_payment_record(
            actor=request.user,
            invoice_number=number,
            amount_satang=amount if amount is not None else 0,
            method=request.POST.get("method", ""),
            note=request.POST.get("note", ""),
        )
    except NotFound as exc:
        raise Http404(exc.message) from exc
    except ApplicationError as exc:
        messages.error(request, exc.message)
        return redirect("payments:invoice", number=number)
    messages.success(
        request,
        _("Payment recorded. Print receipt %(receipt)s for the payer.") % {"receipt": posted.receipt.number},
    )
    return redirect("payments:receipt", number=posted.receipt.number)


def refund_pay_out(request: HttpRequest, pk: int) -> HttpResponse:
    """An officer records an approved refund of a counter payment as handed back at the counter."""
    refund = refunds.refund_for_staff_page(actor=request.user, refund_id=pk)
    if refund is None:
        raise Http404
    if request.method == "POST":
        try:
            paid = refunds.refund_pay_out(actor=request.user, refund_id=pk, note=request.POST.get("note", ""))
        except NotFound as exc:
            raise Http404(exc.message) from exc
        except ApplicationError as exc:
            messages.error(request, exc.message)
        else:
            messages.success(
                request, _("Refund %(reference)s paid out at the counter.") % {"reference": paid.reference}
            )
    return redirect("payments:invoice", number=refund.invoice.number)


def _day_sheet_request(request: HttpRequest) -> tuple[list[Agency], Agency | None, dt.date]:
    agencies = list(
        Agency.objects.filter(pk__in=staff_agency_ids(user=request.user, roles=reconciliation.RECONCILING_ROLES))
    )
    if not agencies:
        raise Http404
    code = request.GET.get("agency") or agencies[0].code
    chosen = next((agency for agency in agencies if agency.code == code), None)
    try:
        day = parse_typed_date(request.GET.get("date", ""))
    except ValueError:
        day = timezone.localdate()
    return agencies, chosen, day


def counter_day_sheet(request: HttpRequest) -> HttpResponse:
    """Agency staff: what the counter took and handed back on a day, to check against the drawer and the card
    terminal (bank payments are reconciled against the bank's statement instead)."""
    agencies, chosen, day = _day_sheet_request(request)
    if chosen is None:
        raise Http404
    try:
        sheet = reconciliation.counter_day_sheet(actor=request.user, agency_code=chosen.code, day=day)
    except NotFound as exc:
        raise Http404(exc.message) from exc
    return render(
        request,
        "payments/counter_day_sheet.html",
        {
            "agencies": agencies,
            "sheet": sheet,
            "day_th": thai_date(day),
            "rows": [
                {"line": line, "amount_baht": _baht(line.amount_satang), "at": timezone.localtime(line.at)}
                for line in sheet.lines
            ],
            "totals": {name: _baht(amount) for name, amount in sheet.totals.items()},
        },
    )


def counter_day_sheet_export(request: HttpRequest) -> HttpResponse:
    _agencies, chosen, day = _day_sheet_request(request)
    if chosen is None:
        raise Http404
    try:
        sheet = reconciliation.counter_day_sheet(actor=request.user, agency_code=chosen.code, day=day)
    except NotFound as exc:
        raise Http404(exc.message) from exc
    response = HttpResponse(reconciliation.day_sheet_csv(sheet), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="counter-{sheet.agency.code}-{sheet.day}.csv"'
    response["Cache-Control"] = "private, no-store"
    return response


# --- fee schedule (agency admins) ------------------------------------------------------------------------------

_SCHEDULE_FIELDS = {"base_satang": "base_baht", "unit_satang": "unit_baht"}


def _fee_forms(request: HttpRequest, current: dict):
    from .forms import ExemptionFormSet, FeeScheduleForm, TierFormSet, baht

    if request.method == "POST":
        return (
            FeeScheduleForm(request.POST),
            TierFormSet(request.POST, prefix="tiers"),
            ExemptionFormSet(request.POST, prefix="exemptions"),
        )
    initial = {
        **{key: current[key] for key in ("kind", "quantity_field", "unit_name_th", "unit_name_en", "legal_basis_th")},
        "base_baht": baht(current["base_satang"]),
        "unit_baht": baht(current["unit_satang"]) if current["unit_satang"] else None,
        "max_quantity": current["max_quantity"],
    }
    tiers = [{"up_to": tier.get("up_to"), "amount_baht": baht(tier.get("satang"))} for tier in current["tiers"]]
    exemptions = [
        {
            name: getattr(exemption, name)
            for name in ("code", "category", "name_th", "name_en", "percent", "legal_basis_th", "evidence_th")
        }
        for exemption in current["exemptions"]
    ]
    return (
        FeeScheduleForm(initial=initial),
        TierFormSet(initial=tiers, prefix="tiers"),
        ExemptionFormSet(initial=exemptions, prefix="exemptions"),
    )


def _show_refusal(error: ApplicationError, form, exemption_forms: list) -> None:
    """Put the service's refusal beside the field it names (the page's names for the API's)."""
    field = error.field or ""
    if field.startswith("exemptions[") and "]" in field:
        index, _dot, name = field[len("exemptions[") :].partition("]")
        name = name.lstrip(".")
        if index.isdigit() and int(index) < len(exemption_forms):
            target = exemption_forms[int(index)]
            target.add_error(name if name in target.fields else None, error.message)
            return
    field = _SCHEDULE_FIELDS.get(field, field)
    form.add_error(field if field in form.fields else None, error.message)


def fee_schedule_edit(request: HttpRequest, slug: str) -> HttpResponse:
    """An agency admin sees and sets how a service's fee is computed and who is exempted, with the law for each.
    The rules are the service function's, the same the API calls (and it audits the change)."""
    from django.core.exceptions import PermissionDenied as DjangoPermissionDenied

    from borikan.core.errors import PermissionDenied

    from . import fee_services
    from .forms import KIND_LABELS, satang

    try:
        service = selectors.fee_schedule_service_for_admin(user=request.user, slug=slug)
    except NotFound as exc:
        raise Http404(exc.message) from exc
    except PermissionDenied as exc:
        raise DjangoPermissionDenied(exc.message) from exc
    from .extension import number_fields

    current = selectors.fee_schedule_current(service=service)
    form, tiers, exemptions = _fee_forms(request, current)
    form.fields["quantity_field"].widget.attrs["list"] = "quantity-fields"  # the form's number fields, suggested
    status = 200
    if request.method == "POST":
        if form.is_valid() and tiers.is_valid() and exemptions.is_valid():
            data = form.cleaned_data
            exemption_forms = [item for item in exemptions.forms if not item.is_blank()]
            try:
                fee_services.fee_schedule_set(
                    actor=request.user,
                    service=service,
                    kind=data["kind"],
                    legal_basis_th=data["legal_basis_th"],
                    base_satang=satang(data["base_baht"]),
                    unit_satang=satang(data["unit_baht"]),
                    quantity_field=data["quantity_field"],
                    unit_name_th=data["unit_name_th"],
                    unit_name_en=data["unit_name_en"],
                    max_quantity=10_000 if data["max_quantity"] is None else data["max_quantity"],
                    tiers=[
                        {"up_to": tier.cleaned_data["up_to"], "satang": satang(tier.cleaned_data["amount_baht"])}
                        for tier in tiers.forms
                        if not tier.is_blank()
                    ],
                    exemptions=[
                        {
                            **{key: value for key, value in item.cleaned_data.items() if key != "DELETE"},
                            "percent": 100 if item.cleaned_data["percent"] is None else item.cleaned_data["percent"],
                        }
                        for item in exemption_forms
                    ],
                )
            except NotFound as exc:
                raise Http404(exc.message) from exc
            except PermissionDenied as exc:
                raise DjangoPermissionDenied(exc.message) from exc
            except ApplicationError as error:
                _show_refusal(error, form, exemption_forms)
                status = error.status
            else:
                messages.success(request, _("The fee schedule is saved."))
                return redirect("payments:fee_schedule", slug=service.slug)
        else:
            status = 422
    return render(
        request,
        "payments/fee_schedule.html",
        {
            "service": service,
            "current": current,
            "kind_label": KIND_LABELS.get(current["kind"], current["kind"]),
            "base_baht": _baht(current["base_satang"]),
            "unit_baht": _baht(current["unit_satang"]),
            "tier_rows": [
                {"up_to": tier.get("up_to"), "amount_baht": _baht(tier.get("satang") or 0)} for tier in current["tiers"]
            ],
            "form": form,
            "number_fields": number_fields(service=service),
            "tiers": tiers,
            "exemptions": exemptions,
        },
        status=status,
    )
