"""Form versions: lazy version 1, one draft at a time, publishing rules, and applications keeping their version."""

from __future__ import annotations

import copy

import pytest

from borikan.applications import services as app_services
from borikan.audit.models import AuditEntry
from borikan.conftest import VALID_FORM
from borikan.core.errors import ApplicationError, NotFound, PermissionDenied, ValidationFailed
from borikan.eforms import builder, services
from borikan.eforms.definition import definition_problems
from borikan.eforms.models import ApplicationForm, FormVersion

from .helpers import rich_definition

pytestmark = pytest.mark.django_db


def _publish_with_business_name(admin, service) -> FormVersion:
    draft = services.form_draft_create(actor=admin, service=service)
    schema, ui = builder.field_add(
        draft.schema,
        draft.ui,
        name="business_name",
        kind="text",
        label_th="ชื่อกิจการ",
        label_en="Business name",
        section="main",
        required=True,
    )
    services.form_draft_update(actor=admin, service=service, schema=schema, ui=ui, expected_revision=draft.revision)
    return services.form_publish(actor=admin, service=service)


def test_a_service_without_versions_gets_version_1_from_its_form_schema(free_service):
    version = services.form_version_current(free_service)
    assert (version.number, version.status) == (1, "published")
    assert list(version.schema["properties"]) == list(free_service.form_schema["properties"])
    assert version.ui["fields"]["citizen_id"]["type"] == "citizen_id"
    assert version.ui["fields"]["full_name"]["label_en"] == "Full name"
    assert version.ui["fields"]["supporting_document"]["type"] == "file"
    assert definition_problems(version.schema, version.ui) == []  # the converted form is itself publishable
    assert services.form_version_current(free_service).pk == version.pk  # made once


def test_an_application_is_pinned_when_it_starts(free_service, citizen):
    app = app_services.application_create(actor=citizen, service_slug=free_service.slug)
    pin = ApplicationForm.objects.get(case_ref=str(app.pk))
    assert pin.form_version.number == 1


def test_an_application_keeps_its_version_after_a_new_one_is_published(free_service, citizen, form_admin):
    old = app_services.application_create(actor=citizen, service_slug=free_service.slug, form_data=dict(VALID_FORM))
    v2 = _publish_with_business_name(form_admin, free_service)
    assert v2.number == 2 and v2.status == "published"
    assert FormVersion.objects.get(service=free_service, number=1).status == "retired"
    # The old case is validated against version 1: it submits without the new field, and may not use it.
    with pytest.raises(ValidationFailed) as caught:
        app_services.application_update(
            actor=citizen, application_id=old.pk, form_data={**VALID_FORM, "business_name": "ร้านดี"}
        )
    assert caught.value.details["form"]["en"] == "The form has fields it does not define"
    submitted = app_services.application_submit(actor=citizen, application_id=old.pk)
    assert submitted.status == "submitted"
    assert services.schema_for_case(old.case_ref, free_service)["x-ui"] == FormVersion.objects.get(number=1).ui
    # A new case gets version 2 and needs the new field.
    new = app_services.application_create(actor=citizen, service_slug=free_service.slug, form_data=dict(VALID_FORM))
    assert ApplicationForm.objects.get(case_ref=new.case_ref).form_version == v2
    with pytest.raises(ValidationFailed) as caught:
        app_services.application_submit(actor=citizen, application_id=new.pk)
    assert caught.value.details["business_name"]["en"] == "Business name is required"
    app_services.application_update(
        actor=citizen, application_id=new.pk, form_data={**VALID_FORM, "business_name": "ร้านดี"}
    )
    assert app_services.application_submit(actor=citizen, application_id=new.pk).status == "submitted"


def test_one_draft_at_a_time(free_service, form_admin):
    services.form_draft_create(actor=form_admin, service=free_service)
    with pytest.raises(ApplicationError) as caught:
        services.form_draft_create(actor=form_admin, service=free_service)
    assert (caught.value.code, caught.value.status) == ("draft_exists", 409)


def test_a_stale_draft_edit_is_refused(free_service, form_admin):
    draft = services.form_draft_create(actor=form_admin, service=free_service)
    services.form_draft_update(
        actor=form_admin, service=free_service, schema=draft.schema, ui=draft.ui, expected_revision=draft.revision
    )
    with pytest.raises(ApplicationError) as caught:
        services.form_draft_update(
            actor=form_admin, service=free_service, schema={}, ui={}, expected_revision=draft.revision
        )
    assert caught.value.code == "stale_draft"
    draft.refresh_from_db()
    assert draft.schema["properties"]  # unchanged


@pytest.mark.parametrize(
    ("change", "en"),
    [
        (lambda s, u: u["fields"]["full_name"].update(label_en=""), "Field full_name has no English label"),
        (lambda s, u: u["fields"]["full_name"].update(label_th=" "), "Field full_name has no Thai label"),
        (lambda s, u: s["properties"]["full_name"].update(type=5), "not a valid JSON Schema"),
        (lambda s, u: u["fields"]["full_name"].update(type="signature"), "unknown type"),
        (lambda s, u: u["fields"]["phone"].update(show_if={"field": "nothing"}), "show_if of phone names no"),
        (lambda s, u: s["properties"].update(extra={"type": "string"}), "Field extra has no labels"),
        (lambda s, u: u["sections"][0]["fields"].remove("email"), "Every field must be in exactly one section"),
        (lambda s, u: u["fields"]["supporting_document"].update(accept=["text/html"]), "may accept PDF, JPEG, PNG"),
        (lambda s, u: s.update(additionalProperties=True), "closed object"),
        (lambda s, u: u["fields"]["supporting_document"].update(max_count=3), "takes exactly 1 file"),
        (lambda s, u: u["fields"]["phone"].update(show_if={"field": "email"}), "needs equals, in or filled"),
        (lambda s, u: u["fields"]["supporting_document"].update(max_size_mb=50), "size 1–5 MB"),
        (
            lambda s, u: (
                u["fields"].update(second={"type": "file", "label_th": "ก", "label_en": "B", "accept": ["image/png"]}),
                u["sections"][0]["fields"].append("second"),
            ),
            "one file field",
        ),
    ],
)
def test_publishing_refuses_a_definition_that_breaks_the_rules(free_service, form_admin, change, en):
    draft = services.form_draft_create(actor=form_admin, service=free_service)
    schema, ui = copy.deepcopy(draft.schema), copy.deepcopy(draft.ui)
    change(schema, ui)
    services.form_draft_update(actor=form_admin, service=free_service, schema=schema, ui=ui)
    with pytest.raises(ValidationFailed) as caught:
        services.form_publish(actor=form_admin, service=free_service)
    assert caught.value.code == "form_not_publishable"
    assert any(en in p["en"] for p in caught.value.details["problems"]), caught.value.details
    assert all(p["th"] for p in caught.value.details["problems"])
    assert FormVersion.objects.get(service=free_service, status="published").number == 1


def test_the_rich_form_publishes_and_every_change_is_audited(free_service, form_admin):
    services.form_draft_create(actor=form_admin, service=free_service)
    schema, ui = rich_definition()
    services.form_draft_update(actor=form_admin, service=free_service, schema=schema, ui=ui)
    version = services.form_publish(actor=form_admin, service=free_service)
    assert version.published_by == form_admin and version.published_at
    actions = list(AuditEntry.objects.filter(object_type="form_version").values_list("action", flat=True))
    assert actions == ["eforms.draft_created", "eforms.draft_updated", "eforms.published"]


def test_only_an_admin_of_the_agency_edits_its_forms(free_service, officer, foreign_admin, citizen):
    with pytest.raises(PermissionDenied):
        services.form_draft_create(actor=officer, service=free_service)
    for outsider in (foreign_admin, citizen):
        with pytest.raises(NotFound):
            services.form_draft_create(actor=outsider, service=free_service)
    assert not FormVersion.objects.filter(status="draft").exists()


def test_the_definition_also_labels_the_bare_schema(free_service, form_admin):
    services.form_draft_create(actor=form_admin, service=free_service)
    schema, ui = rich_definition()
    services.form_draft_update(actor=form_admin, service=free_service, schema=schema, ui=ui)
    services.form_publish(actor=form_admin, service=free_service)
    definition = services.schema_current(free_service)
    assert definition["properties"]["capital"]["title"] == "Registered capital"
    assert definition["properties"]["capital"]["x-title-th"] == "ทุนจดทะเบียน"
    assert definition["x-attachment"]["name"] == "plan"
