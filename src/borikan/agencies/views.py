"""The agency admin's home: one page linking every setting an administrator of an agency has."""

from __future__ import annotations

from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET

from borikan.identity.enforcement import require_staff

from .selectors import agency_admin_settings


@require_GET
def home(request: HttpRequest) -> HttpResponse:
    agencies = agency_admin_settings(user=request.user)
    if not agencies:
        raise Http404  # not an agency admin anywhere: there is no such page for them
    require_staff(request.user)
    return render(request, "agencies/admin_home.html", {"agencies": agencies})
