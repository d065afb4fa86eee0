"""Pages: an agency admin's chain editor and delegations; an approver's delegations and a case's decisions.

Thin: the rules are in services; a refusal is shown as a message in the reader's language (422 on a form),
someone outside the agency gets 404, staff who are not its admin get 403.
"""

from __future__ import annotations

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import get_language
from django.utils.translation import gettext as _

from borikan.agencies.models import Agency, StaffRole, staff_role_labels
from borikan.agencies.selectors import staff_agency_ids, staff_roles
from borikan.catalog.models import Service
from borikan.catalog.selectors import service_get_for_staff
from borikan.core.errors import ApplicationError, NotFound, PermissionDenied
from borikan.core.hygiene import form_int
from borikan.identity.models import User

from . import selectors, services
from .models import LevelRole

FORM_ROWS = 6


def _service_or_404(request: HttpRequest, slug: str):
    try:
        return service_get_for_staff(user=request.user, slug=slug)
    except NotFound as exc:
        raise Http404(exc.message) from exc


def _levels_from_post(post) -> list[dict]:
    levels = []
    for row in range(1, FORM_ROWS + 1):
        role = post.get(f"role_{row}", "").strip()
        if not role:
            continue
        levels.append(
            {
                "role": role,
                "may_reject": post.get(f"may_reject_{row}") == "on",
                "name_th": post.get(f"name_th_{row}", ""),
                "name_en": post.get(f"name_en_{row}", ""),
            }
        )
    return levels


def _int_or_none(text: str | None) -> int | str | None:
    text = (text or "").strip()
    if not text:
        return None
    try:
        return int(text)
    except ValueError:
        return text  # the service refuses it with a field message


def _role_choices() -> list[tuple[str, str]]:
    """The roles a level may name, labelled in the reader's language (agencies' labels)."""
    thai = (get_language() or "th").startswith("th")
    return [(value, staff_role_labels(value)[0 if thai else 1]) for value in LevelRole.values]


def home(request: HttpRequest) -> HttpResponse:
    """Staff: the services of my agencies with their chains, and links to delegations."""
    agency_ids = staff_agency_ids(user=request.user)
    if not agency_ids:
        raise Http404
    admin_of = staff_agency_ids(user=request.user, roles=[StaffRole.AGENCY_ADMIN])
    rows = [
        {
            "service": service,
            "chain": selectors.chain_current(service=service),
            "is_admin": service.agency_id in admin_of,
        }
        for service in Service.objects.filter(agency_id__in=agency_ids).select_related("agency").order_by("slug")[:500]
    ]
    return render(request, "approvals/home.html", {"rows": rows})


def chain_edit(request: HttpRequest, slug: str) -> HttpResponse:
    """The service's current chain and its history; its agency's admins save a new version here."""
    service = _service_or_404(request, slug)
    is_admin = StaffRole.AGENCY_ADMIN in staff_roles(user=request.user, agency_id=service.agency_id)
    error = None
    status = 200
    if request.method == "POST":
        if not is_admin:
            return render(request, "approvals/forbidden.html", status=403)
        try:
            version = services.chain_version_create(
                actor=request.user,
                service=service,
                levels=_levels_from_post(request.POST),
                appeal_window_days=_int_or_none(request.POST.get("appeal_window_days")) or 0,
                appeal_level=_int_or_none(request.POST.get("appeal_level")),
                note=request.POST.get("note", ""),
                expected_version=_int_or_none(request.POST.get("expected_version")),
            )
        except PermissionDenied:
            return render(request, "approvals/forbidden.html", status=403)
        except ApplicationError as exc:
            error, status = exc, exc.status
        else:
            messages.success(request, _("Approval chain version %(number)s saved.") % {"number": version.number})
            return redirect("approvals:chain", slug=service.slug)
    current = selectors.chain_current(service=service)
    levels = list(current.levels.all()) if current else []
    rows = [{"n": n, "level": levels[n - 1] if n <= len(levels) else None} for n in range(1, FORM_ROWS + 1)]
    return render(
        request,
        "approvals/chain.html",
        {
            "service": service,
            "current": current,
            "history": selectors.chain_versions(service=service).order_by("-number")[:50],
            "rows": rows,
            "roles": _role_choices(),
            "is_admin": is_admin,
            "error": error,
        },
        status=status,
    )


def delegations(request: HttpRequest) -> HttpResponse:
    """My delegations (given and received); an agency admin sees and creates them for the whole agency."""
    agency_ids = staff_agency_ids(user=request.user)
    if not agency_ids:
        raise Http404
    agencies = list(Agency.objects.filter(pk__in=agency_ids).order_by("code"))
    admin_of = staff_agency_ids(user=request.user, roles=[StaffRole.AGENCY_ADMIN])
    error, status = None, 200
    if request.method == "POST":
        agency = next((a for a in agencies if a.code == request.POST.get("agency")), None)
        if agency is None:
            raise Http404
        delegator = request.user
        if request.POST.get("delegator") and agency.pk in admin_of:
            delegator = User.objects.filter(pk=form_int(request.POST["delegator"]) or 0).first()
        delegate = User.objects.filter(pk=form_int(request.POST.get("delegate")) or 0).first()
        try:
            services.delegation_create(
                actor=request.user,
                agency=agency,
                delegator=delegator,
                delegate=delegate,
                starts_on=request.POST.get("starts_on", ""),
                ends_on=request.POST.get("ends_on", ""),
                reason=request.POST.get("reason", ""),
            )
        except ApplicationError as exc:
            error, status = exc, exc.status
        else:
            messages.success(request, _("Delegation recorded."))
            return redirect("approvals:delegations")
    colleagues = (
        User.objects.filter(memberships__agency_id__in=agency_ids).exclude(pk=request.user.pk).distinct()
    ).order_by("full_name")[:500]
    today = timezone.localdate()
    return render(
        request,
        "approvals/delegations.html",
        {
            "agencies": agencies,
            "admin_of": admin_of,
            "colleagues": colleagues,
            "rows": [
                {
                    "d": d,
                    "active": d.revoked_at is None and d.starts_on <= today <= d.ends_on,
                    "revocable": d.revoked_at is None and d.ends_on >= today,
                }
                for d in selectors.delegations_visible_to(user=request.user)[:200]
            ],
            "today": today,
            "error": error,
        },
        status=status,
    )


def delegation_revoke(request: HttpRequest, pk: int) -> HttpResponse:
    if request.method == "POST":
        try:
            services.delegation_revoke(actor=request.user, delegation_id=pk)
        except NotFound as exc:
            raise Http404(exc.message) from exc
        except ApplicationError as exc:
            messages.error(request, exc.message)
        else:
            messages.success(request, _("Delegation revoked."))
    return redirect("approvals:delegations")


def case_detail(request: HttpRequest, case_ref: str) -> HttpResponse:
    """A case's decisions (who, when, on whose behalf, on what data) and the versions it was pinned to."""
    try:
        case = selectors.case_for_user(user=request.user, case_ref=case_ref)
    except NotFound as exc:
        raise Http404(exc.message) from exc
    return render(
        request,
        "approvals/case.html",
        {
            "case": case,
            "pin": case.pin,
            "levels": list(case.pin.chain_version.levels.all()),
            "step": services.next_step(case.case_ref),
            "decisions": selectors.case_decisions(case=case),
            "appeal": selectors.case_appeal(case=case),
            "appeal_deadline": selectors.case_appeal_deadline(case=case),
        },
    )
