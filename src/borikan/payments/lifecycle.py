"""What payments declares around a case's moves (registered with the case engine in `PaymentsConfig.ready`).

Payments never imports `applications`: it holds the case by its `case_ref` and hooks into the engine's seam
(`core.caseflow`). All of these are rows written in the move's own transaction, so they happen exactly when the
move does, whichever entry point made it.
"""

from __future__ import annotations

from borikan.core import caseflow
from borikan.core.caseflow import TransitionContext

from .models import Invoice, InvoiceStatus
from .refunds import refund_for_case, refund_for_withdrawal
from .services import invoice_cancel

WITHDRAW, LAPSE_WITHDRAW, REJECT, LAPSE_REJECT = "withdraw", "lapse_withdraw", "reject", "lapse_reject"


def _lock_open_invoice(case_ref: str, action: str) -> None:
    """Lock the case's unpaid invoice before the case: the order a payment notification takes them in too."""
    list(Invoice.objects.select_for_update().filter(case_ref=case_ref, status=InvoiceStatus.OPEN).values_list("pk"))


def _cancel_unpaid_invoice(ctx: TransitionContext) -> None:
    """A withdrawn case's unpaid invoice is cancelled, so that a late payment is held for an officer."""
    for invoice in Invoice.objects.filter(case_ref=ctx.case_ref, status=InvoiceStatus.OPEN):
        invoice_cancel(actor=ctx.actor, invoice=invoice, reason="application withdrawn")


def _refund_on_withdrawal(ctx: TransitionContext) -> None:
    """Paid already (a fee due before review): the money goes back, once an approver agrees. Asked in the payer's
    name when the applicant withdraws; by the platform when an unanswered request closed the case."""
    if ctx.action == WITHDRAW and ctx.actor is not None:
        refund_for_withdrawal(payer=ctx.actor, case_ref=ctx.case_ref)
    else:
        refund_for_case(actor=None, case_ref=ctx.case_ref, reason="คำขอถูกปิดเป็นการถอน / closed as withdrawn")


def _refund_on_rejection(ctx: TransitionContext) -> None:
    """A fee already paid is put up for refund when the case is rejected; another approver then approves it."""
    refund_for_case(actor=ctx.actor, case_ref=ctx.case_ref, reason=f"คำขอไม่ได้รับอนุมัติ / rejected: {ctx.reason}")


def register() -> None:
    caseflow.on_lock_first(_lock_open_invoice, actions=[WITHDRAW, LAPSE_WITHDRAW])
    caseflow.on_record(_cancel_unpaid_invoice, actions=[WITHDRAW, LAPSE_WITHDRAW])
    caseflow.on_record(_refund_on_withdrawal, actions=[WITHDRAW, LAPSE_WITHDRAW])
    caseflow.on_record(_refund_on_rejection, actions=[REJECT, LAPSE_REJECT])
