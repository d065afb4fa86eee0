"""Documents API: the holder's wallet, PDF download, and public verification (by QR code or by file)."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.urls import reverse
from ninja import File, Router
from ninja.files import UploadedFile

from borikan.core.errors import NotFound
from borikan.core.fields import PathCode, PathId
from borikan.identity.apiauth import api_auth

from . import doctemplates, selectors, services
from .httpkit import pdf_response
from .models import IssuedDocument
from .renewal import document_renewal_prefill
from .schemas import (
    DocumentOut,
    DocumentStatusOut,
    JwksOut,
    ReasonIn,
    RenewalOut,
    TemplateIn,
    TemplateOut,
    TemplatesOut,
    VerificationOut,
)

router = Router(tags=["documents"])


def _verification_out(result: services.VerificationResult) -> dict:
    if not result.found:
        return {"status": result.status}
    return {
        "status": result.status,
        "number": result.number,
        "title_th": result.title_th,
        "title_en": result.title_en,
        "holder_name": result.holder_name,
        "agency": {
            "code": result.agency_code,
            "name_th": result.agency_name_th,
            "name_en": result.agency_name_en,
        },
        "fields": [{"label": label, "value": value} for label, value in result.fields],
        "issued_on": result.issued_on,
        "valid_from": result.valid_from,
        "valid_until": result.valid_until,
        "revoked_on": result.revoked_on,
        "suspended_on": result.suspended_on,
        "sha256": result.sha256,
    }


def _document_out(request: HttpRequest, document: IssuedDocument) -> dict:
    return {
        "id": document.pk,
        "number": document.number,
        "case_ref": document.case_ref,
        "title_th": document.title_th,
        "title_en": document.title_en,
        "holder_name": document.holder_name,
        "agency": document.agency,
        "fields": [{"label": label, "value": value} for label, value in document.field_pairs],
        "issued_at": document.issued_at,
        "valid_from": document.valid_from,
        "valid_until": document.valid_until,
        "status": document.current_status,
        "sha256": document.sha256,
        "verification_url": document.verification_url,
        "qr_payload": document.qr_payload,
        "pdf_url": request.build_absolute_uri(reverse("api:download_pdf", kwargs={"document_id": document.pk})),
    }


@router.get("/wallet", response=list[DocumentOut], auth=api_auth, summary="My documents (the document wallet)")
def wallet(request: HttpRequest):
    return [_document_out(request, document) for document in selectors.document_list_for_holder(user=request.auth)]


@router.get("/verify/{code}", response=VerificationOut, auth=None, summary="Verify a document by the code in its QR")
def verify_code(request: HttpRequest, code: PathCode):
    return _verification_out(services.document_verify(code=code))


@router.post("/verify-pdf", response=VerificationOut, auth=None, summary="Check that a PDF was issued here, unaltered")
def verify_pdf(request: HttpRequest, file: File[UploadedFile]):
    # Read one byte past the limit at most: the service refuses anything larger.
    pdf_bytes = file.read(services.MAX_VERIFY_PDF_BYTES + 1)
    return _verification_out(services.document_verify_pdf(pdf_bytes=pdf_bytes))


@router.get("/keys", response=JwksOut, auth=None, summary="Every agency's public signing keys (JWKS)")
def keys(request: HttpRequest, response: HttpResponse):
    response["Cache-Control"] = "public, max-age=300"
    return selectors.signing_jwks()


@router.get("/keys/{agency_code}", response=JwksOut, auth=None, summary="One agency's public signing keys (JWKS)")
def agency_keys(request: HttpRequest, response: HttpResponse, agency_code: PathCode):
    response["Cache-Control"] = "public, max-age=300"
    return selectors.signing_jwks(agency=selectors.agency_for_code(code=agency_code))


@router.get(
    "/revocations/{agency_code}",
    auth=None,
    summary="The agency's signed revocation list (a JWS, typ revocations+jwt), cacheable until its exp",
    openapi_extra={"responses": {200: {"content": {services.STATUS_LIST_MEDIA_TYPE: {}}}}},
)
def revocations(request: HttpRequest, agency_code: PathCode) -> HttpResponse:
    token = services.status_list_issue(agency=selectors.agency_for_code(code=agency_code))
    response = HttpResponse(token, content_type=services.STATUS_LIST_MEDIA_TYPE)
    response["Cache-Control"] = "public, max-age=300"
    return response


@router.get(
    "/{int:document_id}/pdf",
    auth=api_auth,
    summary="Download a document's PDF (holder or issuing agency staff)",
    openapi_extra={"responses": {200: {"content": {"application/pdf": {}}}}},
)
def download_pdf(request: HttpRequest, document_id: PathId) -> HttpResponse:
    document = selectors.access_document_for_user(user=request.auth, document_id=document_id)
    return pdf_response(document, services.document_pdf_download(actor=request.auth, document=document))


def _templates_out(service) -> dict:
    return {
        "service": service.slug,
        "draft": doctemplates.template_draft(service=service),
        "published": doctemplates.template_published(service=service),
        "versions": doctemplates.template_versions(service=service),
    }


def _preview_response(content: bytes, fmt: str) -> HttpResponse:
    response = HttpResponse(content, content_type="application/pdf" if fmt == "pdf" else "image/png")
    response["Cache-Control"] = "private, no-store"
    response["X-Content-Type-Options"] = "nosniff"
    return response


_PREVIEW_CONTENT = {"responses": {200: {"content": {"application/pdf": {}, "image/png": {}}}}}


@router.get(
    "/templates/{slug}", response=TemplatesOut, auth=api_auth, summary="A service's document templates (agency admin)"
)
def templates_get(request: HttpRequest, slug: PathCode):
    return _templates_out(doctemplates.template_service_for_admin(actor=request.auth, slug=slug))


@router.put(
    "/templates/{slug}/draft", response=TemplateOut, auth=api_auth, summary="Save the draft template (agency admin)"
)
def template_draft_put(request: HttpRequest, slug: PathCode, payload: TemplateIn):
    service = doctemplates.template_service_for_admin(actor=request.auth, slug=slug)
    return doctemplates.template_draft_save(actor=request.auth, service=service, html=payload.html, css=payload.css)


@router.get(
    "/templates/{slug}/preview",
    auth=api_auth,
    summary="The draft drawn with sample data (format=pdf or png)",
    openapi_extra=_PREVIEW_CONTENT,
)
def template_preview_draft(request: HttpRequest, slug: PathCode, format: PathCode = "pdf") -> HttpResponse:
    service = doctemplates.template_service_for_admin(actor=request.auth, slug=slug)
    return _preview_response(doctemplates.template_preview(actor=request.auth, service=service, fmt=format), format)


@router.post(
    "/templates/{slug}/preview",
    auth=api_auth,
    summary="Given HTML/CSS (not saved) drawn with sample data (format=pdf or png)",
    openapi_extra=_PREVIEW_CONTENT,
)
def template_preview_given(
    request: HttpRequest, slug: PathCode, payload: TemplateIn, format: PathCode = "pdf"
) -> HttpResponse:
    service = doctemplates.template_service_for_admin(actor=request.auth, slug=slug)
    content = doctemplates.template_preview(
        actor=request.auth, service=service, html=payload.html, css=payload.css, fmt=format
    )
    return _preview_response(content, format)


@router.post(
    "/templates/{slug}/publish", response=TemplateOut, auth=api_auth, summary="Publish the draft (agency admin)"
)
def template_publish(request: HttpRequest, slug: PathCode):
    service = doctemplates.template_service_for_admin(actor=request.auth, slug=slug)
    return doctemplates.template_publish(actor=request.auth, service=service)


def _status_out(document: IssuedDocument) -> dict:
    return {
        "id": document.pk,
        "number": document.number,
        "status": document.current_status,
        "suspended_at": document.suspended_at,
        "revoked_at": document.revoked_at,
        "events": list(document.status_events.order_by("at", "id")),
    }


@router.post(
    "/{int:document_id}/suspend",
    response=DocumentStatusOut,
    auth=api_auth,
    summary="Suspend a document, with a reason (approver or admin of the issuing agency)",
)
def suspend(request: HttpRequest, document_id: PathId, payload: ReasonIn):
    document = selectors.access_document_for_user(user=request.auth, document_id=document_id)
    return _status_out(services.document_suspend(actor=request.auth, document=document, reason=payload.reason))


@router.post(
    "/{int:document_id}/reinstate",
    response=DocumentStatusOut,
    auth=api_auth,
    summary="Reinstate a suspended document, with a reason (approver or admin of the issuing agency)",
)
def reinstate(request: HttpRequest, document_id: PathId, payload: ReasonIn):
    document = selectors.access_document_for_user(user=request.auth, document_id=document_id)
    return _status_out(services.document_reinstate(actor=request.auth, document=document, reason=payload.reason))


@router.post(
    "/{int:document_id}/revoke",
    response=DocumentStatusOut,
    auth=api_auth,
    summary="Revoke a document for good, with a reason (approver or admin of the issuing agency)",
)
def revoke(request: HttpRequest, document_id: PathId, payload: ReasonIn):
    document = selectors.access_document_for_user(user=request.auth, document_id=document_id)
    return _status_out(services.document_revoke(actor=request.auth, document=document, reason=payload.reason))


@router.get(
    "/{int:document_id}/renewal",
    response=RenewalOut,
    auth=api_auth,
    summary="The prefilled renewal application of my document, when it is close to or past expiry (holder only)",
)
def renewal(request: HttpRequest, document_id: PathId):
    document = selectors.access_document_for_user(user=request.auth, document_id=document_id)
    if document.holder_id != request.auth.pk:
        raise NotFound("document", "เอกสาร")
    prefill = document_renewal_prefill(document)
    return {
        **prefill,
        "document_number": document.number,
        "valid_until": document.valid_until,
        "start_url": request.build_absolute_uri(reverse("applications:start", args=[prefill["service_slug"]])),
    }
