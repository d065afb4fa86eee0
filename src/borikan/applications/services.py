"""Writes on applications. `application_transition` is the only code that changes a case's status."""

from __future__ import annotations

import datetime as dt
import hashlib
import uuid
from dataclasses import dataclass
from typing import Any

from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.utils import timezone

from borikan.agencies.models import StaffRole
from borikan.agencies.selectors import staff_roles
from borikan.approvals import services as approvals
from borikan.audit.services import audit_record
from borikan.catalog.models import PaymentTiming, Service, StepMode
from borikan.catalog.selectors import service_get
from borikan.core.errors import ApplicationError, NotFound, PermissionDenied, ValidationFailed
from borikan.core.thaidate import be_year, thai_date
from borikan.eforms.services import form_pin, schema_current, schema_for_case, version_for_case
from borikan.identity.enforcement import Step, require_for_service, require_staff
from borikan.identity.juristic import may_act_for

from .attachments import check_upload
from .deadlines import working_days_due
from .formdata import validate_form_data
from .models import Application, ApplicationEvent, Attachment, PublicHoliday, TrackingCounter
from .workflow import ACTION_ROLES, REASON_REQUIRED, TRANSITIONS, Action, Role, Status


class TransitionRefused(ApplicationError):
    status = 409


@dataclass(frozen=True)
class Guard:
    ok: bool
    code: str = ""
    message_th: str = ""
    message_en: str = ""


ALLOWED = Guard(True)


def _charges_fee(service: Service) -> bool:
    """A fee paid online: a flat `fee_satang`, or a fee schedule in payments (cached on the service once read)."""
    if service.mode_payment != StepMode.ONLINE:
        return False
    return bool(service.fee_satang) or hasattr(service, "fee_schedule")


def _fee_due(app: Application, timing: PaymentTiming) -> bool:
    return not app.fee_waived and app.service.payment_timing == timing and _charges_fee(app.service)


def _guard(app: Application, action: Action, reason: str) -> Guard:
    """Conditions beyond the table and the role. Plain predicates over the case, no I/O."""
    service, status = app.service, Status(app.status)
    if action in REASON_REQUIRED and not reason.strip():
        return Guard(False, "reason_required", "กรุณาระบุเหตุผล", "A reason is required for this action")
    if action == Action.START_REVIEW and status == Status.SUBMITTED and _fee_due(app, PaymentTiming.BEFORE_REVIEW):
        return Guard(False, "payment_required", "ต้องชำระค่าธรรมเนียมก่อนการพิจารณา", "The fee must be paid before review")
    if (
        action == Action.START_REVIEW
        and status == Status.PAID
        and service.payment_timing != PaymentTiming.BEFORE_REVIEW
    ):
        return Guard(False, "already_reviewed", "คำขอนี้ผ่านการพิจารณาแล้ว", "This application has already been reviewed")
    if action == Action.WITHDRAW and status == Status.PAID and service.payment_timing != PaymentTiming.BEFORE_REVIEW:
        return Guard(False, "already_decided", "คำขอได้รับการอนุมัติแล้ว ถอนไม่ได้", "The application is already approved")
    if action == Action.REQUEST_PAYMENT:
        timing = PaymentTiming.BEFORE_REVIEW if status == Status.SUBMITTED else PaymentTiming.AFTER_APPROVAL
        if not _fee_due(app, timing):
            return Guard(False, "no_fee_due", "ไม่มีค่าธรรมเนียมที่ต้องชำระในขั้นนี้", "No fee is due at this step")
    if action == Action.ISSUE:
        if status == Status.APPROVED and _fee_due(app, PaymentTiming.AFTER_APPROVAL):
            return Guard(False, "payment_required", "ต้องชำระค่าธรรมเนียมก่อนออกเอกสาร", "The fee must be paid first")
        if status == Status.PAID and service.payment_timing != PaymentTiming.AFTER_APPROVAL:
            return Guard(False, "not_approved", "คำขอยังไม่ได้รับการอนุมัติ", "The application is not approved yet")
    return ALLOWED


def _roles_of(actor: Any, app: Application) -> set[Role]:
    """The actor's roles on this case. Remembered on the loaded case, so one request asks the database once."""
    if actor is None:
        return {Role.SYSTEM}
    remembered = app.__dict__.setdefault("_roles_by_actor", {})
    if actor.pk not in remembered:
        roles: set[Role] = {Role.APPLICANT} if actor.pk == app.applicant_id else set()
        held = staff_roles(user=actor, agency_id=app.agency_id)
        if StaffRole.OFFICER in held:
            roles.add(Role.OFFICER)
        if StaffRole.APPROVER in held:
            roles.add(Role.APPROVER)
        elif (
            held
            and app.status == Status.PENDING_APPROVAL
            and approvals.can_decide_now(actor=actor, case_ref=app.case_ref)
        ):
            roles.add(Role.APPROVER)  # a director or admin named in the chain, or a delegate standing in
        remembered[actor.pk] = frozenset(roles)
    return set(remembered[actor.pk])


# The applicant's protected steps; staff actions all need staff assurance (identity/enforcement.py decides).
APPLICANT_STEPS = {Action.SUBMIT: Step.SUBMIT, Action.RESUBMIT: Step.ANSWER_REQUEST, Action.APPEAL: Step.SUBMIT}


def _require_assurance(actor: Any, app: Application, action: Action, acting_roles: set[Role]) -> None:
    if Role.APPLICANT in acting_roles:
        if action in APPLICANT_STEPS:
            require_for_service(actor, app.service, APPLICANT_STEPS[action])
            if app.on_behalf_of_id is not None:  # the authority may have ended since the draft was started
                _representing(actor, app.on_behalf_of.registration_number)
        return
    require_staff(actor, service=app.service, approving=action == Action.APPROVE)


def _uuid_or_404(value: Any) -> uuid.UUID:
    try:
        return value if isinstance(value, uuid.UUID) else uuid.UUID(str(value))
    except ValueError:
        raise NotFound("application", "คำขอ") from None


def _lock(application_id: Any) -> Application:
    application_id = _uuid_or_404(application_id)
    app = (
        Application.objects.select_for_update(of=("self",))
        .select_related("service", "agency", "applicant")
        .filter(pk=application_id)
        .first()
    )
    if app is None:
        raise NotFound("application", "คำขอ")
    return app


def application_transition(
    *,
    application_id: Any,
    action: Action | str,
    actor: Any,
    reason: str = "",
    expected_version: int | None = None,
) -> Application:
    """Move a case one step. Locks the row, checks table, role and guards; writes status, event and audit together."""
    try:
        action = Action(action)
    except ValueError:
        raise ValidationFailed("unknown_action", "ไม่รู้จักการดำเนินการนี้", f"Unknown action {action!r}") from None
    if action in DECISION_OUTCOMES:  # decided through the approval chain, never past it
        return _decide(
            actor=actor,
            application_id=application_id,
            outcome=DECISION_OUTCOMES[action],
            reason=reason,
            expected_version=expected_version,
        )
    with transaction.atomic():
        return _transition(_lock(application_id), action=action, actor=actor, reason=reason,
                           expected_version=expected_version)  # fmt: skip


# Approval decisions: the case moves only after approvals has recorded the decision (`_decide`).
DECISION_OUTCOMES = {
    Action.APPROVE: "approve",
    Action.APPROVE_LEVEL: "approve",
    Action.REJECT: "reject",
    Action.RETURN: "return",
}


def _transition(
    app: Application,
    *,
    action: Action,
    actor: Any,
    reason: str = "",
    expected_version: int | None = None,
    decided: bool = False,
) -> Application:
    """The body of application_transition, for callers that already hold the row lock in this transaction."""
    roles = _roles_of(actor, app)
    if not roles:
        # Not the applicant and not staff of the case's agency: the case does not exist for them.
        raise NotFound("application", "คำขอ")
    source = Status(app.status)
    target = TRANSITIONS.get((source, action))
    if target is None:
        raise TransitionRefused(
            "illegal_transition",
            f"ไม่สามารถ{action.label}คำขอที่อยู่ในสถานะ {source.label} ได้",
            f"Cannot {action.label} an application that is {source.label}",
            details={"status": source.value, "action": action.value},
        )
    acting_roles = roles & ACTION_ROLES[action]
    if not acting_roles:
        raise PermissionDenied("คุณไม่มีสิทธิ์ดำเนินการนี้", f"You may not {action.label} this application")
    if actor is not None:
        _require_assurance(actor, app, action, acting_roles)
    if expected_version is not None and expected_version != app.version:
        raise TransitionRefused(
            "stale_version",
            "คำขอถูกแก้ไขโดยผู้อื่นแล้ว กรุณาโหลดใหม่",
            "Someone else changed this application; reload it",
        )
    if action in DECISION_OUTCOMES and not decided:
        raise TransitionRefused(
            "decision_required",
            "การอนุมัติต้องบันทึกผ่านสายการอนุมัติ",
            "An approval decision is recorded through the approval chain",
        )
    guard = _guard(app, action, reason)
    if not guard.ok:
        raise TransitionRefused(guard.code, guard.message_th, guard.message_en)
    from . import casework

    casework.transition_checks(app, action)  # asks only once; a complete checklist before forwarding
    now = timezone.now()
    app.status = target
    app.version += 1
    fields = ["status", "version", "updated_at", *casework.transition_prepare(app, source, action)]
    if action == Action.SUBMIT:
        app.tracking_number = _next_tracking_number(app)
        app.submitted_at = now
        app.due_date = _due_date(timezone.localdate(now), app.service.processing_time_days)
        fields += ["tracking_number", "submitted_at", "due_date"]
    if target in (Status.APPROVED, Status.REJECTED):
        app.decided_at = now
        fields.append("decided_at")
    if action == Action.START_REVIEW and actor is not None:
        app.assigned_to = actor
        fields.append("assigned_to")
    app.save(update_fields=fields)
    role = Role.SYSTEM if actor is None else sorted(acting_roles)[0]
    ApplicationEvent.objects.create(
        application=app,
        actor=actor,
        actor_role=role,
        action=action,
        from_status=source,
        to_status=target,
        reason=reason.strip(),
    )
    audit_record(
        actor=actor,
        action=f"application.{action.value}",
        object_type="application",
        object_id=app.pk,
        subject_user_id=app.applicant_id,
        data={"from": source.value, "to": target.value, "tracking_number": app.tracking_number or ""},
    )
    casework.transition_after(app, source, action, actor, reason)
    return app


def _due_date(start: dt.date, days: int) -> dt.date:
    # Enough calendar days to hold `days` working days even around Songkran and New Year.
    horizon = start + dt.timedelta(days=days * 2 + 30)
    holidays = set(PublicHoliday.objects.filter(date__range=(start, horizon)).values_list("date", flat=True))
    return working_days_due(start, days, holidays)


def _next_tracking_number(app: Application) -> str:
    """'DLT-2569-000042': agency, Buddhist-Era year, a gap-free sequence per agency and year."""
    year = be_year(timezone.localdate())
    counter = TrackingCounter.objects.select_for_update().filter(agency_id=app.agency_id, year_be=year).first()
    if counter is None:  # first case of the year; get_or_create copes with a concurrent first submission
        TrackingCounter.objects.get_or_create(agency_id=app.agency_id, year_be=year)
        counter = TrackingCounter.objects.select_for_update().get(agency_id=app.agency_id, year_be=year)
    counter.last += 1
    counter.save(update_fields=["last"])
    return f"{app.agency.code}-{year}-{counter.last:06d}"


# --- applicant actions ---------------------------------------------------------------------------


def _representing(actor: Any, registration_number: str) -> Any:
    """The company the applicant acts for, refused unless they stand as its representative now."""
    company = may_act_for(actor, registration_number)
    if company is None:
        raise PermissionDenied(
            "ท่านไม่ได้เป็นผู้แทนที่ได้รับมอบอำนาจของนิติบุคคลนี้ (หรือการมอบอำนาจสิ้นสุดแล้ว)",
            "You are not a recorded authorised representative of this company (or the authority has ended)",
            code="not_a_representative",
        )
    return company


@transaction.atomic
def application_create(
    *, actor: Any, service_slug: str, form_data: dict[str, Any] | None = None, on_behalf_of: str = ""
) -> Application:
    """Start a draft, for the applicant or, through them, for a company they represent."""
    service = service_get(slug=service_slug)
    company = _representing(actor, on_behalf_of) if on_behalf_of else None
    if not service.accepts_online_applications:
        raise ApplicationError(
            "service_not_online",
            "บริการนี้ยังไม่เปิดให้ยื่นคำขอออนไลน์ กรุณายื่นที่สำนักงาน",
            "This service does not take applications online yet; apply at the counter",
            status=409,
        )
    form_data = form_data or {}
    validate_form_data(schema_current(service), form_data, partial=True)
    app = Application.objects.create(
        service=service, agency=service.agency, applicant=actor, on_behalf_of=company, form_data=form_data
    )
    form_pin(case_ref=app.case_ref, service=service)
    audit_record(
        actor=actor,
        action="application.created",
        object_type="application",
        object_id=app.pk,
        subject_user_id=actor.pk,
        data={"service": service.slug, "on_behalf_of": company.registration_number if company else ""},
    )
    return app


def renewal_form_data(*, actor: Any, document_id: Any, service_slug: str) -> dict[str, Any]:
    """The answers a renewal starts with: the holder's document, renewable now, of this service (documents)."""
    from borikan.documents.renewal import document_renewal_prefill
    from borikan.documents.selectors import access_document_for_user

    if not str(document_id).isdigit():
        raise NotFound("document", "เอกสาร")
    document = access_document_for_user(user=actor, document_id=int(document_id))
    if document.holder_id != actor.pk:
        raise NotFound("document", "เอกสาร")
    prefill = document_renewal_prefill(document)
    if prefill["service_slug"] != service_slug:
        raise NotFound("document", "เอกสาร")
    return prefill["form_data"]


def _editable_by_applicant(*, actor: Any, application_id: Any) -> Application:
    app = _lock(application_id)
    if app.applicant_id != actor.pk:
        raise NotFound("application", "คำขอ")
    if app.status not in (Status.DRAFT, Status.INFO_REQUESTED):
        raise TransitionRefused(
            "not_editable", "แก้ไขคำขอในสถานะนี้ไม่ได้", "The application cannot be changed in its current status"
        )
    return app


@transaction.atomic
def application_update(
    *, actor: Any, application_id: Any, form_data: dict[str, Any], expected_version: int | None = None
) -> Application:
    app = _editable_by_applicant(actor=actor, application_id=application_id)
    if expected_version is not None and expected_version != app.version:
        raise TransitionRefused(
            "stale_version", "คำขอถูกแก้ไขจากที่อื่นแล้ว กรุณาโหลดใหม่", "The application changed elsewhere; reload it"
        )
    from .casework import refuse_unrequested_changes

    refuse_unrequested_changes(app, form_data)  # answering a request: only the fields the officer marked
    validate_form_data(schema_for_case(app.case_ref, app.service), form_data, partial=True)
    app.form_data = form_data
    app.version += 1
    app.save(update_fields=["form_data", "version", "updated_at"])
    audit_record(
        actor=actor,
        action="application.updated",
        object_type="application",
        object_id=app.pk,
        subject_user_id=app.applicant_id,
        data={"fields": sorted(form_data)},
    )
    return app


def application_attach(*, actor: Any, application_id: Any, upload: UploadedFile) -> Attachment:
    """Store the one supporting file of the form; a new upload replaces the old one. Checked before any write."""
    head = upload.read(16)
    upload.seek(0)
    with transaction.atomic():
        app = _editable_by_applicant(actor=actor, application_id=application_id)
        spec = schema_for_case(app.case_ref, app.service).get("x-attachment") or {}
        if not spec:
            raise ValidationFailed("no_attachment_field", "แบบคำขอนี้ไม่รับไฟล์แนบ", "This form takes no attachment")
        from .casework import refuse_unrequested_attachment

        refuse_unrequested_attachment(app, spec["name"])
        content_type = check_upload(
            head=head,
            size=upload.size or 0,
            declared_type=upload.content_type or "",
            allowed=spec["content_types"],
        )
        digest = hashlib.sha256()
        for chunk in upload.chunks():
            digest.update(chunk)
        upload.seek(0)
        old = Attachment.objects.filter(application=app, field_name=spec["name"]).first()
        attachment = Attachment(
            application=app,
            field_name=spec["name"],
            original_name=(upload.name or "file")[-255:],
            content_type=content_type,
            size=upload.size or 0,
            sha256=digest.hexdigest(),
            uploaded_by=actor,
        )
        extension = {"application/pdf": "pdf", "image/jpeg": "jpg", "image/png": "png"}[content_type]
        attachment.file.save(f"{app.pk.hex}.{extension}", upload, save=False)
        if old is not None:
            old_name = old.file.name
            old.delete()
            transaction.on_commit(lambda: attachment.file.storage.delete(old_name))
        attachment.save()
        audit_record(
            actor=actor,
            action="application.attachment_added",
            object_type="application",
            object_id=app.pk,
            subject_user_id=app.applicant_id,
            data={"sha256": attachment.sha256, "size": attachment.size, "content_type": content_type},
        )
    return attachment


def application_submit(
    *, actor: Any, application_id: Any, exemptions: list[str] | None = None, exemption_note: str = ""
) -> Application:
    """Validate the whole form, record any fee exemptions claimed, give the case its tracking number, and ask for
    the fee if it is due now."""
    with transaction.atomic():
        app = _editable_by_applicant(actor=actor, application_id=application_id)
        if app.status != Status.DRAFT:
            raise TransitionRefused("illegal_transition", "คำขอนี้ยื่นแล้ว", "This application was already submitted")
        schema = _case_form(app).definition
        validate_form_data(schema, app.form_data)
        spec = schema.get("x-attachment") or {}
        if spec.get("required") and not app.attachments.exists():
            raise ValidationFailed(
                "attachment_required",
                "กรุณาแนบเอกสารประกอบ",
                "Please attach the supporting document",
                field="file",
            )
        app = _transition(app, action=Action.SUBMIT, actor=actor)
        _pin_versions(app)
        if exemptions:
            from borikan.payments.fee_services import exemption_claims_record

            exemption_claims_record(
                actor=actor, case_ref=app.case_ref, service=app.service, codes=exemptions, note=exemption_note
            )
        if _fee_due(app, PaymentTiming.BEFORE_REVIEW):
            app = _request_payment(app)
        _acknowledge(app)
    return app


def application_acknowledge(*, application_id: Any) -> str:
    """Tell the applicant that the application was received, with its tracking number and due date (e-mail, or
    SMS without an e-mail address), through the delivery outbox; asking twice writes one message."""
    return _acknowledge(Application.objects.select_related("service", "applicant", "agency").get(pk=application_id))


def _acknowledge(app: Application) -> str:
    # Written into the delivery outbox in the submission's own transaction: sent by a worker once it commits,
    # never if it rolls back, and retried (then dead-lettered for the agency) if the mail server fails.
    from borikan.delivery.services import notification_enqueue

    to = app.form_data.get("email") or app.applicant.email
    due = thai_date(app.due_date) if app.due_date else "-"
    outbox_fields = {
        "reference": app.tracking_number or "",
        "idempotency_key": f"ack-{app.pk}",
        "user_id": app.applicant_id,
        "agency_id": app.agency_id,
        "case_ref": app.case_ref,
    }
    try:
        if not to and app.applicant.mobile:
            # Signed up with a mobile number and gave no e-mail address: the acknowledgement goes by SMS.
            message = notification_enqueue(
                channel="sms",
                to=app.applicant.mobile,
                body=f"borikan: {app.agency.name_th} ได้รับคำขอ {app.tracking_number} แล้ว กำหนดแล้วเสร็จ {due}",
                **outbox_fields,
            )
            message_id = message.idempotency_key
            channel = "sms"
        else:
            body = (
                f"เรียน {app.applicant.full_name}\n\n"
                f'{app.agency.name_th} ได้รับคำขอ "{app.service.name_th}" ของท่านแล้ว\n'
                f"เลขที่คำขอ: {app.tracking_number}\nกำหนดพิจารณาแล้วเสร็จภายใน: {due}\n\n"
                f"Dear {app.applicant.full_name},\n\n"
                f'{app.agency.name_en} has received your application "{app.service.name_en}".\n'
                f"Tracking number: {app.tracking_number}\nTo be decided by: {app.due_date or '-'}\n"
            )
            message = notification_enqueue(
                channel="email",
                to=to,
                subject=f"ได้รับคำขอแล้ว / Application received: {app.tracking_number}",
                body=body,
                **outbox_fields,
            )
            message_id = message.email_message_id
            channel = "email"
    except ValidationFailed as error:
        # An address the outbox refuses must not undo the submission: the case page still shows the receipt.
        audit_record(
            actor=None,
            action="application.acknowledgement_undeliverable",
            object_type="application",
            object_id=app.pk,
            subject_user_id=app.applicant_id,
            data={"code": error.code},
        )
        return ""
    audit_record(
        actor=None,
        action="application.acknowledged",
        object_type="application",
        object_id=app.pk,
        subject_user_id=app.applicant_id,
        data={"message_id": message_id, "channel": channel},
    )
    return message_id


def application_resubmit(*, actor: Any, application_id: Any, form_data: dict[str, Any] | None = None) -> Application:
    with transaction.atomic():
        app = _editable_by_applicant(actor=actor, application_id=application_id)
        if form_data is not None:
            app = application_update(actor=actor, application_id=app.pk, form_data=form_data)
        validate_form_data(schema_for_case(app.case_ref, app.service), app.form_data)
        return application_transition(application_id=app.pk, action=Action.RESUBMIT, actor=actor)


def application_withdraw(*, actor: Any, application_id: Any, reason: str = "") -> Application:
    """Withdraw; cancel an unpaid invoice so that a late payment is held for an officer, not accepted; ask for the
    refund of a fee already paid.

    The invoice is locked before the case, the same order as a payment notification takes them, so the two
    cannot deadlock; if the withdrawal is refused, the cancellation rolls back with it.
    """
    from borikan.payments.models import InvoiceStatus
    from borikan.payments.refunds import refund_for_withdrawal
    from borikan.payments.selectors import invoice_for_case
    from borikan.payments.services import invoice_cancel

    case_ref = str(_uuid_or_404(application_id))
    with transaction.atomic():
        invoice = invoice_for_case(case_ref=case_ref)
        if invoice is not None and invoice.status == InvoiceStatus.OPEN:
            invoice_cancel(actor=actor, invoice=invoice, reason="application withdrawn")
        app = application_transition(application_id=case_ref, action=Action.WITHDRAW, actor=actor, reason=reason)
        # Paid already (a fee due before review): the money goes back, once an approver agrees.
        refund_for_withdrawal(payer=actor, case_ref=case_ref)
        return app


# --- staff actions ---------------------------------------------------------------------------------


def application_start_review(*, actor: Any, application_id: Any) -> Application:
    return application_transition(application_id=application_id, action=Action.START_REVIEW, actor=actor)


def application_request_info(*, actor: Any, application_id: Any, reason: str) -> Application:
    return application_transition(application_id=application_id, action=Action.REQUEST_INFO, actor=actor, reason=reason)


def application_forward(*, actor: Any, application_id: Any, reason: str = "") -> Application:
    return application_transition(application_id=application_id, action=Action.FORWARD, actor=actor, reason=reason)


def _case_form(app: Application) -> Any:
    """The form version the case was started with (eforms), looked up once per loaded case."""
    if "_form_version" not in app.__dict__:
        app.__dict__["_form_version"] = version_for_case(app.case_ref, app.service)
    return app.__dict__["_form_version"]


def _pin_versions(app: Application) -> None:
    """Freeze what the case is decided under (form, fee rule, manual and legal basis, approval chain, checklist)."""
    from .casework import current_checklist

    approvals.pin_versions(
        app.case_ref,
        app.service,
        _case_form(app).number,
        applicant=app.applicant,
        checklist_version_for=lambda service: getattr(current_checklist(service), "version", None),
    )


def _decide(
    *, actor: Any, application_id: Any, outcome: str, reason: str, expected_version: int | None = None
) -> Application:
    """Record an approver's decision at the chain's current level (approvals app), then move the case: the chain
    approved → approved; a level approved and another follows → still pending approval; reject; return."""
    with transaction.atomic():
        app = _lock(application_id)
        _roles_of(actor, app)  # who may decide is judged before the decision moves the chain on
        if app.status != Status.PENDING_APPROVAL or (expected_version is not None and expected_version != app.version):
            # refused by the table or the version check, with their reason
            return _transition(
                app, action=Action(outcome), actor=actor, reason=reason, expected_version=expected_version, decided=True
            )
        if not approvals.is_pinned(app.case_ref):
            _pin_versions(app)  # a case submitted before approval chains existed: pinned at its first decision
        step = approvals.next_step(app.case_ref)
        decision = approvals.decision_record(
            actor=actor,
            case_ref=app.case_ref,
            service=app.service,
            level=step.level,
            outcome=outcome,
            reason=reason,
            form_data_digest=approvals.form_data_digest(app.form_data),
        )
        action = approvals.lifecycle_action(decision)
        next_action = Action(action) if action else Action.APPROVE_LEVEL
        return _transition(app, action=next_action, actor=actor, reason=reason, decided=True)


def application_return(*, actor: Any, application_id: Any, reason: str) -> Application:
    return _decide(actor=actor, application_id=application_id, outcome="return", reason=reason)


def application_reject(*, actor: Any, application_id: Any, reason: str) -> Application:
    """Reject; a fee already paid (before review) is put up for refund, which another approver then approves."""
    from borikan.payments.refunds import refund_for_case

    with transaction.atomic():
        app = _decide(actor=actor, application_id=application_id, outcome="reject", reason=reason)
        refund_for_case(actor=actor, case_ref=app.case_ref, reason=f"คำขอไม่ได้รับอนุมัติ / rejected: {reason}"[:500])
    return app


def application_approve(*, actor: Any, application_id: Any, reason: str = "") -> Application:
    """Approve at the current level; when the chain is complete, ask for the fee or issue the document (after
    commit, as a background task)."""
    with transaction.atomic():
        app = _decide(actor=actor, application_id=application_id, outcome="approve", reason=reason)
        if app.status == Status.APPROVED and _fee_due(app, PaymentTiming.AFTER_APPROVAL):
            app = _request_payment(app)
        if app.status == Status.APPROVED:  # no fee, or fully exempt: issue now
            _issue_after_commit(app)
    return app


def application_appeal(*, actor: Any, application_id: Any, reason: str) -> Application:
    """The applicant appeals a rejection (once, within the window, with a reason): review reopens at the next
    level of the chain."""
    with transaction.atomic():
        app = _lock(application_id)
        if app.applicant_id != getattr(actor, "pk", None):
            raise NotFound("application", "คำขอ")
        approvals.appeal_lodge(actor=actor, case_ref=app.case_ref, reason=reason)
        return _transition(app, action=Action.APPEAL, actor=actor, reason=reason)


# --- steps the platform takes ------------------------------------------------------------------------


def _request_payment(app: Application) -> Application:
    """Invoice the fee the service's schedule gives for this case (payments). A fee that comes to nothing (a full
    exemption) is not invoiced: the case is marked fee-waived and goes on without a payment step."""
    from borikan.payments.fee_services import invoice_issue_for_case

    decision = invoice_issue_for_case(
        actor=None,
        case_ref=app.case_ref,
        service=app.service,
        payer=app.applicant,
        ref1=(app.tracking_number or "").replace("-", ""),
        form_data=app.form_data,
    )
    if not decision.payment_needed:
        app.fee_waived = True
        app.save(update_fields=["fee_waived", "updated_at"])
        return app
    return _transition(app, action=Action.REQUEST_PAYMENT, actor=None)


def _issue_after_commit(app: Application) -> None:
    from .tasks import issue_application_document

    application_id = str(app.pk)
    transaction.on_commit(lambda: issue_application_document.enqueue(application_id))


def application_payment_settled(*, case_ref: str) -> Application:
    """Called when payments reports a settled invoice for this case."""
    with transaction.atomic():
        app = _lock(case_ref)
        if app.status != Status.AWAITING_PAYMENT:
            return app
        app = _transition(app, action=Action.CONFIRM_PAYMENT, actor=None)
        if app.service.payment_timing == PaymentTiming.AFTER_APPROVAL:
            _issue_after_commit(app)
    return app


def application_issue(*, application_id: Any, actor: Any = None) -> Application:
    """Issue the licence or document of an approved (and, if due, paid) case, then deliver it."""
    from borikan.delivery.services import delivery_send
    from borikan.documents.services import document_issue

    with transaction.atomic():
        app = _lock(application_id)
        if app.status not in (Status.APPROVED, Status.PAID):
            return app
        service = app.service
        document = document_issue(
            actor=actor,
            case_ref=app.case_ref,
            agency=app.agency,
            holder=app.applicant,
            title_th=service.document_title_th or service.name_th,
            title_en=service.name_en,
            fields={
                "ผู้ได้รับอนุญาต / Holder": app.form_data.get("full_name") or app.applicant.full_name,
                "เลขที่คำขอ / Application": app.tracking_number or "",
                "บริการ / Service": service.name_th,
            },
            valid_days=service.document_validity_days,
            service=service,
            renewal_data=app.form_data,
        )
        app = _transition(app, action=Action.ISSUE, actor=actor)
        channels = ["wallet", "email"] if app.applicant.email else ["wallet"]
        delivery_send(actor=actor, document=document, channels=channels)
    return app


def application_document_delivered(*, case_ref: str) -> Application:
    """Called when delivery reports the document reached the citizen (first channel wins)."""
    with transaction.atomic():
        app = _lock(case_ref)
        if app.status != Status.ISSUED:
            return app
        return _transition(app, action=Action.DELIVER, actor=None)


def application_available_actions(*, actor: Any, app: Application) -> list[str]:
    """The actions this person could take now: drives the buttons on pages and `allowed_actions` in the API."""
    roles = _roles_of(actor, app)
    available = []
    for (source, action), _target in TRANSITIONS.items():
        if source != app.status or not (roles & ACTION_ROLES[action]) or Role.SYSTEM in ACTION_ROLES[action]:
            continue
        if _guard(app, action, reason="-").ok and casework_allows(app, action):
            available.append(action.value)
    return available


def casework_allows(app: Application, action: Action) -> bool:
    """False when casework would refuse the action now (information already asked for; checklist incomplete)."""
    from .casework import transition_checks

    try:
        transition_checks(app, action)
    except ApplicationError:
        return False
    return True


STAFF_ACTIONS = {
    Action.START_REVIEW: application_start_review,
    Action.REQUEST_INFO: application_request_info,
    Action.FORWARD: application_forward,
    Action.APPROVE: application_approve,
    Action.REJECT: application_reject,
    Action.RETURN: application_return,
}


def application_staff_act(*, actor: Any, application_id: Any, action: str, reason: str = "") -> Application:
    """One entry point for the officer and approver buttons (and the matching API call)."""
    try:
        handler = STAFF_ACTIONS[Action(action)]
    except (ValueError, KeyError):
        raise ValidationFailed("unknown_action", "ไม่รู้จักการดำเนินการนี้", f"Unknown action {action!r}") from None
    if handler in (application_start_review,):
        return handler(actor=actor, application_id=application_id)
    return handler(actor=actor, application_id=application_id, reason=reason)
