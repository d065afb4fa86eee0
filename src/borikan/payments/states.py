"""The declared state tables of payments' records (core/statemachine.py): the only way their status changes."""

from borikan.core.statemachine import StateTable, declare

from .models import ChargeStatus, ClaimStatus, InvoiceStatus, RefundStatus

Inv, R, C, Ch = InvoiceStatus, RefundStatus, ClaimStatus, ChargeStatus

INVOICE = declare(
    StateTable(
        name="invoice",
        statuses=InvoiceStatus,
        moves={(Inv.OPEN, "pay"): Inv.PAID, (Inv.OPEN, "cancel"): Inv.CANCELLED},
        labels_th={Inv.OPEN: "รอชำระ", Inv.PAID: "ชำระแล้ว", Inv.CANCELLED: "ยกเลิกแล้ว"},
    )
)

CHARGE = declare(
    StateTable(
        name="charge",
        statuses=ChargeStatus,
        # "close": the invoice was cancelled, or another of its charges was paid (ADR 0018).
        moves={(Ch.PENDING, "pay"): Ch.PAID, (Ch.PENDING, "close"): Ch.CLOSED},
        labels_th={Ch.PENDING: "รอชำระ", Ch.PAID: "ชำระแล้ว", Ch.CLOSED: "ปิดโดยไม่มีการชำระ"},
    )
)

REFUND = declare(
    StateTable(
        name="refund",
        statuses=RefundStatus,
        moves={
            (R.REQUESTED, "approve"): R.APPROVED,
            (R.REQUESTED, "reject"): R.REJECTED,
            (R.APPROVED, "send"): R.PENDING,
            (R.APPROVED, "refuse"): R.FAILED,  # the bank refused it when it was sent
            # The bank's notification may overtake the record that the refund was sent.
            (R.APPROVED, "succeed"): R.SUCCEEDED,
            (R.APPROVED, "fail"): R.FAILED,
            (R.PENDING, "succeed"): R.SUCCEEDED,
            (R.PENDING, "fail"): R.FAILED,
            # A counter payment's refund: the officer hands the money back at the counter and records it.
            (R.APPROVED, "pay_out"): R.SUCCEEDED,
        },
        labels_th={
            R.REQUESTED: "รออนุมัติ",
            R.REJECTED: "ไม่อนุมัติ",
            R.APPROVED: "อนุมัติแล้ว (รอส่งธนาคาร หรือรอจ่ายคืนที่เคาน์เตอร์)",
            R.PENDING: "ส่งธนาคารแล้ว",
            R.SUCCEEDED: "คืนเงินแล้ว",
            R.FAILED: "ธนาคารคืนเงินไม่สำเร็จ",
        },
    )
)

EXEMPTION_CLAIM = declare(
    StateTable(
        name="exemption claim",
        statuses=ClaimStatus,
        # An officer may change a decision until the fee is invoiced (fee_services.exemption_claim_decide).
        moves={
            (status, event): target
            for status in C
            for event, target in (("accept", C.ACCEPTED), ("reject", C.REJECTED))
        },
        labels_th={C.CLAIMED: "ขอยกเว้น", C.ACCEPTED: "ได้รับยกเว้น", C.REJECTED: "ไม่ได้รับยกเว้น"},
    )
)
