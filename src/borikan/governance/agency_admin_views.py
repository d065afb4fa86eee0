"""The agency admin's home: one page linking every setting an administrator of an agency has, and the counter's
details. Here, not in `agencies`, because it reads every app's settings (the layers, ADR 0017)."""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_GET, require_http_methods

from borikan.agencies.models import Agency, StaffMembership, StaffRole
from borikan.agencies.services import agency_counter_update
from borikan.core.errors import ApplicationError
from borikan.identity.enforcement import require_staff


def agency_admin_settings(*, user) -> list[dict]:
    """What the agency admin's home lists: each agency the user administers, its services, and the roles the user
    holds there. Two queries."""
    from borikan.catalog.models import Service

    if not getattr(user, "is_authenticated", False):
        return []
    memberships = list(StaffMembership.objects.filter(user=user).select_related("agency"))
    administered = {m.agency_id: m.agency for m in memberships if m.role == StaffRole.AGENCY_ADMIN}
    if not administered:
        return []
    services: dict[int, list] = {agency_id: [] for agency_id in administered}
    for service in Service.objects.filter(agency_id__in=administered).order_by("slug")[:1000]:
        services[service.agency_id].append(service)
    return [
        {
            "agency": agency,
            "services": services[agency.pk],
            "roles": {m.role for m in memberships if m.agency_id == agency.pk},
        }
        for agency in sorted(administered.values(), key=lambda a: a.code)
    ]


@require_GET
def home(request: HttpRequest) -> HttpResponse:
    agencies = agency_admin_settings(user=request.user)
    if not agencies:
        raise Http404  # not an agency admin anywhere: there is no such page for them
    require_staff(request.user)
    return render(request, "agencies/admin_home.html", {"agencies": agencies})


class CounterForm(forms.Form):
    counter_address_th = forms.CharField(label=_("Counter address (Thai)"), max_length=500, required=False)
    counter_address_en = forms.CharField(label=_("Counter address (English)"), max_length=500, required=False)
    opening_hours_th = forms.CharField(
        label=_("Opening hours (Thai)"),
        max_length=200,
        required=False,
        help_text=_("For example: Monday to Friday, 08:30 to 16:30, except public holidays"),
    )
    opening_hours_en = forms.CharField(label=_("Opening hours (English)"), max_length=200, required=False)
    counter_phone = forms.CharField(label=_("Counter telephone"), max_length=40, required=False)


@require_http_methods(["GET", "POST"])
def counter(request: HttpRequest, code: str) -> HttpResponse:
    """Where and when the agency's counter proves people, shown to citizens on the assurance page."""
    agency = get_object_or_404(Agency, code=code)
    if not StaffMembership.objects.filter(user=request.user, agency=agency, role=StaffRole.AGENCY_ADMIN).exists():
        raise Http404
    require_staff(request.user)
    initial = {name: getattr(agency, name) for name in CounterForm.base_fields}
    form = CounterForm(request.POST or None, initial=initial)
    status = 200
    if request.method == "POST":
        if form.is_valid():
            try:
                agency_counter_update(actor=request.user, agency=agency, details=form.cleaned_data)
            except ApplicationError as error:
                form.add_error(error.field if error.field in form.fields else None, error.message)
            else:
                messages.success(request, _("Saved."))
                return redirect("agencyadmin:counter", code=agency.code)
        status = 400
    return render(request, "agencies/counter.html", {"agency": agency, "form": form}, status=status)
