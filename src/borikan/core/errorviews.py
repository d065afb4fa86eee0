"""What a URL that matches no route answers: on the API a problem document like every other API error (an
operation's path converter refuses `/documents/abc/pdf` before the operation runs), on pages Django's 404."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse, JsonResponse
from django.views.defaults import page_not_found

from borikan.core.errors import ApplicationError
from borikan.core.hygiene import API_PREFIX


def not_found(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    if request.path.startswith(API_PREFIX):
        error = ApplicationError("not_found", "ไม่พบสิ่งที่ขอ", "Not found", status=404)
        return JsonResponse(error.as_problem(), status=404, content_type="application/problem+json")
    return page_not_found(request, exception)
