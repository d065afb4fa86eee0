from __future__ import annotations

import datetime as dt

from ninja import Schema

from borikan.core.fields import Markup, Text


class DocumentAgencyOut(Schema):
    code: str
    name_th: str
    name_en: str


class DocumentFieldOut(Schema):
    label: str
    value: str


class VerificationOut(Schema):
    """The public answer about a document: its status and only what the document itself shows."""

    status: str
    number: str | None = None
    title_th: str | None = None
    title_en: str | None = None
    holder_name: str | None = None
    agency: DocumentAgencyOut | None = None
    fields: list[DocumentFieldOut] = []
    issued_on: dt.date | None = None
    valid_from: dt.date | None = None
    valid_until: dt.date | None = None
    revoked_on: dt.date | None = None
    suspended_on: dt.date | None = None
    sha256: str | None = None


class JwksOut(Schema):
    """A JSON Web Key Set (RFC 7517): each key has kty/crv/x/y (or n/e), kid, alg, use, x5c and agency."""

    keys: list[dict]


class DocumentOut(Schema):
    id: int
    number: str
    case_ref: str
    title_th: str
    title_en: str
    holder_name: str
    agency: DocumentAgencyOut
    fields: list[DocumentFieldOut]
    issued_at: dt.datetime
    valid_from: dt.date
    valid_until: dt.date | None
    status: str
    sha256: str
    verification_url: str
    # What the QR code holds: the verification URL with the signed credential in its fragment.
    qr_payload: str
    pdf_url: str


class TemplateIn(Schema):
    html: Markup
    css: Markup = ""


class TemplateVersionOut(Schema):
    version: int
    status: str
    created_at: dt.datetime
    updated_at: dt.datetime
    published_at: dt.datetime | None = None


class TemplateOut(TemplateVersionOut):
    html: str
    css: str


class TemplatesOut(Schema):
    """A service's document templates: the draft being edited, the version in use, and every version."""

    service: str
    draft: TemplateOut | None = None
    published: TemplateOut | None = None
    versions: list[TemplateVersionOut]


class ReasonIn(Schema):
    reason: Text


class StatusEventOut(Schema):
    change: str
    reason: str
    at: dt.datetime


class DocumentStatusOut(Schema):
    """A document's status as its agency's staff see it, with every suspension, reinstatement and revocation."""

    id: int
    number: str
    status: str
    suspended_at: dt.datetime | None
    revoked_at: dt.datetime | None
    events: list[StatusEventOut]


class RenewalOut(Schema):
    """What starts the renewal application: the service and the prefilled form (POST the start URL to begin)."""

    service_slug: str
    form_data: dict
    document_number: str
    valid_until: dt.date | None
    start_url: str
