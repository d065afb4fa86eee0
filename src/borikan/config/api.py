"""The one public API, mounted at /api/v1/. Each app contributes a Router from its api.py."""

from django.core.exceptions import RequestDataTooBig
from django.http import HttpRequest, HttpResponse
from ninja import NinjaAPI
from ninja.errors import AuthenticationError, HttpError
from ninja.errors import ValidationError as NinjaValidationError

from borikan.core.errors import ApplicationError
from borikan.identity.enforcement import AssuranceRequired, audit_refusal

PROBLEM_SCHEMA = {
    "type": "object",
    "description": "An RFC 9457 problem document. `code` is stable and machine-readable; `detail` is in the "
    "reader's language, `detail_th` and `detail_en` in both.",
    "required": ["type", "title", "status", "code", "detail", "detail_th", "detail_en"],
    "properties": {
        "type": {"type": "string", "format": "uri"},
        "title": {"type": "string"},
        "status": {"type": "integer", "minimum": 400, "maximum": 599},
        "code": {"type": "string"},
        "detail": {"type": "string"},
        "detail_th": {"type": "string"},
        "detail_en": {"type": "string"},
        "field": {"type": "string", "description": "the input the problem is about, when there is one"},
        "errors": {
            "type": "object",
            "description": "per-field messages (invalid_request) or details (assurance_required: step, missing, fix)",
        },
    },
}
# Every operation can answer these; operations that say more in their description name their codes.
PROBLEM_RESPONSES = {
    "400": "Malformed input: invalid_characters, invalid_json, too_deep, or the operation's own codes",
    "401": "not_authenticated: sign in or send a bearer token",
    "403": "forbidden, assurance_required, conflict_of_interest: the actor may not do this",
    "404": "not_found: missing, or not yours (the two look the same)",
    "409": "The object changed or is in a state that does not allow this",
    "413": "request_too_large",
    "415": "unsupported_media_type: send JSON with Content-Type application/json",
    "422": "invalid_request (per-field errors), too_long, number_out_of_range, or the operation's own codes",
    "429": "Too many attempts; Retry-After says when to try again",
}


class BorikanAPI(NinjaAPI):
    def get_openapi_schema(self, *, path_prefix=None, path_params=None):
        schema = super().get_openapi_schema(path_prefix=path_prefix, path_params=path_params)
        schema["components"].setdefault("schemas", {})["Problem"] = PROBLEM_SCHEMA
        problem = {"application/problem+json": {"schema": {"$ref": "#/components/schemas/Problem"}}}
        for operations in schema["paths"].values():
            for operation in operations.values():
                responses = operation.setdefault("responses", {})
                for status, description in PROBLEM_RESPONSES.items():
                    responses.setdefault(status, {"description": description, "content": problem})
        return schema


api = BorikanAPI(
    title="borikan API",
    version="1",
    description="One-stop Thai government digital services: the eight processes of the DGA guideline.",
    urls_namespace="api",
    docs_url="/docs",
)


def _problem(request: HttpRequest, error: ApplicationError) -> HttpResponse:
    response = api.create_response(request, error.as_problem(), status=error.status)
    response["Content-Type"] = "application/problem+json"
    if retry_after := getattr(error, "retry_after", None):
        response["Retry-After"] = str(retry_after)
    return response


@api.exception_handler(ApplicationError)
def on_application_error(request: HttpRequest, exc: ApplicationError) -> HttpResponse:
    return _problem(request, exc)


@api.exception_handler(AssuranceRequired)
def on_assurance_required(request: HttpRequest, exc: AssuranceRequired) -> HttpResponse:
    audit_refusal(exc)  # the refused step has rolled back by now; the record of the refusal stays
    return _problem(request, exc)


@api.exception_handler(NinjaValidationError)
def on_validation_error(request: HttpRequest, exc: NinjaValidationError) -> HttpResponse:
    fields = {}
    for error in exc.errors:
        loc = [str(p) for p in error.get("loc", []) if p not in ("body", "payload", "query", "path")]
        fields[".".join(loc) or "request"] = error.get("msg", "invalid")
    return _problem(
        request,
        ApplicationError(
            "invalid_request",
            "ข้อมูลที่ส่งมาไม่ถูกต้องตามรูปแบบ",
            "The request is malformed",
            status=422,
            details=fields,
        ),
    )


@api.exception_handler(AuthenticationError)
def on_auth_error(request: HttpRequest, exc: AuthenticationError) -> HttpResponse:
    return _problem(
        request,
        ApplicationError("not_authenticated", "กรุณาเข้าสู่ระบบ", "Please sign in", status=401),
    )


@api.exception_handler(HttpError)
def on_http_error(request: HttpRequest, exc: HttpError) -> HttpResponse:
    return _problem(
        request,
        ApplicationError("http_error", "คำขอไม่สำเร็จ", str(exc.message), status=exc.status_code),
    )


@api.exception_handler(RequestDataTooBig)
def on_too_big(request: HttpRequest, exc: RequestDataTooBig) -> HttpResponse:
    return _problem(
        request,
        ApplicationError("request_too_large", "ข้อมูลที่ส่งมีขนาดใหญ่เกินไป", "The request is too large", status=413),
    )


def _mount() -> None:
    from borikan.applications.api import router as applications_router
    from borikan.approvals.api import router as approvals_router
    from borikan.catalog.api import router as catalog_router
    from borikan.documents.api import router as documents_router
    from borikan.eforms.api import router as eforms_router
    from borikan.governance.api import router as governance_router
    from borikan.identity.api import router as identity_router
    from borikan.payments.api import router as payments_router

    api.add_router("/auth", identity_router)
    api.add_router("/services", catalog_router)
    api.add_router("/applications", applications_router)
    api.add_router("/payments", payments_router)
    api.add_router("/documents", documents_router)
    api.add_router("/governance", governance_router)
    api.add_router("/eforms", eforms_router)
    api.add_router("/approvals", approvals_router)


_mount()
