"""Pages: public verification (by QR link or by uploading the PDF) and the PDF download link."""

from __future__ import annotations

from django.contrib.auth.decorators import login_not_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET, require_http_methods

from borikan.core.errors import ApplicationError, NotFound

from . import selectors, services
from .forms import VerifyPdfForm
from .httpkit import pdf_response


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
