"""Reads of the service catalogue."""

from __future__ import annotations

from borikan.core.errors import NotFound

from .models import Service
from .search.selectors import SearchFilters
from .search.selectors import service_search as ranked_search


def service_get(*, slug: str) -> Service:
    service = Service.objects.select_related("agency").filter(slug=slug, is_published=True).first()
    if service is None:
        raise NotFound("service", "บริการ")
    return service


def service_search(*, query: str = "", category: str = "", agency: str = "", limit: int = 20) -> list[Service]:
    """The published services that match, best first (all of them by Thai name when the query is empty).

    The ranked Thai search of catalog/search; this keeps the plain list shape for existing callers.
    """
    result = ranked_search(query=query, filters=SearchFilters(category=category, agency=agency), limit=limit)
    return [hit.service for hit in result.hits]
