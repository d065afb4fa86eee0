"""The world the authorisation sweep runs in, and how it calls every page and API operation.

One agency (EXCISE) with a service, a citizen who owns a draft and a submitted application, an invoice and an
issued document; a second agency (DBD). The sweep's actors are people who must not reach those objects: an
anonymous visitor, another citizen, staff of the other agency holding every role, and staff of the same agency
holding a role the operation does not allow. Pages are called with the browser session, the API with bearer
tokens (the test client's session would also need a CSRF token, and a CSRF refusal would hide the rule).
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import timedelta
from decimal import Decimal
from typing import Any

from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver
from django.utils import timezone

from borikan.agencies.models import Agency, StaffMembership, StaffRole
from borikan.applications.models import Application
from borikan.conftest import TWO_FACTORS, VALID_FORM, api_client_for, make_agency, make_service, make_user, sign_in
from borikan.identity.models import ProofingMethod, ProofingRecord, User
from borikan.payments.models import Invoice

ROLES = tuple(StaffRole.values)
MISSING_ID = 987654


@dataclass
class World:
    agency: Agency
    other_agency: Agency
    owner: User
    draft: Application
    submitted: Application
    invoice: Invoice
    document_id: int
    markers: list[str] = field(default_factory=list)  # text that only the owner and their agency may see

    def kwargs(self) -> dict[str, Any]:
        return {
            "slug": self.draft.service.slug,
            "application_id": str(self.draft.pk),
            "case_ref": str(self.submitted.pk),
            "number": self.invoice.number,
            "code": self.agency.code,
            "agency_code": self.agency.code,
            "document_id": self.document_id,
            "role": StaffRole.OFFICER.value,
            "user_id": self.owner.pk,
            "action": "start_review",
        }


def _prove(user: User) -> None:
    ProofingRecord.objects.create(
        user=user,
        method=ProofingMethod.COUNTER,
        ial=Decimal("2.3"),
        name_th=user.full_name,
        verified_at=timezone.now(),
        expires_at=timezone.now() + timedelta(days=365),
    )


def build_world(settings: Any, tmp_path: Any) -> World:
    from borikan.documents.services import document_issue

    settings.BORIKAN_SIGNING_DEV_KEYS = True
    settings.BORIKAN_SIGNING_DIR = tmp_path / "pki"
    settings.STORAGES = {
        **settings.STORAGES,
        "default": {"BACKEND": "django.core.files.storage.FileSystemStorage", "OPTIONS": {"location": tmp_path}},
    }
    agency, other_agency = make_agency("EXCISE"), make_agency("DBD")
    service = make_service(agency)
    owner = make_user("owner@example.com", "สมชาย ใจดี", methods=TWO_FACTORS)
    _prove(owner)
    draft = Application.objects.create(service=service, agency=agency, applicant=owner, form_data=dict(VALID_FORM))
    submitted = Application.objects.create(
        service=service,
        agency=agency,
        applicant=owner,
        form_data=dict(VALID_FORM),
        status="submitted",
        tracking_number="EXCISE-2569-000001",
    )
    invoice = Invoice.objects.create(
        number="INV-EXCISE-2569-000001",
        case_ref=str(submitted.pk),
        agency=agency,
        service=service,
        payer=owner,
        description="ค่าธรรมเนียม",
        amount_satang=165000,
        ref1="EXCISE2569000001",
        ref2="EXCISE0",
        due_date=timezone.localdate() + timedelta(days=7),
    )
    issuer = make_user("issuer@excise.go.th", methods=TWO_FACTORS)
    StaffMembership.objects.create(user=issuer, agency=agency, role=StaffRole.APPROVER)
    document = document_issue(
        actor=issuer,
        case_ref=str(submitted.pk),
        agency=agency,
        holder=owner,
        title_th="ใบอนุญาตขายสุรา",
        title_en="Liquor licence",
        fields={"ประเภท": "ประเภทที่ 1"},
        valid_days=365,
    )
    markers = [str(draft.pk), str(submitted.pk), invoice.number, "owner@example.com", "1101700230708"]
    markers += [document.verification_code] if getattr(document, "verification_code", "") else []
    return World(agency, other_agency, owner, draft, submitted, invoice, document.pk, markers)


def staff(email: str, agency: Agency, roles: tuple[str, ...]) -> User:
    user = make_user(email, "เจ้าหน้าที่ ทดสอบ", methods=TWO_FACTORS)
    _prove(user)
    for role in roles:
        StaffMembership.objects.create(user=user, agency=agency, role=role)
    return user


def citizen(email: str) -> User:
    user = make_user(email, "สมศรี มีสุข", methods=TWO_FACTORS)
    _prove(user)
    return user


@dataclass
class Actor:
    name: str
    user: User | None

    def page_client(self) -> Client:
        if self.user:
            self.user.refresh_from_db()  # a swept "sign out everywhere" moved the session epoch on
        return sign_in(Client(), self.user, *TWO_FACTORS) if self.user else Client()

    def api_client(self) -> Client:
        return api_client_for(self.user, *TWO_FACTORS) if self.user else Client()


# --- what there is to call ---------------------------------------------------------------------------------


def named_pages(resolver: URLResolver | None = None, namespace: str = "") -> list[tuple[str, URLPattern]]:
    resolver = resolver or get_resolver()
    found = []
    for entry in resolver.url_patterns:
        if isinstance(entry, URLResolver):
            if str(entry.pattern).startswith("api/"):
                continue  # the API's operations come from its OpenAPI document
            ns = f"{namespace}{entry.namespace}:" if entry.namespace else namespace
            found += named_pages(entry, ns)
        elif entry.name:
            found.append((f"{namespace}{entry.name}", entry))
    return found


def operations() -> list[tuple[str, str, dict, dict]]:
    """(METHOD, path template, operation, the whole schema) for every operation in the OpenAPI document."""
    from borikan.config.api import api

    schema = api.get_openapi_schema()
    return [
        (method.upper(), path, operation, schema)
        for path, methods in schema["paths"].items()
        for method, operation in methods.items()
    ]


def _resolve(schema: dict, node: dict) -> dict:
    while "$ref" in node:
        node = schema["components"]["schemas"][node["$ref"].rsplit("/", 1)[-1]]
    if "allOf" in node and len(node["allOf"]) == 1:
        return _resolve(schema, node["allOf"][0])
    if "anyOf" in node:
        options = [o for o in node["anyOf"] if o.get("type") != "null"]
        return _resolve(schema, options[0]) if options else {"type": "null"}
    return node


def example(schema: dict, node: dict, depth: int = 0) -> Any:
    """A value that satisfies the request schema, so that the operation's handler (and its rule) runs."""
    node = _resolve(schema, node)
    if "enum" in node:
        return node["enum"][0]
    if "default" in node and node["default"] is not None:
        return node["default"]
    kind = node.get("type")
    if kind == "object" or "properties" in node:
        if depth > 6:
            return {}
        required = node.get("required", [])
        return {
            name: example(schema, sub, depth + 1)
            for name, sub in node.get("properties", {}).items()
            if name in required
        }
    if kind == "array":
        return [example(schema, node["items"], depth + 1)] * node.get("minItems", 0) if "items" in node else []
    if kind == "integer":
        return max(node.get("minimum", 1), 1) if node.get("maximum", 2) >= 1 else node.get("minimum", 0)
    if kind == "number":
        return node.get("minimum", 1)
    if kind == "boolean":
        return False
    fmt = node.get("format", "")
    if fmt == "email":
        return "someone@example.com"
    if fmt == "uuid":
        return str(uuid.uuid4())
    if fmt == "date":
        return timezone.localdate().isoformat()
    if fmt == "date-time":
        return timezone.now().isoformat()
    if "pattern" in node and node["pattern"].startswith("^[0-9]"):
        return "1" * max(node.get("minLength", 1), 1)
    return "x" * max(node.get("minLength", 1), 1)


def request_body(schema: dict, operation: dict) -> tuple[Any, str] | None:
    content = operation.get("requestBody", {}).get("content", {})
    if "application/json" in content:
        return example(schema, content["application/json"]["schema"]), "application/json"
    if "multipart/form-data" in content:
        return {}, "multipart/form-data"
    return None
