"""Appeal: once, with a reason, within the chain's window, by the applicant; reopens the chain at the next level."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from borikan.agencies.models import StaffRole
from borikan.approvals import services
from borikan.approvals.models import Appeal, CaseApproval
from borikan.audit.models import AuditEntry
from borikan.conftest import make_staff
from borikan.core.errors import ApplicationError

from .helpers import admin_of, decide, pinned_case, two_level_chain

pytestmark = pytest.mark.django_db
REASON = "ผังร้านถูกต้องตามที่ยื่นไว้แล้ว โปรดพิจารณาใหม่"


@pytest.fixture
def admin(agency):
    return admin_of(agency)


@pytest.fixture
def director(agency):
    return make_staff("director@excise.go.th", agency, StaffRole.OFFICER, StaffRole.DIRECTOR)


def _appeal_refused(code: str, actor, pin, reason: str = REASON) -> None:
    before = CaseApproval.objects.values().get(case_ref=pin.case_ref)
    with pytest.raises(ApplicationError) as caught:
        services.appeal_lodge(actor=actor, case_ref=pin.case_ref, reason=reason)
    assert caught.value.code == code, caught.value
    assert caught.value.message_th and caught.value.message_en
    assert CaseApproval.objects.values().get(case_ref=pin.case_ref) == before


def test_an_appeal_reopens_at_the_next_level_and_is_decided_by_it(service, admin, citizen, approver, director):
    two_level_chain(service, admin)
    pin = pinned_case(service, citizen)
    decide(approver, pin, 1, "reject", "ไม่มีแผนผัง")
    appeal = services.appeal_lodge(actor=citizen, case_ref=pin.case_ref, reason=REASON)
    assert (appeal.reopened_round, appeal.reopened_level) == (2, 2)
    step = services.next_step(pin.case_ref)
    assert (step.status, step.round, step.level, step.level_role) == ("pending", 2, 2, "director")
    assert AuditEntry.objects.filter(action="approval.appeal_lodged", object_id=pin.case_ref).count() == 1
    final = decide(director, pin, 2)
    assert final.chain_complete and services.next_step(pin.case_ref).status == "approved"


def test_a_second_appeal_is_refused(service, admin, citizen, approver, director):
    two_level_chain(service, admin)
    pin = pinned_case(service, citizen)
    decide(approver, pin, 1, "reject", "ไม่มีแผนผัง")
    services.appeal_lodge(actor=citizen, case_ref=pin.case_ref, reason=REASON)
    decide(director, pin, 2, "reject", "ยืนตามเดิม")
    _appeal_refused("appeal_already_lodged", citizen, pin)
    assert Appeal.objects.count() == 1


def test_whoever_rejected_does_not_decide_the_appeal(service, admin, agency, citizen, approver):
    services.chain_version_create(actor=admin, service=service, levels=[{"role": "approver"}])
    second = make_staff("approver2@excise.go.th", agency, StaffRole.APPROVER)
    pin = pinned_case(service, citizen)
    decide(approver, pin, 1, "reject", "ไม่มีแผนผัง")
    appeal = services.appeal_lodge(actor=citizen, case_ref=pin.case_ref, reason=REASON)
    assert appeal.reopened_level == 1  # the last level rejected: it hears the appeal, by someone else
    with pytest.raises(ApplicationError) as caught:
        decide(approver, pin, 1)
    assert caught.value.code == "appeal_same_decider"
    assert decide(second, pin, 1).chain_complete


def test_the_chain_can_name_the_appeal_level(service, admin, citizen, approver, director):
    two_level_chain(service, admin, appeal_level=2)
    pin = pinned_case(service, citizen)
    decide(approver, pin, 1)
    decide(director, pin, 2, "reject", "ไม่ผ่าน")
    assert services.appeal_lodge(actor=citizen, case_ref=pin.case_ref, reason=REASON).reopened_level == 2


def test_only_after_a_rejection_by_the_applicant_with_a_reason(service, admin, citizen, other_citizen, approver):
    two_level_chain(service, admin)
    pin = pinned_case(service, citizen)
    _appeal_refused("not_rejected", citizen, pin)
    decide(approver, pin, 1, "reject", "ไม่มีแผนผัง")
    _appeal_refused("not_found", other_citizen, pin)
    _appeal_refused("not_found", approver, pin)
    _appeal_refused("reason_required", citizen, pin, reason="  ")
    _appeal_refused("reason_too_short", citizen, pin, reason="ไม่ยอม")
    assert not Appeal.objects.exists()


def test_the_window_closes_after_the_chain_s_days(service, admin, citizen, approver):
    two_level_chain(service, admin, appeal_window_days=15)
    pin = pinned_case(service, citizen)
    decide(approver, pin, 1, "reject", "ไม่มีแผนผัง")
    CaseApproval.objects.filter(case_ref=pin.case_ref).update(
        rejected_at=timezone.now() - dt.timedelta(days=15, minutes=1)
    )
    _appeal_refused("appeal_window_closed", citizen, pin)
    CaseApproval.objects.filter(case_ref=pin.case_ref).update(
        rejected_at=timezone.now() - dt.timedelta(days=14, hours=23)
    )
    assert services.appeal_lodge(actor=citizen, case_ref=pin.case_ref, reason=REASON)


def test_the_case_record_shows_the_appeal_deadline_then_the_appeal(api_as, service, admin, citizen, approver):
    two_level_chain(service, admin)
    pin = pinned_case(service, citizen)
    decide(approver, pin, 1, "reject", "ไม่มีแผนผัง")
    body = api_as(citizen).get(f"/api/v1/approvals/cases/{pin.case_ref}").json()
    assert body["appeal_deadline"] and body["appeal"] is None
    services.appeal_lodge(actor=citizen, case_ref=pin.case_ref, reason=REASON)
    body = api_as(citizen).get(f"/api/v1/approvals/cases/{pin.case_ref}").json()
    assert body["appeal"]["reopened_level"] == 2 and body["appeal_deadline"] is None
