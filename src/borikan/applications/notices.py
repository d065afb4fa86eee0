"""Messages the lifecycle sends the applicant, written into the delivery outbox in the move's own transaction."""

from __future__ import annotations

from borikan.audit.services import audit_record
from borikan.core import caseflow
from borikan.core.errors import ValidationFailed
from borikan.core.messages import citizen_case_url, render_message
from borikan.core.thaidate import thai_date

from .models import Application


def acknowledge(app: Application) -> str:
    # Written into the delivery outbox in the submission's own transaction: sent by a worker once it commits,
    # never if it rolls back, and retried (then dead-lettered for the agency) if the mail server fails.
    from borikan.delivery.services import notification_enqueue

    # Notices read the case through the same field policies as pages and the API (purpose "notice").
    to = caseflow.visible_form_data(None, app, "notice").get("email") or app.applicant.email
    due = thai_date(app.due_date) if app.due_date else "-"
    outbox_fields = {
        "reference": app.tracking_number or "",
        "idempotency_key": f"ack-{app.pk}",
        "user_id": app.applicant_id,
        "agency_id": app.agency_id,
        "case_ref": app.case_ref,
    }
    message = render_message(
        "applications/messages/acknowledgement",
        {
            "name": app.applicant.full_name,
            "tracking": app.tracking_number,
            "agency_th": app.agency.name_th,
            "agency_en": app.agency.name_en,
            "service_th": app.service.name_th,
            "service_en": app.service.name_en,
            "due_th": due,
            "due_iso": app.due_date or "-",
            "case_url": citizen_case_url(app.pk),
        },
    )
    try:
        if not to and app.applicant.mobile:
            # Signed up with a mobile number and gave no e-mail address: the acknowledgement goes by SMS.
            sent = notification_enqueue(channel="sms", to=app.applicant.mobile, body=message.sms, **outbox_fields)
            message_id = sent.idempotency_key
            channel = "sms"
        else:
            sent = notification_enqueue(
                channel="email", to=to, subject=message.subject, body=message.body, **outbox_fields
            )
            message_id = sent.email_message_id
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
