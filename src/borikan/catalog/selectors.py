"""Reads of the service catalogue."""

from __future__ import annotations

from django.db.models import Q, QuerySet

from borikan.core.errors import NotFound

from .models import Service


def service_get(*, slug: str) -> Service:
    service = Service.objects.select_related("agency").filter(slug=slug, is_published=True).first()
    if service is None:
        raise NotFound("service", "บริการ")
    return service


def service_search(*, query: str = "", category: str = "", agency: str = "") -> QuerySet[Service]:
    """Simple search: every word must appear in a name, description, keyword or agency name.

    Thai text has no spaces between words, so this matches substrings; ranked Thai search is its own issue.
    """
    services = Service.objects.filter(is_published=True).select_related("agency")
    for word in query.split()[:8]:
        services = services.filter(
            Q(name_th__icontains=word)
            | Q(name_en__icontains=word)
            | Q(description_th__icontains=word)
            | Q(description_en__icontains=word)
            | Q(keywords_th__icontains=word)
            | Q(agency__name_th__icontains=word)
            | Q(agency__name_en__icontains=word)
            | Q(agency__code__iexact=word)
        )
    if category:
        services = services.filter(category=category)
    if agency:
        services = services.filter(agency__code=agency)
    return services.order_by("name_th")
