"""The lifecycle decides through the service's approval chain (approvals app): two levels, delegation, the
pinned versions, and one appeal after a rejection."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from borikan.agencies.models import StaffRole
from borikan.applications.models import Application
from borikan.applications.services import application_approve, application_reject, application_submit
from borikan.applications.tests.factories import make_application
from borikan.approvals import services as approvals
from borikan.approvals.models import CasePin, Decision
from borikan.conftest import api_client_for, make_staff
from borikan.core.errors import ApplicationError


@pytest.fixture
def service(free_service):
    return free_service  # no fee: the decisions are what is tested here


@pytest.fixture
def chain(service, agency):
    admin = make_staff("chain-admin@excise.go.th", agency, StaffRole.AGENCY_ADMIN)
    director = make_staff("director@excise.go.th", agency, StaffRole.OFFICER)
    approvals.approval_role_grant(actor=admin, agency=agency, user=director, role="director")
    approvals.chain_version_create(
        actor=admin,
        service=service,
        levels=[
            {"role": "approver", "may_reject": True, "name_th": "หัวหน้ากลุ่ม", "name_en": "Head of unit"},
            {"role": "director", "may_reject": True, "name_th": "ผู้อำนวยการ", "name_en": "Director"},
        ],
    )
    return {"admin": admin, "director": director}


def _submitted(service, citizen) -> Application:
    app = make_application(service=service, applicant=citizen)
    application_submit(actor=citizen, application_id=app.pk)
    return Application.objects.get(pk=app.pk)


@pytest.mark.django_db
def test_two_levels_decide_and_the_case_records_what_it_was_decided_under(service, citizen, approver, chain):
    app = _submitted(service, citizen)
    pin = CasePin.objects.get(case_ref=app.case_ref)
    assert pin.chain_version.levels.count() == 2 and pin.manual["legal_basis_th"] == service.legal_basis_th
    Application.objects.filter(pk=app.pk).update(status="pending_approval")

    first = application_approve(actor=approver, application_id=app.pk, reason="ผ่านเกณฑ์")
    assert first.status == "pending_approval"  # the director decides next
    assert first.events.filter(action="approve_level").exists()
    with pytest.raises(ApplicationError) as again:  # one person does not decide two levels
        application_approve(actor=approver, application_id=app.pk)
    assert again.value.status in (403, 404)

    service.legal_basis_th = "กฎหมายฉบับใหม่"
    service.save(update_fields=["legal_basis_th"])  # a later change never alters the pinned case
    final = application_approve(actor=chain["director"], application_id=app.pk, reason="อนุมัติ")
    assert final.status == "approved"
    decisions = Decision.objects.filter(case__case_ref=app.case_ref).order_by("level")
    assert [(d.level, d.decided_by_id) for d in decisions] == [(1, approver.pk), (2, chain["director"].pk)]
    assert CasePin.objects.get(case_ref=app.case_ref).manual["legal_basis_th"] != "กฎหมายฉบับใหม่"


@pytest.mark.django_db
def test_a_delegate_decides_for_an_approver_who_is_away(service, agency, citizen, approver, chain):
    colleague = make_staff("colleague@excise.go.th", agency, StaffRole.OFFICER)
    approvals.delegation_create(
        actor=approver,
        delegator=approver,
        agency=agency,
        delegate=colleague,
        starts_on=timezone.localdate(),
        ends_on=timezone.localdate() + dt.timedelta(days=5),
        reason="ลาพักร้อน",
    )
    app = _submitted(service, citizen)
    Application.objects.filter(pk=app.pk).update(status="pending_approval")
    decided = application_approve(actor=colleague, application_id=app.pk, reason="แทนผู้อนุมัติ")
    assert decided.status == "pending_approval"
    assert Decision.objects.get(case__case_ref=app.case_ref).on_behalf_of == approver


@pytest.mark.django_db
def test_a_rejection_is_appealed_once_and_reopens_review_at_the_next_level(service, citizen, approver, chain):
    app = _submitted(service, citizen)
    Application.objects.filter(pk=app.pk).update(status="pending_approval")
    application_reject(actor=approver, application_id=app.pk, reason="อยู่ใกล้สถานศึกษา")
    api = api_client_for(citizen)
    short = api.post(f"/api/v1/applications/{app.pk}/appeal", {"reason": "ไม่"}, content_type="application/json")
    assert short.status_code == 422
    appealed = api.post(
        f"/api/v1/applications/{app.pk}/appeal",
        {"reason": "โรงเรียนย้ายออกไปแล้วตั้งแต่ปีที่แล้ว"},
        content_type="application/json",
    )
    assert appealed.status_code == 200, appealed.content
    assert appealed.json()["status"] == "pending_approval"
    assert approvals.next_step(app.case_ref).level == 2  # the director decides the appeal
    final = application_reject(actor=chain["director"], application_id=app.pk, reason="ยังใกล้สถานศึกษา")
    assert final.status == "rejected"
    second = api.post(
        f"/api/v1/applications/{app.pk}/appeal",
        {"reason": "ขออุทธรณ์อีกครั้งหนึ่งด้วยเหตุผลใหม่"},
        content_type="application/json",
    )
    assert second.status_code == 409 and second.json()["code"] == "appeal_already_lodged"


@pytest.mark.django_db
def test_only_the_applicant_appeals(service, citizen, other_citizen, approver, chain):
    app = _submitted(service, citizen)
    Application.objects.filter(pk=app.pk).update(status="pending_approval")
    application_reject(actor=approver, application_id=app.pk, reason="ไม่ผ่าน")
    outsider = api_client_for(other_citizen).post(
        f"/api/v1/applications/{app.pk}/appeal", {"reason": "ขออุทธรณ์แทนผู้อื่น"}, content_type="application/json"
    )
    assert outsider.status_code == 404
    assert Application.objects.get(pk=app.pk).status == "rejected"


@pytest.mark.django_db
def test_a_case_from_before_chains_is_pinned_at_its_first_decision(service, citizen, approver):
    app = make_application(service=service, applicant=citizen, status="pending_approval")
    decided = application_approve(actor=approver, application_id=app.pk)
    assert decided.status == "approved"
    assert CasePin.objects.filter(case_ref=app.case_ref).exists()


@pytest.mark.django_db
def test_no_code_path_approves_past_the_chain(service, citizen, approver, chain):
    from borikan.applications.engine import transition_locked
    from borikan.applications.services import application_transition
    from borikan.applications.workflow import Action

    app = _submitted(service, citizen)
    Application.objects.filter(pk=app.pk).update(status="pending_approval")
    # The generic transition is routed through the chain: level 1 decides, the director is still to come.
    moved = application_transition(application_id=app.pk, action="approve", actor=approver)
    assert moved.status == "pending_approval"
    assert Decision.objects.filter(case__case_ref=app.case_ref).count() == 1
    # And the inner step refuses a decision the chain has not recorded.
    with pytest.raises(ApplicationError) as refused:
        transition_locked(Application.objects.get(pk=app.pk), action=Action.APPROVE, actor=chain["director"])
    assert refused.value.code == "decision_required"
