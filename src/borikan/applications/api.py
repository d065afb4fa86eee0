"""Applications API: thin handlers.

Reads authorise through `projection.case_view_for` (which narrows and audits the read). Writes call one
service, which loads the case under a row lock and refuses anyone who is not its applicant or staff of its
agency with the same 404; the response is the case as that service left it (the change is audited)."""

import datetime as dt

from django.db.models import BooleanField, Case, Value, When
from django.http import HttpRequest
from ninja import File, Query, Router, Status
from ninja.files import UploadedFile
from pydantic import ValidationError as PydanticValidationError

from borikan.casework import services as casework
from borikan.casework import sla
from borikan.core.errors import ValidationFailed
from borikan.core.fields import PathCode
from borikan.eforms.api import DefinitionOut, definition_of
from borikan.eforms.api import router as eforms_router
from borikan.eforms.services import version_for_case
from borikan.identity.apiauth import api_auth

from . import selectors, services
from .projection import case_view_for
from .schemas import (
    ApplicationCreateIn,
    ApplicationOut,
    ApplicationSummaryOut,
    ApplicationUpdateIn,
    AssignIn,
    AttachmentOut,
    CaseworkOut,
    CaseworkSettingsIn,
    CaseworkSettingsOut,
    ChecklistDefineIn,
    ChecklistDefinitionOut,
    ChecklistOut,
    DelayIn,
    InformationRequestIn,
    InformationRequestOut,
    NoteIn,
    NoteOut,
    QueueItemOut,
    ReasonIn,
    SubmitIn,
    TickIn,
)

router = Router(tags=["applications"], auth=api_auth)


@router.post("", response={201: ApplicationOut}, summary="Start an application (a draft) for a service")
def application_create(request: HttpRequest, payload: ApplicationCreateIn):
    app = services.application_create(
        actor=request.auth, service_slug=payload.service, form_data=payload.form_data, on_behalf_of=payload.on_behalf_of
    )
    return Status(201, app)


@router.get("", response=list[ApplicationSummaryOut], summary="My applications")
def application_list(request: HttpRequest):
    return list(selectors.application_list_for_applicant(user=request.auth)[:200])


@router.get("/queue", response=list[QueueItemOut], summary="Officer queue of my agencies, nearest deadline first")
def application_queue(
    request: HttpRequest,
    status: PathCode = "",
    service: PathCode = "",
    mine: bool = False,
    due: PathCode = "",
    due_within: int | None = Query(None, ge=0, le=3650),
    due_from: dt.date | None = None,
    due_to: dt.date | None = None,
    assignee: PathCode = "",
):
    """Filters: status, service (slug), due=overdue|soon, due_within (working days), due_from/due_to (a due-date
    range), assignee=me|none|<officer id> (mine=true is assignee=me)."""
    today = sla.today()
    cases = selectors.application_queue(
        user=request.auth,
        status=status,
        service_slug=service,
        assigned_to_me=mine,
        due=due,
        due_within_days=due_within,
        due_from=due_from,
        due_to=due_to,
        assignee=assignee,
    )
    # The deadline flags computed by the database with the page (one holiday read for the whole page).
    flagged = cases.annotate(
        overdue=Case(When(sla.overdue_q(today), then=Value(True)), default=Value(False), output_field=BooleanField()),
        due_soon=Case(When(sla.due_soon_q(today), then=Value(True)), default=Value(False), output_field=BooleanField()),
    )
    return list(flagged[:100])


@router.get(
    "/service-checklists/{slug}", response=ChecklistDefinitionOut, summary="A service's current review checklist"
)
def checklist_definition(request: HttpRequest, slug: PathCode):
    return casework.review_checklist_current_for_staff(user=request.auth, service_slug=slug)


@router.get("/service-casework/{slug}", response=CaseworkSettingsOut, summary="A service's casework settings (staff)")
def casework_settings(request: HttpRequest, slug: PathCode):
    return casework.casework_settings_for_staff(user=request.auth, service_slug=slug)


@router.put(
    "/service-casework/{slug}",
    response=CaseworkSettingsOut,
    summary="Set what an unanswered request turns into, its default deadline and the late-notice interval (admin)",
)
def casework_settings_set(request: HttpRequest, slug: PathCode, payload: CaseworkSettingsIn):
    return casework.casework_settings_set(actor=request.auth, service_slug=slug, **payload.dict())


@router.put(
    "/service-checklists/{slug}",
    response={201: ChecklistDefinitionOut},
    summary="Define a service's review checklist (agency admin): a new version",
)
def checklist_define(request: HttpRequest, slug: PathCode, payload: ChecklistDefineIn):
    items = [item.dict() for item in payload.items]
    return Status(201, casework.review_checklist_define(actor=request.auth, service_slug=slug, items=items))


@router.get("/{application_id}", response=ApplicationOut, summary="One application with its history")
def application_detail(request: HttpRequest, application_id: PathCode):
    return case_view_for(actor=request.auth, application_id=application_id)


@router.put("/{application_id}/form", response=ApplicationOut, summary="Save the form of a draft")
def application_update(request: HttpRequest, application_id: PathCode, payload: ApplicationUpdateIn):
    return services.application_update(
        actor=request.auth, application_id=application_id, form_data=payload.form_data, expected_version=payload.version
    )


@router.post("/{application_id}/attachments", response={201: AttachmentOut}, summary="Attach the supporting file")
def application_attach(request: HttpRequest, application_id: PathCode, file: File[UploadedFile]):
    return Status(201, services.application_attach(actor=request.auth, application_id=application_id, upload=file))


@router.post(
    "/{application_id}/submit",
    response=ApplicationOut,
    summary="Submit: validates and gives a tracking number (optional body: fee exemptions claimed)",
    openapi_extra={
        "requestBody": {
            "required": False,
            "content": {"application/json": {"schema": SubmitIn.model_json_schema()}},
        }
    },
)
def application_submit(request: HttpRequest, application_id: PathCode):
    # The body is optional (most services have no exemptions to claim): an empty POST submits.
    try:
        given = request.content_type == "application/json" and request.body
        payload = SubmitIn.model_validate_json(request.body) if given else SubmitIn()
    except PydanticValidationError:
        raise ValidationFailed(
            "invalid_request", "ข้อมูลที่ส่งมาไม่ถูกต้องตามรูปแบบ", "The request is malformed", field="exemptions"
        ) from None
    return services.application_submit(
        actor=request.auth,
        application_id=application_id,
        exemptions=payload.exemptions,
        exemption_note=payload.exemption_note,
    )


@router.post("/{application_id}/resubmit", response=ApplicationOut, summary="Answer a request for information")
def application_resubmit(request: HttpRequest, application_id: PathCode, payload: ApplicationUpdateIn):
    return services.application_resubmit(actor=request.auth, application_id=application_id, form_data=payload.form_data)


@router.post(
    "/{application_id}/appeal",
    response=ApplicationOut,
    summary="Appeal a rejection (once, with a reason, within the service's appeal window)",
)
def application_appeal(request: HttpRequest, application_id: PathCode, payload: ReasonIn):
    return services.application_appeal(actor=request.auth, application_id=application_id, reason=payload.reason)


@router.post("/{application_id}/withdraw", response=ApplicationOut, summary="Withdraw my application")
def application_withdraw(request: HttpRequest, application_id: PathCode, payload: ReasonIn):
    return services.application_withdraw(actor=request.auth, application_id=application_id, reason=payload.reason)


@router.post(
    "/{application_id}/actions/{action}",
    response=ApplicationOut,
    summary="Officer or approver action: start_review, request_info, forward, approve, reject, return",
)
def application_staff_act(request: HttpRequest, application_id: PathCode, action: PathCode, payload: ReasonIn):
    return services.application_staff_act(
        actor=request.auth, application_id=application_id, action=action, reason=payload.reason
    )


# --- casework (staff of the case's agency only; the applicant gets 404) ----------------------------------------


def _casework_out(request: HttpRequest, app) -> dict:
    work = casework.staff_casework(user=request.auth, app=app)
    flags = work["escalation"]
    return {
        "version": app.version,
        "status": app.status,
        "due_date": app.due_date,
        "sla_paused_on": app.sla_paused_on,
        "sla_paused_days": app.sla_paused_days,
        "overdue": flags["overdue"],
        "due_soon": flags["due_soon"],
        "delay_reason": app.delay_reason,
        "expected_date": app.expected_date,
        "assigned_to": app.assigned_to,
        "notes": work["notes"],
        "checklist": work["checklist"],
        "information_request": work["request"],
        "escalations": flags["escalations"],
        "late_notices": flags["late_notices"],
    }


def _reload(request: HttpRequest, application_id) -> dict:
    app = case_view_for(actor=request.auth, application_id=application_id, audit_read=False)
    return _casework_out(request, app)


@router.get("/{application_id}/casework", response=CaseworkOut, summary="Internal casework: notes, checklist, SLA")
def case_casework(request: HttpRequest, application_id: PathCode):
    app = case_view_for(actor=request.auth, application_id=application_id, purpose="casework")
    return _casework_out(request, app)


@router.post("/{application_id}/assign", response=CaseworkOut, summary="Claim (no assignee) or assign to an officer")
def case_assign(request: HttpRequest, application_id: PathCode, payload: AssignIn):
    casework.case_assign(
        actor=request.auth,
        application_id=application_id,
        assignee_id=payload.assignee_id,
        expected_version=payload.version,
    )
    return _reload(request, application_id)


@router.post("/{application_id}/notes", response={201: NoteOut}, summary="Add an internal note (staff only)")
def case_note_add(request: HttpRequest, application_id: PathCode, payload: NoteIn):
    return Status(201, casework.case_note_add(actor=request.auth, application_id=application_id, body=payload.body))


@router.post("/{application_id}/checklist", response=ChecklistOut, summary="Tick (or untick) a checklist item")
def case_checklist_tick(request: HttpRequest, application_id: PathCode, payload: TickIn):
    return casework.checklist_tick(
        actor=request.auth, application_id=application_id, item_code=payload.item, done=payload.done
    )


@router.post(
    "/{application_id}/information-requests",
    response={201: InformationRequestOut},
    summary="Request more information: defects field by field with coded reasons and a deadline",
)
def case_request_information(request: HttpRequest, application_id: PathCode, payload: InformationRequestIn):
    made = casework.information_request_create(
        actor=request.auth,
        application_id=application_id,
        defects=[d.dict() for d in payload.defects],
        message=payload.message,
        deadline_days=payload.deadline_days,
        deadline=payload.deadline,
        expected_version=payload.version,
    )
    return Status(201, made)


@router.post("/{application_id}/delay", response=CaseworkOut, summary="Record why a case is late and the new date")
def case_delay(request: HttpRequest, application_id: PathCode, payload: DelayIn):
    casework.case_delay_explain(
        actor=request.auth, application_id=application_id, reason=payload.reason, expected_date=payload.expected_date
    )
    return _reload(request, application_id)


# The form version a case was started with, at its address under /eforms (older than this module's ownership of
# case pages): the route is registered on the eforms router from here, since reading a case belongs to the case.
@eforms_router.get(
    "/applications/{application_id}/definition",
    response=DefinitionOut,
    by_alias=True,
    summary="The form version an application was started with (its data is validated against this one)",
)
def application_form_definition(request: HttpRequest, application_id: PathCode):
    app = case_view_for(actor=request.auth, application_id=application_id, audit_read=False)
    return definition_of(version_for_case(app.case_ref, app.service))
