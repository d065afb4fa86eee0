"""Pages: public verification (by QR link or by uploading the PDF) and the PDF download link."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_not_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods

from borikan.agencies.selectors import staff_roles
from borikan.core.errors import ApplicationError, NotFound

from . import doctemplates, selectors, services
from .forms import DocumentTemplateForm, StructuredTemplateForm, VerifyPdfForm
from .httpkit import pdf_response
from .renewal import renewal_state
from .structured import PLACEHOLDERS


def _not_for_search_engines(response: HttpResponse) -> HttpResponse:
    """Verification pages show a holder's name: never index or cache them."""
    response["X-Robots-Tag"] = "noindex, nofollow"
    response["Cache-Control"] = "no-store"
    return response


@login_not_required
@require_GET
def verify(request: HttpRequest, code: str) -> HttpResponse:
    result = services.document_verify(code=code)
    response = render(request, "documents/verify.html", {"result": result}, status=200 if result.found else 404)
    return _not_for_search_engines(response)


@login_not_required
@require_http_methods(["GET", "POST"])
def verify_upload(request: HttpRequest) -> HttpResponse:
    result = None
    form = VerifyPdfForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        upload = form.cleaned_data["file"]
        try:
            result = services.document_verify_pdf(pdf_bytes=upload.read(services.MAX_VERIFY_PDF_BYTES + 1))
        except ApplicationError as error:
            form.add_error("file", error.message)
    response = render(request, "documents/verify_upload.html", {"form": form, "result": result})
    return _not_for_search_engines(response)


@require_GET
def download(request: HttpRequest, document_id: int) -> HttpResponse:
    try:
        document = selectors.access_document_for_user(user=request.user, document_id=document_id)
    except NotFound:
        raise Http404 from None
    return pdf_response(document, services.document_pdf_download(actor=request.user, document=document))


def _template_service(request: HttpRequest, slug: str):
    try:
        return doctemplates.template_service_for_admin(actor=request.user, slug=slug)
    except NotFound:
        raise Http404 from None


def _template_page(
    request: HttpRequest,
    service,
    form: StructuredTemplateForm | None = None,
    advanced: DocumentTemplateForm | None = None,
    *,
    error=None,
    status: int = 200,
):
    """The editor: the structured form first; the template's HTML only behind "advanced" (the API's way too)."""
    spec, written_as_html = doctemplates.template_spec_for_editing(service=service)
    if form is None:
        form = StructuredTemplateForm(initial=spec)
    if advanced is None:
        html, css = doctemplates.template_source_for_editing(service=service)
        advanced = DocumentTemplateForm(initial={"html": html, "css": css})
    if error is not None and error.field in form.fields and not advanced.is_bound:
        form.add_error(error.field, error.message)
        error = None
    context = {
        "service": service,
        "form": form,
        "advanced": advanced,
        "advanced_open": advanced.is_bound,
        "written_as_html": written_as_html,
        "placeholders": [{"name": name, "th": th, "en": en} for name, (th, en) in PLACEHOLDERS.items()],
        "error": error,
        "draft": doctemplates.template_draft(service=service),
        "published": doctemplates.template_published(service=service),
        "versions": doctemplates.template_versions(service=service),
    }
    return render(request, "documents/template_edit.html", context, status=status)


def _written_as_html(request: HttpRequest) -> bool:
    """The advanced form posts the template's HTML; the structured editor never does."""
    return "html" in request.POST


@require_http_methods(["GET", "POST"])
def template_edit(request: HttpRequest, slug: str) -> HttpResponse:
    """An agency administrator edits the service's document template (the structured editor, or the HTML behind
    "advanced"): save the draft, or publish it."""
    try:
        service = _template_service(request, slug)
    except ApplicationError as error:
        return render(request, "documents/template_refused.html", {"error": error}, status=error.status)
    if request.method == "GET":
        return _template_page(request, service)
    form, advanced = None, None
    try:
        if "publish" in request.POST:
            published = doctemplates.template_publish(actor=request.user, service=service)
            messages.success(request, _("Version %(version)s is published.") % {"version": published.version})
            return redirect("documents:template_edit", slug=slug)
        if _written_as_html(request):
            advanced = DocumentTemplateForm(request.POST)
            if not advanced.is_valid():
                return _template_page(request, service, advanced=advanced, status=422)
            html, css = advanced.cleaned_data["html"], advanced.cleaned_data["css"]
            doctemplates.template_draft_save(actor=request.user, service=service, html=html, css=css)
        else:
            form = StructuredTemplateForm(request.POST)
            if not form.is_valid():
                return _template_page(request, service, form, status=422)
            doctemplates.template_structured_save(actor=request.user, service=service, spec=form.cleaned_data)
        messages.success(request, _("Draft saved."))
        return redirect("documents:template_edit", slug=slug)
    except ApplicationError as error:
        return _template_page(request, service, form, advanced, error=error, status=error.status)


@require_http_methods(["GET", "POST"])
def template_preview(request: HttpRequest, slug: str) -> HttpResponse:
    """The draft (GET) or the posted, unsaved template (POST: the structured editor's fields, or HTML/CSS) drawn
    with sample data, as PDF or PNG."""
    try:
        service = _template_service(request, slug)
    except ApplicationError as error:
        return render(request, "documents/template_refused.html", {"error": error}, status=error.status)
    fmt = request.GET.get("format", "pdf")
    form, advanced = None, None
    try:
        if request.method == "POST" and _written_as_html(request):
            advanced = DocumentTemplateForm(request.POST)
            if not advanced.is_valid():
                return _template_page(request, service, advanced=advanced, status=422)
            html, css = advanced.cleaned_data["html"], advanced.cleaned_data["css"]
            content = doctemplates.template_preview(actor=request.user, service=service, html=html, css=css, fmt=fmt)
        elif request.method == "POST":
            form = StructuredTemplateForm(request.POST)
            if not form.is_valid():
                return _template_page(request, service, form, status=422)
            _spec, html, css = doctemplates.template_structured_source(spec=form.cleaned_data)
            content = doctemplates.template_preview(actor=request.user, service=service, html=html, css=css, fmt=fmt)
        else:
            content = doctemplates.template_preview(actor=request.user, service=service, fmt=fmt)
    except ApplicationError as error:
        return _template_page(request, service, form, advanced, error=error, status=error.status)
    response = HttpResponse(content, content_type="application/pdf" if fmt == "pdf" else "image/png")
    response["Content-Disposition"] = f'inline; filename="{slug}-template-preview.{fmt}"'
    response["Cache-Control"] = "private, no-store"
    response["X-Content-Type-Options"] = "nosniff"
    return response


def _detail_page(request: HttpRequest, document, *, error=None, status: int = 200) -> HttpResponse:
    is_holder = document.holder_id == request.user.pk
    roles = staff_roles(user=request.user, agency_id=document.agency_id)
    context = {
        "document": document,
        "is_holder": is_holder,
        "renewal": renewal_state(document) if is_holder else None,
        "can_change_status": bool(roles & set(services.REVOKING_ROLES)),
        "events": document.status_events.order_by("at", "id"),
        "error": error,
    }
    return render(request, "documents/detail.html", context, status=status)


@require_GET
def detail(request: HttpRequest, document_id: int) -> HttpResponse:
    """One document: for the holder (download, verification link, renewal) or its agency's staff (status)."""
    try:
        document = selectors.access_document_for_user(user=request.user, document_id=document_id)
    except NotFound:
        raise Http404 from None
    return _detail_page(request, document)


_STATUS_CHANGES = {
    "suspend": services.document_suspend,
    "reinstate": services.document_reinstate,
    "revoke": services.document_revoke,
}


@require_http_methods(["POST"])
def change_status(request: HttpRequest, document_id: int) -> HttpResponse:
    """Suspend, reinstate or revoke, with a reason (approvers and admins of the issuing agency)."""
    try:
        document = selectors.access_document_for_user(user=request.user, document_id=document_id)
    except NotFound:
        raise Http404 from None
    change = _STATUS_CHANGES.get(request.POST.get("action", ""))
    if change is None:
        return _detail_page(request, document, status=400)
    try:
        change(actor=request.user, document=document, reason=request.POST.get("reason", ""))
    except ApplicationError as error:
        return _detail_page(request, document, error=error, status=error.status)
    messages.success(request, _("The document's status has been changed."))
    return redirect("documents:detail", document_id=document.pk)
