"""Refunds: giving back (part of) a posted payment, e.g. a fee paid before review for an application then rejected.

1. `refund_request`: an officer or approver of the invoice's agency asks for an amount with a reason. The payment
   row is locked while what is left is computed, so two requests can never promise more than was paid.
2. `refund_approve`: another approver approves (four eyes); the refund is then paid back on the payment's channel
   (`refund_submit`, channels.py). Thai QR: sent to the gateway with our reference as the idempotency key (safe
   to retry: the bank never refunds twice). Counter: nothing is sent; it waits for the officer who hands the
   money back. `refund_reject` declines it and frees the amount.
3. Thai QR: the gateway's signed "refund.succeeded" / "refund.failed" notification completes it exactly once
   (`apply_refund_notification`, called by `services.webhook_receive`). Counter: an officer of the agency records
   the money handed back (`refund_pay_out`), once.
Every step is audited; every refusal is a 4xx with a code and Thai/English messages.
"""

from __future__ import annotations

import logging
import uuid
from typing import Any

from django.db import transaction
from django.db.models import Sum
from django.utils import timezone

from borikan.agencies.models import StaffRole
from borikan.agencies.selectors import staff_roles
from borikan.audit.services import audit_record
from borikan.core.errors import ApplicationError, NotFound, ValidationFailed, refuse_own
from borikan.identity.enforcement import require_staff

from .channels import CHANNELS, RefundOrder
from .gateway import GatewayError, RefundNotification, get_gateway
from .models import (
    REFUND_HOLDING_STATUSES,
    Invoice,
    InvoiceStatus,
    Payment,
    PaymentChannel,
    Refund,
    RefundStatus,
    WebhookOutcome,
    WebhookReceipt,
)
from .states import REFUND

logger = logging.getLogger(__name__)


def refundable_satang(payment: Payment) -> int:
    """What is left of a payment to refund: the amount less refunds requested, approved, pending or done."""
    held = payment.refunds.filter(status__in=REFUND_HOLDING_STATUSES).aggregate(total=Sum("amount_satang"))["total"]
    return payment.amount_satang - (held or 0)


def charge_reference(payment: Payment) -> str:
    """The channel's id of the charge a payment paid (for a payment row written outside the posting path, which has
    no charge, the invoice's gateway charge id it was issued with)."""
    charge = payment.charge
    return charge.reference if charge is not None else (payment.invoice.gateway_charge_id or "")


def _not_found() -> NotFound:
    return NotFound("payment", "รายการชำระเงิน")


def _require_role(actor: Any, agency_id: int, roles: set[str]) -> None:
    """Staff of another agency, and citizens, see nothing (404); staff need AAL 2 for money movements."""
    if not staff_roles(user=actor, agency_id=agency_id) & roles:
        raise _not_found()


def refund_request(*, actor: Any, invoice_number: str, amount_satang: int, reason: str) -> Refund:
    """Ask to refund `amount_satang` of the invoice's posted payment. Refused (409) beyond what is left."""
    if isinstance(amount_satang, bool) or not isinstance(amount_satang, int) or amount_satang <= 0:
        raise ValidationFailed(
            "invalid_amount", "จำนวนเงินต้องมากกว่าศูนย์", "The amount must be greater than zero", field="amount_satang"
        )
    reason = (reason or "").strip() if isinstance(reason, str) else ""
    if not reason or len(reason) > 500:
        raise ValidationFailed(
            "reason_required",
            "กรุณาระบุเหตุผลของการคืนเงิน ไม่เกิน 500 ตัวอักษร",
            "A reason for the refund (at most 500 characters) is required",
            field="reason",
        )
    invoice = Invoice.objects.select_related("service").filter(number=invoice_number).first()
    if invoice is None:
        raise _not_found()
    _require_role(actor, invoice.agency_id, {StaffRole.OFFICER, StaffRole.APPROVER})
    require_staff(actor, service=invoice.service)
    refuse_own(actor, invoice.payer_id)
    return _refund_create(actor=actor, invoice=invoice, amount_satang=amount_satang, reason=reason)


def _refund_create(*, actor: Any, invoice: Invoice, amount_satang: int, reason: str) -> Refund:
    with transaction.atomic():
        payment = Payment.objects.select_for_update().filter(invoice=invoice).first()
        if payment is None or invoice.status != InvoiceStatus.PAID:
            raise ApplicationError(
                "invoice_not_paid",
                "ใบแจ้งชำระเงินนี้ยังไม่มีการชำระเงิน จึงคืนเงินไม่ได้",
                "This invoice has no posted payment to refund",
                status=409,
            )
        left = refundable_satang(payment)
        if amount_satang > left:
            raise ApplicationError(
                "refund_exceeds_remaining",
                f"จำนวนเงินที่ขอคืนเกินยอดที่คืนได้ (คงเหลือ {left / 100:,.2f} บาท)",
                f"The refund is more than what is left to refund ({left / 100:,.2f} baht)",
                status=409,
                details={"remaining_satang": left, "requested_satang": amount_satang},
            )
        refund = Refund.objects.create(
            payment=payment,
            invoice=invoice,
            agency_id=invoice.agency_id,
            amount_satang=amount_satang,
            reason=reason,
            reference="RF" + uuid.uuid4().hex,
            requested_by=actor,
        )
        audit_record(
            actor=actor,
            action="refund.requested",
            object_type="refund",
            object_id=refund.reference,
            subject_user_id=invoice.payer_id,
            data={
                "invoice": invoice.number,
                "amount_satang": amount_satang,
                "reason": reason,
                "remaining_before": left,
            },
        )
    return refund


def refund_for_withdrawal(*, payer: Any, case_ref: str) -> Refund | None:
    """The payer withdrew an application they had paid for: the refund of what is left is asked in their name
    (the case lifecycle has checked they are the applicant). It still needs an approver of the agency."""
    payment = (
        Payment.objects.filter(invoice__case_ref=case_ref, invoice__status=InvoiceStatus.PAID, invoice__payer=payer)
        .select_related("invoice")
        .first()
    )
    if payment is None or refundable_satang(payment) <= 0:
        return None
    return _refund_create(
        actor=payer,
        invoice=payment.invoice,
        amount_satang=refundable_satang(payment),
        reason="ผู้ยื่นคำขอถอนคำขอหลังชำระค่าธรรมเนียม / withdrawn by the applicant after payment",
    )


def refund_for_case(*, actor: Any, case_ref: str, reason: str) -> Refund | None:
    """Ask to refund all that is left of the case's posted payment (an application rejected or withdrawn after
    payment). None when the case has no posted payment or nothing is left. The refund still needs approval."""
    payment = (
        Payment.objects.filter(invoice__case_ref=case_ref, invoice__status=InvoiceStatus.PAID)
        .select_related("invoice")
        .first()
    )
    if payment is None:
        return None
    left = refundable_satang(payment)
    if left <= 0:
        return None
    # The case engine has checked the actor's role and assurance on the case (or the platform acts: a lapse).
    return _refund_create(actor=actor, invoice=payment.invoice, amount_satang=left, reason=reason.strip()[:500])


def _locked_refund(refund_id: Any) -> Refund:
    refund = Refund.objects.select_for_update().filter(pk=refund_id).first() if str(refund_id).isdigit() else None
    if refund is None:
        raise NotFound("refund", "รายการคืนเงิน")
    return refund


def _decide(*, actor: Any, refund_id: Any, approve: bool, reason: str) -> Refund:
    with transaction.atomic():
        refund = _locked_refund(refund_id)
        if not staff_roles(user=actor, agency_id=refund.agency_id) & {StaffRole.APPROVER}:
            if staff_roles(user=actor, agency_id=refund.agency_id):
                raise ApplicationError(
                    "approver_required",
                    "ต้องเป็นผู้อนุมัติของหน่วยงานจึงจะอนุมัติหรือไม่อนุมัติการคืนเงินได้",
                    "Only an approver of the agency can decide a refund",
                    status=403,
                )
            raise NotFound("refund", "รายการคืนเงิน")
        require_staff(actor, service=refund.invoice.service, approving=True)
        refuse_own(actor, refund.invoice.payer_id)
        if refund.requested_by_id == actor.pk:
            raise ApplicationError(
                "four_eyes_required",
                "ผู้ขอคืนเงินอนุมัติคำขอของตนเองไม่ได้ ต้องให้ผู้อนุมัติอีกคนหนึ่งพิจารณา",
                "The person who asked for a refund cannot decide it; another approver must",
                status=403,
            )
        if refund.status != RefundStatus.REQUESTED:
            raise ApplicationError(
                "refund_not_awaiting_approval",
                "รายการคืนเงินนี้ได้รับการพิจารณาแล้ว",
                "This refund has already been decided",
                status=409,
            )
        if not approve and not (reason or "").strip():
            raise ValidationFailed("reason_required", "กรุณาระบุเหตุผล", "A reason is required", field="reason")
        REFUND.move(refund, "approve" if approve else "reject")
        refund.decided_by = actor
        refund.decided_at = timezone.now()
        refund.decision_reason = (reason or "").strip()[:500]
        refund.save(update_fields=["status", "decided_by", "decided_at", "decision_reason", "updated_at"])
        audit_record(
            actor=actor,
            action="refund.approved" if approve else "refund.rejected",
            object_type="refund",
            object_id=refund.reference,
            subject_user_id=refund.invoice.payer_id,
            data={"amount_satang": refund.amount_satang, "reason": refund.decision_reason},
        )
    return refund


def refund_reject(*, actor: Any, refund_id: Any, reason: str) -> Refund:
    return _decide(actor=actor, refund_id=refund_id, approve=False, reason=reason)


def refund_approve(*, actor: Any, refund_id: Any, reason: str = "") -> Refund:
    """Approve (another approver than the requester) and send the refund to the bank."""
    refund = _decide(actor=actor, refund_id=refund_id, approve=True, reason=reason)
    return refund_submit(actor=actor, refund_id=refund.pk)


def refund_visible_to_staff(*, actor: Any, refund_id: Any) -> Refund:
    """The refund if `actor` is an approver of its agency (with staff assurance); NotFound otherwise."""
    refund = Refund.objects.select_related("invoice__service").filter(pk=refund_id).first()
    if refund is None or not staff_roles(user=actor, agency_id=refund.agency_id) & {StaffRole.APPROVER}:
        raise NotFound("refund", "รายการคืนเงิน")
    require_staff(actor, service=refund.invoice.service)
    return refund


def refund_for_staff_page(*, actor: Any, refund_id: Any) -> Refund | None:
    """The refund if `actor` holds any role in its agency (the decision itself checks for an approver)."""
    refund = Refund.objects.select_related("invoice").filter(pk=refund_id).first()
    if refund is None or not staff_roles(user=actor, agency_id=refund.agency_id):
        return None
    return refund


def refund_submit(*, actor: Any, refund_id: Any) -> Refund:
    """Pay back an approved refund on its payment's channel. Thai QR: send it to the gateway (again, after a network
    failure: same key, same refund). Counter: nothing to send; it stays approved until an officer records the
    money handed back (`refund_pay_out`).

    No lock is held during the call. A refusal by the bank (nothing left to refund there, charge not paid) fails
    the refund and frees its amount; an unreachable gateway leaves it approved, to be sent again.
    """
    refund = Refund.objects.select_related("payment__charge", "invoice").filter(pk=refund_id).first()
    if refund is None:
        raise NotFound("refund", "รายการคืนเงิน")
    if refund.status != RefundStatus.APPROVED:
        return refund  # already sent, completed, or not approved: nothing to send
    try:
        sent = CHANNELS[refund.payment.channel].send_refund(
            RefundOrder(
                reference=refund.reference,
                charge_reference=charge_reference(refund.payment),
                amount_satang=refund.amount_satang,
                reason=refund.reason,
            )
        )
    except GatewayError as exc:
        logger.warning("payment gateway failed refund %s: %s", refund.reference, exc)
        if exc.retryable:
            raise ApplicationError(
                "payment_gateway_unavailable",
                "ระบบรับชำระเงินไม่พร้อมให้บริการชั่วคราว คำขอคืนเงินได้รับอนุมัติแล้วและจะส่งใหม่ได้",
                "The payment service is temporarily unavailable; the approved refund can be sent again",
                status=503,
            ) from exc
        with transaction.atomic():
            locked = _locked_refund(refund.pk)
            if locked.status == RefundStatus.APPROVED:
                REFUND.move(locked, "refuse")
                locked.failure_reason = f"refused by the gateway: {exc.code or exc.status}"[:500]
                locked.save(update_fields=["status", "failure_reason", "updated_at"])
                audit_record(
                    actor=actor,
                    action="refund.failed",
                    object_type="refund",
                    object_id=locked.reference,
                    subject_user_id=locked.invoice.payer_id,
                    data={"failure_reason": locked.failure_reason},
                )
        raise ApplicationError(
            "refund_refused_by_bank",
            "ธนาคารปฏิเสธการคืนเงินรายการนี้",
            f"The bank refused the refund ({exc.code or exc.status})",
            status=409,
        ) from exc
    if not sent.sent:
        return refund  # paid back in person: refund_pay_out records it
    with transaction.atomic():
        locked = _locked_refund(refund.pk)
        if not locked.gateway_refund_id:
            locked.gateway_refund_id = sent.outside_id
        if locked.status == RefundStatus.APPROVED:
            REFUND.move(locked, "send")
        locked.save(update_fields=["gateway_refund_id", "status", "updated_at"])
        audit_record(
            actor=actor,
            action="refund.sent",
            object_type="refund",
            object_id=locked.reference,
            subject_user_id=locked.invoice.payer_id,
            data={"gateway_refund_id": sent.outside_id, "amount_satang": locked.amount_satang},
        )
    return locked


def refund_pay_out(*, actor: Any, refund_id: Any, note: Any = "") -> Refund:
    """An officer or approver of the agency records that an approved refund of a counter payment was handed back at
    the counter. Once: the refund row is locked and a completed refund is never completed again.

    Refused: others see nothing (404); a refund of a bank payment (409 refund_not_at_counter: the bank pays it
    back); a refund not approved, or already paid out (409 refund_not_approved)."""
    note = note.strip() if isinstance(note, str) else None
    if note is None or len(note) > 500:
        raise ValidationFailed(
            "invalid_note", "บันทึกต้องไม่เกิน 500 ตัวอักษร", "The note must be at most 500 characters", field="note"
        )
    with transaction.atomic():
        found = Refund.objects.select_for_update(of=("self",)).select_related("payment", "invoice__service")
        refund = found.filter(pk=refund_id).first() if str(refund_id).isdigit() else None
        if refund is None or not staff_roles(user=actor, agency_id=refund.agency_id) & {
            StaffRole.OFFICER,
            StaffRole.APPROVER,
        }:
            raise NotFound("refund", "รายการคืนเงิน")
        require_staff(actor, service=refund.invoice.service)
        refuse_own(actor, refund.invoice.payer_id)
        if not CHANNELS[refund.payment.channel].recorded_by_staff:
            raise ApplicationError(
                "refund_not_at_counter",
                "การชำระเงินนี้ชำระผ่านธนาคาร ธนาคารเป็นผู้คืนเงิน จึงบันทึกการจ่ายคืนที่เคาน์เตอร์ไม่ได้",
                "This payment was made through the bank, which pays the refund back; it is not paid out at the counter",
                status=409,
            )
        if refund.status != RefundStatus.APPROVED:
            raise ApplicationError(
                "refund_not_approved",
                "จ่ายคืนได้เฉพาะรายการคืนเงินที่อนุมัติแล้วและยังไม่ได้จ่าย (สถานะ: " + REFUND.label_th(refund.status) + ")",
                f"Only an approved refund not yet paid out can be paid out (it is {refund.status})",
                status=409,
                details={"status": refund.status},
            )
        REFUND.move(refund, "pay_out")
        refund.completed_at = timezone.now()
        refund.paid_out_by = actor
        refund.payout_note = note
        refund.save(update_fields=["status", "completed_at", "paid_out_by", "payout_note", "updated_at"])
        audit_record(
            actor=actor,
            action="refund.paid_out_at_counter",
            object_type="refund",
            object_id=refund.reference,
            subject_user_id=refund.invoice.payer_id,
            data={"invoice": refund.invoice.number, "amount_satang": refund.amount_satang, "note": note},
        )
    return refund


# --- the bank's answer -------------------------------------------------------------------------------------


def apply_refund_notification(notification: RefundNotification) -> WebhookOutcome:
    """Complete a refund from a verified notification, inside the caller's transaction. Exactly once: the event id
    is unique, the refund row is locked, and a completed refund is never completed again."""
    if WebhookReceipt.objects.filter(event_id=notification.event_id).exists():
        return WebhookOutcome.DUPLICATE
    refund = (
        Refund.objects.select_for_update(of=("self",))
        .select_related("payment__charge", "invoice")
        .filter(reference=notification.reference)
        .first()
    )

    def receipt(outcome: WebhookOutcome) -> WebhookOutcome:
        WebhookReceipt.objects.create(
            event_id=notification.event_id,
            gateway_txn_id=notification.refund_id,
            charge_id=notification.charge_id,
            outcome=outcome,
        )
        return outcome

    audit_data = {
        "event_id": notification.event_id,
        "gateway_refund_id": notification.refund_id,
        "reference": notification.reference,
        "amount_satang": notification.amount_satang,
        "status": notification.status,
    }
    problem = None
    if refund is None:
        problem = "unknown refund"
    elif refund.status in (RefundStatus.SUCCEEDED, RefundStatus.FAILED):
        logger.info(
            "refund %s already %s; notification %s ignored", refund.reference, refund.status, notification.event_id
        )
        return receipt(WebhookOutcome.DUPLICATE)
    elif refund.gateway_refund_id and refund.gateway_refund_id != notification.refund_id:
        problem = "gateway refund id differs"
    elif refund.status not in (RefundStatus.APPROVED, RefundStatus.PENDING):
        problem = f"refund is {refund.status}, not approved"
    elif refund.payment.channel != PaymentChannel.THAI_QR:
        problem = f"the refund is paid back on the {refund.payment.channel} channel, not by the bank"
    elif notification.amount_satang != refund.amount_satang or notification.charge_id != charge_reference(
        refund.payment
    ):
        problem = "amount or charge differs"
    if problem is not None:
        audit_record(
            actor=None,
            action="refund.notification_held",
            object_type="refund",
            object_id=refund.reference if refund else notification.reference,
            subject_user_id=refund.invoice.payer_id if refund else None,
            data=audit_data | {"problem": problem},
        )
        logger.warning("refund notification %s held: %s", notification.event_id, problem)
        return receipt(WebhookOutcome.HELD)
    assert refund is not None  # noqa: S101 -- problem is None only when the refund was found
    REFUND.move(refund, "succeed" if notification.status == "succeeded" else "fail")
    refund.completed_at = notification.completed_at
    refund.failure_reason = notification.failure_reason
    refund.gateway_refund_id = notification.refund_id
    refund.save(update_fields=["status", "completed_at", "failure_reason", "gateway_refund_id", "updated_at"])
    audit_record(
        actor=None,
        action=f"refund.{refund.status}",
        object_type="refund",
        object_id=refund.reference,
        subject_user_id=refund.invoice.payer_id,
        data=audit_data | {"invoice": refund.invoice.number},
    )
    return receipt(WebhookOutcome.POSTED)


def refund_sync(*, refund: Refund) -> WebhookOutcome | None:
    """Ask the gateway how a sent refund ended, for a notification that never came; applied exactly as the
    notification would be (a completed refund is never completed twice). None while the bank is still working."""
    if not refund.gateway_refund_id or refund.status != RefundStatus.PENDING:
        return None
    try:
        found = get_gateway().refund_status(refund.gateway_refund_id)
    except GatewayError as exc:
        raise ApplicationError(
            "payment_gateway_unavailable",
            "ระบบรับชำระเงินไม่พร้อมให้บริการชั่วคราว กรุณาลองใหม่อีกครั้ง",
            "The payment service is temporarily unavailable; please try again",
            status=503 if exc.retryable else 502,
        ) from exc
    if found.status not in ("succeeded", "failed") or found.completed_at is None:
        return None
    notification = RefundNotification(
        event_id=f"sync-{found.refund_id}"[:64],
        refund_id=found.refund_id,
        reference=found.reference,
        charge_id=found.charge_id,
        status=found.status,
        amount_satang=found.amount_satang,
        completed_at=found.completed_at,
        failure_reason=found.failure_reason[:500],
        raw={"source": "status_query", "refund_id": found.refund_id, "status": found.status},
    )
    with transaction.atomic():
        return apply_refund_notification(notification)
