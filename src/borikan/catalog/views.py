from django.contrib.auth.decorators import login_not_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render

from borikan.core.errors import NotFound

from . import selectors
from .models import PROCESSES


@login_not_required
def search(request: HttpRequest) -> HttpResponse:
    query = request.GET.get("q", "").strip()[:200]
    services = selectors.service_search(query=query)[:50]
    return render(request, "catalog/search.html", {"query": query, "services": services})


@login_not_required
def service_detail(request: HttpRequest, slug: str) -> HttpResponse:
    try:
        service = selectors.service_get(slug=slug)
    except NotFound:
        raise Http404 from None
    modes = [(p, service.mode(p)) for p in PROCESSES]
    return render(request, "catalog/service_detail.html", {"service": service, "modes": modes})
