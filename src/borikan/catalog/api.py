from django.http import HttpRequest
from ninja import Query, Router, Schema, Status

from borikan.identity.apiauth import api_auth

from . import selectors
from .schemas import SearchResultOut, ServiceOut, ServiceSummaryOut, SynonymIn, SynonymOut
from .search import selectors as search_selectors
from .search import services as search_services

router = Router(tags=["services"])


class SearchParams(Schema):
    q: str = ""
    category: str = ""
    agency: str = ""
    life_event: str = ""
    transaction_type: str = ""
    channel: str = ""
    fee: str = ""
    limit: int = 20
    offset: int = 0


def _filters(params: SearchParams) -> search_selectors.SearchFilters:
    return search_selectors.SearchFilters(
        category=params.category,
        agency=params.agency,
        life_event=params.life_event,
        transaction_type=params.transaction_type,
        channel=params.channel,
        fee=params.fee,
    )


@router.get("", response=list[ServiceSummaryOut], auth=None, summary="Search the service catalogue (services only)")
def service_list(request: HttpRequest, q: str = "", category: str = "", agency: str = "", limit: int = 20):
    return selectors.service_search(query=q, category=category, agency=agency, limit=limit)


@router.get("/search", response=SearchResultOut, auth=None, summary="Thai search: ranked hits, facets, suggestions")
def service_search(request: HttpRequest, params: Query[SearchParams]):
    return search_selectors.service_search(
        query=params.q, filters=_filters(params), limit=params.limit, offset=params.offset
    )


@router.get("/search/synonyms", response=list[SynonymOut], auth=api_auth, summary="The synonym dictionary (operators)")
def synonym_list(request: HttpRequest):
    return list(search_selectors.synonym_list(actor=request.user))


@router.post("/search/synonyms", response={201: SynonymOut}, auth=api_auth, summary="Add a synonym group (operators)")
def synonym_create(request: HttpRequest, payload: SynonymIn):
    return Status(201, search_services.synonym_create(actor=request.user, terms=payload.terms, note=payload.note))


@router.delete(
    "/search/synonyms/{synonym_id}", response={204: None}, auth=api_auth, summary="Remove a synonym group (operators)"
)
def synonym_delete(request: HttpRequest, synonym_id: int):
    search_services.synonym_delete(actor=request.user, synonym_id=synonym_id)
    return Status(204, None)


@router.get("/{slug}", response=ServiceOut, auth=None, summary="A service and its citizen manual")
def service_detail(request: HttpRequest, slug: str):
    return selectors.service_get(slug=slug)
