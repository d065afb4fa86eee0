"""One read path for case data: `case_view_for(actor, application_id, purpose)` (ADR 0017).

Pages, the API, exports and notices read a case through this projection. It decides who may see the case at all
(the applicant, or staff of its agency at AAL 2; anyone else gets 404), asks the field policies registered in
`core/caseflow.py` which form fields this actor may not see for this purpose, and audits the read with the
applicant as the data subject and the fields shown. What it returns is a read-only view: it is the case (a proxy
model), with `form_data` narrowed, and nothing can be saved through it.
"""

from __future__ import annotations

import re
import uuid
from enum import StrEnum
from typing import Any

from django.db.models import Q

from borikan.agencies.selectors import staff_of_row_agency
from borikan.audit.services import audit_record
from borikan.core import caseflow
from borikan.core.errors import NotFound
from borikan.identity.enforcement import require_staff

from .models import CaseView

PURPOSE_SHAPE = re.compile(r"[a-z_]{1,40}")


class Purpose(StrEnum):
    """The purposes pages and the API read a case for (others are named where they are used)."""

    VIEW = "view"  # the case page or the API detail
    EDIT = "edit"  # the applicant's own form pages
    CASEWORK = "casework"  # the officer's internal casework panel
    EXPORT = "export"  # a download of case data
    NOTICE = "notice"  # a message about the case
    REVIEW = "review"  # the officer's case page
    ACT = "act"  # staff loading the case to take an action on it
    ASSIGN = "assign"  # claiming or assigning the case
    NOTE = "note"  # writing an internal note
    ATTACHMENT = "attachment"  # opening a supporting file
    WITHDRAW = "withdraw"  # the applicant's withdrawal page
    APPEAL = "appeal"  # the applicant's appeal page


def _visible_case(actor: Any, application_id: Any) -> CaseView:
    try:
        application_id = uuid.UUID(str(application_id))
    except ValueError:
        raise NotFound("application", "คำขอ") from None
    visible = Q(applicant=actor) | Q(staff_of_row_agency(user=actor))
    app = (
        CaseView.objects.select_related("service", "agency", "applicant", "assigned_to")
        .filter(visible, pk=application_id)
        .first()
    )
    if app is None:
        raise NotFound("application", "คำขอ")
    if app.applicant_id != actor.pk:
        require_staff(actor, service=app.service)  # staff see personal data only at AAL 2
    return app


def case_view_for(*, actor: Any, application_id: Any, purpose: str = Purpose.VIEW, audit_read: bool = True) -> CaseView:
    """The case as `actor` may see it for `purpose`. Callers that load a case only to act on it (the change is
    audited with it) pass audit_read=False."""
    purpose = str(purpose)
    if not PURPOSE_SHAPE.fullmatch(purpose):  # a programming error, not input: purposes are named in code
        raise ValueError(f"a purpose is a short lower-case name, not {purpose!r}")
    view = _visible_case(actor, application_id)
    view.purpose = purpose
    view.hidden_fields = caseflow.hidden_fields(actor, view, purpose)
    view.form_data = caseflow.visible_form_data(actor, view, purpose)
    app = view
    if audit_read:
        audit_record(
            actor=actor,
            action="application.personal_data_read",
            object_type="application",
            object_id=app.pk,
            subject_user_id=app.applicant_id,
            data={
                "purpose": purpose,
                "by_applicant": app.applicant_id == actor.pk,
                "fields": sorted(view.form_data),
            },
        )
    return view
