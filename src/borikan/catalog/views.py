from urllib.parse import urlencode

from django.contrib.auth.decorators import login_not_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.translation import gettext_lazy as _

from borikan.core.errors import ApplicationError, NotFound
from borikan.identity.enforcement import service_requirement
from borikan.identity.selectors import identity_readiness

from . import labels, selectors
from .formschema import personal_data_label
from .models import PROCESSES
from .search import selectors as search_selectors
from .search.life_events import group_by_life_event, life_event_name
from .search.selectors import SearchFilters

# The impact ratings of a digital-identity risk assessment, in words for the admin's select.
RATINGS = {
    "none": ("ไม่มีผลกระทบ", "None"),
    "low": ("ต่ำ", "Low"),
    "moderate": ("ปานกลาง", "Moderate"),
    "high": ("สูง", "High"),
}


FACET_LABELS = {
    "category": _("Category"),
    "agency": _("Agency"),
    "life_event": _("Life event"),
    "transaction_type": _("Type of service"),
    "channel": _("Channel"),
    "fee": _("Fee"),
}


def _facet_value_label(name: str, value: str) -> str:
    vocabularies = {
        "category": labels.CATEGORY,
        "transaction_type": labels.TRANSACTION_TYPE,
        "channel": labels.CHANNEL,
        "fee": labels.FEE,
    }
    if name == "life_event":
        return life_event_name(value)
    if name == "agency":
        return value  # agency codes are what people know them by (DLT, DOPA, ...)
    return labels.label(vocabularies.get(name, {}), value)


@login_not_required
def search(request: HttpRequest) -> HttpResponse:
    query = request.GET.get("q", "")
    filters = SearchFilters(**{name: request.GET.get(name, "") for name in FACET_LABELS})
    try:
        result = search_selectors.service_search(query=query, filters=filters, limit=50)
    except ApplicationError as error:
        context: dict[str, object] = {"query": query[:200], "error": error.message, "result": None, "facets": []}
        return render(request, "catalog/search.html", context, status=error.status)
    active = filters.active()
    facets = []
    for name, label in FACET_LABELS.items():
        values = []
        for facet in result.facets[name]:
            chosen = active.get(name) == facet.value
            params = {**active, "q": result.query}
            if chosen:
                params.pop(name)
            else:
                params[name] = facet.value
            values.append(
                {
                    "value": facet.value,
                    "label": _facet_value_label(name, facet.value),
                    "count": facet.count,
                    "chosen": chosen,
                    "url": "?" + urlencode(params),
                }
            )
        facets.append({"name": name, "label": label, "values": values})
    # People see what their words were read as (a spelling corrected), not the engine's synonym table.
    context = {
        "query": result.query,
        "result": result,
        "facets": facets,
        "error": "",
        "corrected": search_selectors.corrected_query(result),
        "did_you_mean": result.suggestions[0] if result.suggestions else "",
        "groups": group_by_life_event(result.hits),
    }
    return render(request, "catalog/search.html", context)


@login_not_required
def service_detail(request: HttpRequest, slug: str) -> HttpResponse:
    try:
        service = selectors.service_get(slug=slug)
    except NotFound:
        raise Http404 from None
    modes = [(p, service.mode(p)) for p in PROCESSES]
    assurance = selectors.risk_assessment_current(service=service)
    english = (request.LANGUAGE_CODE or "th").startswith("en")
    personal_data = [personal_data_label(name, english=english) for name in service.personal_data_fields]
    channels = [labels.label(labels.CHANNEL, channel) for channel in service.channels]
    context = {"service": service, "modes": modes, "assurance": assurance, "personal_data": personal_data}
    context["channels"] = channels
    # Before you start: the identity the service needs in words, and whether this person has it already.
    ial, aal = service_requirement(service)
    user = request.user if request.user.is_authenticated else None
    context["readiness"] = identity_readiness(user=user, ial=ial, aal=aal)
    return render(request, "catalog/service_detail.html", context)


def service_risk(request: HttpRequest, slug: str) -> HttpResponse:
    """Agency staff: the service's risk assessment, its derivation and history; admins record and publish."""
    from django.contrib import messages
    from django.shortcuts import redirect

    from borikan.agencies.models import StaffRole
    from borikan.agencies.selectors import staff_roles

    from . import services
    from .assurance import CATEGORIES

    try:
        service = selectors.service_get_for_staff(user=request.user, slug=slug)
    except NotFound:
        raise Http404 from None
    is_admin = StaffRole.AGENCY_ADMIN in staff_roles(user=request.user, agency_id=service.agency_id)
    if request.method == "POST" and is_admin:
        try:
            if "publish" in request.POST:
                services.service_publish(actor=request.user, service=service)
            elif "withdraw" in request.POST:
                services.service_withdraw(actor=request.user, service=service, reason=request.POST.get("reason", ""))
            else:
                services.risk_assessment_record(
                    actor=request.user,
                    service=service,
                    ratings={category: request.POST.get(category, "") for category in CATEGORIES},
                    justification=request.POST.get("justification", ""),
                    ial=request.POST.get("ial") or None,
                    aal=request.POST.get("aal") or None,
                    override_reason=request.POST.get("override_reason", ""),
                )
            messages.success(request, _("Saved."))
        except ApplicationError as error:
            messages.error(request, error.message)
        return redirect("catalog:risk", slug=service.slug)
    context = {
        "service": service,
        "current": selectors.risk_assessment_current(service=service),
        "history": selectors.risk_assessment_history(service=service),
        "categories": CATEGORIES.items(),
        "is_admin": is_admin,
        "blockers": services.publication_blockers(service),
        "ratings": [(code, labels.label(RATINGS, code)) for code in RATINGS],
    }
    return render(request, "catalog/service_risk.html", context)
