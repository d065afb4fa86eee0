"""The case lifecycle with the payments common service: the fee after approval, the fee before review, and
withdrawal with an unpaid invoice. The bank gateway is the sandbox process; notifications are signed here."""

from __future__ import annotations

import pytest
from django.test import Client

from borikan.applications.models import ApplicationEvent
from borikan.applications.services import (
    application_approve,
    application_start_review,
    application_submit,
    application_withdraw,
)
from borikan.catalog.models import PaymentTiming
from borikan.conftest import make_service
from borikan.core.errors import ApplicationError
from borikan.payments.models import HeldPayment, InvoiceStatus
from borikan.payments.selectors import invoice_for_case
from borikan.payments.tests.conftest import bank_gateway, sandbox_process  # noqa: F401 - fixtures
from borikan.payments.tests.gatewaykit import notification_for, post_webhook, sign

from .factories import make_application

pytestmark = pytest.mark.slow


@pytest.fixture
def after_commit(django_capture_on_commit_callbacks):
    """Run what a move leaves for after its commit (the invoice is created then, never under the case lock)."""
    return lambda: django_capture_on_commit_callbacks(execute=True)


def _pay(invoice) -> dict:
    body = notification_for(invoice)
    response = post_webhook(Client(), body, sign(body))
    assert response.status_code == 200, response.content
    return response.json()


@pytest.mark.django_db
def test_approval_asks_for_the_fee_and_payment_moves_the_case_on(
    bank_gateway,  # noqa: F811
    service,
    citizen,
    approver,
    django_capture_on_commit_callbacks,
):
    app = make_application(service=service, applicant=citizen, status="pending_approval")
    with django_capture_on_commit_callbacks(execute=True):
        approved = application_approve(actor=approver, application_id=app.pk)
    assert approved.status == "awaiting_payment"
    invoice = invoice_for_case(case_ref=app.case_ref)
    assert (invoice.amount_satang, invoice.ref1) == (165000, app.tracking_number.replace("-", ""))
    with django_capture_on_commit_callbacks(execute=False) as issued:
        assert _pay(invoice)["outcome"] == "posted"
    app.refresh_from_db()
    assert app.status == "paid"
    assert len(issued) >= 1  # issuing the licence is queued for after the commit


@pytest.mark.django_db
def test_fee_before_review_is_invoiced_on_submit_and_review_waits_for_it(
    bank_gateway,  # noqa: F811
    agency,
    citizen,
    officer,
    after_commit,
):
    service = make_service(agency, slug="police-check", payment_timing=PaymentTiming.BEFORE_REVIEW, fee_satang=10000)
    app = make_application(service=service, applicant=citizen)
    with after_commit():
        submitted = application_submit(actor=citizen, application_id=app.pk)
    assert submitted.status == "awaiting_payment"
    _pay(invoice_for_case(case_ref=app.case_ref))
    app.refresh_from_db()
    assert app.status == "paid"
    reviewed = application_start_review(actor=officer, application_id=app.pk)
    assert reviewed.status == "in_review"


@pytest.mark.django_db
def test_withdrawing_cancels_the_unpaid_invoice_and_a_late_payment_is_held(
    bank_gateway,  # noqa: F811
    service,
    citizen,
    approver,
    after_commit,
):
    app = make_application(service=service, applicant=citizen, status="pending_approval")
    with after_commit():
        application_approve(actor=approver, application_id=app.pk)
    invoice = invoice_for_case(case_ref=app.case_ref)
    application_withdraw(actor=citizen, application_id=app.pk, reason="changed my mind")
    invoice.refresh_from_db()
    assert invoice.status == InvoiceStatus.CANCELLED
    assert _pay(invoice)["outcome"] == "held"
    assert HeldPayment.objects.filter(invoice=invoice).count() == 1
    app.refresh_from_db()
    assert app.status == "withdrawn"


@pytest.mark.django_db
def test_refused_withdrawal_leaves_the_invoice_open(
    bank_gateway,  # noqa: F811
    service,
    citizen,
    other_citizen,
    approver,
    after_commit,
):
    app = make_application(service=service, applicant=citizen, status="pending_approval")
    with after_commit():
        application_approve(actor=approver, application_id=app.pk)
    events_before = ApplicationEvent.objects.count()
    with pytest.raises(ApplicationError) as caught:
        application_withdraw(actor=other_citizen, application_id=app.pk)
    assert caught.value.code == "not_found"
    assert invoice_for_case(case_ref=app.case_ref).status == InvoiceStatus.OPEN
    assert ApplicationEvent.objects.count() == events_before
