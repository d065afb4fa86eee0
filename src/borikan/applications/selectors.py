"""Reads of applications: lists and the queue. One case is read through `projection.case_view_for`."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.db.models import F, QuerySet

from borikan.agencies.selectors import staff_agency_ids
from borikan.core.errors import ValidationFailed
from borikan.identity.enforcement import require_staff

from .models import OPEN_STATUSES, Application
from .workflow import Status


def application_list_for_applicant(*, user: Any) -> QuerySet[Application]:
    return Application.objects.filter(applicant=user).select_related("service", "agency").order_by("-created_at")


def draft_in_progress(*, user: Any, service_slug: str) -> Application | None:
    """The person's own latest unsent draft for this service, to resume instead of starting another."""
    return (
        Application.objects.filter(
            applicant=user, service__slug=service_slug, status=Status.DRAFT, on_behalf_of__isnull=True
        )
        .order_by("-created_at")
        .first()
    )


DUE_FILTERS = ("overdue", "soon")


def _queue_error(field: str, message_th: str, message_en: str) -> ValidationFailed:
    return ValidationFailed("invalid_queue_filter", message_th, message_en, field=field)


def application_queue(
    *,
    user: Any,
    status: str = "",
    service_slug: str = "",
    assigned_to_me: bool = False,
    due: str = "",
    due_within_days: int | None = None,
    due_from: dt.date | None = None,
    due_to: dt.date | None = None,
    assignee: str = "",
    today: dt.date | None = None,
) -> QuerySet[Application]:
    """The officer queue: only cases of the agencies the user works for, the nearest deadline first.

    Filters: status; service; due — "overdue" (the clock runs and the due date passed) or "soon" (due within
    sla.DUE_SOON_WORKING_DAYS working days), or `due_within_days` working days, or a due-date range; assignee —
    "me", "none" (unassigned) or an officer's user id. Each keeps to the partial indexes on open cases (models.py).
    """
    from borikan.casework import sla

    agency_ids = staff_agency_ids(user=user)
    if agency_ids:
        require_staff(user)
    today = today or sla.today()
    if status and status not in Status.values:
        raise _queue_error("status", "ไม่รู้จักสถานะนี้", f"Unknown status {status!r}")
    # Never one's own application (conflict of interest): it is no case of theirs to work.
    cases = Application.objects.filter(agency_id__in=agency_ids).exclude(status=Status.DRAFT).exclude(applicant=user)
    cases = cases.filter(status=status) if status else cases.filter(status__in=[s.value for s in OPEN_STATUSES])
    if service_slug:
        cases = cases.filter(service__slug=service_slug)
    if assigned_to_me or assignee == "me":
        cases = cases.filter(assigned_to=user)
    elif assignee in ("none", "unassigned"):
        cases = cases.filter(assigned_to__isnull=True)
    elif assignee:
        if not assignee.isdigit():
            raise _queue_error("assignee", "ผู้รับผิดชอบต้องเป็น me, none หรือรหัสเจ้าหน้าที่", "assignee is me, none or an id")
        cases = cases.filter(assigned_to_id=int(assignee))
    if due == "overdue":
        cases = cases.filter(sla.overdue_q(today))
    elif due == "soon":
        cases = cases.filter(sla.due_soon_q(today))
    elif due:
        raise _queue_error("due", "ตัวกรองกำหนดเวลาต้องเป็น overdue หรือ soon", "due is overdue or soon")
    if due_within_days is not None:
        if not 0 <= due_within_days <= 365:
            raise _queue_error("due_within", "จำนวนวันต้องอยู่ระหว่าง 0 ถึง 365", "due_within is 0 to 365 working days")
        cases = cases.filter(
            sla.running_q(), due_date__gte=today, due_date__lte=sla.add_working_days(today, due_within_days)
        )
    if due_from and due_to and due_from > due_to:
        raise _queue_error("due_from", "ช่วงวันที่ไม่ถูกต้อง", "due_from is after due_to")
    if due_from:
        cases = cases.filter(due_date__gte=due_from)
    if due_to:
        cases = cases.filter(due_date__lte=due_to)
    # The list shows no form data: leave the largest column out of every queue page. The applicant (or the
    # company applying through them) is shown on each row: joined here, not read row by row.
    return (
        cases.select_related("service", "agency", "assigned_to", "applicant", "on_behalf_of")
        .defer("form_data")
        .order_by(F("due_date").asc(nulls_last=True), "submitted_at")  # the nearest deadline first
    )
