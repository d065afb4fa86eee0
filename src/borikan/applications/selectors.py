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


# --- what the applicant sees after submitting ----------------------------------------------------------------------

# Statuses in which the case waits for the agency's decision (or for the applicant, on the way to it).
AWAITING_DECISION = (
    Status.SUBMITTED,
    Status.AWAITING_PAYMENT,
    Status.PAID,
    Status.IN_REVIEW,
    Status.INFO_REQUESTED,
    Status.PENDING_APPROVAL,
)


def expected_decision_date(app: Application) -> dt.date | None:
    """The last working day for the agency's decision: the case's due date (set at submission from the service's
    processing time, moved on while the applicant answered a request), or, for a case without one, the same rule
    counted from the day it was submitted. None once decided."""
    from django.utils import timezone

    from .engine import due_date_from

    if app.status not in AWAITING_DECISION or app.decided_at is not None:
        return None
    if app.due_date is not None:
        return app.due_date
    started = timezone.localdate(app.submitted_at) if app.submitted_at else timezone.localdate()
    return due_date_from(started, app.service.processing_time_days)


def submission_summary(*, app: Application) -> dict[str, Any] | None:
    """What the applicant's page shows of a submitted case: its reference, what happens next (with the fee where
    the service charges one, before review or after approval), the expected decision date, and exactly what was
    sent: the answers as the form version of the case labels them, and the attached files. None for a draft."""
    from borikan.catalog.models import PaymentTiming
    from borikan.eforms.formrender import form_fields
    from borikan.eforms.services import schema_for_case

    from .engine import charges_fee

    if app.status == Status.DRAFT or not app.tracking_number:
        return None
    schema = schema_for_case(app.case_ref, app.service)
    answers = [f for f in form_fields(schema, app.form_data, {}) if f.kind != "file"]
    fee = charges_fee(app.service) and not app.fee_waived
    return {
        "reference": app.tracking_number,
        "submitted_at": app.submitted_at,
        "awaiting_decision": app.status in AWAITING_DECISION and app.decided_at is None,
        "expected_decision": expected_decision_date(app),
        "processing_days": app.service.processing_time_days,
        "fee": fee,
        "fee_satang": app.service.fee_satang if fee else None,
        "fee_before_review": fee and app.service.payment_timing == PaymentTiming.BEFORE_REVIEW,
        "fee_after_approval": fee and app.service.payment_timing == PaymentTiming.AFTER_APPROVAL,
        "answers": answers,
        "attachments": list(app.attachments.order_by("uploaded_at", "pk")),
    }
