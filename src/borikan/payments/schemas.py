import datetime as dt
from typing import Any

from ninja import Schema
from pydantic import Field

from borikan.core.fields import Code, Count, Label, Percent, Satang, Text


class InvoiceLineOut(Schema):
    kind: str
    label_th: str
    label_en: str
    quantity: int
    unit_satang: int
    amount_satang: int
    legal_basis_th: str


class InvoiceOut(Schema):
    number: str
    case_ref: str
    agency_code: str
    description: str
    amount_satang: int
    ref1: str
    ref2: str
    due_date: dt.date
    status: str
    paid_at: dt.datetime | None
    qr_payload: str
    lines: list[InvoiceLineOut]
    receipt_number: str | None
    # Only while the invoice is open: a paid or cancelled invoice shows no payable QR.
    qr_svg_data_uri: str | None


class WebhookOut(Schema):
    outcome: str


class ReceiptOut(Schema):
    number: str
    fiscal_year: int
    agency_code: str
    invoice_number: str
    amount_satang: int
    paid_at: dt.datetime
    issued_at: dt.datetime
    gateway_txn_id: str  # the channel's transaction id: the bank's, or the counter charge's reference
    channel: str
    pdf_url: str


class RefundIn(Schema):
    amount_satang: Satang
    reason: Text


class DecisionIn(Schema):
    reason: Text = ""


class RefundOut(Schema):
    id: int
    reference: str
    invoice_number: str
    amount_satang: int
    reason: str
    status: str
    requested_at: dt.datetime
    decided_at: dt.datetime | None
    completed_at: dt.datetime | None
    failure_reason: str
    remaining_satang: int
    channel: str  # where the money goes back: thai_qr (by the bank) or counter (handed back by an officer)


class ExemptionSchema(Schema):
    code: Code
    category: Code
    name_th: Label
    name_en: Label = ""
    percent: Percent = 100
    legal_basis_th: Text
    evidence_th: Label = ""


class FeeScheduleIn(Schema):
    kind: Code
    legal_basis_th: Text
    base_satang: Satang = 0
    unit_satang: Satang = 0
    quantity_field: Code = ""
    unit_name_th: Label = ""
    unit_name_en: Label = ""
    max_quantity: Count = 10_000
    tiers: list[dict[str, Any]] = Field([], max_length=50)
    exemptions: list[dict[str, Any]] = Field([], max_length=50)


class FeeScheduleOut(Schema):
    service: str
    kind: str
    legal_basis_th: str
    base_satang: int
    unit_satang: int
    quantity_field: str
    unit_name_th: str
    unit_name_en: str
    max_quantity: int
    tiers: list[dict[str, Any]]
    exemptions: list[ExemptionSchema]


class FeeQuoteIn(Schema):
    form_data: dict[str, Any] = {}
    exemptions: list[Code] = Field([], max_length=20)


class FeeLineOut(Schema):
    kind: str
    label_th: str
    label_en: str
    quantity: int
    unit_satang: int
    amount_satang: int
    legal_basis_th: str


class FeeQuoteOut(Schema):
    lines: list[FeeLineOut]
    subtotal_satang: int
    total_satang: int
    exemption: str | None
    payment_needed: bool


class ClaimDecisionIn(Schema):
    accept: bool
    reason: Text = ""


class ExemptionClaimOut(Schema):
    id: int
    case_ref: str
    exemption: str
    status: str
    decision_reason: str


class ChargeOut(Schema):
    channel: str
    reference: str
    status: str
    status_label_th: str
    status_label_en: str
    amount_satang: int
    method: str
    created_at: dt.datetime
    paid_at: dt.datetime | None
    closed_at: dt.datetime | None


class CounterPaymentIn(Schema):
    amount_satang: Satang
    method: Code  # cash / card
    note: Text = ""


class CounterPaymentOut(Schema):
    invoice_number: str
    charge: ChargeOut
    receipt_number: str
    receipt_url: str
    receipt_pdf_url: str


class PayOutIn(Schema):
    note: Text = ""


class DaySheetLineOut(Schema):
    record_type: str
    at: dt.datetime
    reference: str
    invoice_number: str
    receipt_number: str
    method: str
    amount_satang: int
    officer: str


class DaySheetOut(Schema):
    agency_code: str
    date: dt.date
    lines: list[DaySheetLineOut]
    totals: dict[str, int]
