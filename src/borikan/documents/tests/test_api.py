"""The documents API: public verification, the wallet, and who may download a PDF."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from borikan.agencies.models import Agency
from borikan.audit.models import AuditEntry
from borikan.documents.models import IssuedDocument
from borikan.documents.services import document_revoke
from borikan.identity.models import User

from .conftest import LICENCE_FIELDS, issue

pytestmark = pytest.mark.django_db

ApiAs = Callable[[User], Client]


def _expected_verification(document: IssuedDocument, status: str = "valid") -> dict:
    return {
        "status": status,
        "number": document.number,
        "title_th": "ใบอนุญาตขับรถ",
        "title_en": "Driving licence",
        "holder_name": "สมชาย ใจดี",
        "agency": {"code": "EXCISE", "name_th": "หน่วยงาน EXCISE", "name_en": "Agency EXCISE"},
        "fields": [{"label": label, "value": value} for label, value in LICENCE_FIELDS.items()],
        "issued_on": timezone.localdate().isoformat(),
        "valid_from": document.valid_from.isoformat(),
        "valid_until": document.valid_until.isoformat(),
        "revoked_on": None,
        "suspended_on": None,
        "sha256": document.sha256,
    }


UNKNOWN = {
    "status": "unknown",
    "number": None,
    "title_th": None,
    "title_en": None,
    "holder_name": None,
    "agency": None,
    "fields": [],
    "issued_on": None,
    "valid_from": None,
    "valid_until": None,
    "revoked_on": None,
    "suspended_on": None,
    "sha256": None,
}


def test_verify_by_code_is_public_and_shows_what_the_document_shows(document: IssuedDocument):
    response = Client().get(f"/api/v1/documents/verify/{document.verification_code}")

    assert response.status_code == 200
    assert response.json() == _expected_verification(document)


def test_verify_by_code_reveals_no_e_mail_or_account_data(document: IssuedDocument, citizen: User):
    body = Client().get(f"/api/v1/documents/verify/{document.verification_code}").content.decode()

    assert citizen.email not in body
    assert "@" not in body
    assert "email" not in body
    assert document.case_ref not in body
    assert f'"id": {citizen.pk}' not in body


def test_verify_by_code_reports_revoked(document: IssuedDocument, approver: User):
    document_revoke(actor=approver, document=document, reason="เพิกถอนตามคำสั่ง")

    body = Client().get(f"/api/v1/documents/verify/{document.verification_code}").json()

    assert body == {
        **_expected_verification(document, "revoked"),
        "revoked_on": timezone.localdate().isoformat(),
        "suspended_on": None,
    }
    assert "เพิกถอนตามคำสั่ง" not in str(body)  # the reason is internal


def test_verify_by_unknown_code(document: IssuedDocument):
    response = Client().get("/api/v1/documents/verify/" + "B" * 43)

    assert response.status_code == 200
    assert response.json() == UNKNOWN


def test_verify_pdf_upload_recognises_the_issued_file(document: IssuedDocument):
    upload = SimpleUploadedFile("licence.pdf", document.pdf.read(), content_type="application/pdf")

    response = Client().post("/api/v1/documents/verify-pdf", {"file": upload})

    assert response.status_code == 200
    assert response.json() == _expected_verification(document)


def test_verify_pdf_upload_of_an_altered_file_is_unknown(document: IssuedDocument):
    altered = bytearray(document.pdf.read())
    altered[-100] ^= 0x20
    upload = SimpleUploadedFile("licence.pdf", bytes(altered), content_type="application/pdf")

    response = Client().post("/api/v1/documents/verify-pdf", {"file": upload})

    assert response.status_code == 200
    assert response.json() == UNKNOWN


def test_verify_pdf_upload_of_something_else_is_rejected(document: IssuedDocument):
    upload = SimpleUploadedFile("photo.pdf", b"\x89PNG\r\n", content_type="application/pdf")

    response = Client().post("/api/v1/documents/verify-pdf", {"file": upload})

    assert response.status_code == 422
    assert response.json()["code"] == "not_a_pdf"


def test_holder_downloads_the_pdf_and_the_read_is_audited(document: IssuedDocument, citizen: User, api_as: ApiAs):
    response = api_as(citizen).get(f"/api/v1/documents/{document.pk}/pdf")

    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert response["Content-Disposition"] == f'attachment; filename="{document.number}.pdf"'
    assert response["Cache-Control"] == "private, no-store"
    assert response.content == document.pdf.read()
    entry = AuditEntry.objects.get(action="document.downloaded")
    assert (entry.actor_id, entry.subject_user_id, entry.data) == (citizen.pk, citizen.pk, {"as": "holder"})


def test_staff_of_the_issuing_agency_can_download(
    document: IssuedDocument, officer: User, citizen: User, api_as: ApiAs
):
    response = api_as(officer).get(f"/api/v1/documents/{document.pk}/pdf")

    assert response.status_code == 200
    entry = AuditEntry.objects.get(action="document.downloaded")
    assert (entry.actor_id, entry.subject_user_id, entry.data) == (
        officer.pk,
        citizen.pk,
        {"as": "agency_staff"},
    )


@pytest.mark.parametrize("user_fixture", ["other_citizen", "foreign_officer"])
def test_others_cannot_download_and_learn_nothing(
    document: IssuedDocument, request: pytest.FixtureRequest, api_as: ApiAs, user_fixture: str
):
    user = request.getfixturevalue(user_fixture)

    response = api_as(user).get(f"/api/v1/documents/{document.pk}/pdf")

    assert response.status_code == 404
    assert response.json()["code"] == "not_found"
    assert not AuditEntry.objects.filter(action="document.downloaded").exists()


def test_download_of_a_missing_document_is_the_same_404(citizen: User, api_as: ApiAs):
    response = api_as(citizen).get("/api/v1/documents/999999/pdf")

    assert response.status_code == 404
    assert response.json()["code"] == "not_found"


def test_anonymous_download_needs_sign_in(document: IssuedDocument):
    response = Client().get(f"/api/v1/documents/{document.pk}/pdf")

    assert response.status_code == 401
    assert not AuditEntry.objects.filter(action="document.downloaded").exists()


def test_wallet_lists_the_holders_documents(document: IssuedDocument, citizen: User, api_as: ApiAs, settings):
    response = api_as(citizen).get("/api/v1/documents/wallet")

    assert response.status_code == 200
    [item] = response.json()
    assert item["id"] == document.pk
    assert item["number"] == document.number
    assert item["status"] == "valid"
    assert item["agency"] == {"code": "EXCISE", "name_th": "หน่วยงาน EXCISE", "name_en": "Agency EXCISE"}
    assert item["verification_url"] == f"{settings.BORIKAN_PUBLIC_BASE_URL}/verify/{document.verification_code}"
    assert item["pdf_url"] == f"http://testserver/api/v1/documents/{document.pk}/pdf"


def test_wallet_of_another_person_is_empty(document: IssuedDocument, other_citizen: User, api_as: ApiAs):
    response = api_as(other_citizen).get("/api/v1/documents/wallet")

    assert response.status_code == 200
    assert response.json() == []


def test_wallet_needs_sign_in():
    assert Client().get("/api/v1/documents/wallet").status_code == 401


def test_wallet_query_count_does_not_grow_with_the_documents(
    document: IssuedDocument, citizen: User, agency: Agency, api_as: ApiAs, django_assert_num_queries
):
    client = api_as(citizen)
    with CaptureQueriesContext(connection) as one:
        client.get("/api/v1/documents/wallet")
    issue(agency=agency, holder=citizen)
    issue(agency=agency, holder=citizen)

    with django_assert_num_queries(len(one.captured_queries)):
        response = client.get("/api/v1/documents/wallet")

    assert len(response.json()) == 3
