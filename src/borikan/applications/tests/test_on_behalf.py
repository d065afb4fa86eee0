"""A company applies through its recorded representative; anyone else, or a representative whose authority has
ended, is refused."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from borikan.applications.models import Application
from borikan.conftest import VALID_FORM, api_client_for
from borikan.identity import juristic
from borikan.identity.models import Representation

COMPANY = "0105556012341"  # valid check digit; invented


def _represent(officer, citizen, agency) -> Representation:
    return juristic.representation_record(
        actor=officer,
        user=citizen,
        agency=agency,
        registration_number=COMPANY,
        name_th="บริษัท ตัวอย่าง จำกัด",
        name_en="Example Co., Ltd.",
        role="director",
        certificate_issued_on=timezone.localdate() - dt.timedelta(days=10),
    )


def _create(api, **extra):
    body = {"service": "liquor-sale-licence", "form_data": VALID_FORM} | extra
    return api.post("/api/v1/applications", body, content_type="application/json")


@pytest.mark.django_db
def test_a_representative_applies_for_the_company_and_staff_see_it(service, agency, citizen, officer):
    _represent(officer, citizen, agency)
    api = api_client_for(citizen)
    created = _create(api, on_behalf_of=COMPANY)
    assert created.status_code == 201, created.content
    assert created.json()["on_behalf_of"] == COMPANY
    submitted = api.post(f"/api/v1/applications/{created.json()['id']}/submit")
    assert submitted.status_code == 200, submitted.content
    queue = api_client_for(officer).get("/api/v1/applications/queue").json()
    assert [case["on_behalf_of"] for case in queue] == [COMPANY]


@pytest.mark.django_db
def test_someone_who_does_not_represent_the_company_is_refused(service, agency, citizen, other_citizen, officer):
    _represent(officer, citizen, agency)
    refused = _create(api_client_for(other_citizen), on_behalf_of=COMPANY)
    assert refused.status_code == 403 and refused.json()["code"] == "not_a_representative"
    assert _create(api_client_for(citizen), on_behalf_of="0105556012342").status_code == 403  # bad check digit
    assert Application.objects.count() == 0


@pytest.mark.django_db
def test_submission_is_refused_once_the_authority_has_ended(service, agency, citizen, officer):
    representation = _represent(officer, citizen, agency)
    api = api_client_for(citizen)
    app_id = _create(api, on_behalf_of=COMPANY).json()["id"]
    Representation.objects.filter(pk=representation.pk).update(revoked_at=timezone.now())
    refused = api.post(f"/api/v1/applications/{app_id}/submit")
    assert refused.status_code == 403 and refused.json()["code"] == "not_a_representative"
    assert Application.objects.get(pk=app_id).status == "draft"
