"""Fee payment rules: issuing invoices, and posting payments from any channel (a gateway notification, or an
officer at the counter) through one path. Every write is audited.

This app never imports `applications`: it takes an opaque `case_ref` and reports a settled payment with
`publish(PaymentSettled(...))`, inside the same transaction as the posting.
"""

from __future__ import annotations

import datetime as dt
import logging
import re
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.db import IntegrityError, transaction
from django.utils import timezone

from borikan.agencies.models import Agency, StaffRole
from borikan.agencies.selectors import staff_roles
from borikan.audit.services import audit_record
from borikan.core.errors import ApplicationError, NotFound, ValidationFailed, refuse_own
from borikan.core.events import PaymentSettled, publish
from borikan.core.thaidate import be_year, fiscal_year_be
from borikan.identity.enforcement import require_staff

from . import app_settings, promptpay
from .channels import CHANNELS, ChargeOpening
from .fees import FeeLine
from .gateway import (
    GatewayError,
    NotificationRejected,
    PaymentNotification,
    RefundNotification,
    get_gateway,
)
from .models import (
    Charge,
    ChargeStatus,
    CounterMethod,
    HeldPayment,
    HoldReason,
    HoldResolution,
    Invoice,
    InvoiceCounter,
    InvoiceLine,
    InvoiceStatus,
    LineKind,
    Payment,
    PaymentChannel,
    Receipt,
    ReceiptCounter,
    WebhookOutcome,
    WebhookReceipt,
)
from .refunds import apply_refund_notification
from .states import CHARGE, INVOICE

logger = logging.getLogger(__name__)


# --- references ----------------------------------------------------------------------------------


def _luhn_check_digit(digits: str) -> int:
    total = 0
    for position, char in enumerate(reversed(digits)):
        value = int(char)
        if position % 2 == 0:
            value *= 2
            if value > 9:
                value -= 9
        total += value
    return (10 - total % 10) % 10


def ref2_for(*, agency_code: str, ref1: str) -> str:
    """Ref2 = the agency code (upper case, A-Z0-9 only, at most 19 characters) + one check digit.

    The check digit is Luhn (mod 10) over `ref1 + agency part`, with letters expanded to two digits
    (A=10 ... Z=35, as in IBAN). It binds the pair: a bank report whose ref1 and ref2 were mistyped or
    mixed between invoices fails the check. Example: ref1 "BK2569000001", agency "dopa" → "DOPA" + digit.
    """
    agency_part = re.sub(r"[^A-Z0-9]", "", agency_code.upper())[: promptpay.REF_MAX_LENGTH - 1]
    if not agency_part:
        raise ValueError(f"agency code {agency_code!r} has no letters or digits for ref2")
    expanded = "".join(char if char.isdigit() else str(ord(char) - 55) for char in ref1 + agency_part)
    return f"{agency_part}{_luhn_check_digit(expanded)}"


def _next_invoice_number(agency: Agency) -> str:
    """INV-<AGENCY>-<BE year>-<6-digit seq>, numbered per agency per Buddhist-Era year without gaps."""
    year = be_year(timezone.localdate())
    InvoiceCounter.objects.get_or_create(agency=agency, be_year=year)
    counter = InvoiceCounter.objects.select_for_update().get(agency=agency, be_year=year)
    counter.last_seq += 1
    counter.save(update_fields=["last_seq"])
    return f"INV-{agency.code.upper()}-{year}-{counter.last_seq:06d}"


def receipt_number(*, agency_code: str, fiscal_year: int, seq: int) -> str:
    """<AGENCY>-<B.E. fiscal year>-<6-digit seq>, e.g. EXCISE-2570-000123."""
    return f"{agency_code.upper()}-{fiscal_year}-{seq:06d}"


def receipt_issue(*, payment: Payment) -> Receipt:
    """Number and write the receipt of a payment being posted. Call inside the posting transaction: the counter
    row stays locked until it commits, and a rollback takes the number back, so numbers have no gaps.

    The fiscal year is that of the payment's time in Thailand (1 October starts the next B.E. fiscal year)."""
    invoice = payment.invoice
    year = fiscal_year_be(timezone.localtime(payment.paid_at).date())
    ReceiptCounter.objects.get_or_create(agency_id=invoice.agency_id, fiscal_year=year)
    counter = ReceiptCounter.objects.select_for_update().get(agency_id=invoice.agency_id, fiscal_year=year)
    counter.last_seq += 1
    counter.save(update_fields=["last_seq"])
    issued = Receipt.objects.create(
        number=receipt_number(agency_code=invoice.agency.code, fiscal_year=year, seq=counter.last_seq),
        agency_id=invoice.agency_id,
        fiscal_year=year,
        seq=counter.last_seq,
        invoice=invoice,
        payment=payment,
        payer_id=invoice.payer_id,
        amount_satang=payment.amount_satang,
        paid_at=payment.paid_at,
    )
    audit_record(
        actor=None,
        action="receipt.issued",
        object_type="receipt",
        object_id=issued.number,
        subject_user_id=invoice.payer_id,
        data={"invoice": invoice.number, "amount_satang": issued.amount_satang, "txn_id": payment.gateway_txn_id},
    )
    return issued


# --- invoices ------------------------------------------------------------------------------------


def invoice_create(
    *,
    actor: Any,
    case_ref: str,
    agency: Agency,
    payer: Any,
    amount_satang: int,
    ref1: str,
    description: str,
    due_date: dt.date | None = None,
    service: Any = None,
    lines: list[FeeLine] | None = None,
    idempotency_key: str | None = None,
    before_write: Callable[[], None] | None = None,
    channel: str = PaymentChannel.THAI_QR,
) -> Invoice:
    """Issue an invoice with a dynamic bill-payment QR and open its Thai QR charge at the gateway.

    Consistency between our row and the gateway's charge: the charge is created first (with a fresh
    idempotency key), then the invoice row is written in one transaction with its number, its `Charge` row
    (channel thai_qr) and audit entry. If the gateway fails, nothing is written. If our write fails after the
    charge exists, the charge is left unreferenced at the gateway; should it ever be paid, its notification names
    an unknown charge and is held for an officer, never posted. No database lock is held while we wait on the network.

    `ref1` is the case's tracking number: upper-case A-Z and 0-9, at most 20 characters. `lines` are the
    computed fee lines (`invoice_issue_for_case`); without them the invoice has one line, the description.

    `idempotency_key`: the same key on a retry (the case engine's effect key) finds the same charge at the
    gateway, and then the invoice already written for it. `before_write` runs first in the writing transaction
    (the lifecycle locks the case there and raises if it no longer awaits payment).
    """
    if isinstance(amount_satang, bool) or not isinstance(amount_satang, int) or amount_satang <= 0:
        raise ValidationFailed(
            "invalid_amount",
            "จำนวนเงินต้องมากกว่าศูนย์",
            "The amount must be greater than zero",
            field="amount_satang",
        )
    try:
        promptpay.validate_reference(ref1, name="ref1", required=True)
    except ValueError as exc:
        raise ValidationFailed(
            "invalid_payment_reference",
            "เลขอ้างอิง 1 ต้องเป็นตัวอักษรภาษาอังกฤษตัวใหญ่หรือตัวเลข ไม่เกิน 20 ตัว",
            f"Reference 1 is invalid: {exc}",
            field="ref1",
        ) from exc
    description = (description or "").strip()
    if not description or len(description) > 255:
        raise ValidationFailed(
            "invalid_description",
            "ต้องระบุรายการค่าธรรมเนียม ไม่เกิน 255 ตัวอักษร",
            "A description of at most 255 characters is required",
            field="description",
        )
    if lines is None:
        lines = [FeeLine(LineKind.FEE, description[:255], "", 1, amount_satang, amount_satang)]
    if sum(line.amount_satang for line in lines) != amount_satang:
        raise ValidationFailed(
            "invoice_lines_do_not_add_up",
            "รายการในใบแจ้งชำระเงินรวมกันไม่เท่ากับยอดที่ต้องชำระ",
            "The invoice lines do not add up to the amount",
            field="lines",
        )
    ref2 = ref2_for(agency_code=agency.code, ref1=ref1)
    by_qr = channel == PaymentChannel.THAI_QR
    if channel not in (PaymentChannel.THAI_QR, PaymentChannel.COUNTER):
        raise ValidationFailed("unknown_channel", "ไม่รู้จักช่องทางชำระเงินนี้", f"Unknown channel {channel!r}")
    # Paid at the counter (a service whose payment step is done in person): no QR and no charge at the bank; the
    # officer records the payment against the invoice (counter_payment_record).
    qr_payload = (
        promptpay.bill_payment_payload(
            biller_id=app_settings.biller_id(), ref1=ref1, ref2=ref2, amount_satang=amount_satang
        )
        if by_qr
        else ""
    )
    if Invoice.objects.filter(ref1=ref1, ref2=ref2, status=InvoiceStatus.OPEN).exists():
        raise _already_open()
    try:
        opened = CHANNELS[PaymentChannel(channel)].open_charge(
            ChargeOpening(
                idempotency_key=idempotency_key or uuid.uuid4().hex, amount_satang=amount_satang, ref1=ref1, ref2=ref2
            )
        )
    except GatewayError as exc:
        logger.warning("payment gateway refused or failed a charge for %s: %s", case_ref, exc)
        raise ApplicationError(
            "payment_gateway_unavailable",
            "ระบบรับชำระเงินไม่พร้อมให้บริการชั่วคราว กรุณาลองใหม่อีกครั้ง",
            "The payment service is temporarily unavailable; please try again",
            status=503 if exc.retryable else 502,
        ) from exc
    try:
        with transaction.atomic():
            if before_write is not None:
                before_write()
            made = Charge.objects.filter(channel=channel, reference=opened.reference).first()
            if made is not None:  # a retry of the same key: the invoice was written the first time
                return made.invoice
            invoice = Invoice.objects.create(
                number=_next_invoice_number(agency),
                case_ref=case_ref,
                agency=agency,
                service=service,
                payer=payer,
                description=description,
                amount_satang=amount_satang,
                ref1=ref1,
                ref2=ref2,
                due_date=due_date or timezone.localdate() + dt.timedelta(days=app_settings.DEFAULT_DUE_DAYS),
                qr_payload=qr_payload,
                gateway_charge_id=opened.reference if by_qr else None,
            )
            if by_qr:  # a counter charge is opened when the officer takes the money (counter_payment_record)
                Charge.objects.create(
                    invoice=invoice, channel=channel, reference=opened.reference, amount_satang=amount_satang
                )
            InvoiceLine.objects.bulk_create(
                InvoiceLine(
                    invoice=invoice,
                    position=position,
                    kind=line.kind,
                    label_th=line.label_th[:255],
                    label_en=line.label_en[:255],
                    quantity=line.quantity,
                    unit_satang=line.unit_satang,
                    amount_satang=line.amount_satang,
                    legal_basis_th=line.legal_basis_th,
                )
                for position, line in enumerate(lines, start=1)
            )
            audit_record(
                actor=actor,
                action="invoice.created",
                object_type="invoice",
                object_id=invoice.number,
                subject_user_id=payer.pk,
                data={
                    "case_ref": case_ref,
                    "amount_satang": amount_satang,
                    "ref1": ref1,
                    "ref2": ref2,
                    "gateway_charge_id": opened.reference,
                }
                | ({"service": service.slug, "lines": [line.as_dict() for line in lines]} if service else {}),
            )
    except IntegrityError as exc:  # a concurrent request opened an invoice with the same references first
        raise _already_open() from exc
    return invoice


def _already_open() -> ApplicationError:
    return ApplicationError(
        "invoice_already_open",
        "คำขอนี้มีใบแจ้งชำระเงินที่ยังไม่ได้ชำระอยู่แล้ว",
        "This case already has an unpaid invoice",
        status=409,
    )


def invoice_cancel(*, actor: Any, invoice: Invoice, reason: str) -> Invoice:
    """Cancel an unpaid invoice (the case was withdrawn or rejected). A later payment for it is held.

    The caller (the case lifecycle) has already decided that `actor` may do this.
    """
    with transaction.atomic():
        locked = Invoice.objects.select_for_update().get(pk=invoice.pk)
        if locked.status != InvoiceStatus.OPEN:
            raise ApplicationError(
                "invoice_not_open",
                "ยกเลิกได้เฉพาะใบแจ้งชำระเงินที่ยังไม่ได้ชำระ",
                "Only an unpaid invoice can be cancelled",
                status=409,
            )
        INVOICE.move(locked, "cancel")
        locked.save(update_fields=["status", "updated_at"])
        CHARGE.update(locked.charges.all(), "close", closed_at=timezone.now(), updated_at=timezone.now())
        audit_record(
            actor=actor,
            action="invoice.cancelled",
            object_type="invoice",
            object_id=locked.number,
            subject_user_id=locked.payer_id,
            data={"reason": reason},
        )
    return locked


# --- gateway notifications -----------------------------------------------------------------------


@dataclass(frozen=True)
class WebhookResult:
    outcome: WebhookOutcome
    invoice_number: str | None = None
    hold_reason: HoldReason | None = None


_REJECTIONS = {
    "bad_signature": ("ลายมือชื่อของข้อความแจ้งชำระเงินไม่ถูกต้อง", "The notification signature is invalid"),
    "stale_webhook": (
        "ข้อความแจ้งชำระเงินหมดอายุหรือเวลาไม่ถูกต้อง",
        "The notification timestamp is outside the accepted window",
    ),
    "malformed_webhook": ("ข้อความแจ้งชำระเงินมีรูปแบบไม่ถูกต้อง", "The notification is malformed"),
}


def webhook_receive(*, body: bytes, signature_header: str) -> WebhookResult:
    """Verify and apply one gateway notification. Safe to call any number of times with the same message.

    Rejected (ApplicationError, 400): bad signature, timestamp outside BORIKAN_WEBHOOK_TOLERANCE_SECONDS, bad
    body. Otherwise exactly one of: posted (invoice paid, receipt issued, audit entry, PaymentSettled published;
    or, for a refund notification, the refund completed), held (an officer must look), duplicate (this event or
    this transaction was seen before; nothing new is posted).
    """
    try:
        notification = get_gateway().verify_notification(body=body, signature_header=signature_header)
    except NotificationRejected as exc:
        logger.warning("gateway notification rejected (%s): %s", exc.code, exc)
        message_th, message_en = _REJECTIONS[exc.code]
        raise ApplicationError(exc.code, message_th, message_en, status=400) from exc
    return _apply_once(notification)


def _apply_once(notification: PaymentNotification | RefundNotification) -> WebhookResult:
    try:
        with transaction.atomic():
            if isinstance(notification, RefundNotification):
                return WebhookResult(apply_refund_notification(notification))
            return _apply_notification(notification)
    except IntegrityError:
        # A concurrent delivery of the same event or transaction committed between our check and our insert.
        txn_id = getattr(notification, "txn_id", None)  # a refund's notification has its event id only
        if WebhookReceipt.objects.filter(event_id=notification.event_id).exists() or (
            txn_id is not None
            and (
                Payment.objects.filter(gateway_txn_id=txn_id).exists()
                or HeldPayment.objects.filter(gateway_txn_id=txn_id).exists()
            )
        ):
            return WebhookResult(WebhookOutcome.DUPLICATE)
        raise


def _hold_reason(invoice: Invoice | None, notification: PaymentNotification) -> HoldReason | None:
    if invoice is None:
        return HoldReason.UNKNOWN_CHARGE
    if (notification.ref1, notification.ref2) != (invoice.ref1, invoice.ref2):
        return HoldReason.REFERENCE_MISMATCH
    if invoice.status == InvoiceStatus.CANCELLED:
        return HoldReason.INVOICE_CANCELLED
    if invoice.status == InvoiceStatus.PAID:
        return HoldReason.INVOICE_ALREADY_PAID
    if notification.amount_satang != invoice.amount_satang:
        return HoldReason.AMOUNT_MISMATCH
    if timezone.localtime(notification.paid_at).date() > invoice.due_date:
        return HoldReason.LATE_PAYMENT  # the fee may have changed or the case lapsed: an officer decides
    return None


def _apply_notification(notification: PaymentNotification) -> WebhookResult:
    # Lock the invoice first: every delivery about this charge queues here, so the checks below are race-free.
    charge = (
        Charge.objects.filter(channel=PaymentChannel.THAI_QR, reference=notification.charge_id)
        .only("pk", "invoice_id")
        .first()
    )
    invoice = Invoice.objects.select_for_update().filter(pk=charge.invoice_id).first() if charge else None
    number = invoice.number if invoice else None
    if WebhookReceipt.objects.filter(event_id=notification.event_id).exists():
        return WebhookResult(WebhookOutcome.DUPLICATE, number)

    def receipt(outcome: WebhookOutcome) -> None:
        WebhookReceipt.objects.create(
            event_id=notification.event_id,
            gateway_txn_id=notification.txn_id,
            charge_id=notification.charge_id,
            outcome=outcome,
        )

    if (
        Payment.objects.filter(gateway_txn_id=notification.txn_id).exists()
        or HeldPayment.objects.filter(gateway_txn_id=notification.txn_id).exists()
    ):
        receipt(WebhookOutcome.DUPLICATE)
        return WebhookResult(WebhookOutcome.DUPLICATE, number)

    audit_data = {
        "charge_id": notification.charge_id,
        "txn_id": notification.txn_id,
        "event_id": notification.event_id,
        "amount_satang": notification.amount_satang,
    }
    reason = _hold_reason(invoice, notification)
    if reason is not None:
        held = HeldPayment.objects.create(
            invoice=invoice,
            gateway_txn_id=notification.txn_id,
            charge_id=notification.charge_id,
            reason=reason,
            amount_satang=notification.amount_satang,
            paid_at=notification.paid_at,
            raw_notification=notification.raw,
        )
        receipt(WebhookOutcome.HELD)
        audit_record(
            actor=None,
            action="payment.held",
            object_type="held_payment",
            object_id=held.pk,
            subject_user_id=invoice.payer_id if invoice else None,
            data={**audit_data, "reason": reason, "invoice": number},
        )
        logger.warning("payment %s held: %s", notification.txn_id, reason)
        return WebhookResult(WebhookOutcome.HELD, number, reason)

    assert invoice is not None and charge is not None  # noqa: S101 -- _hold_reason returned None: both exist
    receipt(WebhookOutcome.POSTED)
    _post(
        invoice=invoice,
        charge=Charge.objects.select_for_update().get(pk=charge.pk),
        txn_id=notification.txn_id,
        amount_satang=notification.amount_satang,
        paid_at=notification.paid_at,
        raw=notification.raw,
        actor=None,
        action="payment.posted",
        audit_data=audit_data,
    )
    return WebhookResult(WebhookOutcome.POSTED, invoice.number)


def _post(
    *,
    invoice: Invoice,
    charge: Charge,
    txn_id: str,
    amount_satang: int,
    paid_at: dt.datetime,
    raw: dict[str, Any],
    actor: Any,
    action: str,
    audit_data: dict[str, Any],
) -> Payment:
    """Post money to a locked open invoice through one of its charges, whatever the channel: the charge paid (its
    other charges closed), the payment, the invoice paid, the receipt, the audit entry and PaymentSettled, all in
    the caller's transaction."""
    CHARGE.move(charge, "pay")
    charge.paid_at = paid_at
    charge.save(update_fields=["status", "paid_at", "updated_at"])
    now = timezone.now()
    CHARGE.update(invoice.charges.exclude(pk=charge.pk), "close", closed_at=now, updated_at=now)
    payment = Payment.objects.create(
        invoice=invoice,
        charge=charge,
        channel=charge.channel,
        gateway_txn_id=txn_id,
        amount_satang=amount_satang,
        paid_at=paid_at,
        raw_notification=raw,
    )
    INVOICE.move(invoice, "pay")
    invoice.paid_at = paid_at
    invoice.save(update_fields=["status", "paid_at", "updated_at"])
    issued = receipt_issue(payment=payment)
    audit_record(
        actor=actor,
        action=action,
        object_type="invoice",
        object_id=invoice.number,
        subject_user_id=invoice.payer_id,
        data=audit_data | {"receipt": issued.number, "channel": charge.channel, "charge": charge.reference},
    )
    publish(
        PaymentSettled(case_ref=invoice.case_ref, invoice_number=invoice.number, amount_satang=invoice.amount_satang)
    )
    return payment


# --- held payments: an officer decides -----------------------------------------------------------------------

# Reasons for which the money can still be posted to its invoice once an officer agrees.
ACCEPTABLE_HOLDS = (HoldReason.LATE_PAYMENT,)


def held_payment_agency_id(held: HeldPayment) -> int | None:
    """The agency a held payment concerns: its invoice's, or the one named by its ref2 (agency code + digit)."""
    invoice = held.invoice
    if invoice is not None:
        return invoice.agency_id
    ref2 = str(held.raw_notification.get("ref2") or "")
    agency = Agency.objects.filter(code__iexact=ref2[:-1]).first() if len(ref2) > 1 else None
    return agency.pk if agency else None


def held_payment_resolve(*, actor: Any, held_id: Any, accept: bool, note: str) -> HeldPayment:
    """An officer or approver of the agency settles a held payment: accept it (post it to its invoice, for a late
    payment on a still-open invoice of the right amount) or close it with a note (e.g. returned to the payer).
    Audited; a hold is resolved once."""
    note = (note or "").strip() if isinstance(note, str) else ""
    if not note or len(note) > 500:
        raise ValidationFailed(
            "note_required",
            "กรุณาบันทึกเหตุผลหรือสิ่งที่ได้ดำเนินการ ไม่เกิน 500 ตัวอักษร",
            "A note (at most 500 characters) on what was decided or done is required",
            field="note",
        )
    with transaction.atomic():
        held = HeldPayment.objects.select_for_update().filter(pk=held_id).first() if str(held_id).isdigit() else None
        agency_id = held_payment_agency_id(held) if held else None
        if (
            held is None
            or agency_id is None
            or not (staff_roles(user=actor, agency_id=agency_id) & {StaffRole.OFFICER, StaffRole.APPROVER})
        ):
            raise NotFound("held payment", "รายการชำระเงินที่รอตรวจสอบ")
        require_staff(actor)
        if held.resolution:
            raise ApplicationError(
                "hold_already_resolved", "รายการนี้ได้รับการพิจารณาแล้ว", "This held payment was already resolved", status=409
            )
        if accept:
            invoice = (
                Invoice.objects.select_for_update().filter(pk=held.invoice_id).first() if held.invoice_id else None
            )
            if (
                held.reason not in ACCEPTABLE_HOLDS
                or invoice is None
                or invoice.status != InvoiceStatus.OPEN
                or held.amount_satang != invoice.amount_satang
            ):
                raise ApplicationError(
                    "hold_not_acceptable",
                    "รับรายการนี้เข้าใบแจ้งชำระเงินไม่ได้ (ใบแจ้งต้องยังไม่ชำระและยอดเงินตรงกัน) ให้ปิดรายการพร้อมบันทึกแทน",
                    "This payment cannot be posted to its invoice (it must be a late payment of the right amount "
                    "on an unpaid invoice); close it with a note instead",
                    status=409,
                )
            charge = (
                Charge.objects.select_for_update()
                .filter(invoice=invoice, channel=PaymentChannel.THAI_QR, reference=held.charge_id)
                .first()
            )
            if charge is None or charge.status != ChargeStatus.PENDING:
                raise ApplicationError(
                    "hold_not_acceptable",
                    "รับรายการนี้เข้าใบแจ้งชำระเงินไม่ได้ เพราะรายการชำระเงินของธนาคารนี้ปิดไปแล้ว ให้ปิดรายการพร้อมบันทึกแทน",
                    "This payment cannot be posted: its bank charge is no longer open; close it with a note instead",
                    status=409,
                )
            _post(
                invoice=invoice,
                charge=charge,
                txn_id=held.gateway_txn_id,
                amount_satang=held.amount_satang,
                paid_at=held.paid_at,
                raw=held.raw_notification,
                actor=actor,
                action="payment.accepted_from_hold",
                audit_data={"txn_id": held.gateway_txn_id, "reason": held.reason, "note": note},
            )
        held.resolution = HoldResolution.ACCEPTED if accept else HoldResolution.CLOSED
        held.resolved_by = actor
        held.resolved_at = timezone.now()
        held.resolution_note = note
        held.save(update_fields=["resolution", "resolved_by", "resolved_at", "resolution_note"])
        if not accept:
            audit_record(
                actor=actor,
                action="payment.hold_closed",
                object_type="held_payment",
                object_id=held.pk,
                subject_user_id=held.invoice.payer_id if held.invoice is not None else None,
                data={"txn_id": held.gateway_txn_id, "reason": held.reason, "note": note},
            )
    return held


def payment_sync(*, invoice: Invoice) -> WebhookResult | None:
    """Ask the channel of each charge of an invoice whether it was paid, for a notification that never came (lost,
    or our endpoint was down past the bank's retries). A charge paid there is applied exactly as its notification
    would be: posted, held (e.g. a Thai QR scanned after the fee was taken at the counter) or a duplicate (the
    transaction id is unique, so nothing is posted twice). None when no channel reports a payment; only the bank
    can be asked (a counter charge is paid when an officer records it, never later)."""
    for charge in Charge.objects.filter(invoice=invoice).order_by("created_at", "id"):
        try:
            notification = CHANNELS[charge.channel].paid_at_channel(charge)
        except GatewayError as exc:
            raise ApplicationError(
                "payment_gateway_unavailable",
                "ระบบรับชำระเงินไม่พร้อมให้บริการชั่วคราว กรุณาลองใหม่อีกครั้ง",
                "The payment service is temporarily unavailable; please try again",
                status=503 if exc.retryable else 502,
            ) from exc
        if notification is not None:
            return _apply_once(notification)
    return None


# --- the counter: an officer takes the fee in person ------------------------------------------------------------


@dataclass(frozen=True)
class CounterPosting:
    payment: Payment
    charge: Charge
    receipt: Receipt


def _counter_input(amount_satang: Any, method: Any, note: Any) -> tuple[int, str, str]:
    if isinstance(amount_satang, bool) or not isinstance(amount_satang, int) or amount_satang <= 0:
        raise ValidationFailed(
            "invalid_amount", "จำนวนเงินต้องมากกว่าศูนย์", "The amount must be greater than zero", field="amount_satang"
        )
    if method not in CounterMethod.values:
        raise ValidationFailed(
            "invalid_counter_method",
            "วิธีรับเงินต้องเป็นเงินสด (cash) หรือบัตร (card)",
            f"The method must be one of {', '.join(CounterMethod.values)}",
            field="method",
        )
    note = note.strip() if isinstance(note, str) else None
    if note is None or len(note) > 500:
        raise ValidationFailed(
            "invalid_note", "บันทึกต้องไม่เกิน 500 ตัวอักษร", "The note must be at most 500 characters", field="note"
        )
    return amount_satang, method, note


def counter_payment_record(
    *, actor: Any, invoice_number: str, amount_satang: Any, method: Any, note: Any = ""
) -> CounterPosting:
    """An officer or approver of the invoice's agency records the fee taken at the counter (cash or card).

    The counter charge is opened and paid in one transaction, through the same posting as a bank notification:
    the payment, the invoice paid, the receipt numbered per agency per fiscal year (the officer prints it for the
    payer), the audit entry and PaymentSettled, so the case moves on exactly as for a bank payment. The invoice's
    Thai QR charge is closed; should the payer scan it afterwards, that payment is held for an officer.

    Refused: staff of another agency and anyone else see nothing (404); the whole amount, not part of it (422
    counter_amount_mismatch); once only (409 invoice_already_paid names the receipt already issued); an
    invoice cancelled (409 invoice_not_open). A payment after the due date is taken (the officer is deciding in
    person what `held_payment_resolve` decides for the bank) and audited as late.
    """
    found = Invoice.objects.select_related("service").filter(number=invoice_number).first()
    if found is None or not (
        staff_roles(user=actor, agency_id=found.agency_id) & {StaffRole.OFFICER, StaffRole.APPROVER}
    ):
        raise NotFound("invoice", "ใบแจ้งชำระเงิน")
    require_staff(actor, service=found.service)
    refuse_own(actor, found.payer_id)
    amount_satang, method, note = _counter_input(amount_satang, method, note)  # after who may: nothing to learn
    if amount_satang != found.amount_satang:
        raise ValidationFailed(
            "counter_amount_mismatch",
            f"จำนวนเงินที่รับต้องเท่ากับยอดในใบแจ้งชำระเงิน ({found.amount_satang / 100:,.2f} บาท)",
            f"The amount received must be the invoice's amount ({found.amount_satang / 100:,.2f} baht)",
            field="amount_satang",
            details={"invoice_amount_satang": found.amount_satang},
        )
    with transaction.atomic():
        invoice = Invoice.objects.select_for_update(of=("self",)).select_related("agency").get(pk=found.pk)
        if invoice.status == InvoiceStatus.PAID:
            issued = Receipt.objects.filter(invoice=invoice).first()
            raise ApplicationError(
                "invoice_already_paid",
                "ใบแจ้งชำระเงินนี้ชำระแล้ว" + (f" (ใบเสร็จเลขที่ {issued.number})" if issued else ""),
                "This invoice has already been paid" + (f" (receipt {issued.number})" if issued else ""),
                status=409,
                details={"receipt_number": issued.number if issued else None},
            )
        if invoice.status != InvoiceStatus.OPEN:
            raise ApplicationError(
                "invoice_not_open",
                "ใบแจ้งชำระเงินนี้ถูกยกเลิกแล้ว รับชำระไม่ได้",
                "This invoice was cancelled and cannot be paid",
                status=409,
            )
        paid_at = timezone.now()
        opened = CHANNELS[PaymentChannel.COUNTER].open_charge(
            ChargeOpening(
                idempotency_key=uuid.uuid4().hex, amount_satang=amount_satang, ref1=invoice.ref1, ref2=invoice.ref2
            )
        )
        charge = Charge.objects.create(
            invoice=invoice,
            channel=PaymentChannel.COUNTER,
            reference=opened.reference,
            amount_satang=amount_satang,
            method=method,
            recorded_by=actor,
            note=note,
        )
        late = timezone.localtime(paid_at).date() > invoice.due_date
        payment = _post(
            invoice=invoice,
            charge=charge,
            txn_id=charge.reference,
            amount_satang=amount_satang,
            paid_at=paid_at,
            raw={"source": "counter", "method": method, "recorded_by": actor.pk, "note": note},
            actor=actor,
            action="payment.posted_at_counter",
            audit_data={"charge": charge.reference, "method": method, "amount_satang": amount_satang, "late": late}
            | ({"note": note} if note else {}),
        )
    return CounterPosting(payment=payment, charge=charge, receipt=payment.receipt)
