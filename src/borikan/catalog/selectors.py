"""Reads of the service catalogue."""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet

from borikan.core.errors import NotFound

from .models import RiskAssessment, Service
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


def service_get_for_staff(*, user: Any, slug: str) -> Service:
    """A service of one of the user's agencies, published or not; NotFound for anyone else."""
    from borikan.agencies.selectors import staff_agency_ids

    service = Service.objects.select_related("agency").filter(slug=slug, agency_id__in=staff_agency_ids(user=user))
    found = service.first()
    if found is None:
        raise NotFound("service", "บริการ")
    return found


def risk_assessment_current(*, service: Service) -> RiskAssessment | None:
    return service.risk_assessments.filter(is_current=True).first()


def risk_assessment_history(*, service: Service) -> QuerySet[RiskAssessment]:
    return service.risk_assessments.select_related("assessed_by").order_by("-assessed_at", "-id")
