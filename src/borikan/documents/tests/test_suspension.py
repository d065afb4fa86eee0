"""Suspension and reinstatement (besides revocation and expiry): seen by the page, the API, the signed status list
and the offline verifier; only approvers/admins of the issuing agency at AAL 2; audited; bad input is a 4xx."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from borikan.agencies.models import Agency, StaffRole
from borikan.audit.models import AuditEntry
from borikan.conftest import PASSWORD_ONLY, make_staff, signed_in
from borikan.core.errors import ApplicationError, PermissionDenied, ValidationFailed
from borikan.documents.models import DocumentStatus, DocumentStatusEvent, IssuedDocument, VerificationStatus
from borikan.documents.services import document_reinstate, document_revoke, document_suspend, document_verify
from borikan.identity.enforcement import AssuranceRequired
from borikan.identity.models import User

from .conftest import issue
from .test_credentials import _claims, _files, _status_list, _verify

pytestmark = pytest.mark.django_db


def test_a_suspended_document_verifies_as_suspended_then_valid_again(document: IssuedDocument, approver: User):
    suspended = document_suspend(actor=approver, document=document, reason="อยู่ระหว่างตรวจสอบข้อเท็จจริง")

    assert suspended.status == DocumentStatus.SUSPENDED
    assert suspended.suspended_reason == "อยู่ระหว่างตรวจสอบข้อเท็จจริง"
    result = document_verify(code=document.verification_code)
    assert result.status == VerificationStatus.SUSPENDED
    assert result.suspended_on == timezone.localdate()

    reinstated = document_reinstate(actor=approver, document=document, reason="ตรวจสอบแล้วไม่พบความผิด")

    assert reinstated.status == DocumentStatus.VALID and reinstated.suspended_at is None
    assert document_verify(code=document.verification_code).status == VerificationStatus.VALID
    events = list(DocumentStatusEvent.objects.filter(document=document).values_list("change", "reason", "actor"))
    assert events == [
        ("suspended", "อยู่ระหว่างตรวจสอบข้อเท็จจริง", approver.pk),
        ("reinstated", "ตรวจสอบแล้วไม่พบความผิด", approver.pk),
    ]
    audited = AuditEntry.objects.filter(
        object_id=document.number, action__in=["document.suspended", "document.reinstated"]
    )
    assert [(entry.action, entry.actor_id, entry.subject_user_id) for entry in audited.order_by("id")] == [
        ("document.suspended", approver.pk, document.holder_id),
        ("document.reinstated", approver.pk, document.holder_id),
    ]


def test_a_suspended_document_is_shown_suspended_on_the_public_page(document: IssuedDocument, approver: User):
    document_suspend(actor=approver, document=document, reason="เหตุผลภายในที่ไม่ควรเปิดเผย")

    response = Client().get(reverse("documents:verify", args=[document.verification_code]))

    body = response.content.decode()
    assert response.status_code == 200
    assert "verification-suspended" in body and "verification-valid" not in body
    assert "เหตุผลภายใน" not in body  # the reason is for the holder and the agency, not for any verifier


def test_the_verification_api_says_suspended(document: IssuedDocument, approver: User):
    document_suspend(actor=approver, document=document, reason="เหตุผล")

    answer = Client().get(f"/api/v1/documents/verify/{document.verification_code}").json()

    assert answer["status"] == "suspended"
    assert answer["suspended_on"] == timezone.localdate().isoformat()


def test_the_signed_status_list_carries_suspensions_and_the_offline_verifier_says_suspended(
    document: IssuedDocument, approver: User, tmp_path: Path
):
    document_suspend(actor=approver, document=document, reason="เหตุผล")
    listed = _claims(_status_list("EXCISE"))
    assert (listed["suspended"], listed["revoked"]) == ([document.number], [])

    jwks_path, list_path = _files(tmp_path)
    report, ok = _verify(document.qr_payload, "--jwks", jwks_path, "--status-list", list_path)
    assert (report["status"], ok) == ("suspended", False)

    document_reinstate(actor=approver, document=document, reason="เหตุผล")
    assert _claims(_status_list("EXCISE"))["suspended"] == []
    report, ok = _verify(document.qr_payload)
    assert (report["status"], ok) == ("valid", True)


def test_a_suspended_document_can_be_revoked_and_then_moves_to_the_revoked_list(
    document: IssuedDocument, approver: User
):
    document_suspend(actor=approver, document=document, reason="เหตุผล")
    revoked = document_revoke(actor=approver, document=document, reason="ยืนยันการปลอมแปลง")

    assert (revoked.status, revoked.suspended_at) == (DocumentStatus.REVOKED, None)
    listed = _claims(_status_list("EXCISE"))
    assert (listed["suspended"], listed["revoked"]) == ([], [document.number])


@pytest.mark.parametrize("reason", ["", "   ", None, "x" * 1001])
def test_a_reason_is_required(document: IssuedDocument, approver: User, reason):
    for change in (document_suspend, document_revoke):
        with pytest.raises(ValidationFailed) as refused:
            change(actor=approver, document=document, reason=reason)
        assert (refused.value.code, refused.value.status) == ("reason_required", 422)
    document.refresh_from_db()
    assert document.status == DocumentStatus.VALID
    assert not DocumentStatusEvent.objects.exists()


def test_revoked_documents_cannot_be_suspended_or_reinstated(document: IssuedDocument, approver: User):
    document_revoke(actor=approver, document=document, reason="เหตุผล")

    for change in (document_suspend, document_reinstate):
        with pytest.raises(ApplicationError) as refused:
            change(actor=approver, document=document, reason="เหตุผล")
        assert (refused.value.code, refused.value.status) == ("document_already_revoked", 409)


def test_twice_suspended_or_reinstating_a_valid_document_is_409(document: IssuedDocument, approver: User):
    with pytest.raises(ApplicationError) as not_suspended:
        document_reinstate(actor=approver, document=document, reason="เหตุผล")
    assert (not_suspended.value.code, not_suspended.value.status) == ("document_not_suspended", 409)

    document_suspend(actor=approver, document=document, reason="เหตุผล")
    with pytest.raises(ApplicationError) as twice:
        document_suspend(actor=approver, document=document, reason="เหตุผล")
    assert (twice.value.code, twice.value.status) == ("document_already_suspended", 409)


def test_only_approvers_or_admins_of_the_issuing_agency_at_aal2(
    document: IssuedDocument, officer: User, foreign_officer: User, citizen: User, agency: Agency
):
    for outsider in (officer, foreign_officer, citizen):
        with pytest.raises(PermissionDenied):
            document_suspend(actor=outsider, document=document, reason="เหตุผล")
    admin = make_staff("admin@excise.go.th", agency, StaffRole.AGENCY_ADMIN)
    assert document_suspend(actor=admin, document=document, reason="เหตุผล").status == DocumentStatus.SUSPENDED

    weak = signed_in(make_staff("weak@excise.go.th", agency, StaffRole.APPROVER), *PASSWORD_ONLY)
    with pytest.raises(AssuranceRequired):
        document_reinstate(actor=weak, document=document, reason="เหตุผล")
    document.refresh_from_db()
    assert document.status == DocumentStatus.SUSPENDED


def test_the_api_suspends_and_reinstates(document: IssuedDocument, approver: User, citizen: User, api_as):
    api = api_as(approver)
    base = f"/api/v1/documents/{document.pk}"

    assert api.post(f"{base}/suspend", {"reason": ""}, "application/json").status_code == 422
    suspended = api.post(f"{base}/suspend", {"reason": "ตรวจสอบ"}, "application/json")
    assert suspended.status_code == 200
    assert suspended.json()["status"] == "suspended"
    assert [event["change"] for event in suspended.json()["events"]] == ["suspended"]
    assert api.post(f"{base}/suspend", {"reason": "อีกครั้ง"}, "application/json").status_code == 409

    assert api_as(citizen).post(f"{base}/reinstate", {"reason": "ขอคืน"}, "application/json").status_code == 403
    reinstated = api.post(f"{base}/reinstate", {"reason": "เรียบร้อย"}, "application/json")
    assert reinstated.json()["status"] == "valid"
    revoked = api.post(f"{base}/revoke", {"reason": "ปลอม"}, "application/json")
    assert revoked.json()["status"] == "revoked"
    assert api.post(f"{base}/suspend", {"reason": "ตรวจสอบ"}, "application/json").status_code == 409


def test_an_expired_suspended_document_still_says_suspended(agency: Agency, citizen: User, approver: User):
    document = issue(agency=agency, holder=citizen, valid_days=1)
    document_suspend(actor=approver, document=document, reason="เหตุผล")
    document.refresh_from_db()

    assert document.status_on(timezone.localdate() + dt.timedelta(days=5)) == VerificationStatus.SUSPENDED


def test_an_approver_cannot_suspend_revoke_or_reinstate_a_document_that_names_them(agency: Agency, approver: User):
    own = issue(agency=agency, holder=approver)
    for change in (document_suspend, document_revoke, document_reinstate):
        with pytest.raises(ApplicationError) as refused:
            change(actor=approver, document=own, reason="ทดสอบ")
        assert (refused.value.code, refused.value.status) == ("conflict_of_interest", 403)
    own.refresh_from_db()
    assert own.status == DocumentStatus.VALID
