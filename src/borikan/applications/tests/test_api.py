"""The applications API: bad input, isolation between people and agencies, and the audit of reads."""

from __future__ import annotations

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from borikan.applications.models import Application, ApplicationEvent, Attachment
from borikan.audit.models import AuditEntry
from borikan.conftest import VALID_FORM

from .factories import make_application

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64
PDF = b"%PDF-1.7\n" + b"0" * 64


def _create(client, slug: str = "liquor-sale-licence", form: dict | None = None):
    return client.post(
        "/api/v1/applications", {"service": slug, "form_data": form or {}}, content_type="application/json"
    )


@pytest.mark.django_db
def test_anonymous_request_gets_401_problem(service):
    from django.test import Client

    response = Client().get("/api/v1/applications")
    assert response.status_code == 401
    assert response.json()["code"] == "not_authenticated"


@pytest.mark.django_db
def test_unknown_service_is_404_with_code_and_both_languages(service, citizen, api_as):
    response = _create(api_as(citizen), slug="no-such-service")
    assert response.status_code == 404
    assert response["Content-Type"] == "application/problem+json"
    body = response.json()
    assert body["code"] == "not_found"
    assert body["detail_th"] == "ไม่พบบริการ"
    assert body["detail_en"] == "Service not found"
    assert Application.objects.count() == 0


@pytest.mark.django_db
def test_malformed_form_data_is_422_per_field_and_nothing_stored(service, citizen, api_as):
    response = _create(api_as(citizen), form={"citizen_id": "1101700230709", "phone": "12"})
    assert response.status_code == 422
    body = response.json()
    assert body["code"] == "invalid_form"
    assert set(body["errors"]) == {"citizen_id", "phone"}
    assert body["errors"]["citizen_id"]["th"] == "รูปแบบเลขประจำตัวประชาชนไม่ถูกต้อง"
    assert Application.objects.count() == 0


@pytest.mark.django_db
def test_request_body_of_wrong_shape_is_422(service, citizen, api_as):
    response = api_as(citizen).post("/api/v1/applications", {"form_data": []}, content_type="application/json")
    assert response.status_code == 422
    assert response.json()["code"] == "invalid_request"


@pytest.mark.django_db
def test_submit_with_missing_fields_is_refused_and_stays_draft(service, citizen, api_as):
    client = api_as(citizen)
    app_id = _create(client, form={"full_name": "สมชาย ใจดี"}).json()["id"]
    response = client.post(f"/api/v1/applications/{app_id}/submit")
    assert response.status_code == 422
    assert "email" in response.json()["errors"]
    app = Application.objects.get(pk=app_id)
    assert app.status == "draft"
    assert app.tracking_number is None


@pytest.mark.django_db
def test_submit_complete_form_gives_tracking_number(free_service, citizen, api_as):
    client = api_as(citizen)
    app_id = _create(client, slug=free_service.slug, form=VALID_FORM).json()["id"]
    response = client.post(f"/api/v1/applications/{app_id}/submit")
    assert response.status_code == 200
    body = response.json()
    assert body["status"] == "submitted"
    assert body["tracking_number"].startswith("EXCISE-")
    assert body["allowed_actions"] == ["withdraw"]


@pytest.mark.django_db
def test_wrong_state_transition_is_409(free_service, citizen, api_as):
    app = make_application(service=free_service, applicant=citizen, status="submitted")
    response = api_as(citizen).post(f"/api/v1/applications/{app.pk}/submit")
    assert response.status_code == 409
    assert response.json()["code"] == "not_editable"
    app.refresh_from_db()
    assert app.status == "submitted"


@pytest.mark.django_db
def test_staff_action_in_wrong_state_is_409(free_service, citizen, approver, api_as):
    app = make_application(service=free_service, applicant=citizen, status="in_review")
    response = api_as(approver).post(
        f"/api/v1/applications/{app.pk}/actions/approve", {"reason": ""}, content_type="application/json"
    )
    assert response.status_code == 409
    assert response.json()["code"] == "illegal_transition"
    assert not ApplicationEvent.objects.exists()


@pytest.mark.django_db
def test_another_citizen_cannot_read_my_application(service, citizen, other_citizen, api_as):
    app = make_application(service=service, applicant=citizen, status="submitted")
    assert api_as(other_citizen).get(f"/api/v1/applications/{app.pk}").status_code == 404


@pytest.mark.django_db
def test_officer_of_another_agency_cannot_read_or_act(service, citizen, foreign_officer, api_as):
    app = make_application(service=service, applicant=citizen, status="submitted")
    client = api_as(foreign_officer)
    assert client.get(f"/api/v1/applications/{app.pk}").status_code == 404
    acted = client.post(f"/api/v1/applications/{app.pk}/actions/start_review", {}, content_type="application/json")
    assert acted.status_code == 404
    assert client.get("/api/v1/applications/queue").json() == []
    app.refresh_from_db()
    assert app.status == "submitted"


@pytest.mark.django_db
def test_officer_queue_lists_only_own_agency_cases(service, citizen, officer, other_agency, api_as):
    from borikan.conftest import make_service

    mine = make_application(service=service, applicant=citizen, status="submitted")
    make_application(service=make_service(other_agency, slug="dbd-service"), applicant=citizen, status="submitted")
    make_application(service=service, applicant=citizen, status="draft")
    queue = api_as(officer).get("/api/v1/applications/queue").json()
    assert [row["id"] for row in queue] == [str(mine.pk)]


@pytest.mark.django_db
def test_every_read_of_a_case_is_audited_with_the_applicant_as_subject(service, citizen, officer, api_as):
    app = make_application(service=service, applicant=citizen, status="submitted")
    api_as(officer).get(f"/api/v1/applications/{app.pk}")
    entry = AuditEntry.objects.get(action="application.personal_data_read")
    assert entry.actor_id == officer.pk
    assert entry.subject_user_id == citizen.pk
    assert entry.object_id == str(app.pk)


def _upload(client, app_id, content: bytes, name: str, content_type: str):
    file = SimpleUploadedFile(name, content, content_type=content_type)
    return client.post(f"/api/v1/applications/{app_id}/attachments", {"file": file})


@pytest.mark.django_db
def test_pdf_attachment_is_stored_with_hash(service, citizen, api_as, settings, tmp_path):
    settings.STORAGES = {**settings.STORAGES, "default": {"BACKEND": "django.core.files.storage.FileSystemStorage",
                                                          "OPTIONS": {"location": str(tmp_path)}}}  # fmt: skip
    client = api_as(citizen)
    app_id = _create(client).json()["id"]
    response = _upload(client, app_id, PDF, "plan.pdf", "application/pdf")
    assert response.status_code == 201
    body = response.json()
    assert body["content_type"] == "application/pdf"
    assert body["size"] == len(PDF)
    import hashlib

    assert body["sha256"] == hashlib.sha256(PDF).hexdigest()


@pytest.mark.django_db
def test_mislabelled_file_is_415_and_not_stored(service, citizen, api_as):
    client = api_as(citizen)
    app_id = _create(client).json()["id"]
    response = _upload(client, app_id, PNG, "scan.pdf", "application/pdf")
    assert response.status_code == 415
    assert response.json()["code"] == "file_type_mismatch"
    assert not Attachment.objects.exists()


@pytest.mark.django_db
def test_executable_is_refused(service, citizen, api_as):
    client = api_as(citizen)
    app_id = _create(client).json()["id"]
    response = _upload(client, app_id, b"MZ\x90\x00" + b"\x00" * 60, "form.pdf", "application/pdf")
    assert response.status_code == 415
    assert response.json()["code"] == "file_type_not_allowed"


@pytest.mark.django_db
def test_oversized_file_is_413_and_not_stored(service, citizen, api_as, settings):
    settings.BORIKAN_ATTACHMENT_MAX_BYTES = 1024
    client = api_as(citizen)
    app_id = _create(client).json()["id"]
    response = _upload(client, app_id, PDF + b"0" * 2048, "big.pdf", "application/pdf")
    assert response.status_code == 413
    assert response.json()["code"] == "file_too_large"
    assert not Attachment.objects.exists()


@pytest.mark.django_db
def test_other_citizen_cannot_attach_to_my_application(service, citizen, other_citizen, api_as):
    app_id = _create(api_as(citizen)).json()["id"]
    response = _upload(api_as(other_citizen), app_id, PDF, "x.pdf", "application/pdf")
    assert response.status_code == 404
    assert not Attachment.objects.exists()


@pytest.mark.django_db
def test_submission_sends_an_acknowledgement_after_commit(free_service, citizen, api_as, mailoutbox,
                                                          django_capture_on_commit_callbacks):  # fmt: skip
    client = api_as(citizen)
    app_id = _create(client, slug=free_service.slug, form=VALID_FORM).json()["id"]
    with django_capture_on_commit_callbacks(execute=True):
        tracking = client.post(f"/api/v1/applications/{app_id}/submit").json()["tracking_number"]
    assert len(mailoutbox) == 1
    message = mailoutbox[0]
    assert message.to == [VALID_FORM["email"]]
    assert tracking in message.subject
    assert "เลขที่คำขอ" in message.body
    assert f"http://localhost:8000/applications/{app_id}/" in message.body  # the applicant's own case page
    assert AuditEntry.objects.filter(action="application.acknowledged", object_id=app_id).count() == 1


@pytest.mark.django_db
def test_a_refused_submission_sends_nothing(service, citizen, api_as, mailoutbox, django_capture_on_commit_callbacks):
    client = api_as(citizen)
    app_id = _create(client, form={"full_name": "ก ข"}).json()["id"]
    with django_capture_on_commit_callbacks(execute=True):
        assert client.post(f"/api/v1/applications/{app_id}/submit").status_code == 422
    assert mailoutbox == []
