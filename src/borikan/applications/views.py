"""Citizen and office pages. Thin: load through selectors, act through services, render."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.contrib import messages
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from borikan.agencies.selectors import is_staff_member
from borikan.core.errors import ApplicationError, NotFound
from borikan.eforms.services import schema_for_case
from borikan.identity.enforcement import AssuranceRequired

from . import selectors, services
from .formrender import form_fields, parse_post
from .models import Attachment
from .workflow import Status


def _load(request: HttpRequest, application_id: Any, purpose: str = "view"):
    try:
        return selectors.access_application_for_user(user=request.user, application_id=application_id, purpose=purpose)
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


@require_POST
def start(request: HttpRequest, slug: str) -> HttpResponse:
    try:
        app = services.application_create(actor=request.user, service_slug=slug)
    except ApplicationError as error:
        messages.error(request, error.message)
        return redirect("catalog:service", slug=slug)
    return redirect("applications:edit", application_id=app.pk)


def edit(request: HttpRequest, application_id: str) -> HttpResponse:
    app = _load(request, application_id, purpose="edit")
    if app.applicant_id != request.user.pk or app.status not in (Status.DRAFT, Status.INFO_REQUESTED):
        return redirect("applications:detail", application_id=app.pk)
    schema = schema_for_case(app.case_ref, app.service)
    data, errors, status = app.form_data, {}, 200
    if request.method == "POST":
        data = parse_post(schema, request.POST)
        try:
            services.application_update(actor=request.user, application_id=app.pk, form_data=data)
            if upload := request.FILES.get("file"):
                services.application_attach(actor=request.user, application_id=app.pk, upload=upload)
            if "submit" in request.POST:
                if app.status == Status.INFO_REQUESTED:
                    services.application_resubmit(actor=request.user, application_id=app.pk)
                else:
                    services.application_submit(actor=request.user, application_id=app.pk)
                messages.success(request, _("Your application has been submitted."))
                return redirect("applications:detail", application_id=app.pk)
            messages.success(request, _("Draft saved."))
            return redirect("applications:edit", application_id=app.pk)
        except AssuranceRequired:
            raise  # the draft is saved; identity's middleware sends the person to the fix and back
        except ApplicationError as error:
            errors = (
                error.details
                if error.code == "invalid_form"
                else {error.field or "form": {"th": error.message_th, "en": error.message_en}}
            )
            messages.error(request, error.message)
            status = 400
    context = {
        "app": app,
        "fields": form_fields(schema, data, errors),
        "attachment_spec": schema.get("x-attachment"),
        "attachment": app.attachments.first(),
        "file_error": errors.get("file", {}),
        "last_request": app.events.filter(action="request_info").last(),
    }
    return render(request, "applications/form.html", context, status=status)


def mine(request: HttpRequest) -> HttpResponse:
    apps = selectors.application_list_for_applicant(user=request.user)[:200]
    return render(request, "applications/mine.html", {"applications": apps})


def detail(request: HttpRequest, application_id: str) -> HttpResponse:
    app = _load(request, application_id)
    if app.applicant_id != request.user.pk:
        return redirect("office:case", application_id=app.pk)
    context = {
        "app": app,
        "events": app.events.all(),
        "actions": services.application_available_actions(actor=request.user, app=app),
        **_case_extras(app),
    }
    return render(request, "applications/detail.html", context)


@require_POST
def withdraw(request: HttpRequest, application_id: str) -> HttpResponse:
    app = _load(request, application_id, purpose="withdraw")
    try:
        services.application_withdraw(actor=request.user, application_id=app.pk, reason=request.POST.get("reason", ""))
        messages.success(request, _("The application was withdrawn."))
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


def queue(request: HttpRequest) -> HttpResponse:
    if not is_staff_member(user=request.user):
        raise Http404
    status = request.GET.get("status", "")
    cases = selectors.application_queue(user=request.user, status=status, service_slug=request.GET.get("service", ""))
    today = timezone.localdate()
    context = {
        "cases": cases[:100],
        "status": status,
        "statuses": Status.choices,
        "today": today,
        "soon": today + dt.timedelta(days=2),
    }
    return render(request, "office/queue.html", context)


def case(request: HttpRequest, application_id: str) -> HttpResponse:
    app = _load(request, application_id, purpose="review")
    context = {
        "app": app,
        "events": app.events.all(),
        "attachments": app.attachments.all(),
        "fields": form_fields(schema_for_case(app.case_ref, app.service), app.form_data, {}),
        "actions": services.application_available_actions(actor=request.user, app=app),
        **_case_extras(app),
    }
    return render(request, "office/case.html", context)


@require_POST
def act(request: HttpRequest, application_id: str) -> HttpResponse:
    app = _load(request, application_id, purpose="act")
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
