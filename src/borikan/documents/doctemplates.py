"""Per-service document templates: an agency administrator edits a draft, previews it with sample data, publishes.

Only an administrator of the service's agency, signed in at staff assurance (AAL 2), may touch a service's
templates. Every save and publish checks the template in the sandbox (`templating.py`) first: a template with
broken markup or a template error is refused with the line (422) and nothing is saved or published. Published
versions are never edited again; issuing uses the newest one and records it on the document.
"""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.db import transaction
from django.db.models import Max
from django.utils import timezone

from borikan.agencies.models import StaffRole
from borikan.agencies.selectors import staff_roles
from borikan.audit.services import audit_record
from borikan.catalog.models import Service
from borikan.core.errors import ApplicationError, NotFound, PermissionDenied, ValidationFailed
from borikan.core.thaidate import be_year
from borikan.identity.enforcement import require_staff

from .models import DocumentTemplate, TemplateStatus
from .rendering import pdf_first_page_png, render_document_pdf
from .states import TEMPLATE
from .structured import clean_spec, default_spec, structured_source
from .templating import CompiledTemplate, compile_template, default_template_source

PREVIEW_FORMATS = ("pdf", "png")
SAMPLE_HOLDER = "นางสาวสมหญิง ตัวอย่างดี"


def template_service_for_admin(*, actor, slug: str) -> Service:
    """The service whose templates `actor` may edit: they administer its agency, at AAL 2. Otherwise NotFound
    (for someone with no role there) or PermissionDenied / AssuranceRequired."""
    service = Service.objects.select_related("agency").filter(slug=slug).first() if isinstance(slug, str) else None
    if service is None:
        raise NotFound("service", "บริการ")
    roles = staff_roles(user=actor, agency_id=service.agency_id)
    if not roles:
        raise NotFound("service", "บริการ")
    if StaffRole.AGENCY_ADMIN not in roles:
        raise PermissionDenied(
            "เฉพาะผู้ดูแลของหน่วยงานเจ้าของบริการเท่านั้นที่แก้ไขแม่แบบเอกสารได้",
            "Only an administrator of the service's agency may edit its document template",
        )
    require_staff(actor, service=service)
    return service


def template_draft(*, service: Service) -> DocumentTemplate | None:
    return DocumentTemplate.objects.filter(service=service, status=TemplateStatus.DRAFT).first()


def template_published(*, service: Service | None) -> DocumentTemplate | None:
    """The newest published version: what documents of this service are drawn with now."""
    if service is None:
        return None
    return (
        DocumentTemplate.objects.filter(service=service, status=TemplateStatus.PUBLISHED).order_by("-version").first()
    )


def template_versions(*, service: Service) -> list[DocumentTemplate]:
    return list(DocumentTemplate.objects.filter(service=service).select_related("published_by").order_by("-version"))


def template_source_for_editing(*, service: Service) -> tuple[str, str]:
    """What the editor opens: the draft, else the published version, else the shipped template."""
    current = template_draft(service=service) or template_published(service=service)
    if current is not None:
        return current.html, current.css
    return default_template_source()


def template_spec_for_editing(*, service: Service) -> tuple[dict, bool]:
    """What the structured editor opens: the spec of the draft (else of the published version), else the standard
    layout; and whether the current version was written as HTML instead (saving here would replace it)."""
    current = template_draft(service=service) or template_published(service=service)
    if current is None:
        return default_spec(service=service), False
    if current.spec is None:
        return default_spec(service=service), True
    return {**default_spec(service=service), **current.spec}, False


def template_structured_source(*, spec: dict) -> tuple[dict, str, str]:
    """The cleaned spec and the HTML and CSS built from it (422 naming the field for a bad spec)."""
    cleaned = clean_spec(spec)
    html, css = structured_source(cleaned)
    return cleaned, html, css


def template_structured_save(*, actor, service: Service, spec: dict) -> DocumentTemplate:
    """Save the structured editor's spec as the draft: built into HTML and CSS, then checked and stored by the
    same path as any template (`template_draft_save`)."""
    cleaned, html, css = template_structured_source(spec=spec)
    return template_draft_save(actor=actor, service=service, html=html, css=css, spec=cleaned)


def compiled(template: DocumentTemplate) -> CompiledTemplate:
    return compile_template(template.html, template.css)


def sample_pdf(*, service: Service, template: CompiledTemplate) -> bytes:
    """The template drawn unsigned with sample data: Thai text, B.E. dates, a sample number and QR code.
    Refuses (422) a template that fails to render or does not print the number and the QR code."""
    agency = service.agency
    today = timezone.localdate()
    number = f"{agency.code.upper()}-DOC-{be_year(today)}-000123"
    validity = service.document_validity_days or 365
    url = f"{settings.BORIKAN_PUBLIC_BASE_URL.rstrip('/')}/verify/SAMPLE-NOT-A-REAL-DOCUMENT"
    return render_document_pdf(
        number=number,
        title_th=service.document_title_th or service.name_th,
        title_en=service.name_en,
        holder_name=SAMPLE_HOLDER,
        fields=[
            ("ผู้ได้รับอนุญาต / Holder", SAMPLE_HOLDER),
            ("เลขที่คำขอ / Application", f"{agency.code.upper()}-{be_year(today)}-000123"),
            ("บริการ / Service", service.name_th),
        ],
        agency_name_th=agency.name_th,
        agency_name_en=agency.name_en,
        ministry_th="" if agency.ministry_th in agency.name_th else agency.ministry_th,
        ministry_en="" if agency.ministry_en in agency.name_en else agency.ministry_en,
        issued_on=today,
        valid_from=today,
        valid_until=today + dt.timedelta(days=validity - 1),
        verification_url=url,
        qr_payload=f"{url}#sample.credential.only",
        template=template,
        check_essentials=True,
    )


def _render_failed(error: Exception) -> ApplicationError:
    return ValidationFailed(
        "template_render_failed",
        f"วาดเอกสารจากแม่แบบไม่ได้ ({type(error).__name__})",
        f"The template could not be drawn as a PDF ({error})"[:500],
        field="css",
        details={"part": "css", "line": None},
    )


def _sample_pdf_checked(*, service: Service, template: CompiledTemplate) -> bytes:
    try:
        return sample_pdf(service=service, template=template)
    except ApplicationError:
        raise
    except (ValueError, OSError) as error:  # WeasyPrint refusing a resource or failing the layout
        raise _render_failed(error) from error


def template_preview(*, actor, service: Service, html: str | None = None, css: str | None = None, fmt: str = "pdf"):
    """The draft (or the HTML/CSS given, unsaved) drawn with sample data, as PDF or PNG bytes."""
    if fmt not in PREVIEW_FORMATS:
        raise ValidationFailed(
            "invalid_preview_format", "รูปแบบตัวอย่างต้องเป็น pdf หรือ png", "The format must be pdf or png", field="format"
        )
    if html is None:
        html, stored_css = template_source_for_editing(service=service)
        css = stored_css if css is None else css
    pdf = _sample_pdf_checked(service=service, template=compile_template(html, css or ""))
    audit_record(
        actor=actor,
        action="document_template.previewed",
        object_type="service",
        object_id=service.slug,
        data={"format": fmt},
    )
    return pdf if fmt == "pdf" else pdf_first_page_png(pdf)


def template_draft_save(*, actor, service: Service, html: str, css: str, spec: dict | None = None) -> DocumentTemplate:
    """Create or replace the service's draft. Refused (422, with the line) unless it compiles and its markup and
    CSS pass the sandbox's checks; a draft is not drawn here (preview or publish does that). `spec` is what the
    structured editor built it from (none for a template written as HTML)."""
    compile_template(html, css if css is not None else "")
    with transaction.atomic():
        Service.objects.select_for_update().filter(pk=service.pk).first()  # one writer per service's templates
        draft = DocumentTemplate.objects.select_for_update().filter(service=service, status=TemplateStatus.DRAFT)
        draft = draft.first()
        if draft is None:
            last = DocumentTemplate.objects.filter(service=service).aggregate(last=Max("version"))["last"] or 0
            draft = DocumentTemplate(service=service, version=last + 1, created_by=actor)
        draft.html, draft.css, draft.spec, draft.updated_by = html, css or "", spec, actor
        draft.save()
        audit_record(
            actor=actor,
            action="document_template.saved",
            object_type="service",
            object_id=service.slug,
            data={
                "version": draft.version,
                "html_chars": len(draft.html),
                "css_chars": len(draft.css),
                "structured": spec is not None,
            },
        )
    return draft


def template_publish(*, actor, service: Service) -> DocumentTemplate:
    """Publish the draft: checked and drawn with sample data first; on any problem nothing is published."""
    with transaction.atomic():
        Service.objects.select_for_update().filter(pk=service.pk).first()
        draft = DocumentTemplate.objects.select_for_update().filter(service=service, status=TemplateStatus.DRAFT)
        draft = draft.first()
        if draft is None:
            raise ApplicationError(
                "no_template_draft",
                "ยังไม่มีฉบับร่างของแม่แบบให้เผยแพร่",
                "There is no draft template to publish",
                status=409,
            )
        _sample_pdf_checked(service=service, template=compiled(draft))
        TEMPLATE.move(draft, "publish")
        draft.published_at = timezone.now()
        draft.published_by = actor
        draft.save(update_fields=["status", "published_at", "published_by", "updated_at"])
        audit_record(
            actor=actor,
            action="document_template.published",
            object_type="service",
            object_id=service.slug,
            data={"version": draft.version},
        )
    return draft
