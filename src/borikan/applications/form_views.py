"""The applicant's form pages of a case: save, review, submit and autosave. The form itself (validation and
rendering) belongs to eforms; these pages act on the case, so they live with it."""

from __future__ import annotations

import copy
from typing import Any

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from borikan.core.errors import ApplicationError, NotFound, ValidationFailed
from borikan.eforms import services as form_services
from borikan.eforms import tasklist
from borikan.eforms.formdata import form_errors
from borikan.eforms.formrender import form_fields

from . import services as app_services
from . import views as app_views
from .projection import case_view_for
from .workflow import Status


def _editable(request: HttpRequest, application_id: Any):
    try:
        app = case_view_for(actor=request.user, application_id=application_id, purpose="edit", audit_read=False)
    except NotFound:
        raise Http404 from None
    if app.applicant_id != request.user.pk:
        raise Http404
    return app


def _error_dict(error: ApplicationError) -> dict[str, dict[str, str]]:
    if error.code == "invalid_form":
        return error.details
    return {error.field or "form": {"th": error.message_th, "en": error.message_en}}


def _check_file_size(schema: dict[str, Any], upload: Any) -> None:
    """The form's own limit for its file field (the platform's limit is checked by the attachment path)."""
    spec = schema.get("x-attachment") or {}
    limit_mb = spec.get("max_size_mb")
    if limit_mb and (upload.size or 0) > limit_mb * 1024 * 1024:
        raise ValidationFailed(
            "file_too_large",
            f"ไฟล์มีขนาดใหญ่เกิน {limit_mb} MB",
            f"The file is larger than {limit_mb} MB",
            field="file",
            status=413,
        )


@require_POST
def save(request: HttpRequest, application_id: str) -> HttpResponse:
    """The form's "Save draft": save the page (and its file) and show the form again."""
    return review_save(request, application_id, then="applications:edit")


@require_POST
def review_save(request: HttpRequest, application_id: str, then: str = "caseforms:review") -> HttpResponse:
    """Save the page (and its file, within the form's limits) and go on to the review page; on errors, the
    form again with them."""
    app = _editable(request, application_id)
    if app.status not in (Status.DRAFT, Status.INFO_REQUESTED):
        return redirect("applications:detail", application_id=app.pk)
    schema = form_services.schema_for_case(app.case_ref, app.service)
    data = tasklist.posted_data(schema, app.form_data, request.POST)
    section = request.POST.get("section") or ""
    names = tasklist.section_fields(schema, section) if section else None
    try:
        # The file is kept first, on its own: an error in another field must not make the person choose it again
        # (a browser cannot refill a file input).
        if upload := request.FILES.get("file"):
            _check_file_size(schema, upload)
            app_services.application_attach(actor=request.user, application_id=app.pk, upload=upload)
        app_services.application_update(actor=request.user, application_id=app.pk, form_data=data)
    except ApplicationError as error:
        errors = _error_dict(error)
        messages.error(request, error.message)
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
        return render(request, "applications/form.html", context, status=400)
    if then == "applications:edit" or names is not None:
        messages.success(request, _("Draft saved."))
    if names is not None:
        return redirect("applications:edit", application_id=app.pk)  # one section done: back to the task list
    return redirect(then, application_id=app.pk)


def review(request: HttpRequest, application_id: str) -> HttpResponse:
    if request.method == "POST":
        return review_save(request, application_id)
    app = _editable(request, application_id)
    if app.status not in (Status.DRAFT, Status.INFO_REQUESTED):
        return redirect("applications:detail", application_id=app.pk)
    schema = form_services.schema_for_case(app.case_ref, app.service)
    errors = form_errors(schema, copy.deepcopy(app.form_data))
    spec = schema.get("x-attachment") or {}
    attachments = list(app.attachments.all())
    if spec.get("required") and not attachments:
        errors["file"] = {"th": "กรุณาแนบเอกสารประกอบ", "en": "Please attach the supporting document"}
    context = {
        "app": app,
        "fields": form_fields(schema, app.form_data, errors),
        "attachments": attachments,
        "errors": errors,
        "version": form_services.version_for_case(app.case_ref, app.service),
    }
    return render(request, "eforms/review.html", context)


@require_POST
def submit(request: HttpRequest, application_id: str) -> HttpResponse:
    app = _editable(request, application_id)
    try:
        if app.status == Status.INFO_REQUESTED:
            app_services.application_resubmit(actor=request.user, application_id=app.pk)
        else:
            app_services.application_submit(actor=request.user, application_id=app.pk)
    except ApplicationError as error:
        messages.error(request, error.message)
        return redirect("caseforms:review", application_id=app.pk)
    return app_views.submitted_redirect(request, app)


def _drop(data: dict[str, Any], key: str) -> bool:
    """Remove the value an error points at ("name" or "group.0.sub"); False when it points at nothing."""
    parts = key.split(".")
    if len(parts) == 3 and isinstance(data.get(parts[0]), list):
        items = data[parts[0]]
        index = int(parts[1]) if parts[1].isdigit() else -1
        if 0 <= index < len(items) and isinstance(items[index], dict):
            return items[index].pop(parts[2], None) is not None or True
    return data.pop(parts[0], None) is not None


@require_POST
def autosave(request: HttpRequest, application_id: str) -> JsonResponse:
    """The page's autosave: the posted form saved as the draft. Fields that do not validate yet are left out
    of this save (and reported), so everything else the person typed is kept."""
    app = _editable(request, application_id)
    schema = form_services.schema_for_case(app.case_ref, app.service)
    data = tasklist.posted_data(schema, app.form_data, request.POST)
    skipped: dict[str, dict[str, str]] = {}
    for _attempt in range(2):
        try:
            app = app_services.application_update(actor=request.user, application_id=app.pk, form_data=data)
            return JsonResponse({"saved": True, "version": app.version, "errors": skipped})
        except ValidationFailed as error:
            if error.code != "invalid_form" or not error.details:
                break
            skipped.update(error.details)
            if not all(_drop(data, key) for key in error.details):
                break
        except ApplicationError as error:
            return JsonResponse(error.as_problem(), status=error.status)
    return JsonResponse({"saved": False, "errors": skipped}, status=422)
