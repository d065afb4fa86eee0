import datetime as dt
import uuid
from typing import Any

from ninja import Schema


class ApplicationCreateIn(Schema):
    service: str
    form_data: dict[str, Any] = {}
    on_behalf_of: str = ""  # a company's 13-digit registration number, when applying as its representative


class ApplicationUpdateIn(Schema):
    form_data: dict[str, Any]
    version: int | None = None


class SubmitIn(Schema):
    exemptions: list[str] = []  # codes of the service's fee exemptions the applicant claims
    exemption_note: str = ""


class ReasonIn(Schema):
    reason: str = ""


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

    @staticmethod
    def resolve_invoice(obj):
        from borikan.payments.selectors import invoice_for_case

        return invoice_for_case(case_ref=obj.case_ref)

    @staticmethod
    def resolve_document(obj):
        from borikan.documents.selectors import document_for_case

        return document_for_case(case_ref=obj.case_ref)

    @staticmethod
    def resolve_allowed_actions(obj, context) -> list[str]:
        from .services import application_available_actions

        return application_available_actions(actor=context["request"].auth, app=obj)

    @staticmethod
    def resolve_events(obj) -> list:
        return list(obj.events.all())

    @staticmethod
    def resolve_attachments(obj) -> list:
        return list(obj.attachments.all())
