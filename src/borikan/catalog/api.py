from django.http import HttpRequest, HttpResponse, JsonResponse
from ninja import Query, Router, Schema, Status
from pydantic import Field

from borikan.core.errors import PermissionDenied
from borikan.core.fields import Code, PathCode, PathId, SearchText
from borikan.identity.apiauth import api_auth

from . import selectors, services
from .exporting import catalogue_to_csv, export_catalogue
from .loading import CATALOGUE_SCHEMA
from .schemas import (
    PublicationOut,
    RiskAssessmentIn,
    RiskAssessmentOut,
    SearchResultOut,
    ServiceOut,
    ServiceSummaryOut,
    SynonymIn,
    SynonymOut,
    WithdrawIn,
)
from .search import selectors as search_selectors
from .search import services as search_services

router = Router(tags=["services"])


class SearchParams(Schema):
    q: SearchText = ""
    category: Code = ""
    agency: Code = ""
    life_event: Code = ""
    transaction_type: Code = ""
    channel: Code = ""
    fee: Code = ""
    limit: int = Field(20, ge=1, le=100)
    offset: int = Field(0, ge=0, le=10_000)


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
def service_list(
    request: HttpRequest,
    q: SearchText = "",
    category: PathCode = "",
    agency: PathCode = "",
    limit: int = Query(20, ge=1, le=100),
):
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
def synonym_delete(request: HttpRequest, synonym_id: PathId):
    search_services.synonym_delete(actor=request.user, synonym_id=synonym_id)
    return Status(204, None)


@router.get("/catalogue.schema.json", auth=None, summary="The JSON Schema of the directory export format")
def catalogue_schema(request: HttpRequest) -> HttpResponse:
    return HttpResponse(CATALOGUE_SCHEMA.read_bytes(), content_type="application/schema+json")


@router.get("/export", auth=api_auth, summary="The whole directory as JSON or CSV (platform operators)")
def catalogue_export(request: HttpRequest, format: PathCode = "json") -> HttpResponse:
    if not request.auth.is_staff:
        raise PermissionDenied("เฉพาะผู้ดูแลแพลตฟอร์ม", "Platform operators only")
    data = export_catalogue()
    if format == "csv":
        response = HttpResponse(catalogue_to_csv(data), content_type="text/csv; charset=utf-8")
        response["Content-Disposition"] = 'attachment; filename="borikan-directory.csv"'
        return response
    return JsonResponse(data, json_dumps_params={"ensure_ascii": False})


@router.get("/{slug}", response=ServiceOut, auth=None, summary="A service and its citizen manual")
def service_detail(request: HttpRequest, slug: PathCode):
    return selectors.service_get(slug=slug)


@router.get(
    "/{slug}/risk-assessments",
    response=list[RiskAssessmentOut],
    auth=api_auth,
    summary="The service's risk assessments, current first (staff of its agency)",
)
def risk_assessment_list(request: HttpRequest, slug: PathCode):
    service = selectors.service_get_for_staff(user=request.auth, slug=slug)
    return list(selectors.risk_assessment_history(service=service))


@router.post(
    "/{slug}/risk-assessments",
    response={201: RiskAssessmentOut},
    auth=api_auth,
    summary="Record a risk assessment; the required IAL/AAL follow (agency admin)",
)
def risk_assessment_record(request: HttpRequest, slug: PathCode, payload: RiskAssessmentIn):
    service = selectors.service_get_for_staff(user=request.auth, slug=slug)
    return Status(201, services.risk_assessment_record(actor=request.auth, service=service, **payload.dict()))


@router.post("/{slug}/publish", response=PublicationOut, auth=api_auth, summary="Publish (agency admin; rules apply)")
def service_publish(request: HttpRequest, slug: PathCode):
    service = selectors.service_get_for_staff(user=request.auth, slug=slug)
    return services.service_publish(actor=request.auth, service=service)


@router.post("/{slug}/withdraw", response=PublicationOut, auth=api_auth, summary="Withdraw from the directory")
def service_withdraw(request: HttpRequest, slug: PathCode, payload: WithdrawIn):
    service = selectors.service_get_for_staff(user=request.auth, slug=slug)
    return services.service_withdraw(actor=request.auth, service=service, reason=payload.reason)
