"""Public API of governance facts: how digital each service is and whether its citizen manual is complete."""

from django.http import HttpRequest
from ninja import Router

from borikan.agencies.selectors import agency_get
from borikan.catalog.selectors import service_get
from borikan.core.fields import PathCode

from . import selectors
from .maturity import LEVEL_NAMES
from .schemas import AgencyMaturityOut, ServiceMaturityOut

router = Router(tags=["governance"])


def _service_out(report: selectors.ServiceReport) -> dict:
    level = report.maturity.level
    return {
        "slug": report.service.slug,
        "name_th": report.service.name_th,
        "level": level,
        "level_name_th": LEVEL_NAMES[level][0],
        "level_name_en": LEVEL_NAMES[level][1],
        "next_level": report.maturity.next_level,
        "next_steps": report.maturity.next_steps,
        "manual_complete": report.manual_complete,
        "manual_findings": report.manual,
    }


@router.get("/services/{slug}", response=ServiceMaturityOut, auth=None, summary="A service's maturity and manual")
def service_maturity(request: HttpRequest, slug: PathCode):
    return _service_out(selectors.service_report(service_get(slug=slug)))


@router.get("/agencies/{code}", response=AgencyMaturityOut, auth=None, summary="An agency's services by level")
def agency_maturity(request: HttpRequest, code: PathCode):
    agency = agency_get(code=code)
    reports = [r for r in selectors.agency_reports(agency=agency) if r.service.is_published]
    return {
        "agency": agency.code,
        "name_th": agency.name_th,
        "name_en": agency.name_en,
        "distribution": selectors.maturity_distribution(reports),
        "services": [_service_out(r) for r in reports],
    }
