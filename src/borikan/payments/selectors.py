"""Reads about invoices, and the one access check every page and endpoint uses to load an invoice."""

from __future__ import annotations

from typing import Any

from borikan.agencies.models import StaffRole
from borikan.agencies.selectors import staff_agency_ids
from borikan.audit.services import audit_record
from borikan.core.errors import NotFound
from borikan.identity.enforcement import Step, require_for_service, require_session, require_staff

from .models import ExemptionClaim, HeldPayment, Invoice, InvoiceStatus, Receipt
from .services import held_payment_agency_id


def invoice_for_case(*, case_ref: str) -> Invoice | None:
    """The case's current invoice: the newest one that is open or paid (cancelled ones are history)."""
    return (
        Invoice.objects.filter(case_ref=case_ref, status__in=[InvoiceStatus.OPEN, InvoiceStatus.PAID])
        .select_related("agency")
        .order_by("-created_at", "-id")
        .first()
    )


def require_to_pay(*, user: Any, invoice: Invoice) -> None:
    """Opening an open invoice to pay it (its QR, over the API or as a page) is the citizen's "pay" step: it needs
    the IAL and AAL of the invoice's service. An invoice issued without its service recorded needs a sign-in."""
    if invoice.service is not None:
        require_for_service(user, invoice.service, Step.PAY)
    else:
        require_session(user, Step.PAY)


def access_invoice_for_user(*, user: Any, number: str) -> Invoice:
    """The invoice if `user` is its payer or staff of its agency; NotFound otherwise (missing looks the same).

    The payer opening an open invoice is taking the "pay" step (`require_to_pay`); staff need staff assurance.

    A read by anyone other than the payer is recorded in the audit log, so the citizen can see it.
    """
    invoice = Invoice.objects.select_related("agency", "service").filter(number=number).first()
    if invoice is None or not getattr(user, "is_authenticated", False):
        raise NotFound("invoice", "ใบแจ้งชำระเงิน")
    if invoice.payer_id == user.pk:
        if invoice.status == InvoiceStatus.OPEN:
            require_to_pay(user=user, invoice=invoice)
        return invoice
    if invoice.agency_id not in staff_agency_ids(user=user):
        raise NotFound("invoice", "ใบแจ้งชำระเงิน")
    require_staff(user, service=invoice.service)
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
    require_staff(user)
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


def held_payments_for_staff(*, user: Any) -> list[HeldPayment]:
    """Held payments of the agencies where the user is an officer, approver or agency admin (unresolved first);
    staff assurance. Admins see them (their agency's payments); officers and approvers settle them."""
    agencies = staff_agency_ids(user=user, roles=[StaffRole.OFFICER, StaffRole.APPROVER, StaffRole.AGENCY_ADMIN])
    if not agencies:
        raise NotFound("held payment", "รายการชำระเงินที่รอตรวจสอบ")
    require_staff(user)
    held = HeldPayment.objects.select_related("invoice", "resolved_by").order_by("resolution", "-held_at")[:500]
    return [item for item in held if held_payment_agency_id(item) in agencies]


# --- fee schedules ---------------------------------------------------------------------------------------------


def fee_schedule_service_for_admin(*, user: Any, slug: str):
    """The service whose fee schedule `user` may see and set on its page: an admin of its agency, at staff
    assurance. NotFound for anyone without a role in the service's agency; PermissionDenied for its other staff."""
    from borikan.agencies.selectors import staff_has_role
    from borikan.catalog.selectors import service_get_for_staff
    from borikan.core.errors import PermissionDenied

    service = service_get_for_staff(user=user, slug=slug)
    if not staff_has_role(user=user, agency_id=service.agency_id, role=StaffRole.AGENCY_ADMIN):
        raise PermissionDenied(
            "เฉพาะผู้ดูแลของหน่วยงานเจ้าของบริการเท่านั้นที่กำหนดค่าธรรมเนียมได้",
            "Only an admin of the service's agency can set its fees",
        )
    require_staff(user, service=service)
    return service


def fee_schedule_current(*, service: Any) -> dict[str, Any]:
    """How the service's fee is computed now, as plain values; without a schedule, its flat fee as a fixed one."""
    from .models import FeeSchedule

    schedule = FeeSchedule.objects.filter(service=service).prefetch_related("exemptions").first()
    if schedule is None:
        return {
            "service": service.slug,
            "kind": "fixed",
            "legal_basis_th": service.legal_basis_th,
            "base_satang": service.fee_satang or 0,
            "unit_satang": 0,
            "quantity_field": "",
            "unit_name_th": "",
            "unit_name_en": "",
            "max_quantity": 1,
            "tiers": [],
            "exemptions": [],
        }
    return {
        "service": service.slug,
        "kind": schedule.kind,
        "legal_basis_th": schedule.legal_basis_th,
        "base_satang": schedule.base_satang,
        "unit_satang": schedule.unit_satang,
        "quantity_field": schedule.quantity_field,
        "unit_name_th": schedule.unit_name_th,
        "unit_name_en": schedule.unit_name_en,
        "max_quantity": schedule.max_quantity,
        "tiers": schedule.tiers,
        "exemptions": list(schedule.exemptions.all()),
    }
