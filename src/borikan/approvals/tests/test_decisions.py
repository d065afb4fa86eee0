"""Decisions: levels in order, mandatory reasons, who may decide (held or delegated role), on-behalf records,
the applicant never deciding their own case, and refusals that leave nothing written."""

from __future__ import annotations

import pytest
from django.utils import timezone

from borikan.agencies.models import StaffRole
from borikan.approvals import services
from borikan.approvals.models import CaseApproval, Decision
from borikan.audit.models import AuditEntry
from borikan.conftest import make_staff, sign_in
from borikan.core.errors import ApplicationError
from borikan.identity.authn import Method
from borikan.identity.enforcement import AssuranceRequired

from .helpers import DIGEST, admin_of, decide, pinned_case, two_level_chain

pytestmark = pytest.mark.django_db


@pytest.fixture
def admin(agency):
    return admin_of(agency)


@pytest.fixture
def director(agency):
    return make_staff("director@excise.go.th", agency, StaffRole.OFFICER, StaffRole.DIRECTOR)


@pytest.fixture
def chain(service, admin):
    return two_level_chain(service, admin)


def _refused(code: str, actor, pin, level: int, outcome: str = "approve", reason: str = "") -> ApplicationError:
    state_before = CaseApproval.objects.values().get(case_ref=pin.case_ref)
    decisions_before = Decision.objects.count()
    with pytest.raises((ApplicationError, AssuranceRequired)) as caught:
        decide(actor, pin, level, outcome, reason)
    assert caught.value.code == code, caught.value
    assert caught.value.message_th and caught.value.message_en
    assert Decision.objects.count() == decisions_before
    assert CaseApproval.objects.values().get(case_ref=pin.case_ref) == state_before
    return caught.value


def test_two_levels_approve_in_order_and_the_chain_completes(service, chain, citizen, approver, director):
    pin = pinned_case(service, citizen)
    step = services.next_step(pin.case_ref)
    assert (step.complete, step.level, step.level_role, step.levels_total) == (False, 1, "approver", 2)
    first = decide(approver, pin, 1)
    assert not first.chain_complete
    step = services.next_step(pin.case_ref)
    assert (step.complete, step.level, step.level_role, step.last_outcome) == (False, 2, "director", "approve")
    second = decide(director, pin, 2, reason="ครบถ้วน")
    assert second.chain_complete
    step = services.next_step(pin.case_ref)
    assert (step.complete, step.status, step.level) == (True, "approved", None)
    assert second.form_data_sha256 == DIGEST and second.pin == pin and second.on_behalf_of is None
    assert second.decided_at <= timezone.now()
    assert AuditEntry.objects.filter(action="approval.approve", object_id=pin.case_ref).count() == 2
    _refused("chain_complete", director, pin, 2)


def test_reject_and_return_need_a_reason(service, chain, citizen, approver):
    pin = pinned_case(service, citizen)
    _refused("reason_required", approver, pin, 1, "reject", "   ")
    _refused("reason_required", approver, pin, 1, "return", "")


def test_bad_outcome_digest_and_level_are_refused(service, chain, citizen, approver):
    pin = pinned_case(service, citizen)
    _refused("invalid_outcome", approver, pin, 1, "maybe")
    with pytest.raises(ApplicationError) as caught:
        services.decision_record(
            actor=approver, case_ref=pin.case_ref, service=service, level=1, outcome="approve", reason="",
            form_data_digest="abc",
        )  # fmt: skip
    assert caught.value.code == "invalid_digest"
    _refused("level_not_current", approver, pin, 2)


def test_a_level_that_may_not_reject_only_approves_or_returns(service, admin, citizen, approver, director):
    two_level_chain(service, admin, first_may_reject=False)
    pin = pinned_case(service, citizen)
    _refused("reject_not_allowed_at_level", approver, pin, 1, "reject", "เอกสารไม่ครบ")
    decision = decide(approver, pin, 1, "return", "ขอแผนผังร้านเพิ่ม")
    assert decision.outcome == "return" and not decision.chain_complete


def test_a_return_starts_a_new_round_at_the_first_level(service, chain, citizen, approver, director):
    pin = pinned_case(service, citizen)
    decide(approver, pin, 1)
    decide(director, pin, 2, "return", "ขอสำเนาโฉนด")
    step = services.next_step(pin.case_ref)
    assert (step.round, step.level, step.last_outcome, step.complete) == (2, 1, "return", False)
    decide(approver, pin, 1)  # the same approver decides level 1 again in the new round
    final = decide(director, pin, 2, "reject", "ผังไม่ตรงกับที่ตั้ง")
    assert final.chain_complete and services.next_step(pin.case_ref).status == "rejected"
    assert [(d.round, d.level, d.outcome) for d in Decision.objects.order_by("pk")] == [
        (1, 1, "approve"),
        (1, 2, "return"),
        (2, 1, "approve"),
        (2, 2, "reject"),
    ]


def test_only_the_level_role_decides(service, chain, citizen, approver, director, officer):
    pin = pinned_case(service, citizen)
    _refused("not_authorised_for_level", officer, pin, 1)
    _refused("not_authorised_for_level", director, pin, 1)  # a director, not an approver
    decide(approver, pin, 1)
    _refused("level_already_decided", approver, pin, 1)


def test_one_person_does_not_decide_two_levels(service, admin, citizen, agency):
    both = make_staff("both@excise.go.th", agency, StaffRole.APPROVER)
    services.approval_role_grant(actor=admin, agency=agency, user=both, role="director")
    pin = pinned_case(service, citizen)  # default chain pinned before the two-level chain exists
    two_level_chain(service, admin)
    pin2 = pinned_case(service, citizen)
    decide(both, pin2, 1)
    _refused("already_decided_a_level", both, pin2, 2)
    assert pin.chain_version.levels.count() == 1


def test_the_applicant_never_decides_their_own_case(service, chain, agency, approver, director):
    staff_applicant = make_staff("applicant-staff@excise.go.th", agency, StaffRole.APPROVER)
    pin = pinned_case(service, staff_applicant)
    _refused("conflict_of_interest", staff_applicant, pin, 1)
    # Nor as a delegate: deciding for someone else on their own application.
    services.delegation_create(
        actor=approver, agency=agency, delegator=approver, delegate=director, starts_on=timezone.localdate(),
        ends_on=timezone.localdate(),
    )  # fmt: skip
    pin_of_director = pinned_case(service, director)
    _refused("conflict_of_interest", director, pin_of_director, 1)


def test_a_delegate_decides_on_behalf_during_the_period(service, chain, agency, citizen, approver, director):
    colleague = make_staff("colleague@excise.go.th", agency, StaffRole.OFFICER)
    pin = pinned_case(service, citizen)
    _refused("not_authorised_for_level", colleague, pin, 1)
    delegation = services.delegation_create(
        actor=approver, agency=agency, delegator=approver, delegate=colleague, starts_on=timezone.localdate(),
        ends_on=timezone.localdate(),
    )  # fmt: skip
    decision = decide(colleague, pin, 1)
    assert (decision.decided_by, decision.on_behalf_of, decision.delegation) == (colleague, approver, delegation)
    entry = AuditEntry.objects.get(action="approval.approve", object_id=pin.case_ref)
    assert entry.data["on_behalf_of_id"] == approver.pk
    # The delegator does not then decide another level of the same case (they already did, through the delegate).
    services.approval_role_grant(
        actor=admin_of(agency, "admin2@excise.go.th"), agency=agency, user=approver, role="director"
    )
    _refused("already_decided_a_level", approver, pin, 2)


def test_a_revoked_or_future_delegation_gives_no_authority(service, chain, agency, citizen, approver):
    import datetime as dt

    colleague = make_staff("colleague@excise.go.th", agency, StaffRole.OFFICER)
    pin = pinned_case(service, citizen)
    later = services.delegation_create(
        actor=approver, agency=agency, delegator=approver, delegate=colleague,
        starts_on=timezone.localdate() + dt.timedelta(days=2), ends_on=timezone.localdate() + dt.timedelta(days=4),
    )  # fmt: skip
    _refused("not_authorised_for_level", colleague, pin, 1)
    services.delegation_revoke(actor=approver, delegation_id=later.pk)
    now = services.delegation_create(
        actor=approver, agency=agency, delegator=approver, delegate=colleague, starts_on=timezone.localdate(),
        ends_on=timezone.localdate(),
    )  # fmt: skip
    services.delegation_revoke(actor=approver, delegation_id=now.pk)
    _refused("not_authorised_for_level", colleague, pin, 1)


def test_staff_of_another_agency_get_not_found(service, chain, citizen, foreign_officer):
    pin = pinned_case(service, citizen)
    _refused("not_found", foreign_officer, pin, 1)


def test_deciding_needs_staff_assurance(service, chain, citizen, approver):
    from borikan.conftest import signed_in

    pin = pinned_case(service, citizen)
    _refused("assurance_required", signed_in(approver, Method.PASSWORD), pin, 1)


def test_an_unpinned_case_or_a_wrong_service_is_not_found(service, free_service, chain, citizen, approver):
    pin = pinned_case(service, citizen)
    with pytest.raises(ApplicationError) as caught:
        services.decision_record(
            actor=approver, case_ref="no-such-case", service=service, level=1, outcome="approve", reason="",
            form_data_digest=DIGEST,
        )  # fmt: skip
    assert caught.value.code == "not_found"
    with pytest.raises(ApplicationError) as wrong:
        services.decision_record(
            actor=approver, case_ref=pin.case_ref, service=free_service, level=1, outcome="approve", reason="",
            form_data_digest=DIGEST,
        )  # fmt: skip
    assert wrong.value.code == "not_found"


def test_case_record_over_the_api_and_on_the_page(client, api_as, service, chain, citizen, approver, foreign_officer):
    pin = pinned_case(service, citizen)
    decide(approver, pin, 1)
    body = api_as(approver).get(f"/api/v1/approvals/cases/{pin.case_ref}").json()
    assert body["pinned"]["chain_version"] == 1 and body["pinned"]["form_version"] == "3"
    assert [(d["level"], d["outcome"], d["decided_by_id"]) for d in body["decisions"]] == [(1, "approve", approver.pk)]
    assert body["next_step"]["level"] == 2 and body["decisions"][0]["form_data_sha256"] == DIGEST
    assert api_as(citizen).get(f"/api/v1/approvals/cases/{pin.case_ref}").status_code == 200
    assert api_as(foreign_officer).get(f"/api/v1/approvals/cases/{pin.case_ref}").status_code == 404
    sign_in(client, approver)
    page = client.get(f"/approvals/cases/{pin.case_ref}/")
    assert page.status_code == 200 and DIGEST in page.content.decode()
    sign_in(client, foreign_officer)
    assert client.get(f"/approvals/cases/{pin.case_ref}/").status_code == 404


def test_lifecycle_action_and_can_decide_now_tell_the_lead_what_to_do(
    service, chain, agency, citizen, approver, director
):
    pin = pinned_case(service, citizen)
    assert services.can_decide_now(actor=approver, case_ref=pin.case_ref)
    assert not services.can_decide_now(actor=director, case_ref=pin.case_ref)
    assert not services.can_decide_now(actor=citizen, case_ref=pin.case_ref)
    first = decide(approver, pin, 1)
    assert services.lifecycle_action(first) is None  # level 2 follows: the case stays pending approval
    assert not services.can_decide_now(actor=approver, case_ref=pin.case_ref)
    assert services.can_decide_now(actor=director, case_ref=pin.case_ref)
    assert services.lifecycle_action(decide(director, pin, 2)) == "approve"
    assert not services.can_decide_now(actor=director, case_ref=pin.case_ref)
    other = pinned_case(service, citizen)
    assert services.lifecycle_action(decide(approver, other, 1, "return", "ขอเอกสารเพิ่ม")) == "return"
    assert services.lifecycle_action(decide(approver, other, 1, "reject", "ไม่ผ่าน")) == "reject"


def test_the_approvals_home_lists_my_agency_services(client, service, approver, citizen):
    sign_in(client, approver)
    page = client.get("/approvals/")
    assert page.status_code == 200 and f"/approvals/services/{service.slug}/chain/" in page.content.decode()
    sign_in(client, citizen)
    assert client.get("/approvals/").status_code == 404
