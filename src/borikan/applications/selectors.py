"""Reads of applications. The access_* functions are the only way views and the API load a case."""

from __future__ import annotations

import uuid
from typing import Any

from django.db.models import F, Q, QuerySet

from borikan.agencies.selectors import staff_agency_ids, staff_of_row_agency
from borikan.audit.services import audit_record
from borikan.core.errors import NotFound
from borikan.identity.enforcement import require_staff

from .models import OPEN_STATUSES, Application
from .workflow import Status


def access_application_for_user(
    *, user: Any, application_id: Any, purpose: str = "view", audit_read: bool = True
) -> Application:
    """The applicant, or staff of the case's agency. Anyone else gets 404, as if it did not exist.

    Loading a case to show it exposes its personal data, so the load is written to the audit log with the
    applicant as the data subject (their access log reads it). Callers that load a case only to change it
    pass audit_read=False: the change itself is audited, in the same transaction as the change.
    """
    try:
        application_id = uuid.UUID(str(application_id))
    except ValueError:
        raise NotFound("application", "คำขอ") from None
    visible = Q(applicant=user) | Q(staff_of_row_agency(user=user))
    app = (
        Application.objects.select_related("service", "agency", "applicant", "assigned_to")
        .filter(visible, pk=application_id)
        .first()
    )
    if app is None:
        raise NotFound("application", "คำขอ")
    if app.applicant_id != user.pk:
        require_staff(user, service=app.service)  # staff see personal data only at AAL 2
    if not audit_read:
        return app
    audit_record(
        actor=user,
        action="application.personal_data_read",
        object_type="application",
        object_id=app.pk,
        subject_user_id=app.applicant_id,
        data={"purpose": purpose, "by_applicant": app.applicant_id == user.pk},
    )
    return app


def application_list_for_applicant(*, user: Any) -> QuerySet[Application]:
    return Application.objects.filter(applicant=user).select_related("service", "agency").order_by("-created_at")


def application_queue(
    *, user: Any, status: str = "", service_slug: str = "", assigned_to_me: bool = False
) -> QuerySet[Application]:
    """The officer queue: only cases of the agencies the user works for, the nearest deadline first."""
    agency_ids = staff_agency_ids(user=user)
    if agency_ids:
        require_staff(user)
    cases = Application.objects.filter(agency_id__in=agency_ids).exclude(status=Status.DRAFT)
    cases = cases.filter(status=status) if status else cases.filter(status__in=[s.value for s in OPEN_STATUSES])
    if service_slug:
        cases = cases.filter(service__slug=service_slug)
    if assigned_to_me:
        cases = cases.filter(assigned_to=user)
    # The list shows no form data: leave the largest column out of every queue page.
    return (
        cases.select_related("service", "agency", "assigned_to")
        .defer("form_data")
        .order_by(F("due_date").asc(nulls_last=True), "submitted_at")  # the nearest deadline first
    )
