"""Pages: the citizen's review-and-submit and autosave around the application form, and the agency admin's
form builder. Thin: load, call a service, render."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from borikan.agencies.models import StaffRole
from borikan.agencies.selectors import staff_agency_ids
from borikan.catalog.models import Service
from borikan.core.errors import ApplicationError, NotFound, PermissionDenied, ValidationFailed
from borikan.core.hygiene import form_int
from borikan.eforms.formrender import form_fields

from . import address, builder, selectors, services
from .definition import split
from .fields import FIELD_TYPES, FILE_CONTENT_TYPES, TYPE_LABELS


@require_GET
def address_options(request: HttpRequest) -> JsonResponse:
    """The choices of the next address select: districts of a province, subdistricts of a district, or the
    postcodes of a subdistrict (from the data file shipped with the project)."""
    province = request.GET.get("province", "")
    district = request.GET.get("district", "")
    subdistrict = request.GET.get("subdistrict", "")
    if subdistrict:
        return JsonResponse({"postcode": address.postcodes(province, district, subdistrict)})
    if district:
        return JsonResponse({"subdistrict": address.subdistricts(province, district)})
    return JsonResponse({"district": address.districts(province)})


# --- agency admin ---------------------------------------------------------------------------------------


def _admin_service(request: HttpRequest, slug: str) -> Service:
    service = Service.objects.select_related("agency").filter(slug=slug).first()
    if service is None:
        raise Http404
    try:
        services.require_form_admin(request.user, service)
    except NotFound:
        raise Http404 from None
    except PermissionDenied as error:
        raise DjangoPermissionDenied(error.message) from None
    return service  # AssuranceRequired goes to identity's middleware (the fix, then back)


def admin_index(request: HttpRequest) -> HttpResponse:
    agencies = staff_agency_ids(user=request.user, roles=[StaffRole.AGENCY_ADMIN])
    if not agencies:
        raise Http404
    service_list = Service.objects.filter(agency_id__in=agencies).select_related("agency").order_by("slug")
    return render(request, "eforms/admin_index.html", {"services": service_list[:500]})


def admin_versions(request: HttpRequest, slug: str) -> HttpResponse:
    service = _admin_service(request, slug)
    services.form_version_current(service)
    versions = selectors.versions_of(service=service)
    context = {"service": service, "versions": versions, "has_draft": any(v.status == "draft" for v in versions)}
    return render(request, "eforms/admin_versions.html", context)


@require_POST
def admin_draft_create(request: HttpRequest, slug: str) -> HttpResponse:
    service = _admin_service(request, slug)
    try:
        services.form_draft_create(actor=request.user, service=service)
        messages.success(request, _("A draft was made from the current version."))
    except ApplicationError as error:
        messages.error(request, error.message)
    return redirect("eforms:admin_draft", slug=slug)


def _builder_change(schema: dict, ui: dict, post: Any) -> tuple[dict, dict, str]:
    op = post.get("op", "")
    name = post.get("name", "").strip()
    if op == "add":
        schema, ui = builder.field_add(
            schema,
            ui,
            name=name,
            kind=post.get("type", ""),
            label_th=post.get("label_th", ""),
            label_en=post.get("label_en", ""),
            section=post.get("section", ""),
            required=bool(post.get("required")),
            group=post.get("group", "").strip(),
        )
    elif op == "update":
        values: dict[str, Any] = {k: post.get(k, "") for k in builder_keys(post)}
        values["required"] = bool(post.get("required"))
        if "accept" in post:
            values["accept"] = post.getlist("accept")
        schema, ui = builder.field_update(schema, ui, name=name, values=values)
    elif op == "remove":
        schema, ui = builder.field_remove(schema, ui, name=name)
    elif op in ("up", "down"):
        schema, ui = builder.field_move(schema, ui, name=name, step=-1 if op == "up" else 1)
    elif op == "section":
        ui = builder.section_save(
            ui, key=post.get("key", "").strip(), title_th=post.get("title_th", ""), title_en=post.get("title_en", "")
        )
    elif op == "section_remove":
        ui = builder.section_remove(ui, key=post.get("key", "").strip())
    else:
        raise ValidationFailed("unknown_change", "ไม่รู้จักการแก้ไขนี้", "Unknown change", field="op")
    return schema, ui, f"{op} {name}".strip()


BUILDER_KEYS = (
    "label_th",
    "label_en",
    "help_th",
    "help_en",
    "section",
    "show_if_field",
    "show_if_value",
    "choices",
    "max_size_mb",
    "max_count",
    "min_items",
    "max_items",
    "max_length",
    "phone_kind",
)


def builder_keys(post: Any) -> list[str]:
    return [k for k in BUILDER_KEYS if k in post]


def admin_draft(request: HttpRequest, slug: str) -> HttpResponse:
    """The form builder: the draft's sections and fields, each editable; add, remove, reorder; publish."""
    service = _admin_service(request, slug)
    draft = selectors.draft_of(service=service)
    if draft is None:
        return redirect("eforms:admin_versions", slug=slug)
    status = 200
    if request.method == "POST":
        try:
            revision = form_int(request.POST.get("revision")) or 0
            schema, ui, change = _builder_change(draft.schema, draft.ui, request.POST)
            services.form_draft_update(
                actor=request.user, service=service, schema=schema, ui=ui, expected_revision=revision, change=change
            )
            messages.success(request, _("The draft was saved."))
            return redirect("eforms:admin_draft", slug=slug)
        except ApplicationError as error:
            messages.error(request, error.message)
            status = 400
            draft.refresh_from_db()
    context = {
        "service": service,
        "draft": draft,
        "rows": selectors.builder_rows(draft),
        "sections": draft.ui.get("sections", []),
        "problems": selectors.problems_of(draft),
        "field_types": [(k, TYPE_LABELS[k]) for k in FIELD_TYPES],
        "content_types": FILE_CONTENT_TYPES,
        "groups": [n for n, s in draft.ui.get("fields", {}).items() if s.get("type") == "group"],
    }
    return render(request, "eforms/admin_builder.html", context, status=status)


def admin_preview(request: HttpRequest, slug: str, number: str) -> HttpResponse:
    """A version as the citizen sees it (nothing can be sent from here)."""
    service = _admin_service(request, slug)
    version = service.form_versions.filter(number=int(number)).first() if number.isdigit() else None
    if version is None:
        raise Http404
    definition = version.definition
    _, ui = split(definition)
    context = {"service": service, "version": version, "fields": form_fields(definition, {}, {}), "ui": ui}
    return render(request, "eforms/admin_preview.html", context)


@require_POST
def admin_publish(request: HttpRequest, slug: str) -> HttpResponse:
    service = _admin_service(request, slug)
    try:
        revision = form_int(request.POST.get("revision")) or None
        version = services.form_publish(actor=request.user, service=service, expected_revision=revision)
        messages.success(request, _("Version %(number)s is published.") % {"number": version.number})
        return redirect("eforms:admin_versions", slug=slug)
    except ApplicationError as error:
        messages.error(request, error.message)
        return redirect("eforms:admin_draft", slug=slug)


@require_POST
def admin_discard(request: HttpRequest, slug: str) -> HttpResponse:
    service = _admin_service(request, slug)
    try:
        services.form_draft_discard(actor=request.user, service=service)
    except ApplicationError as error:
        messages.error(request, error.message)
    return redirect("eforms:admin_versions", slug=slug)
