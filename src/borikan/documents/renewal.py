"""Renewal: a document close to or past its expiry starts a new application for the same service, prefilled.

Documents know nothing about applications: `document_renewal_prefill` only answers which service to apply to and
what to put in the form; the case lifecycle (applications) starts the application with it.

The form data comes from what the caller chose to carry over when the document was issued
(`document_issue(..., renewal_data=...)`), kept only for the fields the service's form still has, never a file
field or a citizen ID (the applicant's identity comes from their account), and the holder's name as printed.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.utils import timezone

from borikan.core.errors import ApplicationError

from .models import DocumentStatus, IssuedDocument

DEFAULT_RENEWAL_WINDOW_DAYS = 90
UI_KEY = "x-ui"
_NEVER_CARRIED_FORMATS = frozenset({"thai-citizen-id"})


def renewal_window_days() -> int:
    return int(getattr(settings, "BORIKAN_RENEWAL_WINDOW_DAYS", DEFAULT_RENEWAL_WINDOW_DAYS))


@dataclass(frozen=True)
class RenewalState:
    renewable: bool
    code: str = ""  # why not, when not
    opens_on: dt.date | None = None


def renewal_state(document: IssuedDocument, *, today: dt.date | None = None) -> RenewalState:
    """Whether the holder may renew now: a document of a service, with an expiry date, neither revoked nor
    suspended, within `BORIKAN_RENEWAL_WINDOW_DAYS` (default 90) of its last valid day or past it."""
    today = today or timezone.localdate()
    if document.service_id is None or document.valid_until is None:
        return RenewalState(False, "document_not_renewable")
    if document.status in (DocumentStatus.REVOKED, DocumentStatus.SUSPENDED):
        return RenewalState(False, f"document_{document.status}")
    opens_on = document.valid_until - dt.timedelta(days=renewal_window_days())
    if today < opens_on:
        return RenewalState(False, "renewal_not_open_yet", opens_on)
    return RenewalState(True, opens_on=opens_on)


_REFUSALS = {
    "document_not_renewable": (
        "เอกสารนี้ไม่มีวันสิ้นอายุหรือไม่ได้ออกภายใต้บริการใด จึงต่ออายุไม่ได้",
        "This document has no expiry date or was not issued under a service, so it cannot be renewed",
    ),
    "document_revoked": ("เอกสารนี้ถูกเพิกถอนแล้ว จึงต่ออายุไม่ได้", "This document has been revoked and cannot be renewed"),
    "document_suspended": (
        "เอกสารนี้ถูกระงับอยู่ จึงต่ออายุไม่ได้จนกว่าหน่วยงานจะคืนสถานะ",
        "This document is suspended and cannot be renewed until the agency reinstates it",
    ),
}


def _carried_fields(schema: dict[str, Any]) -> set[str]:
    properties = schema.get("properties") if isinstance(schema, dict) else None
    if not isinstance(properties, dict):
        return set()
    ui_fields = (schema.get(UI_KEY) or {}).get("fields", {}) if isinstance(schema.get(UI_KEY), dict) else {}
    attachment = (
        (schema.get("x-attachment") or {}).get("name") if isinstance(schema.get("x-attachment"), dict) else None
    )
    carried = set()
    for name, spec in properties.items():
        if name == attachment or not isinstance(spec, dict) or spec.get("format") in _NEVER_CARRIED_FORMATS:
            continue
        if isinstance(ui_fields.get(name), dict) and ui_fields[name].get("type") == "file":
            continue
        carried.add(name)
    return carried


def renewal_data_to_keep(
    *, service: Any, data: dict[str, Any] | None, schema: dict[str, Any] | None = None
) -> dict[str, Any]:
    """What `document_issue` stores for a later renewal: the given answers that the form the case was decided on
    (`schema`, its pinned version; the service's legacy form when none is given) has, minus files and citizen IDs."""
    if not data or service is None or not isinstance(data, dict):
        return {}
    carried = _carried_fields(schema if schema is not None else service.form_schema)
    return {name: value for name, value in data.items() if name in carried}


def document_renewal_prefill(
    document: IssuedDocument, *, schema: dict[str, Any] | None = None, today: dt.date | None = None
) -> dict[str, Any]:
    """{"service_slug": ..., "form_data": {...}} to start the renewal application with: the kept answers that the
    form the new application will be on (`schema`, the service's current version) still has.

    Refuses (409) a document that cannot be renewed now: no service or no expiry date, revoked, suspended, or
    not yet within the renewal window (the error's details carry `opens_on`).
    """
    state = renewal_state(document, today=today)
    if not state.renewable:
        if state.code == "renewal_not_open_yet":
            raise ApplicationError(
                "renewal_not_open_yet",
                f"ต่ออายุได้ตั้งแต่วันที่ {state.opens_on.isoformat()}",
                f"This document can be renewed from {state.opens_on.isoformat()}",
                status=409,
                details={"opens_on": state.opens_on.isoformat()},
            )
        message_th, message_en = _REFUSALS[state.code]
        raise ApplicationError(state.code, message_th, message_en, status=409)
    service = document.service
    carried = _carried_fields(schema if schema is not None else service.form_schema)
    form_data = {name: value for name, value in (document.renewal_data or {}).items() if name in carried}
    if "full_name" in carried and not form_data.get("full_name"):
        form_data["full_name"] = document.holder_name
    return {"service_slug": service.slug, "form_data": form_data}
