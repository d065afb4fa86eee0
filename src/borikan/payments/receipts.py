"""The receipt as a PDF: the documents app's A4 renderer (Thai font, B.E. dates, a QR to the receipt's page)."""

from __future__ import annotations

from django.conf import settings
from django.urls import reverse
from django.utils import timezone

from borikan.documents.rendering import render_document_pdf

from .channels import CHANNELS
from .models import Receipt


def baht(satang: int) -> str:
    sign, satang = ("-", -satang) if satang < 0 else ("", satang)
    return f"{sign}{satang // 100:,}.{satang % 100:02d}"


def receipt_url(receipt: Receipt) -> str:
    return settings.BORIKAN_PUBLIC_BASE_URL.rstrip("/") + reverse("payments:receipt", args=[receipt.number])


def receipt_pdf(receipt: Receipt) -> bytes:
    invoice = receipt.invoice
    paid_on = timezone.localtime(receipt.paid_at).date()
    fields = [
        ("ใบแจ้งชำระเงิน / Invoice", invoice.number),
        ("รายการ / For", invoice.description),
    ]
    fields += [
        (f"{line.label_th}" + (f" × {line.quantity}" if line.quantity != 1 else ""), f"{baht(line.amount_satang)} บาท")
        for line in invoice.lines.all()
    ]
    fields += [
        ("จำนวนเงินที่รับ / Amount received", f"{baht(receipt.amount_satang)} บาท (THB)"),
        ("เลขอ้างอิง / References", f"{invoice.ref1} / {invoice.ref2}"),
    ]
    payment = receipt.payment
    adapter = CHANNELS[payment.channel]
    if adapter.recorded_by_staff:
        method = payment.charge.get_method_display() if payment.charge_id else ""
        method_th = {"cash": "เงินสด", "card": "บัตร"}.get(payment.charge.method if payment.charge_id else "", "")
        fields += [
            ("ช่องทาง / Paid through", f"{adapter.label_th} ({method_th}) / {adapter.label_en} ({method})"),
            ("เลขอ้างอิงเคาน์เตอร์ / Counter reference", payment.gateway_txn_id),
        ]
    else:
        fields += [
            ("ช่องทาง / Paid through", f"{adapter.label_th} / {adapter.label_en}"),
            ("เลขที่รายการธนาคาร / Bank transaction", payment.gateway_txn_id),
        ]
    fields += [
        ("ปีงบประมาณ / Fiscal year", str(receipt.fiscal_year)),
    ]
    return render_document_pdf(
        number=receipt.number,
        title_th="ใบเสร็จรับเงิน (อิเล็กทรอนิกส์)",
        title_en="Electronic receipt",
        holder_name=receipt.payer.full_name or receipt.payer.email,
        fields=fields,
        agency_name_th=receipt.agency.name_th,
        agency_name_en=receipt.agency.name_en,
        issued_on=paid_on,
        valid_from=paid_on,
        valid_until=None,
        verification_url=receipt_url(receipt),
    )
