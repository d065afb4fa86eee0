import datetime as dt

from ninja import Schema


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
    # Only while the invoice is open: a paid or cancelled invoice shows no payable QR.
    qr_svg_data_uri: str | None


class WebhookOut(Schema):
    outcome: str
