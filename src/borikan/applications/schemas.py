import datetime as dt
import uuid
from typing import Any

from ninja import Schema


class ApplicationCreateIn(Schema):
    service: str
    form_data: dict[str, Any] = {}


class ApplicationUpdateIn(Schema):
    form_data: dict[str, Any]
    version: int | None = None


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


class ApplicationSummaryOut(Schema):
    id: uuid.UUID
    tracking_number: str | None
    service: str
    agency: str
    status: str
    version: int
    submitted_at: dt.datetime | None
    created_at: dt.datetime

    @staticmethod
    def resolve_service(obj) -> str:  # noqa: ANN001
        return obj.service.slug

    @staticmethod
    def resolve_agency(obj) -> str:  # noqa: ANN001
        return obj.agency.code


class ApplicationOut(ApplicationSummaryOut):
    form_data: dict[str, Any]
    decided_at: dt.datetime | None
    events: list[EventOut]
    attachments: list[AttachmentOut]
    allowed_actions: list[str]

    @staticmethod
    def resolve_allowed_actions(obj, context) -> list[str]:  # noqa: ANN001
        from .services import application_available_actions

        return application_available_actions(actor=context["request"].auth, app=obj)

    @staticmethod
    def resolve_events(obj) -> list:  # noqa: ANN001
        return list(obj.events.all())

    @staticmethod
    def resolve_attachments(obj) -> list:  # noqa: ANN001
        return list(obj.attachments.all())
