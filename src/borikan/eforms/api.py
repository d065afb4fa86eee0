"""E-forms API: an agency admin's form versions of a service. Thin handlers over services."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.http import HttpRequest
from ninja import Router, Schema, Status
from pydantic import Field

from borikan.catalog.models import Service
from borikan.catalog.selectors import service_get
from borikan.core.errors import NotFound
from borikan.core.fields import PathCode, Version
from borikan.identity.apiauth import api_auth

from . import selectors, services
from .models import FormVersion

router = Router(tags=["eforms"], auth=api_auth)


class ProblemOut(Schema):
    th: str
    en: str


class VersionOut(Schema):
    number: int
    status: str
    revision: int
    schema_: dict[str, Any] = Field(alias="schema")
    ui: dict[str, Any]
    published_at: dt.datetime | None
    problems: list[ProblemOut]

    @staticmethod
    def resolve_problems(obj: FormVersion) -> list[dict[str, str]]:
        if obj.status != "draft":
            return []
        return [{"th": th, "en": en} for th, en in selectors.problems_of(obj)]


class DefinitionOut(Schema):
    service: str
    number: int
    schema_: dict[str, Any] = Field(alias="schema")
    ui: dict[str, Any]


def definition_of(version: FormVersion) -> dict[str, Any]:
    return {"service": version.service.slug, "number": version.number, "schema": version.schema, "ui": version.ui}


class DraftIn(Schema):
    schema_: dict[str, Any] = Field(alias="schema")
    ui: dict[str, Any]
    revision: Version | None = None


class PublishIn(Schema):
    revision: Version | None = None


def _service(request: HttpRequest, slug: str) -> Service:
    service = Service.objects.select_related("agency").filter(slug=slug).first()
    if service is None:
        raise NotFound("service", "บริการ")
    services.require_form_admin(request.auth, service)
    return service


@router.get("/services/{slug}/versions", response=list[VersionOut], by_alias=True, summary="Form versions")
def versions(request: HttpRequest, slug: PathCode):
    service = _service(request, slug)
    services.form_version_current(service)
    return selectors.versions_of(service=service)


@router.post("/services/{slug}/draft", response={201: VersionOut}, by_alias=True, summary="New draft version")
def draft_create(request: HttpRequest, slug: PathCode):
    service = _service(request, slug)
    return Status(201, services.form_draft_create(actor=request.auth, service=service))


@router.put("/services/{slug}/draft", response=VersionOut, by_alias=True, summary="Replace the draft's schema and ui")
def draft_update(request: HttpRequest, slug: PathCode, payload: DraftIn):
    service = _service(request, slug)
    return services.form_draft_update(
        actor=request.auth,
        service=service,
        schema=payload.schema_,
        ui=payload.ui,
        expected_revision=payload.revision,
        change="api",
    )


@router.post("/services/{slug}/publish", response=VersionOut, by_alias=True, summary="Publish the draft")
def publish(request: HttpRequest, slug: PathCode, payload: PublishIn | None = None):
    service = _service(request, slug)
    revision = payload.revision if payload else None
    return services.form_publish(actor=request.auth, service=service, expected_revision=revision)


@router.get(
    "/services/{slug}/current",
    response=DefinitionOut,
    by_alias=True,
    summary="The form a new application of this service gets (schema: the data; ui: labels, sections, conditions)",
)
def current(request: HttpRequest, slug: PathCode):
    service = service_get(slug=slug)
    return definition_of(services.form_version_current(service))
