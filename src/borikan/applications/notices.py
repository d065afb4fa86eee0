"""Messages the lifecycle sends the applicant, written into the delivery outbox in the move's own transaction."""

from __future__ import annotations

from borikan.audit.services import audit_record
from borikan.core.errors import ValidationFailed
from borikan.core.thaidate import thai_date

from .models import Application


def acknowledge(app: Application) -> str:
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
