"""Issuing, revoking and verifying documents (process 7).

Documents know nothing about applications: the caller passes an opaque `case_ref` and what the
document certifies. Verification is public, so it tells exactly what the document itself shows
(never the holder's e-mail, address or citizen ID) and every successful look-up is audited
against the holder, who can see it in their access log.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import re
from dataclasses import dataclass, field
from typing import Any

from django.conf import settings
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.db import IntegrityError, transaction
from django.utils import timezone

from borikan.agencies.models import Agency, StaffRole
from borikan.agencies.selectors import staff_has_role
from borikan.audit.services import audit_record
from borikan.core.errors import ApplicationError, PermissionDenied, ValidationFailed, refuse_own
from borikan.core.thaidate import be_year
from borikan.identity.enforcement import require_staff

from .credentials import content_digest, credential_sign, status_list_sign
from .doctemplates import compiled, template_published
from .models import (
    DocumentNumberCounter,
    DocumentNumberReservation,
    DocumentStatus,
    DocumentStatusEvent,
    IssuedDocument,
    SigningCertificate,
    StatusChange,
    VerificationStatus,
    new_verification_code,
)
from .rendering import render_document_pdf
from .renewal import renewal_data_to_keep
from .selectors import document_pdf_content
from .signing import SigningIdentity, sign_pdf, signing_identity
from .states import DOCUMENT

MAX_FIELDS = 20
MAX_LABEL_LENGTH = 100
MAX_VALUE_LENGTH = 500
MAX_VALID_DAYS = 100 * 366
MAX_VERIFY_PDF_BYTES = 10 * 1024 * 1024
DEFAULT_STATUS_LIST_TTL_SECONDS = 24 * 60 * 60
STATUS_LIST_MEDIA_TYPE = "application/revocations+jwt"
REVOKING_ROLES = (StaffRole.APPROVER, StaffRole.AGENCY_ADMIN)
_CODE_SHAPE = re.compile(r"^[A-Za-z0-9_-]{16,64}$")


def document_number(*, agency: Agency, year_be: int, seq: int) -> str:
    """`<AGENCY>-DOC-<B.E. year>-<6-digit sequence>`, e.g. `DLT-DOC-2568-000042` ("DOC" keeps it apart from the
    application's tracking number, `DLT-2568-000042`)."""
    return f"{agency.code.upper()}-DOC-{year_be}-{seq:06d}"


def _reserve_number(*, agency: Agency, case_ref: str) -> str:
    """The number of the case's document: the one reserved for it already, or the next of the agency's year, taken
    in a transaction of its own that holds the counter row only for the increment."""
    with transaction.atomic():
        reserved = DocumentNumberReservation.objects.filter(case_ref=case_ref).first()
        if reserved is not None:
            return reserved.number
        year_be = be_year(timezone.localdate())
        counter, _ = DocumentNumberCounter.objects.select_for_update().get_or_create(agency=agency, be_year=year_be)
        counter.last_seq += 1
        counter.save(update_fields=["last_seq"])
        number = document_number(agency=agency, year_be=year_be, seq=counter.last_seq)
        DocumentNumberReservation.objects.create(case_ref=case_ref, agency=agency, number=number)
    return number


def _agency_identity(agency: Agency) -> SigningIdentity:
    """The agency's signing identity (kept in memory per process; raises `SigningUnavailable`)."""
    return signing_identity(agency_code=agency.code, agency_name=agency.name_en)


def _record_signing_certificate(*, agency: Agency, identity: SigningIdentity) -> None:
    """Publish the key in the agency's JWKS the first time it signs (kept after rotation for older documents)."""
    certificate, _ = SigningCertificate.objects.get_or_create(
        kid=identity.kid,
        defaults={
            "agency": agency,
            "public_jwk": identity.public_jwk,
            "certificate_pem": identity.certificate_pem,
            "not_valid_after": identity.certificate.not_valid_after_utc,
        },
    )
    if certificate.agency_id != agency.pk:
        raise ApplicationError(
            "signing_key_shared",
            "กุญแจลงลายมือชื่อนี้เป็นของหน่วยงานอื่น แต่ละหน่วยงานต้องมีกุญแจของตนเอง",
            "This signing key belongs to another agency; each agency must have its own key",
            status=503,
        )


def _clean_text(value: object, *, field: str, code: str, label_th: str, label_en: str, max_length: int) -> str:
    text = value.strip() if isinstance(value, str) else ""
    if not text or len(text) > max_length:
        raise ValidationFailed(
            code,
            f"{label_th}ต้องไม่ว่างและยาวไม่เกิน {max_length} ตัวอักษร",
            f"The {label_en} must be present and at most {max_length} characters long",
            field=field,
        )
    return text


def _clean_fields(fields: dict[str, str]) -> list[dict[str, str]]:
    if not isinstance(fields, dict) or len(fields) > MAX_FIELDS:
        raise ValidationFailed(
            "invalid_document_fields",
            f"ข้อมูลในเอกสารต้องเป็นคู่หัวข้อและข้อความ ไม่เกิน {MAX_FIELDS} รายการ",
            f"The document fields must be at most {MAX_FIELDS} label/value pairs",
            field="fields",
        )
    cleaned = []
    for label, value in fields.items():
        cleaned.append(
            {
                "label": _clean_text(
                    label,
                    field="fields",
                    code="invalid_document_fields",
                    label_th="หัวข้อ",
                    label_en="field label",
                    max_length=MAX_LABEL_LENGTH,
                ),
                "value": _clean_text(
                    value,
                    field="fields",
                    code="invalid_document_fields",
                    label_th="ข้อความ",
                    label_en="field value",
                    max_length=MAX_VALUE_LENGTH,
                ),
            }
        )
    return cleaned


def document_issue(
    *,
    actor,
    case_ref: str,
    agency: Agency,
    holder,
    holder_name: str = "",
    title_th: str,
    title_en: str,
    fields: dict[str, str],
    valid_days: int | None,
    service: Any = None,
    renewal_data: dict[str, Any] | None = None,
    renewal_schema: dict[str, Any] | None = None,
) -> IssuedDocument:
    """Number, render and store the document for a case; one document per case.

    `renewal_data`: application answers to prefill a renewal with (kept only for fields of the service's form,
    never files or citizen IDs; see renewal.py).

    `valid_days` counts the day of issue: 1 means valid today only; None means no expiry date.
    The caller (the case lifecycle) has already decided that the document may be issued.
    """
    case_ref = _clean_text(
        case_ref,
        field="case_ref",
        code="invalid_case_ref",
        label_th="เลขอ้างอิงคำขอ",
        label_en="case reference",
        max_length=64,
    )
    title_th = _clean_text(
        title_th,
        field="title_th",
        code="invalid_title",
        label_th="ชื่อเอกสารภาษาไทย",
        label_en="Thai title",
        max_length=255,
    )
    title_en = _clean_text(
        title_en,
        field="title_en",
        code="invalid_title",
        label_th="ชื่อเอกสารภาษาอังกฤษ",
        label_en="English title",
        max_length=255,
    )
    holder_name = _clean_text(
        holder_name or holder.full_name,
        field="holder",
        code="holder_name_required",
        label_th="ชื่อผู้ถือเอกสาร",
        label_en="holder's full name",
        max_length=200,
    )
    body_fields = _clean_fields(fields)
    if valid_days is not None and (
        isinstance(valid_days, bool) or not isinstance(valid_days, int) or not 1 <= valid_days <= MAX_VALID_DAYS
    ):
        raise ValidationFailed(
            "invalid_valid_days",
            "ระยะเวลาที่เอกสารมีผลต้องเป็นจำนวนวันตั้งแต่ 1 วันขึ้นไป",
            "The validity must be a whole number of days, at least 1",
            field="valid_days",
        )
    if IssuedDocument.objects.filter(case_ref=case_ref).exists():
        raise _already_issued()
    # Loaded (or, in development, created) before the number is taken: a missing key stores nothing.
    identity = _agency_identity(agency)
    # The service's newest published template, checked again (a template is compiled once per process).
    template = template_published(service=service)
    if template is not None:
        compiled(template)

    number = _reserve_number(agency=agency, case_ref=case_ref)
    stored_name = ""
    try:
        # Rendered, signed and stored with no lock held; only the row and its audit entry are one transaction.
        issued_at = timezone.now()
        today = timezone.localdate(issued_at)
        verification_code = new_verification_code()
        document = IssuedDocument(
            number=number,
            case_ref=case_ref,
            agency=agency,
            holder=holder,
            service=service,
            holder_name=holder_name,
            title_th=title_th,
            title_en=title_en,
            body_fields=body_fields,
            issued_at=issued_at,
            valid_from=today,
            valid_until=today + dt.timedelta(days=valid_days - 1) if valid_days else None,
            verification_code=verification_code,
            template=template,
            renewal_data=renewal_data_to_keep(service=service, data=renewal_data, schema=renewal_schema),
        )
        _record_signing_certificate(agency=agency, identity=identity)
        pdf = document_render_signed(document=document, identity=identity)
        document.sha256 = hashlib.sha256(pdf).hexdigest()
        document.pdf.save(f"{agency.code}/{number}.pdf", ContentFile(pdf), save=False)
        stored_name = document.pdf.name
        with transaction.atomic():
            document.save()
            audit_record(
                actor=actor,
                action="document.issued",
                object_type="document",
                object_id=document.number,
                subject_user_id=holder.pk,
                data={
                    "case_ref": case_ref,
                    "agency": agency.code,
                    "sha256": document.sha256,
                    "kid": identity.kid,
                    "template_version": template.version if template is not None else None,
                },
            )
    except IntegrityError:
        _discard(stored_name)
        if IssuedDocument.objects.filter(case_ref=case_ref).exists():
            raise _already_issued() from None
        raise
    except BaseException:
        _discard(stored_name)
        raise
    return document


def _document_pdf_arguments(document: IssuedDocument) -> dict:
    """What `render_document_pdf` prints for a document (all of it already on the unsaved model)."""
    agency = document.agency
    return {
        "number": document.number,
        "title_th": document.title_th,
        "title_en": document.title_en,
        "holder_name": document.holder_name,
        "fields": document.field_pairs,
        "agency_name_th": agency.name_th,
        "agency_name_en": agency.name_en,
        # Agency names often already end with their ministry; print it once.
        "ministry_th": "" if agency.ministry_th in agency.name_th else agency.ministry_th,
        "ministry_en": "" if agency.ministry_en in agency.name_en else agency.ministry_en,
        "issued_on": timezone.localdate(document.issued_at),
        "valid_from": document.valid_from,
        "valid_until": document.valid_until,
        "verification_url": document.verification_url,
        "template": compiled(document.template) if document.template_id else None,
    }


def document_render_unsigned(*, document: IssuedDocument) -> bytes:
    """The document drawn as it would be without signing: the QR holds only the URL. No I/O, no database.

    Not used to issue anything; it is the floor the signed issuance is measured against (bench/).
    """
    return render_document_pdf(**_document_pdf_arguments(document))


def document_render_signed(*, document: IssuedDocument, identity: SigningIdentity) -> bytes:
    """Sign the credential (set on `document` with its key id), draw the PDF with it in the QR code, and sign the
    PDF (PAdES) with the agency's key. No database access: the caller saves."""
    arguments = _document_pdf_arguments(document)
    digest = content_digest(
        agency_code=identity.agency_code,
        number=document.number,
        title_th=document.title_th,
        title_en=document.title_en,
        holder_name=document.holder_name,
        fields=arguments["fields"],
        issued_on=arguments["issued_on"],
        valid_from=document.valid_from,
        valid_until=document.valid_until,
    )
    document.credential = credential_sign(
        identity=identity,
        number=document.number,
        holder_name=document.holder_name,
        issued_at=document.issued_at,
        valid_from=document.valid_from,
        valid_until=document.valid_until,
        digest=digest,
    )
    document.signing_kid = identity.kid
    unsigned = render_document_pdf(**arguments, qr_payload=document.qr_payload)
    return sign_pdf(identity=identity, pdf=unsigned, reason=f"Issued {document.number}", location="Thailand")


def _already_issued() -> ApplicationError:
    return ApplicationError(
        "document_already_issued",
        "คำขอนี้ได้ออกเอกสารไปแล้ว",
        "A document has already been issued for this case",
        status=409,
    )


def _discard(stored_name: str) -> None:
    """Remove a PDF written by a transaction that did not commit."""
    if stored_name:
        default_storage.delete(stored_name)


def _status_change_allowed(*, actor, document: IssuedDocument, doing_th: str, doing_en: str) -> None:
    if not any(staff_has_role(user=actor, agency_id=document.agency_id, role=role) for role in REVOKING_ROLES):
        raise PermissionDenied(
            f"เฉพาะผู้อนุมัติหรือผู้ดูแลของหน่วยงานที่ออกเอกสารเท่านั้นที่{doing_th}ได้",
            f"Only an approver or administrator of the issuing agency may {doing_en} this document",
        )
    require_staff(actor, service=document.service)
    refuse_own(actor, document.holder_id)  # another approver decides on a document that names you


def _reason(reason: object) -> str:
    return _clean_text(
        reason, field="reason", code="reason_required", label_th="เหตุผล", label_en="reason", max_length=1000
    )


def _already_revoked() -> ApplicationError:
    return ApplicationError(
        "document_already_revoked", "เอกสารนี้ถูกเพิกถอนแล้ว", "This document has already been revoked", status=409
    )


def _record_status_change(*, actor, document: IssuedDocument, change: str, reason: str, at: dt.datetime) -> None:
    DocumentStatusEvent.objects.create(document=document, change=change, reason=reason, actor=actor, at=at)
    audit_record(
        actor=actor,
        action=f"document.{change}",
        object_type="document",
        object_id=document.number,
        subject_user_id=document.holder_id,
        data={"reason": reason},
    )


@transaction.atomic
def document_revoke(*, actor, document: IssuedDocument, reason: str) -> IssuedDocument:
    """Revoke a valid or suspended document, for good. Only an approver or administrator of the issuing agency may."""
    reason = _reason(reason)
    _status_change_allowed(actor=actor, document=document, doing_th="เพิกถอนเอกสาร", doing_en="revoke")
    locked = IssuedDocument.objects.select_for_update().get(pk=document.pk)
    if locked.status == DocumentStatus.REVOKED:
        raise _already_revoked()
    DOCUMENT.move(locked, "revoke")
    locked.revoked_at = timezone.now()
    locked.revoked_reason = reason
    locked.suspended_at = None
    locked.save(update_fields=["status", "revoked_at", "revoked_reason", "suspended_at", "updated_at"])
    _record_status_change(
        actor=actor, document=locked, change=StatusChange.REVOKED, reason=reason, at=locked.revoked_at
    )
    return locked


@transaction.atomic
def document_suspend(*, actor, document: IssuedDocument, reason: str) -> IssuedDocument:
    """Suspend a valid document: verifiers are told "suspended" until it is reinstated (or revoked)."""
    reason = _reason(reason)
    _status_change_allowed(actor=actor, document=document, doing_th="ระงับเอกสาร", doing_en="suspend")
    locked = IssuedDocument.objects.select_for_update().get(pk=document.pk)
    if locked.status == DocumentStatus.REVOKED:
        raise _already_revoked()
    if locked.status == DocumentStatus.SUSPENDED:
        raise ApplicationError(
            "document_already_suspended",
            "เอกสารนี้ถูกระงับอยู่แล้ว",
            "This document is already suspended",
            status=409,
        )
    DOCUMENT.move(locked, "suspend")
    locked.suspended_at = timezone.now()
    locked.suspended_reason = reason
    locked.save(update_fields=["status", "suspended_at", "suspended_reason", "updated_at"])
    _record_status_change(
        actor=actor, document=locked, change=StatusChange.SUSPENDED, reason=reason, at=locked.suspended_at
    )
    return locked


@transaction.atomic
def document_reinstate(*, actor, document: IssuedDocument, reason: str) -> IssuedDocument:
    """Put a suspended document back in force (the suspension stays in its history)."""
    reason = _reason(reason)
    _status_change_allowed(actor=actor, document=document, doing_th="คืนสถานะเอกสาร", doing_en="reinstate")
    locked = IssuedDocument.objects.select_for_update().get(pk=document.pk)
    if locked.status == DocumentStatus.REVOKED:
        raise _already_revoked()
    if locked.status != DocumentStatus.SUSPENDED:
        raise ApplicationError(
            "document_not_suspended",
            "เอกสารนี้ไม่ได้ถูกระงับ จึงคืนสถานะไม่ได้",
            "This document is not suspended, so it cannot be reinstated",
            status=409,
        )
    DOCUMENT.move(locked, "reinstate")
    locked.suspended_at = None
    locked.save(update_fields=["status", "suspended_at", "updated_at"])
    _record_status_change(
        actor=actor, document=locked, change=StatusChange.REINSTATED, reason=reason, at=timezone.now()
    )
    return locked


@dataclass(frozen=True)
class VerificationResult:
    """What anyone holding the document (or its QR code) may learn: only what the document shows."""

    status: VerificationStatus
    number: str = ""
    title_th: str = ""
    title_en: str = ""
    holder_name: str = ""
    agency_code: str = ""
    agency_name_th: str = ""
    agency_name_en: str = ""
    fields: tuple[tuple[str, str], ...] = field(default_factory=tuple)
    issued_on: dt.date | None = None
    valid_from: dt.date | None = None
    valid_until: dt.date | None = None
    revoked_on: dt.date | None = None
    suspended_on: dt.date | None = None
    sha256: str = ""
    verification_code: str = ""

    @property
    def found(self) -> bool:
        return self.status != VerificationStatus.UNKNOWN


UNKNOWN = VerificationResult(status=VerificationStatus.UNKNOWN)


def _verification_of(document: IssuedDocument, *, via: str) -> VerificationResult:
    status = document.current_status
    audit_record(
        actor=None,
        action="document.verified",
        object_type="document",
        object_id=document.number,
        subject_user_id=document.holder_id,
        data={"via": via, "status": str(status)},
    )
    return VerificationResult(
        status=status,
        number=document.number,
        title_th=document.title_th,
        title_en=document.title_en,
        holder_name=document.holder_name,
        agency_code=document.agency.code,
        agency_name_th=document.agency.name_th,
        agency_name_en=document.agency.name_en,
        fields=tuple(document.field_pairs),
        issued_on=timezone.localdate(document.issued_at),
        valid_from=document.valid_from,
        valid_until=document.valid_until,
        revoked_on=timezone.localdate(document.revoked_at) if document.revoked_at else None,
        suspended_on=timezone.localdate(document.suspended_at) if document.suspended_at else None,
        sha256=document.sha256,
        verification_code=document.verification_code,
    )


@transaction.atomic
def document_verify(*, code: str) -> VerificationResult:
    """The status of the document a QR code points to: valid, suspended, revoked, expired or unknown."""
    if not isinstance(code, str) or not _CODE_SHAPE.match(code):
        return UNKNOWN
    document = IssuedDocument.objects.select_related("agency").filter(verification_code=code).first()
    if document is None:
        return UNKNOWN
    return _verification_of(document, via="code")


@transaction.atomic
def document_verify_pdf(*, pdf_bytes: bytes) -> VerificationResult:
    """Check that a PDF is byte for byte one that was issued here; any alteration makes it unknown."""
    if len(pdf_bytes) > MAX_VERIFY_PDF_BYTES:
        raise ValidationFailed(
            "file_too_large",
            "ไฟล์มีขนาดใหญ่เกิน 10 MB",
            "The file is larger than 10 MB",
            field="file",
            status=413,
        )
    if not pdf_bytes.startswith(b"%PDF-"):
        raise ValidationFailed("not_a_pdf", "ไฟล์นี้ไม่ใช่ไฟล์ PDF", "This file is not a PDF", field="file")
    digest = hashlib.sha256(pdf_bytes).hexdigest()
    document = IssuedDocument.objects.select_related("agency").filter(sha256=digest).first()
    if document is None:
        return UNKNOWN
    return _verification_of(document, via="pdf")


@transaction.atomic
def document_pdf_download(*, actor, document: IssuedDocument) -> bytes:
    """The PDF for someone `access_document_for_user` has let in; the read is logged against the holder."""
    content = document_pdf_content(document=document)
    audit_record(
        actor=actor,
        action="document.downloaded",
        object_type="document",
        object_id=document.number,
        subject_user_id=document.holder_id,
        data={"as": "holder" if actor.pk == document.holder_id else "agency_staff"},
    )
    return content


@transaction.atomic
def status_list_issue(*, agency: Agency) -> str:
    """The agency's revocation list, signed now with its key: a JWS a verifier may cache until its `exp`.

    Lists every revoked and every suspended document number of the agency.
    """
    identity = _agency_identity(agency)
    _record_signing_certificate(agency=agency, identity=identity)
    listed: dict[str, list[str]] = {DocumentStatus.REVOKED: [], DocumentStatus.SUSPENDED: []}
    rows = IssuedDocument.objects.filter(agency=agency, status__in=list(listed)).values_list("status", "number")
    for status, number in rows:
        listed[status].append(number)
    ttl = int(getattr(settings, "BORIKAN_STATUS_LIST_TTL_SECONDS", DEFAULT_STATUS_LIST_TTL_SECONDS))
    return status_list_sign(
        identity=identity,
        revoked=listed[DocumentStatus.REVOKED],
        suspended=listed[DocumentStatus.SUSPENDED],
        issued_at=timezone.now(),
        ttl=ttl,
    )
