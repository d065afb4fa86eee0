"""The case engine: one path, the same consequences from every entry point, durable effects, a sweeper.

Every legal (status, action) pair is taken through each entry point that can make it — the engine itself
(`application_transition`), the port lower layers use (`caseflow.move`), the named service function, the API and,
for payments and lapses, the fact or job that makes it — and each ends in the same state with the same records and
the same durable effects.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.utils import timezone

from borikan.applications import effects
from borikan.applications import services as s
from borikan.applications.models import Application, CaseEffect, EffectStatus
from borikan.applications.workflow import TRANSITIONS, Action, Status
from borikan.casework import services as casework
from borikan.casework.models import InformationRequest
from borikan.catalog.models import PaymentTiming
from borikan.conftest import api_client_for, make_service
from borikan.core import caseflow, events
from borikan.delivery.models import Delivery
from borikan.documents.models import IssuedDocument
from borikan.payments.models import Invoice, InvoiceStatus, Payment, Refund

from .factories import make_application
from .test_workflow import _document_for

S, A = Status, Action

# (from, action, who, service): services chosen so that each pair shows its consequences (a refund, an invoice
# cancelled, a fee asked for, a document to issue).
PAIRS = [
    (S.DRAFT, A.SUBMIT, "applicant", "before_review"),
    (S.DRAFT, A.SUBMIT, "applicant", "free"),
    (S.DRAFT, A.WITHDRAW, "applicant", "free"),
    (S.SUBMITTED, A.REQUEST_PAYMENT, "system", "before_review"),
    (S.SUBMITTED, A.START_REVIEW, "officer", "free"),
    (S.SUBMITTED, A.WITHDRAW, "applicant", "free"),
    (S.AWAITING_PAYMENT, A.CONFIRM_PAYMENT, "system", "after_approval"),
    (S.AWAITING_PAYMENT, A.WITHDRAW, "applicant", "before_review"),
    (S.PAID, A.START_REVIEW, "officer", "before_review"),
    (S.PAID, A.WITHDRAW, "applicant", "before_review"),
    (S.IN_REVIEW, A.REQUEST_INFO, "officer", "free"),
    (S.IN_REVIEW, A.FORWARD, "officer", "free"),
    (S.IN_REVIEW, A.WITHDRAW, "applicant", "before_review"),
    (S.INFO_REQUESTED, A.RESUBMIT, "applicant", "free"),
    (S.INFO_REQUESTED, A.WITHDRAW, "applicant", "free"),
    (S.INFO_REQUESTED, A.LAPSE_REJECT, "system", "before_review"),
    (S.INFO_REQUESTED, A.LAPSE_WITHDRAW, "system", "before_review"),
    (S.PENDING_APPROVAL, A.APPROVE, "approver", "free"),
    (S.PENDING_APPROVAL, A.APPROVE, "approver", "after_approval"),
    (S.PENDING_APPROVAL, A.REJECT, "approver", "before_review"),
    (S.PENDING_APPROVAL, A.RETURN, "approver", "free"),
    (S.PENDING_APPROVAL, A.WITHDRAW, "applicant", "free"),
    (S.APPROVED, A.REQUEST_PAYMENT, "system", "after_approval"),
    (S.APPROVED, A.ISSUE, "system", "free"),
    (S.PAID, A.ISSUE, "system", "after_approval"),
    (S.ISSUED, A.DELIVER, "system", "free"),
    (S.DELIVERED, A.CLOSE, "system", "free"),
    (S.REJECTED, A.CLOSE, "officer", "free"),
]
REASONS = {A.REQUEST_INFO: "กรุณาแนบแผนผัง", A.REJECT: "ไม่ผ่านหลักเกณฑ์", A.RETURN: "ตรวจที่อยู่อีกครั้ง"}
REASONS |= {A.LAPSE_REJECT: "no answer", A.LAPSE_WITHDRAW: "no answer", A.WITHDRAW: "changed my mind"}

PAID_STATUSES = {S.PAID, S.IN_REVIEW, S.INFO_REQUESTED, S.PENDING_APPROVAL}


def test_every_pair_of_the_table_is_covered():
    assert {(src, act) for src, act, *_ in PAIRS} | {(S.PENDING_APPROVAL, A.APPROVE_LEVEL), (S.REJECTED, A.APPEAL)} == (
        set(TRANSITIONS)
    )


@pytest.fixture
def services(agency):
    return {
        "free": make_service(agency, slug="free", fee_satang=None),
        "before_review": make_service(agency, slug="before", payment_timing=PaymentTiming.BEFORE_REVIEW),
        "after_approval": make_service(agency, slug="after", payment_timing=PaymentTiming.AFTER_APPROVAL),
    }


_invoice_seq = iter(range(1, 10_000))


def _invoice(app: Application, status: str) -> Invoice:
    n = next(_invoice_seq)
    invoice = Invoice.objects.create(
        number=f"INV-EXCISE-2569-{n:06d}", case_ref=app.case_ref, agency=app.agency, service=app.service,
        payer=app.applicant, description="fee", amount_satang=165_000, ref1=f"EXCISE2569{n:06d}", ref2="EXCISE2",
        due_date=timezone.localdate(), qr_payload="-", gateway_charge_id=f"ch_{n}", status=status,
        paid_at=timezone.now() if status == InvoiceStatus.PAID else None,
    )  # fmt: skip
    if status == InvoiceStatus.PAID:
        Payment.objects.create(
            invoice=invoice, gateway_txn_id=f"txn_{n}", amount_satang=165_000, paid_at=timezone.now(),
            raw_notification={},
        )  # fmt: skip
    return invoice


def _case(source: Status, action: Action, service: Any, citizen: Any, officer: Any) -> Application:
    app = make_application(service=service, applicant=citizen, status=source)
    if source == S.AWAITING_PAYMENT:
        _invoice(app, InvoiceStatus.OPEN)
    if source in PAID_STATUSES and service.payment_timing == PaymentTiming.BEFORE_REVIEW:
        _invoice(app, InvoiceStatus.PAID)
    if source == S.PAID and service.payment_timing == PaymentTiming.AFTER_APPROVAL:
        _invoice(app, InvoiceStatus.PAID)
    if source == S.INFO_REQUESTED:
        InformationRequest.objects.create(
            application=app, requested_by=officer, message="x", deadline=timezone.localdate() - dt.timedelta(days=3)
        )
        app.events.create(actor=officer, actor_role="officer", action=A.REQUEST_INFO, from_status=S.IN_REVIEW,
                          to_status=S.INFO_REQUESTED)  # fmt: skip
    if source == S.ISSUED or action == A.ISSUE:
        _document_for(app)
    if action == A.LAPSE_REJECT:
        casework.CaseworkSettings.objects.update_or_create(service=service, defaults={"info_request_expiry": "reject"})
    if action == A.LAPSE_WITHDRAW:
        casework.CaseworkSettings.objects.update_or_create(
            service=service, defaults={"info_request_expiry": "withdraw"}
        )
    return app


def _named(action: Action, app: Application, actor: Any, reason: str) -> None:
    by_name = {
        A.SUBMIT: lambda: s.application_submit(actor=actor, application_id=app.pk),
        A.WITHDRAW: lambda: s.application_withdraw(actor=actor, application_id=app.pk, reason=reason),
        A.START_REVIEW: lambda: s.application_start_review(actor=actor, application_id=app.pk),
        A.REQUEST_INFO: lambda: s.application_request_info(actor=actor, application_id=app.pk, reason=reason),
        A.FORWARD: lambda: s.application_forward(actor=actor, application_id=app.pk),
        A.APPROVE: lambda: s.application_approve(actor=actor, application_id=app.pk),
        A.REJECT: lambda: s.application_reject(actor=actor, application_id=app.pk, reason=reason),
        A.RETURN: lambda: s.application_return(actor=actor, application_id=app.pk, reason=reason),
        A.RESUBMIT: lambda: s.application_resubmit(actor=actor, application_id=app.pk),
        # Facts and jobs: a payment posted, a document delivered, the daily lapse of unanswered requests.
        A.CONFIRM_PAYMENT: lambda: events.publish(events.PaymentSettled(app.case_ref, "INV", 165_000)),
        A.DELIVER: lambda: events.publish(events.DocumentDelivered(app.case_ref, "DOC", "wallet")),
        A.LAPSE_REJECT: lambda: casework.expire_information_requests(),
        A.LAPSE_WITHDRAW: lambda: casework.expire_information_requests(),
    }
    by_name[action]()


API_PATHS = {
    A.SUBMIT: "submit",
    A.WITHDRAW: "withdraw",
    A.RESUBMIT: "resubmit",
    **{a: f"actions/{a.value}" for a in (A.START_REVIEW, A.REQUEST_INFO, A.FORWARD, A.APPROVE, A.REJECT, A.RETURN)},
}


def _api(action: Action, app: Application, actor: Any, reason: str) -> None:
    body = {"form_data": app.form_data} if action == A.RESUBMIT else {"reason": reason}
    response = api_client_for(actor).post(
        f"/api/v1/applications/{app.pk}/{API_PATHS[action]}", body, content_type="application/json"
    )
    assert response.status_code == 200, response.content


ENTRY_POINTS = {
    "engine": lambda action, app, actor, reason: s.application_transition(
        application_id=app.pk, action=action, actor=actor, reason=reason
    ),
    "port": lambda action, app, actor, reason: caseflow.move(
        case_ref=app.case_ref, action=action.value, actor=actor, reason=reason
    ),
    "named": _named,
    "api": _api,
}


def _applies(entry: str, action: Action, who: str) -> bool:
    if entry == "named":
        return action not in (A.REQUEST_PAYMENT, A.ISSUE, A.CLOSE)
    if entry == "api":
        return action in API_PATHS
    return True


def _outcome(app: Application) -> dict[str, Any]:
    app.refresh_from_db()
    case_ref = app.case_ref
    return {
        "status": app.status,
        "events": [(e.action, e.to_status) for e in app.events.order_by("id")],
        "effects": sorted(CaseEffect.objects.filter(application=app).values_list("name", flat=True)),
        "invoices": sorted(Invoice.objects.filter(case_ref=case_ref).values_list("status", flat=True)),
        "refunds": sorted(Refund.objects.filter(invoice__case_ref=case_ref).values_list("amount_satang", flat=True)),
        "requests": sorted(InformationRequest.objects.filter(application=app).values_list("status", flat=True)),
        "deliveries": sorted(Delivery.objects.filter(case_ref=case_ref).values_list("channel", "status")),
        "documents": IssuedDocument.objects.filter(case_ref=case_ref).count(),
        "fee_waived": app.fee_waived,
    }


@pytest.mark.django_db
@pytest.mark.parametrize(("source", "action", "who", "service_key"), PAIRS)
def test_every_entry_point_has_the_same_consequences(
    source, action, who, service_key, services, citizen, officer, approver, django_capture_on_commit_callbacks
):
    actors = {"applicant": citizen, "officer": officer, "approver": approver, "system": None}
    reason = REASONS.get(action, "")
    outcomes = {}
    for entry, make in ENTRY_POINTS.items():
        if not _applies(entry, action, who):
            continue
        app = _case(source, action, services[service_key], citizen, officer)
        # Effects stay as rows (no worker runs here): what is compared is what each move recorded.
        with django_capture_on_commit_callbacks(execute=False):
            make(action, app, actors[who], reason)
        outcomes[entry] = _outcome(app)
    assert len(outcomes) >= 2
    first = next(iter(outcomes.values()))
    assert first["status"] != source or action == A.APPROVE_LEVEL
    for entry, outcome in outcomes.items():
        assert outcome == first, entry


@pytest.mark.django_db
def test_the_consequences_are_the_declared_ones(
    services, citizen, approver, officer, django_capture_on_commit_callbacks
):
    """Spot checks of what the comparison above compares: a refund on rejection after payment, the fee asked for
    after approval, the document on its way for a case with no fee."""
    with django_capture_on_commit_callbacks(execute=False):
        paid = _case(S.PENDING_APPROVAL, A.REJECT, services["before_review"], citizen, officer)
        s.application_transition(application_id=paid.pk, action="reject", actor=approver, reason="ไม่ผ่าน")
        fee = _case(S.PENDING_APPROVAL, A.APPROVE, services["after_approval"], citizen, officer)
        s.application_transition(application_id=fee.pk, action="approve", actor=approver)
        free = _case(S.PENDING_APPROVAL, A.APPROVE, services["free"], citizen, officer)
        s.application_transition(application_id=free.pk, action="approve", actor=approver)
    assert _outcome(paid)["refunds"] == [165_000]
    assert _outcome(fee)["status"] == S.AWAITING_PAYMENT
    assert _outcome(fee)["effects"] == ["payments.invoice"]
    assert _outcome(free)["status"] == S.APPROVED
    assert _outcome(free)["effects"] == ["documents.issue"]


# --- durable effects ---------------------------------------------------------------------------------------------


@pytest.mark.django_db
def test_an_approval_whose_process_died_before_the_enqueue_is_issued_by_the_sweeper(
    services, citizen, approver, officer, django_capture_on_commit_callbacks
):
    app = _case(S.PENDING_APPROVAL, A.APPROVE, services["free"], citizen, officer)
    with django_capture_on_commit_callbacks(execute=False):  # the process dies: no task was ever enqueued
        s.application_approve(actor=approver, application_id=app.pk)
    assert CaseEffect.objects.get(application=app).status == EffectStatus.PENDING
    result = effects.sweep()
    assert result["ran"] == 1
    outcome = _outcome(app)
    assert outcome["status"] == S.DELIVERED
    assert outcome["documents"] == 1
    assert CaseEffect.objects.get(application=app).status == EffectStatus.DONE
    # Running it again (a duplicate hint, a second sweeper) changes nothing.
    CaseEffect.objects.filter(application=app).update(status=EffectStatus.PENDING)
    effects.run_due()
    assert _outcome(app) == outcome | {"effects": outcome["effects"]}
    assert IssuedDocument.objects.filter(case_ref=app.case_ref).count() == 1


@pytest.mark.django_db
def test_a_case_issued_twice_by_racing_workers_has_one_document(
    services, citizen, approver, officer, django_capture_on_commit_callbacks
):
    app = _case(S.PENDING_APPROVAL, A.APPROVE, services["free"], citizen, officer)
    with django_capture_on_commit_callbacks(execute=False):
        s.application_approve(actor=approver, application_id=app.pk)
    effect = CaseEffect.objects.get(application=app)
    job = caseflow.EffectJob(effect.name, effect.key, app.case_ref, {}, 1)
    from borikan.applications.lifecycle import EffectObsolete, issue_document

    issue_document(job)  # one worker
    with pytest.raises(EffectObsolete):  # the other, whose lease had run out, finds the case issued
        issue_document(job)
    assert IssuedDocument.objects.filter(case_ref=app.case_ref).count() == 1
    assert Delivery.objects.filter(case_ref=app.case_ref, channel="wallet").count() == 1


@pytest.mark.django_db
def test_a_failing_effect_is_retried_with_backoff_then_given_up(
    services, citizen, approver, officer, django_capture_on_commit_callbacks, settings
):
    from borikan.applications import lifecycle

    settings.BORIKAN_EFFECT_RETRY_BASE_SECONDS = 60
    app = _case(S.PENDING_APPROVAL, A.APPROVE, services["free"], citizen, officer)
    with django_capture_on_commit_callbacks(execute=False):
        s.application_approve(actor=approver, application_id=app.pk)
    effect = CaseEffect.objects.get(application=app)
    effect.max_attempts = 2
    effect.save()

    def broken(job):
        raise OSError("the signing service is unreachable")

    caseflow.effect("documents.issue", broken, targets=[S.APPROVED, S.PAID], applies=lifecycle._issuable)
    try:
        assert effects.run_due() == 1
        effect.refresh_from_db()
        assert (effect.status, effect.attempts) == (EffectStatus.PENDING, 1)
        assert "unreachable" in effect.last_error
        assert effect.next_attempt_at > timezone.now() + dt.timedelta(seconds=50)
        assert effects.run_due() == 0  # not due yet
        CaseEffect.objects.filter(pk=effect.pk).update(next_attempt_at=timezone.now())
        assert effects.run_due() == 1
        effect.refresh_from_db()
        assert (effect.status, effect.attempts) == (EffectStatus.FAILED, 2)
    finally:
        lifecycle.register()  # the real handler back
    assert _outcome(app)["status"] == S.APPROVED
    # An operator mends the cause; the sweeper re-drives the case, which has no document and no live effect.
    assert effects.sweep()["created"] == 1
    assert _outcome(app)["status"] == S.DELIVERED


@pytest.mark.django_db
def test_the_sweeper_finds_cases_left_without_their_effect(services, citizen, officer):
    """Cases from before effects were durable: paid after approval with no document; approved with no fee."""
    paid = _case(S.PAID, A.START_REVIEW, services["after_approval"], citizen, officer)
    approved = make_application(service=services["free"], applicant=citizen, status=S.APPROVED)
    untouched = make_application(service=services["before_review"], applicant=citizen, status=S.PAID)
    result = effects.sweep()
    assert result["created"] == 2
    assert _outcome(paid)["status"] == S.DELIVERED
    assert _outcome(approved)["status"] == S.DELIVERED
    assert _outcome(untouched)["status"] == S.PAID  # paid before review: review comes next, not a document
    assert effects.sweep() == {"created": 0, "ran": 0}


@pytest.mark.django_db
def test_an_effect_for_a_case_that_moved_on_is_closed_as_obsolete(
    services, citizen, approver, officer, django_capture_on_commit_callbacks
):
    app = _case(S.PENDING_APPROVAL, A.APPROVE, services["after_approval"], citizen, officer)
    with django_capture_on_commit_callbacks(execute=False):
        s.application_approve(actor=approver, application_id=app.pk)  # awaiting payment; the bank not yet called
        s.application_withdraw(actor=citizen, application_id=app.pk, reason="changed my mind")
    assert effects.run_due() == 1
    effect = CaseEffect.objects.get(application=app)
    assert effect.status == EffectStatus.DONE and effect.last_error.startswith("obsolete")
    assert not Invoice.objects.filter(case_ref=app.case_ref).exists()


def test_the_registry_names_what_each_app_declares():
    table = caseflow.registered()
    owners = {owner.split(".")[1] for kind in table.values() for owner, _ in kind}
    assert {"applications", "payments", "documents", "delivery"} <= owners
    assert ("borikan.applications.lifecycle", "documents.issue") in table["effect"]
    assert ("borikan.applications.lifecycle", "payments.invoice") in table["effect"]


def test_the_names_casework_uses_are_the_cases_own():
    """Casework sits below the engine and names the case's statuses and actions itself (caseterms.py)."""
    from borikan.casework import caseterms

    assert {a.value for a in caseterms.Action} <= set(Action.values)
    assert {s.value for s in caseterms.Status} <= set(Status.values)
    assert caseflow.cases().model is Application
