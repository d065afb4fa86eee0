"""The data migration: every service gets version 1 from its form schema and its applications are pinned."""

from __future__ import annotations

import importlib

import pytest
from django.apps import apps

from borikan.applications.tests.factories import make_application
from borikan.eforms.models import ApplicationForm, FormVersion

pytestmark = pytest.mark.django_db

migration = importlib.import_module("borikan.eforms.migrations.0002_versions_from_services")


def test_services_get_version_1_and_their_applications_are_pinned(service, free_service, citizen):
    app = make_application(service=service, applicant=citizen, status="submitted")
    migration.forwards(apps, None)
    versions = FormVersion.objects.filter(status="published").order_by("service__slug")
    assert [(v.service.slug, v.number) for v in versions] == [("free-certificate", 1), ("liquor-sale-licence", 1)]
    assert ApplicationForm.objects.get(case_ref=str(app.pk)).form_version.service == service
    migration.forwards(apps, None)  # run again: nothing doubled
    assert FormVersion.objects.count() == 2 and ApplicationForm.objects.count() == 1
