"""Held payments: an officer accepts a late payment (posted, receipt, event) or closes a hold with a note."""

import datetime as dt
import json

import pytest
from django.test import Client

from borikan.audit.models import AuditEntry
from borikan.conftest import sign_in
from borikan.core.errors import ApplicationError
from borikan.payments.models import HeldPayment, HoldResolution, InvoiceStatus, Payment, Receipt
from borikan.payments.services import held_payment_resolve

from .gatewaykit import notification_for, post_webhook, sign

pytestmark = pytest.mark.django_db


def hold(invoice, **overrides) -> HeldPayment:
    body = notification_for(invoice, **overrides)
    assert post_webhook(Client(), body, sign(body)).json()["outcome"] == "held"
    return HeldPayment.objects.get(gateway_txn_id=json.loads(body)["txn_id"])


@pytest.fixture
def late(make_invoice):
    invoice = make_invoice(due_date=dt.date(2026, 11, 30))
    return hold(invoice, paid_at="2026-12-01T09:00:00+07:00")


def test_an_officer_accepts_a_late_payment_and_it_is_posted_once(late, officer, settled_events, payer):
    resolved = held_payment_resolve(actor=officer, held_id=late.pk, accept=True, note="ผู้ยื่นชำระช้า 1 วัน รับไว้")
    assert (resolved.resolution, resolved.resolved_by) == (HoldResolution.ACCEPTED, officer)
    invoice = late.invoice
    invoice.refresh_from_db()
    assert invoice.status == InvoiceStatus.PAID
    payment = Payment.objects.get()
    assert (payment.gateway_txn_id, payment.amount_satang) == (late.gateway_txn_id, 25_000)
    assert Receipt.objects.get().fiscal_year == 2570
    assert len(settled_events) == 1
    entry = AuditEntry.objects.get(action="payment.accepted_from_hold")
    assert (entry.actor_id, entry.subject_user_id, entry.data["reason"]) == (officer.pk, payer.pk, "late_payment")
    with pytest.raises(ApplicationError) as caught:
        held_payment_resolve(actor=officer, held_id=late.pk, accept=True, note="again")
    assert (caught.value.code, caught.value.status) == ("hold_already_resolved", 409)
    # The bank's redelivery of the same transaction is a duplicate, not a second payment.
    body = notification_for(invoice, txn_id=late.gateway_txn_id)
    assert post_webhook(Client(), body, sign(body)).json()["outcome"] == "duplicate"


def test_only_late_payments_of_the_right_amount_can_be_accepted(make_invoice, officer):
    wrong = hold(make_invoice(), amount_satang=100)
    with pytest.raises(ApplicationError) as caught:
        held_payment_resolve(actor=officer, held_id=wrong.pk, accept=True, note="x")
    assert (caught.value.code, caught.value.status) == ("hold_not_acceptable", 409)
    assert Payment.objects.count() == 0
    closed = held_payment_resolve(actor=officer, held_id=wrong.pk, accept=False, note="คืนเงินผ่านธนาคารแล้ว")
    assert (closed.resolution, closed.resolution_note) == (HoldResolution.CLOSED, "คืนเงินผ่านธนาคารแล้ว")
    assert AuditEntry.objects.filter(action="payment.hold_closed", actor_id=officer.pk).count() == 1


def test_a_note_is_required_and_outsiders_see_nothing(late, officer, foreign_officer, citizen):
    with pytest.raises(ApplicationError) as caught:
        held_payment_resolve(actor=officer, held_id=late.pk, accept=True, note=" ")
    assert (caught.value.code, caught.value.status) == ("note_required", 422)
    for outsider in (foreign_officer, citizen):
        with pytest.raises(ApplicationError) as caught:
            held_payment_resolve(actor=outsider, held_id=late.pk, accept=False, note="x")
        assert caught.value.code == "not_found"
    assert HeldPayment.objects.get(pk=late.pk).resolution == ""


def test_an_unknown_charge_belongs_to_the_agency_its_ref2_names(make_invoice, officer, foreign_officer):
    invoice = make_invoice()
    unknown = hold(invoice, charge_id="ch_unknown")
    assert unknown.invoice is None
    with pytest.raises(ApplicationError):
        held_payment_resolve(actor=foreign_officer, held_id=unknown.pk, accept=False, note="x")
    assert held_payment_resolve(actor=officer, held_id=unknown.pk, accept=False, note="ไม่ใช่ของเรา").resolution


def test_the_held_payments_page(client, late, officer, foreign_officer, citizen):
    sign_in(client, officer)
    html = client.get("/payments/held/").content.decode()
    assert late.gateway_txn_id in html and 'value="accept"' in html
    response = client.post(f"/payments/held/{late.pk}/resolve/", {"decision": "accept", "note": "รับไว้"})
    assert (response.status_code, response["Location"]) == (302, "/payments/held/")
    assert HeldPayment.objects.get(pk=late.pk).resolution == HoldResolution.ACCEPTED
    assert sign_in(Client(), foreign_officer).get("/payments/held/").content.decode().count(late.gateway_txn_id) == 0
    assert sign_in(Client(), citizen).get("/payments/held/").status_code == 404


def test_the_agency_admin_sees_held_payments_but_leaves_settling_them_to_officers(client, late, agency):
    from borikan.agencies.models import StaffRole
    from borikan.conftest import make_staff

    admin = make_staff("admin@excise.go.th", agency, StaffRole.AGENCY_ADMIN)
    sign_in(client, admin)
    html = client.get("/payments/held/").content.decode()
    assert late.gateway_txn_id in html and 'value="accept"' not in html and 'name="note"' not in html
    refused = client.post(f"/payments/held/{late.pk}/resolve/", {"decision": "accept", "note": "รับไว้"})
    assert refused.status_code in {302, 403, 404}
    assert HeldPayment.objects.get(pk=late.pk).resolution == ""
