"""Issue 5 end to end over the API: an agency admin publishes a new form version; a citizen fills it in and
submits; the officer asks for information field by field; the citizen corrects only that field; the case goes
to two approval levels, each deciding, on the version the case was started with."""

from __future__ import annotations

import pytest

from borikan.agencies.models import StaffRole
from borikan.applications.models import Application
from borikan.approvals import services as approvals
from borikan.approvals.models import CasePin, Decision
from borikan.conftest import api_client_for, make_staff

from .helpers import good_data, rich_definition

pytestmark = pytest.mark.django_db


def test_new_form_version_submission_information_request_and_two_approval_levels(
    free_service, agency, form_admin, citizen, officer, approver
):
    service = free_service
    admin = api_client_for(form_admin)
    base = f"/api/v1/eforms/services/{service.slug}"
    assert admin.post(base + "/draft").status_code == 201
    schema, ui = rich_definition()
    assert admin.put(base + "/draft", {"schema": schema, "ui": ui}, "application/json").status_code == 200
    published = admin.post(base + "/publish", {}, "application/json")
    assert published.status_code == 200, published.content
    version = published.json()["number"]

    director = make_staff("director2@excise.go.th", agency, StaffRole.OFFICER)
    approvals.approval_role_grant(actor=form_admin, agency=agency, user=director, role="director")
    approvals.chain_version_create(
        actor=form_admin,
        service=service,
        levels=[
            {"role": "approver", "may_reject": True, "name_th": "หัวหน้ากลุ่ม", "name_en": "Head of unit"},
            {"role": "director", "may_reject": True, "name_th": "ผู้อำนวยการ", "name_en": "Director"},
        ],
    )

    # The citizen fills the new version in and submits.
    api = api_client_for(citizen)
    data = good_data() | {"phone": "0812345678"}
    created = api.post("/api/v1/applications", {"service": service.slug, "form_data": data}, "application/json")
    assert created.status_code == 201, created.content
    app_id = created.json()["id"]
    submitted = api.post(f"/api/v1/applications/{app_id}/submit")
    assert submitted.status_code == 200, submitted.content
    assert CasePin.objects.get(case_ref=app_id).form_version == str(version)

    # The officer reviews and asks about one field, with a coded reason and a deadline.
    staff = api_client_for(officer)
    assert staff.post(f"/api/v1/applications/{app_id}/actions/start_review", {}, "application/json").status_code == 200
    asked = staff.post(
        f"/api/v1/applications/{app_id}/information-requests",
        {"defects": [{"name": "phone", "reason": "invalid", "note": "เบอร์นี้ติดต่อไม่ได้"}], "deadline_days": 7},
        "application/json",
    )
    assert asked.status_code == 201, asked.content

    # The citizen may change only what was marked.
    wrong = api.post(
        f"/api/v1/applications/{app_id}/resubmit",
        {"form_data": data | {"full_name": "ชื่ออื่น"}},
        "application/json",
    )
    assert wrong.status_code == 422
    answered = api.post(
        f"/api/v1/applications/{app_id}/resubmit", {"form_data": data | {"phone": "0898765432"}}, "application/json"
    )
    assert answered.status_code == 200, answered.content
    assert Application.objects.get(pk=app_id).status == "in_review"

    forwarded = staff.post(f"/api/v1/applications/{app_id}/actions/forward", {"reason": "ครบ"}, "application/json")
    assert forwarded.status_code == 200, forwarded.content

    # Two levels decide.
    first = api_client_for(approver).post(
        f"/api/v1/applications/{app_id}/actions/approve", {"reason": "ผ่าน"}, "application/json"
    )
    assert first.status_code == 200 and first.json()["status"] == "pending_approval"
    second = api_client_for(director).post(
        f"/api/v1/applications/{app_id}/actions/approve", {"reason": "อนุมัติ"}, "application/json"
    )
    assert second.status_code == 200, second.content
    assert second.json()["status"] in ("approved", "issued")
    assert Decision.objects.filter(case__case_ref=app_id).count() == 2
