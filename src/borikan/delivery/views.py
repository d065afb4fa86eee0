from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET

from borikan.documents.selectors import document_list_for_holder


@require_GET
def wallet(request: HttpRequest) -> HttpResponse:
    """The signed-in person's documents, with download and verification links (login required)."""
    documents = document_list_for_holder(user=request.user)
    return render(request, "delivery/wallet.html", {"documents": documents})
