"""Every lifecycle transition, legal and illegal, through the one write path."""

from __future__ import annotations

import pytest

from borikan.agencies.models import StaffMembership, StaffRole
from borikan.applications.models import ApplicationEvent
from borikan.applications.services import application_transition
from borikan.applications.workflow import TERMINAL, TRANSITIONS, Action, Status
from borikan.approvals import services as approvals
from borikan.audit.models import AuditEntry
from borikan.catalog.models import PaymentTiming
from borikan.conftest import make_service, make_staff
from borikan.core.errors import ApplicationError

from .factories import make_application

S, A = Status, Action

# (from, action, who acts, which service, reason)
LEGAL = [
    (S.DRAFT, A.SUBMIT, "applicant", "free", ""),
    (S.DRAFT, A.WITHDRAW, "applicant", "free", ""),
    (S.SUBMITTED, A.REQUEST_PAYMENT, "system", "before_review", ""),
    (S.SUBMITTED, A.START_REVIEW, "officer", "free", ""),
    (S.SUBMITTED, A.WITHDRAW, "applicant", "free", ""),
    (S.AWAITING_PAYMENT, A.CONFIRM_PAYMENT, "system", "after_approval", ""),
    (S.AWAITING_PAYMENT, A.WITHDRAW, "applicant", "before_review", ""),
    (S.PAID, A.START_REVIEW, "officer", "before_review", ""),
    (S.PAID, A.ISSUE, "system", "after_approval", ""),
    (S.PAID, A.WITHDRAW, "applicant", "before_review", ""),
    (S.IN_REVIEW, A.REQUEST_INFO, "officer", "free", "please attach the floor plan"),
    (S.IN_REVIEW, A.FORWARD, "officer", "free", ""),
    (S.IN_REVIEW, A.WITHDRAW, "applicant", "free", ""),
    (S.INFO_REQUESTED, A.RESUBMIT, "applicant", "free", ""),
    (S.INFO_REQUESTED, A.WITHDRAW, "applicant", "free", ""),
    (S.INFO_REQUESTED, A.LAPSE_REJECT, "system", "free", "no answer by the deadline"),
    (S.INFO_REQUESTED, A.LAPSE_WITHDRAW, "system", "free", "no answer by the deadline"),
    (S.PENDING_APPROVAL, A.APPROVE_LEVEL, "approver", "free", ""),
    (S.PENDING_APPROVAL, A.APPROVE, "approver", "free", ""),
    (S.PENDING_APPROVAL, A.REJECT, "approver", "free", "the premises are within 100 m of a school"),
    (S.PENDING_APPROVAL, A.RETURN, "approver", "free", "check the address again"),
    (S.PENDING_APPROVAL, A.WITHDRAW, "applicant", "free", ""),
    (S.APPROVED, A.REQUEST_PAYMENT, "system", "after_approval", ""),
    (S.APPROVED, A.ISSUE, "system", "free", ""),
    (S.ISSUED, A.DELIVER, "system", "free", ""),
    (S.DELIVERED, A.CLOSE, "system", "free", ""),
    (S.REJECTED, A.APPEAL, "applicant", "free", "the school moved away last year"),
    (S.REJECTED, A.CLOSE, "officer", "free", ""),
]


@pytest.fixture
def services(agency):
    return {
        "free": make_service(agency, slug="free", fee_satang=None),
        "before_review": make_service(agency, slug="before", payment_timing=PaymentTiming.BEFORE_REVIEW),
        "after_approval": make_service(agency, slug="after", payment_timing=PaymentTiming.AFTER_APPROVAL),
    }


def test_the_legal_table_is_exactly_the_tested_one():
    assert {(src, act) for src, act, *_ in LEGAL} == set(TRANSITIONS)


@pytest.mark.django_db
@pytest.mark.parametrize(("source", "action", "who", "service_key", "reason"), LEGAL)
def test_legal_transition_moves_and_records_event(
    source, action, who, service_key, reason, services, citizen, officer, approver
):
    actors = {"applicant": citizen, "officer": officer, "approver": approver, "system": None}
    if action == A.APPROVE_LEVEL:  # a level approved with another to follow: a chain of two levels
        admin = make_staff("chain-admin@excise.go.th", services[service_key].agency, StaffRole.AGENCY_ADMIN)
        approvals.chain_version_create(
            actor=admin,
            service=services[service_key],
            levels=[
                {"role": "approver", "may_reject": True, "name_th": "หัวหน้า", "name_en": "Head"},
                {"role": "agency_admin", "may_reject": True, "name_th": "ผู้บริหาร", "name_en": "Director"},
            ],
        )
    app = make_application(
        service=services[service_key],
        applicant=citizen,
        status=S.PENDING_APPROVAL if action == A.APPEAL else source,
    )
    if action == A.ISSUE:  # the move to issued needs the document first (the issuance effect makes it)
        _document_for(app)
    if action == A.APPEAL:  # an appeal answers a rejection the approval chain recorded
        application_transition(application_id=app.pk, action=A.REJECT, actor=approver, reason="ไม่ผ่านหลักเกณฑ์")
    earlier = list(ApplicationEvent.objects.filter(application=app).values_list("pk", flat=True))
    moved = application_transition(application_id=app.pk, action=action, actor=actors[who], reason=reason)
    assert moved.status == TRANSITIONS[(source, action)]
    event = ApplicationEvent.objects.filter(application=app).exclude(pk__in=earlier).first()
    assert (event.from_status, event.to_status, event.action) == (
        source,
        TRANSITIONS[(source, action)],
        action,
    )
    assert event.reason == reason
    assert event.actor_id == (actors[who].pk if actors[who] else None)
    assert AuditEntry.objects.filter(action=f"application.{action.value}", object_id=str(app.pk)).count() == 1


def _document_for(app):
    from borikan.documents.services import document_issue

    return document_issue(
        actor=None,
        case_ref=app.case_ref,
        agency=app.agency,
        holder=app.applicant,
        title_th="ใบอนุญาต",
        title_en="Licence",
        fields={"เลขที่คำขอ / Application": app.tracking_number},
        valid_days=30,
    )


@pytest.mark.django_db
@pytest.mark.parametrize("source", [S.APPROVED, S.PAID])
def test_issue_is_refused_until_the_document_exists(source, services, citizen):
    app = make_application(service=services["after_approval" if source == S.PAID else "free"], applicant=citizen,
                           status=source)  # fmt: skip
    with pytest.raises(ApplicationError) as caught:
        application_transition(application_id=app.pk, action=A.ISSUE, actor=None)
    assert caught.value.code == "document_not_ready"
    app.refresh_from_db()
    assert (app.status, app.version) == (source, 1)


ILLEGAL = [(s, a) for s in Status for a in Action if (s, a) not in TRANSITIONS]


@pytest.mark.django_db
@pytest.mark.parametrize(("source", "action"), ILLEGAL)
def test_illegal_transition_is_refused_and_changes_nothing(source, action, free_service, agency, citizen):
    # The applicant also holds every staff role, so only the table can refuse.
    for role in StaffRole.values:
        StaffMembership.objects.create(user=citizen, agency=agency, role=role)
    app = make_application(service=free_service, applicant=citizen, status=source)
    with pytest.raises(ApplicationError) as caught:
        application_transition(application_id=app.pk, action=action, actor=citizen, reason="x")
    assert caught.value.code == "illegal_transition"
    assert caught.value.status == 409
    app.refresh_from_db()
    assert app.status == source
    assert app.version == 1
    assert not ApplicationEvent.objects.filter(application=app).exists()


def test_every_status_is_reachable_from_draft():
    reached, frontier = {S.DRAFT}, [S.DRAFT]
    while frontier:
        current = frontier.pop()
        for (src, _action), dst in TRANSITIONS.items():
            if src == current and dst not in reached:
                reached.add(dst)
                frontier.append(dst)
    assert reached == set(Status)


def test_terminal_statuses_have_no_exit():
    assert not [key for key in TRANSITIONS if key[0] in TERMINAL]


@pytest.mark.django_db
def test_citizen_cannot_approve_own_application(free_service, citizen):
    app = make_application(service=free_service, applicant=citizen, status=S.PENDING_APPROVAL)
    with pytest.raises(ApplicationError) as caught:
        application_transition(application_id=app.pk, action=A.APPROVE, actor=citizen)
    assert (caught.value.code, caught.value.status) == ("not_found", 404)  # the chain's rule: not agency staff
    app.refresh_from_db()
    assert app.status == S.PENDING_APPROVAL
    assert not ApplicationEvent.objects.exists()


@pytest.mark.django_db
def test_officer_cannot_approve_without_approver_role(free_service, citizen, officer):
    app = make_application(service=free_service, applicant=citizen, status=S.PENDING_APPROVAL)
    with pytest.raises(ApplicationError) as caught:
        application_transition(application_id=app.pk, action=A.APPROVE, actor=officer)
    assert (caught.value.code, caught.value.status) == ("not_authorised_for_level", 403)


@pytest.mark.django_db
def test_officer_of_another_agency_sees_not_found(free_service, citizen, foreign_officer):
    app = make_application(service=free_service, applicant=citizen, status=S.SUBMITTED)
    with pytest.raises(ApplicationError) as caught:
        application_transition(application_id=app.pk, action=A.START_REVIEW, actor=foreign_officer)
    assert caught.value.code == "not_found"
    app.refresh_from_db()
    assert app.status == S.SUBMITTED


@pytest.mark.django_db
def test_reject_without_reason_is_refused(free_service, citizen, approver):
    app = make_application(service=free_service, applicant=citizen, status=S.PENDING_APPROVAL)
    with pytest.raises(ApplicationError) as caught:
        application_transition(application_id=app.pk, action=A.REJECT, actor=approver, reason="   ")
    assert caught.value.code == "reason_required"
    app.refresh_from_db()
    assert app.status == S.PENDING_APPROVAL


@pytest.mark.django_db
def test_review_cannot_start_before_fee_paid_when_fee_due_first(agency, citizen, officer):
    service = make_service(agency, slug="pay-first", payment_timing=PaymentTiming.BEFORE_REVIEW)
    app = make_application(service=service, applicant=citizen, status=S.SUBMITTED)
    with pytest.raises(ApplicationError) as caught:
        application_transition(application_id=app.pk, action=A.START_REVIEW, actor=officer)
    assert caught.value.code == "payment_required"


@pytest.mark.django_db
def test_issue_refused_while_fee_after_approval_is_unpaid(service, citizen):
    app = make_application(service=service, applicant=citizen, status=S.APPROVED)
    with pytest.raises(ApplicationError) as caught:
        application_transition(application_id=app.pk, action=A.ISSUE, actor=None)
    assert caught.value.code == "payment_required"


@pytest.mark.django_db
def test_stale_version_is_refused(free_service, citizen, officer):
    app = make_application(service=free_service, applicant=citizen, status=S.SUBMITTED)
    with pytest.raises(ApplicationError) as caught:
        application_transition(application_id=app.pk, action=A.START_REVIEW, actor=officer, expected_version=7)
    assert caught.value.code == "stale_version"


@pytest.mark.django_db
def test_submit_gives_sequential_tracking_numbers(free_service, citizen):
    first = make_application(service=free_service, applicant=citizen)
    second = make_application(service=free_service, applicant=citizen)
    a = application_transition(application_id=first.pk, action=A.SUBMIT, actor=citizen)
    b = application_transition(application_id=second.pk, action=A.SUBMIT, actor=citizen)
    prefix, year, seq_a = a.tracking_number.split("-")
    assert prefix == "EXCISE"
    assert int(year) >= 2569
    assert int(b.tracking_number.split("-")[2]) == int(seq_a) + 1


def test_mermaid_diagram_lists_every_transition():
    from borikan.applications.workflow import mermaid

    diagram = mermaid()
    assert diagram.count("-->") == len(TRANSITIONS) + 1 + len(TERMINAL)


def test_lifecycle_diagram_in_docs_is_current():
    from pathlib import Path

    from borikan.applications.workflow import diagram_document

    path = Path(__file__).resolve().parents[4] / "docs" / "workflows" / "application.md"
    assert path.read_text(encoding="utf-8") == diagram_document(), "run `make docs`"
