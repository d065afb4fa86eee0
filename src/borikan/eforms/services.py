"""Writes on form versions, and the pin of an application to the version it was started with."""

from __future__ import annotations

import copy
from typing import Any

from django.db import IntegrityError, transaction
from django.db.models import Max
from django.utils import timezone

from borikan.agencies.models import StaffRole
from borikan.agencies.selectors import staff_roles
from borikan.audit.services import audit_record
from borikan.core.errors import ApplicationError, NotFound, PermissionDenied, ValidationFailed
from borikan.identity.enforcement import require_staff

from .definition import definition_problems, from_legacy
from .models import ApplicationForm, FormVersion, VersionStatus
from .states import FORM_VERSION


class VersionConflict(ApplicationError):
    status = 409


def form_version_current(service: Any) -> FormVersion:
    """The published version new applications get. A service that has no version yet gets version 1 from its
    catalogue form schema (services loaded after the data migration), published at once."""
    version = FormVersion.objects.filter(service=service, status=VersionStatus.PUBLISHED).first()
    if version is not None:
        return version
    if not FormVersion.objects.filter(service=service).exists():
        schema, ui = from_legacy(service.form_schema or {})
        try:
            with transaction.atomic():
                return FormVersion.objects.create(
                    service=service,
                    number=1,
                    status=VersionStatus.PUBLISHED,
                    schema=schema,
                    ui=ui,
                    published_at=timezone.now(),
                )
        except IntegrityError:
            pass  # created at the same moment by another request
    version = FormVersion.objects.filter(service=service, status=VersionStatus.PUBLISHED).first()
    if version is None:
        raise ApplicationError(
            "form_not_published",
            "บริการนี้ยังไม่มีแบบคำขอที่เผยแพร่",
            "This service has no published form",
            status=409,
        )
    return version


def schema_current(service: Any) -> dict[str, Any]:
    """The definition (schema + UI) of the version a new application gets."""
    return form_version_current(service).definition


def form_pin(*, case_ref: str, service: Any) -> ApplicationForm:
    """Record the version an application starts with (idempotent: an existing pin is kept)."""
    pin = ApplicationForm.objects.select_related("form_version").filter(case_ref=case_ref).first()
    if pin is not None:
        return pin
    version = form_version_current(service)
    try:
        with transaction.atomic():
            return ApplicationForm.objects.create(case_ref=case_ref, form_version=version)
    except IntegrityError:
        return ApplicationForm.objects.select_related("form_version").get(case_ref=case_ref)


def form_pin_new(*, case_ref: str, version: FormVersion) -> ApplicationForm:
    """Pin a case created in this transaction to `version` (the one its draft was just validated against): a
    plain insert, since no pin can exist yet for a new case (the unique case_ref still refuses a second)."""
    return ApplicationForm.objects.create(case_ref=case_ref, form_version=version)


def version_for_case(case_ref: str, service: Any) -> FormVersion:
    return form_pin(case_ref=case_ref, service=service).form_version


def schema_for_case(case_ref: str, service: Any) -> dict[str, Any]:
    """The definition of the version the application was started with (a case started before versions existed
    is pinned to the current one on first use)."""
    return version_for_case(case_ref, service).definition


# --- agency admin ---------------------------------------------------------------------------------------


def require_form_admin(actor: Any, service: Any) -> None:
    """Only an agency admin of the service's agency, signed in at staff assurance, edits its forms. Anyone not
    on the agency's staff sees the same 404 as for a missing service."""
    roles = staff_roles(user=actor, agency_id=service.agency_id)
    if not roles:
        raise NotFound("service", "บริการ")
    if StaffRole.AGENCY_ADMIN not in roles:
        raise PermissionDenied(
            "เฉพาะผู้ดูแลระบบของหน่วยงานเท่านั้นที่แก้ไขแบบคำขอได้",
            "Only an agency admin may edit the forms of this agency",
            code="not_agency_admin",
        )
    require_staff(actor, service=service)


def _audit(actor: Any, action: str, version: FormVersion, **data: Any) -> None:
    audit_record(
        actor=actor,
        action=action,
        object_type="form_version",
        object_id=version.pk,
        data={"service": version.service.slug, "number": version.number, **data},
    )


def _locked_draft(service: Any) -> FormVersion:
    draft = FormVersion.objects.select_for_update().filter(service=service, status=VersionStatus.DRAFT).first()
    if draft is None:
        raise NotFound("draft form version", "ร่างแบบคำขอ")
    return draft


@transaction.atomic
def form_draft_create(*, actor: Any, service: Any) -> FormVersion:
    """A new draft, a copy of the current version. Only one draft at a time."""
    require_form_admin(actor, service)
    current = form_version_current(service)
    if FormVersion.objects.filter(service=service, status=VersionStatus.DRAFT).exists():
        raise VersionConflict("draft_exists", "มีร่างแบบคำขออยู่แล้ว กรุณาแก้ไขร่างนั้น", "A draft already exists; edit that one")
    number = (FormVersion.objects.filter(service=service).aggregate(n=Max("number"))["n"] or 0) + 1
    try:
        with transaction.atomic():
            draft = FormVersion.objects.create(
                service=service,
                number=number,
                status=VersionStatus.DRAFT,
                schema=copy.deepcopy(current.schema),
                ui=copy.deepcopy(current.ui),
                created_by=actor,
            )
    except IntegrityError:
        raise VersionConflict(
            "draft_exists", "มีร่างแบบคำขออยู่แล้ว กรุณาแก้ไขร่างนั้น", "A draft already exists; edit that one"
        ) from None
    _audit(actor, "eforms.draft_created", draft, copied_from=current.number)
    return draft


@transaction.atomic
def form_draft_update(
    *,
    actor: Any,
    service: Any,
    schema: dict[str, Any],
    ui: dict[str, Any],
    expected_revision: int | None = None,
    change: str = "edit",
) -> FormVersion:
    """Replace the draft's schema and UI. Publishing checks the whole definition; saving checks it is JSON
    objects and refuses an edit made on an older revision of the draft."""
    require_form_admin(actor, service)
    draft = _locked_draft(service)
    if expected_revision is not None and expected_revision != draft.revision:
        raise VersionConflict(
            "stale_draft",
            "ร่างแบบคำขอถูกแก้ไขจากที่อื่นแล้ว กรุณาโหลดใหม่",
            "The draft changed elsewhere; reload it",
        )
    if not isinstance(schema, dict) or not isinstance(ui, dict):
        raise ValidationFailed("invalid_definition", "schema และ ui ต้องเป็นออบเจกต์", "schema and ui must be objects")
    draft.schema, draft.ui = schema, ui
    draft.revision += 1
    draft.save(update_fields=["schema", "ui", "revision", "updated_at"])
    _audit(actor, "eforms.draft_updated", draft, change=change[:100], revision=draft.revision)
    return draft


@transaction.atomic
def form_publish(*, actor: Any, service: Any, expected_revision: int | None = None) -> FormVersion:
    """Publish the draft: new applications get it; the version it replaces is retired, and the applications
    pinned to that one keep it."""
    require_form_admin(actor, service)
    draft = _locked_draft(service)
    if expected_revision is not None and expected_revision != draft.revision:
        raise VersionConflict(
            "stale_draft",
            "ร่างแบบคำขอถูกแก้ไขจากที่อื่นแล้ว กรุณาโหลดใหม่",
            "The draft changed elsewhere; reload it",
        )
    problems = definition_problems(draft.schema, draft.ui)
    if problems:
        raise ValidationFailed(
            "form_not_publishable",
            "ยังเผยแพร่แบบคำขอนี้ไม่ได้: " + "; ".join(th for th, _ in problems[:5]),
            "This form cannot be published yet: " + "; ".join(en for _, en in problems[:5]),
            details={"problems": [{"th": th, "en": en} for th, en in problems]},
        )
    now = timezone.now()
    previous = FormVersion.objects.select_for_update().filter(service=service, status=VersionStatus.PUBLISHED).first()
    if previous is not None:
        FORM_VERSION.move(previous, "retire")
        previous.retired_at = now
        previous.save(update_fields=["status", "retired_at", "updated_at"])
    FORM_VERSION.move(draft, "publish")
    draft.published_by, draft.published_at = actor, now
    draft.save(update_fields=["status", "published_by", "published_at", "updated_at"])
    _audit(actor, "eforms.published", draft, replaced=previous.number if previous else None)
    return draft


@transaction.atomic
def form_draft_discard(*, actor: Any, service: Any) -> None:
    require_form_admin(actor, service)
    draft = _locked_draft(service)
    _audit(actor, "eforms.draft_discarded", draft)
    draft.delete()
