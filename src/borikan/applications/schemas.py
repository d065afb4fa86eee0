import datetime as dt
import uuid
from typing import Any

from ninja import Schema
from pydantic import Field

from borikan.core.fields import Code, Days, Id, Label, LongText, Text, Version

from .models import is_known_absent


class ApplicationCreateIn(Schema):
    service: Code
    form_data: dict[str, Any] = {}
    on_behalf_of: Code = ""  # a company's 13-digit registration number, when applying as its representative


class ApplicationUpdateIn(Schema):
    form_data: dict[str, Any]
    version: Version | None = None


class SubmitIn(Schema):
    exemptions: list[Code] = Field([], max_length=20)  # codes of the service's fee exemptions the applicant claims
    exemption_note: Text = ""


class ReasonIn(Schema):
    reason: Text = ""


class EventOut(Schema):
    action: str
    from_status: str
    to_status: str
    actor_role: str
    reason: str
    created_at: dt.datetime


class AttachmentOut(Schema):
    id: int
    field_name: str
    original_name: str
    content_type: str
    size: int
    sha256: str


class InvoiceRefOut(Schema):
    number: str
    amount_satang: int
    status: str


class DocumentRefOut(Schema):
    id: int
    number: str
    verification_url: str


class ApplicationSummaryOut(Schema):
    id: uuid.UUID
    tracking_number: str | None
    service: str
    agency: str
    status: str
    version: int
    submitted_at: dt.datetime | None
    due_date: dt.date | None
    created_at: dt.datetime
    on_behalf_of: str | None

    @staticmethod
    def resolve_on_behalf_of(obj) -> str | None:
        return obj.on_behalf_of.registration_number if obj.on_behalf_of_id else None

    @staticmethod
    def resolve_service(obj) -> str:
        return obj.service.slug

    @staticmethod
    def resolve_agency(obj) -> str:
        return obj.agency.code


class ApplicationOut(ApplicationSummaryOut):
    form_data: dict[str, Any]
    decided_at: dt.datetime | None
    events: list[EventOut]
    attachments: list[AttachmentOut]
    allowed_actions: list[str]
    invoice: InvoiceRefOut | None
    document: DocumentRefOut | None

    information_request: "InformationRequestOut | None"

    # A write that knows the case has none of something marks it (`models.known_absent`): not read back.

    @staticmethod
    def resolve_information_request(obj):
        from borikan.casework.services import latest_request

        return None if is_known_absent(obj, "information_request") else latest_request(obj)

    @staticmethod
    def resolve_invoice(obj):
        from borikan.payments.selectors import invoice_for_case

        return None if is_known_absent(obj, "invoice") else invoice_for_case(case_ref=obj.case_ref)

    @staticmethod
    def resolve_document(obj):
        from borikan.documents.selectors import document_for_case

        return None if is_known_absent(obj, "document") else document_for_case(case_ref=obj.case_ref)

    @staticmethod
    def resolve_allowed_actions(obj, context) -> list[str]:
        from .services import application_available_actions

        return application_available_actions(actor=context["request"].auth, app=obj)

    @staticmethod
    def resolve_events(obj) -> list:
        return [] if is_known_absent(obj, "events") else list(obj.events.all())

    @staticmethod
    def resolve_attachments(obj) -> list:
        return [] if is_known_absent(obj, "attachments") else list(obj.attachments.all())


# --- casework -------------------------------------------------------------------------------------------------


class PersonOut(Schema):
    id: int
    full_name: str


class QueueItemOut(ApplicationSummaryOut):
    """A row of the officer queue; `overdue` and `due_soon` are annotated by the queue's query."""

    assigned_to: PersonOut | None
    overdue: bool
    due_soon: bool


class AssignIn(Schema):
    assignee_id: Id | None = None  # none: claim the case for myself
    version: Version | None = None


class NoteIn(Schema):
    body: LongText


class NoteOut(Schema):
    id: int
    author: PersonOut
    body: str
    created_at: dt.datetime


class ChecklistItemIn(Schema):
    code: Code
    label_th: Label
    label_en: Label = ""


class ChecklistDefineIn(Schema):
    items: list[ChecklistItemIn] = Field(..., max_length=100)


class ChecklistDefinitionOut(Schema):
    service: str
    version: int
    items: list[dict[str, str]]

    @staticmethod
    def resolve_service(obj) -> str:
        return obj.service.slug


class ChecklistItemOut(Schema):
    code: str
    label_th: str
    label_en: str
    done: bool
    ticked_by: str
    ticked_at: dt.datetime | None


class ChecklistOut(Schema):
    version: int | None
    items: list[ChecklistItemOut]
    missing: list[str]
    complete: bool


class TickIn(Schema):
    item: Code
    done: bool = True


class DefectIn(Schema):
    kind: Code = "field"  # field | attachment
    name: Code
    reason: Text  # missing | illegible | inconsistent | invalid | expired | other
    note: Text = ""


class DefectOut(Schema):
    kind: str
    name: str
    label_th: str
    label_en: str
    reason: str
    reason_th: str
    reason_en: str
    note: str
    before: Any = None
    after: Any = None
    changed: bool


class InformationRequestIn(Schema):
    defects: list[DefectIn] = Field(..., max_length=100)
    message: LongText = ""
    deadline_days: Days | None = None  # working days from today; or a date:
    deadline: dt.date | None = None
    version: Version | None = None


class InformationRequestOut(Schema):
    id: int
    status: str
    message: str
    deadline: dt.date
    requested_at: dt.datetime
    paused_working_days: int
    defects: list[DefectOut]

    @staticmethod
    def resolve_defects(obj) -> list[dict]:
        from borikan.casework.services import defect_view, target_labels

        labels = target_labels(obj.application)
        return [defect_view(d, labels) for d in obj.defects.all()]


class CaseworkSettingsIn(Schema):
    info_request_expiry: Code = "withdraw"  # reject | withdraw: what an unanswered request turns into
    info_request_days: Days = 15  # working days a request gives when the officer names none
    late_notice_interval_days: Days = 7  # late notices to the applicant repeat this often (at most 7)


class CaseworkSettingsOut(Schema):
    service: str
    info_request_expiry: str
    info_request_days: int
    late_notice_interval_days: int

    @staticmethod
    def resolve_service(obj) -> str:
        return obj.service.slug


class DelayIn(Schema):
    reason: Text
    expected_date: dt.date | None = None


class EscalationOut(Schema):
    day: dt.date
    kind: str
    due_date: dt.date


class LateNoticeOut(Schema):
    sent_on: dt.date
    channel: str
    due_date: dt.date
    expected_date: dt.date
    reason: str


class CaseworkOut(Schema):
    version: int
    status: str
    due_date: dt.date | None
    sla_paused_on: dt.date | None
    sla_paused_days: int
    overdue: bool
    due_soon: bool
    delay_reason: str
    expected_date: dt.date | None
    assigned_to: PersonOut | None
    notes: list[NoteOut]
    checklist: ChecklistOut
    information_request: InformationRequestOut | None
    escalations: list[EscalationOut]
    late_notices: list[LateNoticeOut]


ApplicationOut.model_rebuild()
