"""Reads about invoices, and the one access check every page and endpoint uses to load an invoice."""

from __future__ import annotations

from typing import Any

from borikan.agencies.selectors import staff_agency_ids
from borikan.audit.services import audit_record
from borikan.core.errors import NotFound

from .models import ExemptionClaim, Invoice, InvoiceStatus, Receipt


def invoice_for_case(*, case_ref: str) -> Invoice | None:
    """The case's current invoice: the newest one that is open or paid (cancelled ones are history)."""
    return (
        Invoice.objects.filter(case_ref=case_ref, status__in=[InvoiceStatus.OPEN, InvoiceStatus.PAID])
        .select_related("agency")
        .order_by("-created_at", "-id")
        .first()
    )


def access_invoice_for_user(*, user: Any, number: str) -> Invoice:
    """The invoice if `user` is its payer or staff of its agency; NotFound otherwise (missing looks the same).

    A read by anyone other than the payer is recorded in the audit log, so the citizen can see it.
    """
    invoice = Invoice.objects.select_related("agency").filter(number=number).first()
    if invoice is None or not getattr(user, "is_authenticated", False):
        raise NotFound("invoice", "ใบแจ้งชำระเงิน")
    if invoice.payer_id == user.pk:
        return invoice
    if invoice.agency_id not in staff_agency_ids(user=user):
        raise NotFound("invoice", "ใบแจ้งชำระเงิน")
    audit_record(
        actor=user,
        action="invoice.viewed",
        object_type="invoice",
        object_id=invoice.number,
        subject_user_id=invoice.payer_id,
    )
    return invoice


def exemption_claims_for_case(*, case_ref: str) -> list[ExemptionClaim]:
    """The exemptions the applicant claimed for a case, with the rule and its legal basis (for the officer)."""
    return list(ExemptionClaim.objects.filter(case_ref=case_ref).select_related("exemption", "decided_by"))


def is_invoice_staff(*, user: Any, invoice: Invoice) -> bool:
    return invoice.agency_id in staff_agency_ids(user=user)


def access_receipt_for_user(*, user: Any, number: str) -> Receipt:
    """The receipt if `user` is its payer or staff of its agency; NotFound otherwise. Staff reads are audited."""
    receipt = Receipt.objects.select_related("agency", "invoice", "payment", "payer").filter(number=number).first()
    if receipt is None or not getattr(user, "is_authenticated", False):
        raise NotFound("receipt", "ใบเสร็จรับเงิน")
    if receipt.payer_id == user.pk:
        return receipt
    if receipt.agency_id not in staff_agency_ids(user=user):
        raise NotFound("receipt", "ใบเสร็จรับเงิน")
    audit_record(
        actor=user,
        action="receipt.viewed",
        object_type="receipt",
        object_id=receipt.number,
        subject_user_id=receipt.payer_id,
    )
    return receipt


def receipt_for_invoice(*, invoice: Invoice) -> Receipt | None:
    return Receipt.objects.filter(invoice=invoice).first()
