"""Writes on applications: drafts, attachments, submission and the named steps of the lifecycle. Every move goes
through the case engine (`engine.transition`), the only code that changes a case's status."""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterable
from typing import Any

from django.core.files.uploadedfile import UploadedFile
from django.db import transaction

from borikan.audit.services import audit_record
from borikan.catalog.selectors import service_get
from borikan.core.errors import ApplicationError, NotFound, ValidationFailed
from borikan.core.hygiene import strip_invisible
from borikan.eforms.formdata import validate_form_data
from borikan.eforms.services import form_pin_new, form_version_current, schema_current, schema_for_case

from . import engine
from .attachments import check_upload
from .engine import TransitionRefused, lock_case, representing
from .models import Application, Attachment, known_absent
from .workflow import Action, Status

__all__ = ["TransitionRefused"]


def application_transition(
    *,
    application_id: Any,
    action: Action | str,
    actor: Any,
    reason: str = "",
    expected_version: int | None = None,
    extras: Iterable[object] = (),
) -> Application:
    """Move a case one step through the engine (locks, checks, status + event + audit, records, effects)."""
    return engine.transition(
        application_id=application_id,
        action=action,
        actor=actor,
        reason=reason,
        expected_version=expected_version,
        extras=extras,
    )


# --- applicant actions ---------------------------------------------------------------------------


@transaction.atomic
def application_create(
    *, actor: Any, service_slug: str, form_data: dict[str, Any] | None = None, on_behalf_of: str = ""
) -> Application:
    """Start a draft, for the applicant or, through them, for a company they represent."""
    service = service_get(slug=service_slug)
    company = representing(actor, on_behalf_of) if on_behalf_of else None
    if not service.accepts_online_applications:
        raise ApplicationError(
            "service_not_online",
            "บริการนี้ยังไม่เปิดให้ยื่นคำขอออนไลน์ กรุณายื่นที่สำนักงาน",
            "This service does not take applications online yet; apply at the counter",
            status=409,
        )
    form_data = strip_invisible(form_data or {})  # zero-width characters would be printed on the licence
    version = form_version_current(service)  # read once: validated against, then pinned
    validate_form_data(version.definition, form_data, partial=True)
    app = Application.objects.create(
        service=service, agency=service.agency, applicant=actor, on_behalf_of=company, form_data=form_data
    )
    form_pin_new(case_ref=app.case_ref, version=version)
    audit_record(
        actor=actor,
        action="application.created",
        object_type="application",
        object_id=app.pk,
        subject_user_id=actor.pk,
        data={"service": service.slug, "on_behalf_of": company.registration_number if company else ""},
    )
    # A case started now has no history, file, invoice, document or request yet: the response says so unread.
    return known_absent(app, "events", "attachments", "invoice", "document", "information_request")


def renewal_form_data(*, actor: Any, document_id: Any, service_slug: str) -> dict[str, Any]:
    """The answers a renewal starts with: the holder's document, renewable now, of this service (documents)."""
    from borikan.documents.renewal import document_renewal_prefill
    from borikan.documents.selectors import access_document_for_user

    if not str(document_id).isdigit():
        raise NotFound("document", "เอกสาร")
    document = access_document_for_user(user=actor, document_id=int(document_id))
    if document.holder_id != actor.pk:
        raise NotFound("document", "เอกสาร")
    prefill = document_renewal_prefill(document, schema=schema_current(document.service))
    if prefill["service_slug"] != service_slug:
        raise NotFound("document", "เอกสาร")
    return prefill["form_data"]


def _editable_by_applicant(*, actor: Any, application_id: Any) -> Application:
    app = lock_case(application_id)
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
    from borikan.casework.services import refuse_unrequested_changes

    form_data = strip_invisible(form_data)  # zero-width characters would be printed on the licence
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
        from borikan.casework.services import refuse_unrequested_attachment

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
            old_name = old.file.name or ""
            old.delete()
            if old_name:
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
    """Record any fee exemptions claimed, and submit: the engine checks the whole form, gives the case its tracking
    number, pins its versions, acknowledges it and asks for the fee if it is due now."""
    with transaction.atomic():
        app = _editable_by_applicant(actor=actor, application_id=application_id)
        if app.status != Status.DRAFT:
            raise TransitionRefused("illegal_transition", "คำขอนี้ยื่นแล้ว", "This application was already submitted")
        if exemptions:
            # Recorded before the move, so that the fee assessed at submission counts them.
            from borikan.payments.fee_services import exemption_claims_record

            exemption_claims_record(
                actor=actor, case_ref=app.case_ref, service=app.service, codes=exemptions, note=exemption_note
            )
        app = engine.transition_locked(app, action=Action.SUBMIT, actor=actor)
    # Nothing returns a case to draft, so one just submitted from its draft has never had a request for
    # information, and no document is issued before a decision: the response says so unread.
    return known_absent(app, "document", "information_request")


def application_acknowledge(*, application_id: Any) -> str:
    """Tell the applicant that the application was received, with its tracking number and due date (e-mail, or
    SMS without an e-mail address), through the delivery outbox; asking twice writes one message."""
    from .notices import acknowledge

    return acknowledge(Application.objects.select_related("service", "applicant", "agency").get(pk=application_id))


def application_resubmit(*, actor: Any, application_id: Any, form_data: dict[str, Any] | None = None) -> Application:
    with transaction.atomic():
        app = _editable_by_applicant(actor=actor, application_id=application_id)
        if form_data is not None:
            app = application_update(actor=actor, application_id=app.pk, form_data=form_data)
        return engine.transition_locked(app, action=Action.RESUBMIT, actor=actor)


def application_withdraw(*, actor: Any, application_id: Any, reason: str = "") -> Application:
    """Withdraw. Payments, registered with the engine, cancels an unpaid invoice (a late payment is then held for
    an officer) and asks for the refund of a fee already paid."""
    return engine.transition(application_id=application_id, action=Action.WITHDRAW, actor=actor, reason=reason)


# --- staff actions ---------------------------------------------------------------------------------


def application_start_review(*, actor: Any, application_id: Any) -> Application:
    return engine.transition(application_id=application_id, action=Action.START_REVIEW, actor=actor)


def application_request_info(*, actor: Any, application_id: Any, reason: str) -> Application:
    return engine.transition(application_id=application_id, action=Action.REQUEST_INFO, actor=actor, reason=reason)


def application_forward(*, actor: Any, application_id: Any, reason: str = "") -> Application:
    return engine.transition(application_id=application_id, action=Action.FORWARD, actor=actor, reason=reason)


def application_return(*, actor: Any, application_id: Any, reason: str) -> Application:
    return engine.decide(actor=actor, application_id=application_id, outcome="return", reason=reason)


def application_reject(*, actor: Any, application_id: Any, reason: str) -> Application:
    """Reject at the current level; a fee already paid is put up for refund (payments, registered with the engine),
    which another approver then approves."""
    return engine.decide(actor=actor, application_id=application_id, outcome="reject", reason=reason)


def application_approve(*, actor: Any, application_id: Any, reason: str = "") -> Application:
    """Approve at the current level; when the chain is complete the engine asks for the fee or issues the document
    (after commit)."""
    return engine.decide(actor=actor, application_id=application_id, outcome="approve", reason=reason)


def application_appeal(*, actor: Any, application_id: Any, reason: str) -> Application:
    """The applicant appeals a rejection (once, within the window, with a reason)."""
    return engine.appeal(actor=actor, application_id=application_id, reason=reason)


# --- facts reported by the common services ------------------------------------------------------------------------


def application_payment_settled(*, case_ref: str) -> Application:
    """Called when payments reports a settled invoice for this case (inside the posting's transaction)."""
    with transaction.atomic():
        app = lock_case(case_ref)
        if app.status != Status.AWAITING_PAYMENT:
            return app
        return engine.transition_locked(app, action=Action.CONFIRM_PAYMENT, actor=None)


def application_document_delivered(*, case_ref: str) -> Application:
    """Called when delivery reports the document reached the citizen (first channel wins)."""
    with transaction.atomic():
        app = lock_case(case_ref)
        if app.status != Status.ISSUED:
            return app
        return engine.transition_locked(app, action=Action.DELIVER, actor=None)


def application_available_actions(*, actor: Any, app: Application) -> list[str]:
    """The actions this person could take now: drives the buttons on pages and `allowed_actions` in the API."""
    return engine.available_actions(actor=actor, app=app)


STAFF_ACTIONS: dict[Action, Callable[..., Application]] = {
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
