"""HTTP helpers shared by the documents pages and API."""

from __future__ import annotations

from django.http import HttpResponse

from .models import IssuedDocument


def pdf_response(document: IssuedDocument, content: bytes) -> HttpResponse:
    """A private, uncached download of an issued PDF."""
    response = HttpResponse(content, content_type="application/pdf")
    response["Content-Disposition"] = f'attachment; filename="{document.number}.pdf"'
    response["Cache-Control"] = "private, no-store"
    response["X-Content-Type-Options"] = "nosniff"
    return response
