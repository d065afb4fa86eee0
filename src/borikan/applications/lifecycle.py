"""What the case lifecycle itself declares around its moves (registered in `ApplicationsConfig.ready`).

- At submission: the versions the case will be decided under are pinned, and the acknowledgement is written into
  the delivery outbox (both in the submission's transaction).
- When a fee may fall due (submitted, approved): a fee that comes to nothing is waived then and there; a fee that
  is due asks for payment at once (a follow-up move) and the invoice is created after commit (effect
  ``payments.invoice``), so a slow or absent bank never holds a lock nor fails the move.
- When the case may be issued (approved with no fee to pay, or paid after approval): the document is rendered,
  signed and stored after commit (effect ``documents.issue``), which then moves the case to ``issued``.
"""

from __future__ import annotations

import logging
from typing import Any

from django.db import transaction

from borikan.approvals import services as approvals
from borikan.audit.services import audit_record
from borikan.catalog.models import PaymentTiming, StepMode
from borikan.core import caseflow
from borikan.core.caseflow import EffectJob, TransitionContext

from . import engine
from .models import Application
from .workflow import Action, Status

logger = logging.getLogger(__name__)


class EffectObsolete(Exception):
    """The case moved on before the effect ran (withdrawn, already done): nothing is left to do."""


def _timing_at(target: str) -> PaymentTiming:
    return PaymentTiming.BEFORE_REVIEW if target == Status.SUBMITTED else PaymentTiming.AFTER_APPROVAL


def _case_form_version(app: Application) -> Any:
    """The form version the case was started with, read once per case object (a pin never changes)."""
    from borikan.eforms.services import version_for_case

    version = app.__dict__.get("_pinned_form_version")
    if version is None:
        version = app.__dict__["_pinned_form_version"] = version_for_case(app.case_ref, app.service)
    return version


def pin_versions(app: Application) -> None:
    """Freeze what the case is decided under (form, fee rule, manual and legal basis, approval chain, checklist)."""
    from borikan.casework.services import current_checklist

    approvals.pin_versions(
        app.case_ref,
        app.service,
        _case_form_version(app).number,
        applicant=app.applicant,
        checklist_version_for=lambda service: getattr(current_checklist(service), "version", None),
    )


# --- submission ---------------------------------------------------------------------------------------------------


def _form_complete(ctx: TransitionContext) -> None:
    """The whole form, against the version the case was started with, and its required attachment."""
    from borikan.core.errors import ValidationFailed
    from borikan.eforms.formdata import validate_form_data

    app = ctx.case
    schema = _case_form_version(app).definition
    validate_form_data(schema, app.form_data)
    spec = schema.get("x-attachment") or {}
    if ctx.action == Action.SUBMIT and spec.get("required") and not app.attachments.exists():
        raise ValidationFailed(
            "attachment_required", "กรุณาแนบเอกสารประกอบ", "Please attach the supporting document", field="file"
        )


def _identity_agrees(ctx: TransitionContext) -> None:
    """The applicant's citizen ID, name and birth date in the form are the proven person's (identity binding):
    no one applies as someone else, whatever the form's version."""
    from borikan.identity.proven import require_identity_agrees

    app = ctx.case
    require_identity_agrees(_case_form_version(app).definition, app.form_data, app.applicant)


def _pin_at_submission(ctx: TransitionContext) -> None:
    pin_versions(ctx.case)


def _acknowledge_submission(ctx: TransitionContext) -> None:
    from .notices import acknowledge

    acknowledge(ctx.case)


# --- fees -----------------------------------------------------------------------------------------------------------


def _waive_nothing_to_pay(ctx: TransitionContext) -> None:
    """A fee due at this step that the schedule and the claimed exemptions bring to nothing is waived now."""
    from borikan.payments.fee_services import fee_assess_for_case

    app = ctx.case
    if not engine.fee_due(app, _timing_at(ctx.target)):
        return
    assessment = fee_assess_for_case(case_ref=app.case_ref, service=app.service, form_data=app.form_data)
    if assessment.total_satang > 0:
        return
    ctx.change(fee_waived=True)
    if assessment.fully_exempt:
        audit_record(
            actor=None,
            action="fee.exempted",
            object_type="case",
            object_id=app.case_ref,
            subject_user_id=app.applicant_id,
            data=assessment.as_audit(),
        )


def _ask_for_the_fee(ctx: TransitionContext) -> str | None:
    return Action.REQUEST_PAYMENT.value if engine.fee_due(ctx.case, _timing_at(ctx.target)) else None


def create_invoice(job: EffectJob) -> None:
    """Create the invoice and its charge at the bank for a case awaiting payment. The bank is called with no lock
    held and with the effect's key as the charge's idempotency key, so a retry after a crash finds the same charge;
    the invoice row is written under the case lock only while the case still awaits payment."""
    from borikan.payments.fee_services import invoice_issue_for_case
    from borikan.payments.selectors import invoice_for_case

    app = Application.objects.select_related("service", "agency", "applicant", "on_behalf_of").get(pk=job.case_ref)
    if app.status != Status.AWAITING_PAYMENT:
        raise EffectObsolete(app.status)
    existing = invoice_for_case(case_ref=app.case_ref)
    if existing is not None and existing.status in ("open", "paid"):
        return

    def still_awaiting_payment() -> None:
        if engine.lock_case(app.pk).status != Status.AWAITING_PAYMENT:
            raise EffectObsolete("moved on while the bank answered")

    invoice_issue_for_case(
        actor=None,
        case_ref=app.case_ref,
        service=app.service,
        payer=app.applicant,
        ref1=(app.tracking_number or "").replace("-", ""),
        form_data=app.form_data,
        idempotency_key=job.key,
        before_write=still_awaiting_payment,
        # A service whose payment step is done in person is invoiced for the counter: no QR, no bank call.
        channel="counter" if app.service.mode_payment == StepMode.COUNTER else "thai_qr",
    )


# --- issuance -------------------------------------------------------------------------------------------------------


def _issuable(ctx: TransitionContext) -> bool:
    app = ctx.case
    if ctx.target == Status.APPROVED:
        return not engine.fee_due(app, PaymentTiming.AFTER_APPROVAL)
    return app.service.payment_timing == PaymentTiming.AFTER_APPROVAL  # paid: the fee after approval


def holder_name(app: Application) -> str:
    """Whom the document names: the company its verified representative applied for, else the proven person
    (never a name typed in the form)."""
    from borikan.identity.proven import holder_name as person_name

    company = app.on_behalf_of
    if company is not None:
        return f"{company.name_th} ({company.registration_number})"
    return person_name(app.applicant)


def holder_fields(app: Application) -> dict[str, str]:
    service = app.service
    return {
        "ผู้ได้รับอนุญาต / Holder": holder_name(app),
        "เลขที่คำขอ / Application": app.tracking_number or "",
        "บริการ / Service": service.name_th,
    }


def issue_document(job: EffectJob) -> None:
    """Render, sign and store the case's document with no lock held (documents numbers it in a short transaction
    of its own and returns the document already made on a retry), then move the case to issued."""
    from borikan.documents.services import document_issue
    from borikan.eforms.services import version_for_case

    app = Application.objects.select_related("service", "agency", "applicant", "on_behalf_of").get(pk=job.case_ref)
    if app.status not in (Status.APPROVED, Status.PAID) or not engine.guard(app, Action.ISSUE, "").ok:
        raise EffectObsolete(app.status)
    service = app.service
    document_issue(
        actor=None,
        case_ref=app.case_ref,
        agency=app.agency,
        holder=app.applicant,
        holder_name=holder_name(app),
        title_th=service.document_title_th or service.name_th,
        title_en=service.name_en,
        fields=holder_fields(app),
        valid_days=service.document_validity_days,
        service=service,
        renewal_data=app.form_data,
        renewal_schema=version_for_case(app.case_ref, service).definition,  # the form the case was decided on
    )
    with transaction.atomic():
        app = engine.lock_case(job.case_ref)
        if app.status in (Status.APPROVED, Status.PAID):
            engine.transition_locked(app, action=Action.ISSUE, actor=None)


def register() -> None:
    caseflow.on_check(_form_complete, actions=[Action.SUBMIT, Action.RESUBMIT], for_buttons=False)
    caseflow.on_check(_identity_agrees, actions=[Action.SUBMIT, Action.RESUBMIT], for_buttons=False)
    caseflow.on_record(_pin_at_submission, actions=[Action.SUBMIT])
    caseflow.on_record(_acknowledge_submission, actions=[Action.SUBMIT])
    caseflow.on_change(_waive_nothing_to_pay, targets=[Status.SUBMITTED, Status.APPROVED])
    caseflow.on_follow(_ask_for_the_fee, targets=[Status.SUBMITTED, Status.APPROVED])
    caseflow.effect("payments.invoice", create_invoice, targets=[Status.AWAITING_PAYMENT])
    caseflow.effect("documents.issue", issue_document, targets=[Status.APPROVED, Status.PAID], applies=_issuable)
