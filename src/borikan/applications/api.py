"""Applications API: thin handlers.

Reads authorise through `selectors.access_application_for_user` (which audits the read). Writes call one
service, which loads the case under a row lock and refuses anyone who is not its applicant or staff of its
agency with the same 404; the response is the case as that service left it (the change is audited)."""

from django.http import HttpRequest
from ninja import File, Router, Status
from ninja.files import UploadedFile
from pydantic import ValidationError as PydanticValidationError

from borikan.core.errors import ValidationFailed
from borikan.identity.apiauth import api_auth

from . import selectors, services
from .schemas import (
    ApplicationCreateIn,
    ApplicationOut,
    ApplicationSummaryOut,
    ApplicationUpdateIn,
    AttachmentOut,
    ReasonIn,
    SubmitIn,
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


@router.get("/queue", response=list[ApplicationSummaryOut], summary="Officer queue of my agencies")
def application_queue(request: HttpRequest, status: str = "", service: str = "", mine: bool = False):
    return list(
        selectors.application_queue(user=request.auth, status=status, service_slug=service, assigned_to_me=mine)[:100]
    )


@router.get("/{application_id}", response=ApplicationOut, summary="One application with its history")
def application_detail(request: HttpRequest, application_id: str):
    return selectors.access_application_for_user(user=request.auth, application_id=application_id)


@router.put("/{application_id}/form", response=ApplicationOut, summary="Save the form of a draft")
def application_update(request: HttpRequest, application_id: str, payload: ApplicationUpdateIn):
    return services.application_update(
        actor=request.auth, application_id=application_id, form_data=payload.form_data, expected_version=payload.version
    )


@router.post("/{application_id}/attachments", response={201: AttachmentOut}, summary="Attach the supporting file")
def application_attach(request: HttpRequest, application_id: str, file: File[UploadedFile]):
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
def application_submit(request: HttpRequest, application_id: str):
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
def application_resubmit(request: HttpRequest, application_id: str, payload: ApplicationUpdateIn):
    return services.application_resubmit(actor=request.auth, application_id=application_id, form_data=payload.form_data)


@router.post("/{application_id}/withdraw", response=ApplicationOut, summary="Withdraw my application")
def application_withdraw(request: HttpRequest, application_id: str, payload: ReasonIn):
    return services.application_withdraw(actor=request.auth, application_id=application_id, reason=payload.reason)


@router.post(
    "/{application_id}/actions/{action}",
    response=ApplicationOut,
    summary="Officer or approver action: start_review, request_info, forward, approve, reject, return",
)
def application_staff_act(request: HttpRequest, application_id: str, action: str, payload: ReasonIn):
    return services.application_staff_act(
        actor=request.auth, application_id=application_id, action=action, reason=payload.reason
    )
