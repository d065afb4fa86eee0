"""Issuing, numbering, revoking and verifying documents through the services."""

from __future__ import annotations

import datetime as dt
import hashlib
import io
import re
import threading
import uuid
from pathlib import Path

import pypdf
import pytest
from django.db import connection
from django.utils import timezone

from borikan.agencies.models import Agency
from borikan.audit.models import AuditEntry
from borikan.core.errors import ApplicationError, PermissionDenied, ValidationFailed
from borikan.core.thaidate import be_year
from borikan.documents.models import DocumentNumberCounter, DocumentStatus, IssuedDocument
from borikan.documents.selectors import document_pdf_content
from borikan.documents.services import document_revoke, document_verify, document_verify_pdf
from borikan.identity.models import User

from .conftest import LICENCE_FIELDS, issue

pytestmark = pytest.mark.django_db


def _this_be_year() -> int:
    return be_year(timezone.localdate())


def test_issue_stores_the_pdf_with_its_sha256(document: IssuedDocument, private_storage: Path):
    stored = private_storage / document.pdf.name

    assert stored.is_file()
    assert stored.read_bytes().startswith(b"%PDF-")
    assert hashlib.sha256(stored.read_bytes()).hexdigest() == document.sha256


def test_issue_records_what_is_printed(document: IssuedDocument, citizen: User, agency: Agency):
    today = timezone.localdate()

    assert document.holder == citizen
    assert document.holder_name == "สมชาย ใจดี"
    assert document.agency == agency
    assert document.status == DocumentStatus.VALID
    assert document.field_pairs == list(LICENCE_FIELDS.items())
    assert document.valid_from == today
    assert document.valid_until == today + dt.timedelta(days=729)
    assert timezone.localdate(document.issued_at) == today


def test_issue_numbers_per_agency_and_buddhist_era_year(agency: Agency, other_agency: Agency, citizen: User):
    first = issue(agency=agency, holder=citizen)
    second = issue(agency=agency, holder=citizen)
    elsewhere = issue(agency=other_agency, holder=citizen)

    year = _this_be_year()
    assert [first.number, second.number, elsewhere.number] == [
        f"EXCISE-DOC-{year}-000001",
        f"EXCISE-DOC-{year}-000002",
        f"DBD-DOC-{year}-000001",
    ]
    assert DocumentNumberCounter.objects.get(agency=agency, be_year=year).last_seq == 2


def test_issue_gives_an_unguessable_url_safe_verification_code(agency: Agency, citizen: User):
    codes = {issue(agency=agency, holder=citizen).verification_code for _ in range(3)}

    assert len(codes) == 3
    for code in codes:
        assert re.fullmatch(r"[A-Za-z0-9_-]{43}", code)  # 43 base64url characters = 256 bits


def test_issue_audits_against_the_holder(document: IssuedDocument, citizen: User, approver: User):
    entry = AuditEntry.objects.get(action="document.issued")

    assert entry.object_id == document.number
    assert entry.subject_user_id == citizen.pk
    assert entry.actor_id == approver.pk
    assert entry.data == {
        "case_ref": document.case_ref,
        "agency": "EXCISE",
        "sha256": document.sha256,
        "kid": document.signing_kid,
        "template_version": None,
    }


def test_issue_without_expiry_when_valid_days_is_none(agency: Agency, citizen: User):
    document = issue(agency=agency, holder=citizen, valid_days=None)

    assert document.valid_until is None


def test_issue_refuses_a_second_document_for_the_same_case(
    document: IssuedDocument, agency: Agency, citizen: User, private_storage: Path
):
    files_before = sorted(private_storage.rglob("*.pdf"))

    with pytest.raises(ApplicationError) as raised:
        issue(agency=agency, holder=citizen, case_ref=document.case_ref)

    assert raised.value.code == "document_already_issued"
    assert raised.value.status == 409
    assert IssuedDocument.objects.count() == 1
    assert DocumentNumberCounter.objects.get(agency=agency).last_seq == 1
    assert sorted(private_storage.rglob("*.pdf")) == files_before


@pytest.mark.parametrize(
    ("overrides", "code"),
    [
        ({"title_th": "   "}, "invalid_title"),
        ({"fields": {"ประเภท": ""}}, "invalid_document_fields"),
        ({"fields": {f"หัวข้อ {i}": "ค่า" for i in range(21)}}, "invalid_document_fields"),
        ({"valid_days": 0}, "invalid_valid_days"),
        ({"case_ref": ""}, "invalid_case_ref"),
    ],
)
def test_issue_rejects_bad_input_and_changes_nothing(
    agency: Agency, citizen: User, private_storage: Path, overrides: dict, code: str
):
    with pytest.raises(ValidationFailed) as raised:
        issue(agency=agency, holder=citizen, **overrides)

    assert raised.value.code == code
    assert IssuedDocument.objects.count() == 0
    assert DocumentNumberCounter.objects.count() == 0
    assert not AuditEntry.objects.filter(action="document.issued").exists()
    assert list(private_storage.rglob("*.pdf")) == []


def test_issue_requires_the_holders_name(agency: Agency):
    nameless = User.objects.create_user("nameless@example.com", "correct-horse-battery-staple", full_name="")

    with pytest.raises(ValidationFailed) as raised:
        issue(agency=agency, holder=nameless)

    assert raised.value.code == "holder_name_required"
    assert IssuedDocument.objects.count() == 0


def test_verify_reports_valid_with_what_the_document_shows(document: IssuedDocument):
    result = document_verify(code=document.verification_code)

    assert result.status == "valid"
    assert result.number == document.number
    assert result.title_th == "ใบอนุญาตขับรถ"
    assert result.holder_name == "สมชาย ใจดี"
    assert result.agency_code == "EXCISE"
    assert result.fields == tuple(LICENCE_FIELDS.items())
    assert result.valid_until == document.valid_until
    assert result.revoked_on is None
    assert result.sha256 == document.sha256


def test_verify_is_audited_against_the_holder(document: IssuedDocument, citizen: User):
    document_verify(code=document.verification_code)

    entry = AuditEntry.objects.get(action="document.verified")
    assert entry.subject_user_id == citizen.pk
    assert entry.actor_id is None
    assert entry.data == {"via": "code", "status": "valid"}


def test_verify_reports_revoked_after_revocation(document: IssuedDocument, approver: User):
    document_revoke(actor=approver, document=document, reason="ผู้ถือใบอนุญาตขอยกเลิก")

    result = document_verify(code=document.verification_code)

    assert result.status == "revoked"
    assert result.revoked_on == timezone.localdate()


def test_verify_reports_expired_after_the_last_valid_day(document: IssuedDocument):
    yesterday = timezone.localdate() - dt.timedelta(days=1)
    IssuedDocument.objects.filter(pk=document.pk).update(
        valid_from=yesterday - dt.timedelta(days=365), valid_until=yesterday
    )

    assert document_verify(code=document.verification_code).status == "expired"


def test_verify_reports_valid_on_the_last_valid_day(document: IssuedDocument):
    IssuedDocument.objects.filter(pk=document.pk).update(valid_until=timezone.localdate())

    assert document_verify(code=document.verification_code).status == "valid"


@pytest.mark.parametrize("code", ["A" * 43, "short", "../../etc/passwd", ""])
def test_verify_reports_unknown_for_a_code_never_issued(document: IssuedDocument, code: str):
    result = document_verify(code=code)

    assert result.status == "unknown"
    assert result.number == ""
    assert result.holder_name == ""
    assert not AuditEntry.objects.filter(action="document.verified").exists()


def test_verify_pdf_recognises_the_issued_file(document: IssuedDocument):
    result = document_verify_pdf(pdf_bytes=document.pdf.read())

    assert result.status == "valid"
    assert result.number == document.number
    assert AuditEntry.objects.get(action="document.verified").data == {"via": "pdf", "status": "valid"}


def test_verify_pdf_reports_unknown_for_an_altered_file(document: IssuedDocument):
    original = document.pdf.read()
    flipped = bytearray(original)
    flipped[len(flipped) // 2] ^= 0x01
    resaved = io.BytesIO()
    writer = pypdf.PdfWriter(clone_from=io.BytesIO(original))
    writer.add_metadata({"/Title": "ใบอนุญาตขับรถ (แก้ไข)"})
    writer.write(resaved)

    assert document_verify_pdf(pdf_bytes=bytes(flipped)).status == "unknown"
    assert document_verify_pdf(pdf_bytes=resaved.getvalue()).status == "unknown"
    assert document_verify_pdf(pdf_bytes=original + b"\n%").status == "unknown"


def test_verify_pdf_rejects_a_file_that_is_not_a_pdf(document: IssuedDocument):
    with pytest.raises(ValidationFailed) as raised:
        document_verify_pdf(pdf_bytes=b"GIF89a not a pdf")

    assert raised.value.code == "not_a_pdf"


def test_revoke_by_an_approver_of_the_agency(document: IssuedDocument, approver: User, citizen: User):
    revoked = document_revoke(actor=approver, document=document, reason="ออกให้ผิดคน")

    assert revoked.status == DocumentStatus.REVOKED
    assert revoked.revoked_reason == "ออกให้ผิดคน"
    assert revoked.revoked_at is not None
    entry = AuditEntry.objects.get(action="document.revoked")
    assert (entry.actor_id, entry.subject_user_id) == (approver.pk, citizen.pk)


@pytest.mark.parametrize("actor_fixture", ["citizen", "officer", "foreign_officer"])
def test_revoke_is_refused_to_anyone_but_the_agencys_approvers(
    document: IssuedDocument, request: pytest.FixtureRequest, actor_fixture: str
):
    actor = request.getfixturevalue(actor_fixture)

    with pytest.raises(PermissionDenied):
        document_revoke(actor=actor, document=document, reason="ไม่มีสิทธิ์")

    document.refresh_from_db()
    assert document.status == DocumentStatus.VALID
    assert document.revoked_at is None
    assert not AuditEntry.objects.filter(action="document.revoked").exists()


def test_revoke_twice_is_refused(document: IssuedDocument, approver: User):
    document_revoke(actor=approver, document=document, reason="ครั้งแรก")

    with pytest.raises(ApplicationError) as raised:
        document_revoke(actor=approver, document=document, reason="ครั้งที่สอง")

    assert raised.value.code == "document_already_revoked"
    document.refresh_from_db()
    assert document.revoked_reason == "ครั้งแรก"


def test_revoke_requires_a_reason(document: IssuedDocument, approver: User):
    with pytest.raises(ValidationFailed) as raised:
        document_revoke(actor=approver, document=document, reason=" ")

    assert raised.value.code == "reason_required"
    document.refresh_from_db()
    assert document.status == DocumentStatus.VALID


def test_stored_pdf_that_was_changed_is_never_handed_out(document: IssuedDocument, private_storage: Path):
    stored = private_storage / document.pdf.name
    stored.write_bytes(stored.read_bytes() + b"\n% tampered")

    with pytest.raises(ApplicationError) as raised:
        document_pdf_content(document=document)

    assert raised.value.code == "document_file_corrupted"


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
@pytest.mark.skipif(connection.vendor != "postgresql", reason="needs PostgreSQL row locks (SELECT ... FOR UPDATE)")
def test_concurrent_issues_get_consecutive_numbers(agency: Agency, citizen: User):
    numbers: list[str] = []
    errors: list[BaseException] = []

    def worker() -> None:
        try:
            numbers.append(issue(agency=agency, holder=citizen, case_ref=str(uuid.uuid4())).number)
        except BaseException as error:
            errors.append(error)
        finally:
            connection.close()

    threads = [threading.Thread(target=worker) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)

    year = _this_be_year()
    assert errors == []
    assert sorted(numbers) == [f"EXCISE-DOC-{year}-{seq:06d}" for seq in range(1, 5)]
