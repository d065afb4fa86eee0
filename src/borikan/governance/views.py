from django.contrib.auth.decorators import login_not_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render

from borikan.agencies.selectors import agency_get
from borikan.core.errors import NotFound

from . import selectors
from .maturity import LEVEL_NAMES


@login_not_required
def agency_overview(request: HttpRequest, code: str) -> HttpResponse:
    try:
        agency = agency_get(code=code)
    except NotFound:
        raise Http404 from None
    reports = [r for r in selectors.agency_reports(agency=agency) if r.service.is_published]
    distribution = selectors.maturity_distribution(reports)
    levels = [(level, LEVEL_NAMES[level], distribution[level]) for level in range(6)]
    context = {"agency": agency, "reports": reports, "levels": levels, "level_names": LEVEL_NAMES}
    return render(request, "governance/agency.html", context)
