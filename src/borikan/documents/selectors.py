"""Reads of issued documents. `access_document_for_user` is the only way pages and the API load one."""

from __future__ import annotations

import hashlib

from django.db.models import QuerySet

from borikan.agencies.models import Agency
from borikan.agencies.selectors import staff_agency_ids
from borikan.core.errors import ApplicationError, NotFound
from borikan.identity.enforcement import Step, require_for_service, require_session, require_staff

from .credentials import published_jwk
from .devpki import normalise_code
from .models import IssuedDocument, SigningCertificate


def document_list_for_holder(*, user) -> QuerySet[IssuedDocument]:
    """The user's own documents (their wallet), newest first."""
    if not getattr(user, "is_authenticated", False):
        return IssuedDocument.objects.none()
    return IssuedDocument.objects.filter(holder=user).select_related("agency").order_by("-issued_at", "-id")


def access_document_for_user(*, user, document_id: int) -> IssuedDocument:
    """The holder, or staff of the issuing agency, may open a document; for anyone else it does not exist."""
    if not getattr(user, "is_authenticated", False):
        raise NotFound("document", "เอกสาร")
    document = IssuedDocument.objects.select_related("agency", "holder", "service").filter(pk=document_id).first()
    if document is None:
        raise NotFound("document", "เอกสาร")
    if document.holder_id == user.pk:
        if document.service is not None:
            require_for_service(user, document.service, Step.VIEW_DOCUMENT)
        else:
            require_session(user)
        return document
    if document.agency_id in staff_agency_ids(user=user):
        require_staff(user)
        return document
    raise NotFound("document", "เอกสาร")


def document_pdf_content(*, document: IssuedDocument) -> bytes:
    """The stored PDF, checked against the SHA-256 recorded at issue: a changed file is never handed out."""
    with document.pdf.open("rb") as stored:
        content = stored.read()
    if hashlib.sha256(content).hexdigest() != document.sha256:
        raise ApplicationError(
            "document_file_corrupted",
            "ไฟล์เอกสารที่จัดเก็บไม่ตรงกับที่ออกไว้ กรุณาติดต่อหน่วยงาน",
            "The stored document file does not match the one issued; please contact the agency",
            status=500,
        )
    return content


def document_for_case(*, case_ref: str) -> IssuedDocument | None:
    """The document issued for a case (the case lifecycle checks who may see the case before asking)."""
    return IssuedDocument.objects.select_related("agency").filter(case_ref=case_ref).first()


def agency_for_code(*, code: str) -> Agency:
    """The agency with this code (any case), or NotFound."""
    agency = Agency.objects.filter(code__iexact=code).first() if isinstance(code, str) and len(code) <= 20 else None
    if agency is None:
        raise NotFound("agency", "หน่วยงาน")
    return agency


def signing_jwks(*, agency: Agency | None = None) -> dict:
    """The public keys agencies sign with (every key that has signed, newest first), as a JWKS (RFC 7517).

    Each key carries `kid`, `alg`, `use`, its certificate chain (`x5c`) and the `agency` it speaks for.
    """
    certificates = SigningCertificate.objects.select_related("agency").order_by("agency__code", "-first_used_at", "-id")
    if agency is not None:
        certificates = certificates.filter(agency=agency)
    return {
        "keys": [
            published_jwk(agency_code=normalise_code(certificate.agency.code), public_jwk=certificate.public_jwk)
            for certificate in certificates
        ]
    }
