"""Citizen and office pages. Thin: load through selectors, act through services, render."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.contrib import messages
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from borikan.agencies.models import StaffRole
from borikan.agencies.selectors import is_staff_member, staff_agency_ids
from borikan.casework import services as casework
from borikan.casework import sla
from borikan.casework.models import ExpiryOutcome
from borikan.catalog.models import Service
from borikan.core.errors import ApplicationError, NotFound
from borikan.eforms import tasklist
from borikan.eforms.fields import be_to_iso
from borikan.eforms.formrender import form_fields, parse_post
from borikan.eforms.services import schema_for_case
from borikan.identity.proven import identity_mismatches, proven_identity

from . import selectors, services
from .models import Attachment
from .projection import case_view_for
from .workflow import Status


def _load(request: HttpRequest, application_id: Any, purpose: str = "view"):
    try:
        return case_view_for(actor=request.user, application_id=application_id, purpose=purpose)
    except NotFound:
        raise Http404 from None


def _case_extras(app) -> dict[str, Any]:
    """What the common services hold for this case: its invoice and its issued document."""
    from borikan.documents.selectors import document_for_case
    from borikan.payments.selectors import invoice_for_case

    return {
        "invoice": invoice_for_case(case_ref=app.case_ref),
        "document": document_for_case(case_ref=app.case_ref),
    }


@require_http_methods(["GET", "POST"])
def start(request: HttpRequest, slug: str) -> HttpResponse:
    """Start a draft; from a document's "Renew" button, prefilled with what the document carried over."""
    if request.method == "GET":
        # Signing in from "apply online" comes back here with a GET: the service page, with its button again.
        return redirect("catalog:service", slug=slug)
    renew_from = request.POST.get("renew_from")
    if not renew_from and (draft := selectors.draft_in_progress(user=request.user, service_slug=slug)):
        # A second tap on "apply online" (or the back button) resumes the draft rather than starting another.
        messages.info(request, _("You already have a draft of this application: carry on where you left off."))
        return redirect("applications:edit", application_id=draft.pk)
    try:
        form_data = None
        if renew_from:
            form_data = services.renewal_form_data(actor=request.user, document_id=renew_from, service_slug=slug)
        app = services.application_create(actor=request.user, service_slug=slug, form_data=form_data)
    except ApplicationError as error:
        messages.error(request, error.message)
        return redirect("catalog:service", slug=slug)
    return redirect("applications:edit", application_id=app.pk)


def edit(request: HttpRequest, application_id: str) -> HttpResponse:
    app = _load(request, application_id, purpose="edit")
    if app.applicant_id != request.user.pk or app.status not in (Status.DRAFT, Status.INFO_REQUESTED):
        return redirect("applications:detail", application_id=app.pk)
    if app.status == Status.INFO_REQUESTED:
        return _answer(request, app)  # answering a request for information: only the marked fields open
    schema = schema_for_case(app.case_ref, app.service)
    section = request.POST.get("section") or request.GET.get("section") or ""
    names = tasklist.section_fields(schema, section) if section else None
    if section and names is None:
        return redirect("applications:edit", application_id=app.pk)  # no such section (any more)
    if request.method == "GET" and names is None and tasklist.is_long(schema):
        return _task_list(request, app, schema)
    data, errors, status = app.form_data, {}, 200
    if request.method == "POST":
        data = tasklist.posted_data(schema, app.form_data, request.POST)
        try:
            # The file is kept first, on its own: an error in another field must not make the person choose it
            # again (a browser cannot refill a file input).
            if upload := request.FILES.get("file"):
                services.application_attach(actor=request.user, application_id=app.pk, upload=upload)
            services.application_update(actor=request.user, application_id=app.pk, form_data=data)
            if "submit" in request.POST:
                if app.status == Status.INFO_REQUESTED:
                    services.application_resubmit(actor=request.user, application_id=app.pk)
                else:
                    services.application_submit(actor=request.user, application_id=app.pk)
                return submitted_redirect(request, app)
            messages.success(request, _("Draft saved."))
            return redirect("applications:edit", application_id=app.pk)
        except ApplicationError as error:
            errors = (
                error.details
                if error.code == "invalid_form"
                else {error.field or "form": {"th": error.message_th, "en": error.message_en}}
            )
            messages.error(request, error.message)
            status = 400
    fields = form_fields(schema, data, errors)
    context = {
        "app": app,
        "fields": [f for f in fields if names is None or f.name in names],
        "section": section if names is not None else "",
        "section_title": next((f.section_title for f in fields if names and f.name in names), ""),
        "has_errors": bool(errors),
        "attachment_spec": schema.get("x-attachment"),
        "attachments": list(app.attachments.order_by("uploaded_at", "pk")),
        "file_error": errors.get("file", {}),
        "last_request": app.events.filter(action="request_info").last(),
    }
    return render(request, "applications/form.html", context, status=status)


def _attachment_label(schema: dict, name: str) -> str:
    english = (get_language() or "th").startswith("en")
    spec = schema.get("x-attachment") or {}
    field = (schema.get("x-ui") or {}).get("fields", {}).get(name) or {}
    if english:
        return field.get("label_en") or spec.get("title") or field.get("label_th") or name
    return field.get("label_th") or spec.get("x-title-th") or field.get("label_en") or spec.get("title") or name


def _task_list(request: HttpRequest, app, schema: dict) -> HttpResponse:
    """A long form's first page: its sections, where each stands, and the way to the review."""
    attached = set(app.attachments.values_list("field_name", flat=True))
    tasks = tasklist.tasks(schema, app.form_data, attached=attached)
    context = {
        "app": app,
        "tasks": tasks,
        "done": sum(task.status == tasklist.COMPLETED for task in tasks),
        "last_request": app.events.filter(action="request_info").last(),
    }
    return render(request, "applications/tasks.html", context)


def _answer(request: HttpRequest, app) -> HttpResponse:
    """The applicant answers the officer's request: each defect beside its field, only the marked fields editable
    (all of them when the request marked none), then the case goes back to the officer."""
    schema = schema_for_case(app.case_ref, app.service)
    open_request = casework.open_request(app)
    labels = casework.target_labels(app)
    defects = [casework.defect_view(d, labels) for d in open_request.defects.all()] if open_request else []
    marked_fields = {d["name"] for d in defects if d["kind"] == "field"}
    marked_attachments = {d["name"] for d in defects if d["kind"] == "attachment"}
    editable = marked_fields if defects else set((schema.get("properties") or {}).keys())
    data, errors, status = app.form_data, {}, 200
    if request.method == "POST":
        posted = parse_post(schema, request.POST)
        data = dict(app.form_data)
        for name in editable:
            if name in posted:
                data[name] = posted[name]
            else:
                data.pop(name, None)
        try:
            services.application_update(actor=request.user, application_id=app.pk, form_data=data)
            if upload := request.FILES.get("file"):
                services.application_attach(actor=request.user, application_id=app.pk, upload=upload)
            if "submit" in request.POST:
                services.application_resubmit(actor=request.user, application_id=app.pk)
                messages.success(request, _("Your corrections were sent to the officer."))
                return redirect("applications:detail", application_id=app.pk)
            messages.success(request, _("Draft saved."))
            return redirect("applications:edit", application_id=app.pk)
        except ApplicationError as error:
            errors = (
                error.details
                if error.code == "invalid_form"
                else {error.field or "form": {"th": error.message_th, "en": error.message_en}}
            )
            messages.error(request, error.message)
            status = 400
    by_name = {d["name"]: d for d in defects if d["kind"] == "field"}
    rows = [
        {"field": f, "defect": by_name.get(f.name), "editable": f.name in editable and f.kind != "file"}
        for f in form_fields(schema, data, errors)
    ]
    context = {
        "app": app,
        "request_": open_request,
        "rows": rows,
        "attachment_defects": [d for d in defects if d["kind"] == "attachment"],
        "attachments": {a.field_name: a for a in app.attachments.all()},
        "can_upload": bool(marked_attachments) or not defects,
        "file_error": errors.get("file", {}),
        "general": not defects,
    }
    return render(request, "applications/answer.html", context, status=status)


def mine(request: HttpRequest) -> HttpResponse:
    apps = selectors.application_list_for_applicant(user=request.user)[:200]
    return render(request, "applications/mine.html", {"applications": apps})


JUST_SUBMITTED = "borikan_just_submitted"


def submitted_redirect(request: HttpRequest, app) -> HttpResponse:
    """After submitting: the case's page, which opens once with its confirmation panel."""
    request.session[JUST_SUBMITTED] = str(app.pk)
    return redirect("applications:detail", application_id=app.pk)


def detail(request: HttpRequest, application_id: str) -> HttpResponse:
    app = _load(request, application_id)
    if app.applicant_id != request.user.pk:
        return redirect("office:case", application_id=app.pk)
    summary = selectors.submission_summary(app=app)
    context = {
        "app": app,
        "summary": summary,
        # The confirmation panel: right after submitting, and for as long as the agency has not taken the case up.
        "confirmation": summary is not None
        and (request.session.pop(JUST_SUBMITTED, None) == str(app.pk) or app.status == Status.SUBMITTED),
        "events": app.events.all(),
        "actions": services.application_available_actions(actor=request.user, app=app),
        "info_request": (info_request := casework.latest_request(app)),
        "defects": [casework.defect_view(d, casework.target_labels(app)) for d in info_request.defects.all()]
        if info_request
        else [],
        **_case_extras(app),
    }
    return render(request, "applications/detail.html", context)


def withdraw(request: HttpRequest, application_id: str) -> HttpResponse:
    """Withdrawing cannot be undone: the first step (the detail page's link, or a post without `confirm`) shows
    what it means and asks again; only the confirmed post withdraws."""
    app = _load(request, application_id, purpose="withdraw")
    if app.applicant_id != request.user.pk:
        return redirect("applications:detail", application_id=app.pk)
    if request.method != "POST" or request.POST.get("confirm") != "yes":
        context = {"app": app, "reason": request.POST.get("reason", "")}
        return render(request, "applications/withdraw_confirm.html", context)
    try:
        services.application_withdraw(actor=request.user, application_id=app.pk, reason=request.POST.get("reason", ""))
        messages.success(request, _("The application was withdrawn."))
    except ApplicationError as error:
        messages.error(request, error.message)
    return redirect("applications:detail", application_id=app.pk)


@require_POST
def appeal(request: HttpRequest, application_id: str) -> HttpResponse:
    app = _load(request, application_id, purpose="appeal")
    try:
        services.application_appeal(actor=request.user, application_id=app.pk, reason=request.POST.get("reason", ""))
        messages.success(request, _("Your appeal was lodged; the application will be reviewed again."))
    except ApplicationError as error:
        messages.error(request, error.message)
    return redirect("applications:detail", application_id=app.pk)


def attachment_download(request: HttpRequest, application_id: str, attachment_id: int) -> HttpResponse:
    app = _load(request, application_id, purpose="attachment")
    attachment = Attachment.objects.filter(application=app, pk=attachment_id).first()
    if attachment is None:
        raise Http404
    response = FileResponse(attachment.file.open("rb"), content_type=attachment.content_type)
    response["Content-Disposition"] = f'attachment; filename="{app.pk.hex}-{attachment.field_name}"'
    return response


# --- office --------------------------------------------------------------------------------------


def _date_param(value: str) -> dt.date | None:
    """A date typed on a staff page: day/month/Buddhist-Era year as Thai pages show them (ISO still taken)."""
    value = (value or "").strip()
    try:
        return dt.date.fromisoformat(be_to_iso(value) or value) if value else None
    except ValueError:
        return None


def queue(request: HttpRequest) -> HttpResponse:
    if not is_staff_member(user=request.user):
        raise Http404
    get = request.GET
    filters = {name: get.get(name, "") for name in ("status", "service", "due", "assignee", "due_from", "due_to")}
    status = 200
    try:
        cases = list(
            selectors.application_queue(
                user=request.user,
                status=filters["status"],
                service_slug=filters["service"],
                due=filters["due"],
                assignee=filters["assignee"],
                due_from=_date_param(filters["due_from"]),
                due_to=_date_param(filters["due_to"]),
            )[:100]
        )
    except ApplicationError as error:
        messages.error(request, error.message)
        cases, status = [], 400
    today = sla.today()
    context = {
        "cases": cases,
        "status": filters["status"],
        "filters": filters,
        "statuses": Status.choices,
        "services": Service.objects.filter(agency_id__in=staff_agency_ids(user=request.user)).order_by("slug"),
        "admin_services": Service.objects.filter(
            agency_id__in=staff_agency_ids(user=request.user, roles=[StaffRole.AGENCY_ADMIN])
        ).order_by("slug"),
        "today": today,
        "soon": sla.due_soon_limit(today),
    }
    return render(request, "office/queue.html", context, status=status)


def case(request: HttpRequest, application_id: str) -> HttpResponse:
    app = _load(request, application_id, purpose="review")
    try:
        work = casework.staff_casework(user=request.user, app=app)
    except NotFound:
        return redirect("applications:detail", application_id=app.pk)  # the applicant: their own page
    schema = schema_for_case(app.case_ref, app.service)
    proven = proven_identity(app.applicant)
    context = {
        "app": app,
        "events": app.events.all(),
        "attachments": app.attachments.all(),
        "fields": form_fields(schema, app.form_data, {}),
        # Information is requested through its own form on this page (what to correct, by when), never by a bare
        # button beside the decisions: one control for one thing.
        "actions": [
            a for a in services.application_available_actions(actor=request.user, app=app) if a != "request_info"
        ],
        "work": work,
        # What the proofing settled, beside what the applicant typed (identity binding).
        "proven": proven,
        "identity_mismatches": identity_mismatches(schema, app.form_data, app.applicant, identity=proven),
        "changed": {d["name"]: d for d in work["defects"] if d["changed"]},
        "reasons": [{"code": c.value, "th": th, "en": en} for c, (th, en) in casework.DEFECT_REASON_LABELS.items()],
        # Each file field by its label (the legacy one by its title), never by its stored name.
        "attachment_names": [
            (name, _attachment_label(schema, name)) for name in sorted(casework.attachment_names(app))
        ],
        **_case_extras(app),
    }
    return render(request, "office/case.html", context)


CONFIRMED_ACTIONS = frozenset({"reject"})


@require_POST
def act(request: HttpRequest, application_id: str) -> HttpResponse:
    app = _load(request, application_id, purpose="act")
    action = request.POST.get("action", "")
    if action in CONFIRMED_ACTIONS and request.POST.get("confirm") != "yes":
        # A refusal ends the case for the applicant: asked again on its own page, with the reason to be sent.
        context = {"app": app, "action": action, "reason": request.POST.get("reason", "")}
        return render(request, "office/act_confirm.html", context)
    try:
        services.application_staff_act(
            actor=request.user,
            application_id=app.pk,
            action=request.POST.get("action", ""),
            reason=request.POST.get("reason", ""),
        )
        messages.success(request, _("Done."))
    except ApplicationError as error:
        messages.error(request, error.message)
    return redirect("office:case", application_id=app.pk)


def _case_post(request: HttpRequest, application_id: str, purpose: str, do, success: str) -> HttpResponse:
    """Run one casework service from a case-page form; its refusal is shown on the page."""
    app = _load(request, application_id, purpose=purpose)
    try:
        do(app)
        messages.success(request, success)
    except ApplicationError as error:
        messages.error(request, error.message)
    return redirect("office:case", application_id=app.pk)


def _int_or_none(value: str | None) -> int | None:
    return int(value) if value and value.strip().isdigit() else None


@require_POST
def assign(request: HttpRequest, application_id: str) -> HttpResponse:
    return _case_post(
        request,
        application_id,
        "assign",
        lambda app: casework.case_assign(
            actor=request.user,
            application_id=app.pk,
            assignee_id=_int_or_none(request.POST.get("assignee_id")),
            expected_version=_int_or_none(request.POST.get("version")),
        ),
        _("The case was assigned."),
    )


@require_POST
def note_add(request: HttpRequest, application_id: str) -> HttpResponse:
    return _case_post(
        request,
        application_id,
        "note",
        lambda app: casework.case_note_add(
            actor=request.user, application_id=app.pk, body=request.POST.get("body", "")
        ),
        _("Note added."),
    )


@require_POST
def checklist_tick(request: HttpRequest, application_id: str) -> HttpResponse:
    return _case_post(
        request,
        application_id,
        "checklist",
        lambda app: casework.checklist_tick(
            actor=request.user,
            application_id=app.pk,
            item_code=request.POST.get("item", ""),
            done=request.POST.get("done") == "1",
        ),
        _("Checklist updated."),
    )


def _defects_from_post(post: Any) -> list[dict[str, str]]:
    """Each marked row of the case page's request form: `mark` holds "field:name" or "attachment:name"."""
    defects = []
    for target in post.getlist("mark"):
        kind, _sep, name = target.partition(":")
        defects.append(
            {
                "kind": kind,
                "name": name,
                "reason": post.get(f"reason:{target}", ""),
                "note": post.get(f"note:{target}", ""),
            }
        )
    return defects


@require_POST
def request_information(request: HttpRequest, application_id: str) -> HttpResponse:
    return _case_post(
        request,
        application_id,
        "request_information",
        lambda app: casework.information_request_create(
            actor=request.user,
            application_id=app.pk,
            defects=_defects_from_post(request.POST),
            message=request.POST.get("message", ""),
            deadline_days=_int_or_none(request.POST.get("deadline_days")),
            expected_version=_int_or_none(request.POST.get("version")),
        ),
        _("The applicant was asked to correct the marked items."),
    )


@require_POST
def delay(request: HttpRequest, application_id: str) -> HttpResponse:
    return _case_post(
        request,
        application_id,
        "delay",
        lambda app: casework.case_delay_explain(
            actor=request.user,
            application_id=app.pk,
            reason=request.POST.get("reason", ""),
            expected_date=_date_param(request.POST.get("expected_date", "")),
        ),
        _("Saved."),
    )


def _checklist_lines(text: str) -> list[dict[str, str]]:
    """One item per line: `code | Thai label | English label` (the English label may be left out)."""
    items = []
    for line in text.splitlines():
        if line.strip():
            parts = [part.strip() for part in line.split("|")]
            items.append({"code": parts[0], "label_th": parts[1] if len(parts) > 1 else "",
                          "label_en": parts[2] if len(parts) > 2 else ""})  # fmt: skip
    return items


def service_casework(request: HttpRequest, slug: str) -> HttpResponse:
    """The agency admin's page for a service's review checklist (a new version on each save) and casework settings."""
    try:
        settings = casework.casework_settings_for_staff(user=request.user, service_slug=slug)
    except NotFound:
        raise Http404 from None
    service = settings.service
    status = 200
    checklist_text = ""
    if request.method == "POST":
        try:
            if request.POST.get("form") == "checklist":
                checklist_text = request.POST.get("items", "")
                casework.review_checklist_define(
                    actor=request.user, service_slug=slug, items=_checklist_lines(checklist_text)
                )
            else:
                casework.casework_settings_set(
                    actor=request.user,
                    service_slug=slug,
                    info_request_expiry=request.POST.get("info_request_expiry", ""),
                    info_request_days=_int_or_none(request.POST.get("info_request_days")) or 0,
                    late_notice_interval_days=_int_or_none(request.POST.get("late_notice_interval_days")) or 0,
                )
            messages.success(request, _("Saved."))
            return redirect("office:service_casework", slug=slug)
        except ApplicationError as error:
            messages.error(request, error.message)
            status = 400
    current = casework.current_checklist(service)
    if current is not None and not checklist_text:
        checklist_text = "\n".join(f"{i['code']} | {i['label_th']} | {i['label_en']}" for i in current.items)
    context = {
        "service": service,
        "settings": settings,
        "checklist": current,
        "checklist_text": checklist_text,
        "outcomes": ExpiryOutcome.choices,
    }
    return render(request, "office/service_casework.html", context, status=status)
