"""Renewal reads forms by version: what a document keeps for renewal follows the form its case was decided on, and
the renewal's prefill follows the form the new application gets — never the service's legacy form_schema."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from borikan.agencies.models import StaffRole
from borikan.applications import services as app_services
from borikan.applications.effects import run_due
from borikan.conftest import make_staff
from borikan.documents.models import IssuedDocument
from borikan.eforms import builder
from borikan.eforms import services as forms

from .factories import make_application

pytestmark = pytest.mark.django_db


def _publish_with(admin, service, name: str) -> None:
    draft = forms.form_draft_create(actor=admin, service=service)
    schema, ui = builder.field_add(
        draft.schema, draft.ui, name=name, kind="text", label_th="ชื่อกิจการ", label_en="Business name",
        section="main", required=False,
    )  # fmt: skip
    forms.form_draft_update(actor=admin, service=service, schema=schema, ui=ui, expected_revision=draft.revision)
    forms.form_publish(actor=admin, service=service)


def test_the_document_keeps_the_pinned_versions_answers_and_renewal_uses_the_current_form(
    free_service, citizen, approver, agency, django_capture_on_commit_callbacks
):
    admin = make_staff("admin@excise.go.th", agency, StaffRole.AGENCY_ADMIN)
    _publish_with(admin, free_service, "business_name")  # version 2 has a field the legacy form_schema lacks
    app = make_application(service=free_service, applicant=citizen, status="pending_approval")
    forms.form_pin(case_ref=app.case_ref, service=free_service)
    app.form_data = app.form_data | {"business_name": "ร้านสมชายสุรา"}
    app.save(update_fields=["form_data"])
    with django_capture_on_commit_callbacks(execute=False):
        app_services.application_approve(actor=approver, application_id=app.pk)
    run_due()
    document = IssuedDocument.objects.get(case_ref=app.case_ref)
    assert document.renewal_data["business_name"] == "ร้านสมชายสุรา"  # a field of the pinned version 2
    assert "citizen_id" not in document.renewal_data

    IssuedDocument.objects.filter(pk=document.pk).update(valid_until=timezone.localdate() + dt.timedelta(days=10))

    def prefill():
        return app_services.renewal_form_data(actor=citizen, document_id=document.pk, service_slug=free_service.slug)

    # The current form (version 2) has business_name, which the legacy form_schema lacks: it is carried over.
    assert prefill()["business_name"] == "ร้านสมชายสุรา"
    assert prefill()["full_name"] == app.form_data["full_name"]
    # Version 3 drops the field: the renewal no longer carries it.
    draft = forms.form_draft_create(actor=admin, service=free_service)
    schema, ui = builder.field_remove(draft.schema, draft.ui, name="business_name")
    forms.form_draft_update(actor=admin, service=free_service, schema=schema, ui=ui, expected_revision=draft.revision)
    forms.form_publish(actor=admin, service=free_service)
    assert "business_name" not in prefill()
