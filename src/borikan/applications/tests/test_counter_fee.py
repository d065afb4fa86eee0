"""A service whose payment step is done in person still takes its fee on the platform: approved, the case is
invoiced for the counter (no QR, no bank — none runs here), an officer records the payment, and the licence is
issued and delivered as after a bank payment."""

from __future__ import annotations

import pytest

from borikan.applications import services as s
from borikan.applications.effects import run_due
from borikan.catalog.models import StepMode
from borikan.conftest import make_service, sign_in
from borikan.payments.models import Charge
from borikan.payments.selectors import invoice_for_case
from borikan.payments.services import counter_payment_record

from .factories import make_application

pytestmark = pytest.mark.django_db


def test_the_fee_of_a_counter_service_is_invoiced_for_the_counter_and_taken_there(
    agency, citizen, approver, officer, django_capture_on_commit_callbacks, client
):
    service = make_service(agency, slug="counter-fee", fee_satang=50_000)
    service.mode_payment = StepMode.COUNTER
    service.save(update_fields=["mode_payment"])
    app = make_application(service=service, applicant=citizen, status="pending_approval")
    with django_capture_on_commit_callbacks(execute=False):
        assert s.application_approve(actor=approver, application_id=app.pk).status == "awaiting_payment"
    assert run_due() == 1  # the invoice effect, with no bank call
    invoice = invoice_for_case(case_ref=app.case_ref)
    assert (invoice.amount_satang, invoice.qr_payload, invoice.gateway_charge_id) == (50_000, "", None)
    assert not Charge.objects.filter(invoice=invoice).exists()  # opened when the officer takes the money
    page = sign_in(client, citizen).get(f"/payments/invoices/{invoice.number}/").content.decode()
    assert "เคาน์เตอร์" in page and "<img" not in page  # told to pay at the counter; no QR to scan

    with django_capture_on_commit_callbacks(execute=True):
        counter_payment_record(actor=officer, invoice_number=invoice.number, amount_satang=50_000, method="cash")
    app.refresh_from_db()
    assert app.status == "delivered"
