from django.http import HttpRequest
from ninja import Router

from . import selectors
from .schemas import ServiceOut, ServiceSummaryOut

router = Router(tags=["services"])


@router.get("", response=list[ServiceSummaryOut], auth=None, summary="Search the service catalogue")
def service_search(request: HttpRequest, q: str = "", category: str = "", agency: str = "", limit: int = 20):
    return list(selectors.service_search(query=q, category=category, agency=agency)[: max(1, min(limit, 100))])


@router.get("/{slug}", response=ServiceOut, auth=None, summary="A service and its citizen manual")
def service_detail(request: HttpRequest, slug: str):
    return selectors.service_get(slug=slug)
