"""Refunds: requested by staff, approved by another approver, sent to the sandbox bank with an idempotency key,
completed exactly once by its signed notification; never more than what is left of the payment."""

import json
import uuid

import pytest
from django.test import Client

from borikan.agencies.models import StaffRole
from borikan.audit.models import AuditEntry
from borikan.conftest import make_staff
from borikan.core.errors import ApplicationError
from borikan.identity import authn
from borikan.identity.enforcement import AssuranceRequired
from borikan.payments.gateway import HttpGateway, RefundRequest
from borikan.payments.models import Refund, RefundStatus, WebhookOutcome
from borikan.payments.refunds import (
    refund_approve,
    refund_for_case,
    refund_reject,
    refund_request,
    refund_submit,
    refundable_satang,
)

from .gatewaykit import bank_refund, post_webhook, refund_notification, settle, sign, wait_until

pytestmark = pytest.mark.django_db


def strong(*users):
    """Staff act at AAL 2 (password + TOTP) in these tests."""
    for user in users:
        authn.attach(user, aal=authn.AAL2_2, methods=("password", "totp"))
    return users[0] if len(users) == 1 else users


@pytest.fixture
def second_approver(agency):
    return make_staff("approver2@excise.go.th", agency, StaffRole.APPROVER)


@pytest.fixture
def paid_invoice(make_invoice, bank_gateway):
    invoice = make_invoice()
    settle(bank_gateway, invoice)
    invoice.refresh_from_db()
    return invoice


def test_full_refund_is_requested_approved_sent_and_completed_once(
    paid_invoice, bank_gateway, officer, approver, payer
):
    strong(officer, approver)
    refund = refund_request(actor=officer, invoice_number=paid_invoice.number, amount_satang=25_000, reason="ปฏิเสธคำขอ")
    assert (refund.status, refundable_satang(refund.payment)) == (RefundStatus.REQUESTED, 0)
    refund = refund_approve(actor=approver, refund_id=refund.pk)
    assert refund.status == RefundStatus.PENDING and refund.gateway_refund_id.startswith("rf_")
    assert bank_refund(bank_gateway, refund)["reference"] == refund.reference

    body = refund_notification(bank_gateway, refund)
    assert post_webhook(Client(), body, sign(body)).json() == {"outcome": "posted"}
    assert post_webhook(Client(), body, sign(body)).json() == {"outcome": "duplicate"}
    other_event = refund_notification(bank_gateway, refund, event_id="evt_" + uuid.uuid4().hex)
    assert post_webhook(Client(), other_event, sign(other_event)).json() == {"outcome": "duplicate"}
    refund.refresh_from_db()
    assert (refund.status, refund.completed_at is not None) == (RefundStatus.SUCCEEDED, True)
    actions = list(
        AuditEntry.objects.filter(object_type="refund", object_id=refund.reference)
        .order_by("id")
        .values_list("action", "actor_id")
    )
    assert actions == [
        ("refund.requested", officer.pk),
        ("refund.approved", approver.pk),
        ("refund.sent", approver.pk),
        ("refund.succeeded", None),
    ]
    assert AuditEntry.objects.get(action="refund.requested").subject_user_id == payer.pk


def test_partial_refunds_never_exceed_the_payment(paid_invoice, officer, approver):
    strong(officer)
    refund_request(actor=officer, invoice_number=paid_invoice.number, amount_satang=10_000, reason="คืนบางส่วน")
    with pytest.raises(ApplicationError) as caught:
        refund_request(actor=officer, invoice_number=paid_invoice.number, amount_satang=15_001, reason="เกิน")
    assert (caught.value.code, caught.value.status, caught.value.details) == (
        "refund_exceeds_remaining",
        409,
        {"remaining_satang": 15_000, "requested_satang": 15_001},
    )
    assert "150.00" in caught.value.message_th and "150.00" in caught.value.message_en
    assert Refund.objects.count() == 1
    assert AuditEntry.objects.filter(action="refund.requested").count() == 1
    refund_request(actor=officer, invoice_number=paid_invoice.number, amount_satang=15_000, reason="ส่วนที่เหลือ")


def test_a_rejected_or_failed_refund_frees_its_amount(paid_invoice, bank_gateway, officer, approver):
    strong(officer, approver)
    first = refund_request(actor=officer, invoice_number=paid_invoice.number, amount_satang=25_000, reason="r")
    with pytest.raises(ApplicationError) as caught:
        refund_reject(actor=approver, refund_id=first.pk, reason="")
    assert caught.value.code == "reason_required"
    refund_reject(actor=approver, refund_id=first.pk, reason="ยังไม่ถึงเวลาคืน")
    second = refund_request(actor=officer, invoice_number=paid_invoice.number, amount_satang=25_000, reason="r")
    second = refund_approve(actor=approver, refund_id=second.pk)
    body = refund_notification(
        bank_gateway, second, type="refund.failed", failure_reason="account closed", event_id="evt_" + uuid.uuid4().hex
    )
    assert post_webhook(Client(), body, sign(body)).json() == {"outcome": "posted"}
    second.refresh_from_db()
    assert (second.status, second.failure_reason) == (RefundStatus.FAILED, "account closed")
    assert refundable_satang(second.payment) == 25_000


def test_four_eyes_only_another_approver_decides(paid_invoice, officer, approver, second_approver):
    strong(officer, approver, second_approver)
    by_officer = refund_request(actor=officer, invoice_number=paid_invoice.number, amount_satang=1_000, reason="r")
    with pytest.raises(ApplicationError) as caught:
        refund_approve(actor=officer, refund_id=by_officer.pk)
    assert (caught.value.code, caught.value.status) == ("approver_required", 403)
    by_approver = refund_request(actor=approver, invoice_number=paid_invoice.number, amount_satang=1_000, reason="r")
    with pytest.raises(ApplicationError) as caught:
        refund_approve(actor=approver, refund_id=by_approver.pk)
    assert (caught.value.code, caught.value.status) == ("four_eyes_required", 403)
    assert refund_approve(actor=second_approver, refund_id=by_approver.pk).status == RefundStatus.PENDING
    with pytest.raises(ApplicationError) as caught:
        refund_approve(actor=second_approver, refund_id=by_approver.pk)
    assert (caught.value.code, caught.value.status) == ("refund_not_awaiting_approval", 409)


def test_outsiders_see_nothing_and_staff_need_aal2(paid_invoice, foreign_officer, other_citizen, officer):
    strong(foreign_officer)
    authn.attach(other_citizen, aal=authn.AAL1, methods=("password",))
    for outsider in (foreign_officer, other_citizen):
        with pytest.raises(ApplicationError) as caught:
            refund_request(actor=outsider, invoice_number=paid_invoice.number, amount_satang=100, reason="r")
        assert caught.value.code == "not_found"
    authn.attach(officer, aal=authn.AAL1, methods=("password",))
    with pytest.raises(AssuranceRequired) as caught:
        refund_request(actor=officer, invoice_number=paid_invoice.number, amount_satang=100, reason="r")
    assert (caught.value.code, caught.value.status) == ("assurance_required", 403)
    assert Refund.objects.count() == 0


@pytest.mark.parametrize(
    ("amount", "reason", "code"),
    [
        (0, "r", "invalid_amount"),
        (-5, "r", "invalid_amount"),
        (10.5, "r", "invalid_amount"),
        (100, " ", "reason_required"),
    ],
)
def test_bad_refund_input_is_refused(paid_invoice, officer, amount, reason, code):
    strong(officer)
    with pytest.raises(ApplicationError) as caught:
        refund_request(actor=officer, invoice_number=paid_invoice.number, amount_satang=amount, reason=reason)
    assert (caught.value.code, caught.value.status) == (code, 422)
    assert Refund.objects.count() == 0


def test_an_unpaid_invoice_cannot_be_refunded(make_invoice, officer):
    strong(officer)
    invoice = make_invoice()
    with pytest.raises(ApplicationError) as caught:
        refund_request(actor=officer, invoice_number=invoice.number, amount_satang=100, reason="r")
    assert (caught.value.code, caught.value.status) == ("invoice_not_paid", 409)


def test_notifications_that_do_not_fit_are_held(paid_invoice, bank_gateway, officer, approver):
    strong(officer, approver)
    refund = refund_approve(
        actor=approver,
        refund_id=refund_request(actor=officer, invoice_number=paid_invoice.number, amount_satang=5_000, reason="r").pk,
    )
    wrong_amount = refund_notification(bank_gateway, refund, amount_satang=5_001)
    assert post_webhook(Client(), wrong_amount, sign(wrong_amount)).json() == {"outcome": "held"}
    unknown = refund_notification(bank_gateway, refund, reference="RFunknown", event_id="evt_" + uuid.uuid4().hex)
    assert post_webhook(Client(), unknown, sign(unknown)).json() == {"outcome": "held"}
    refund.refresh_from_db()
    assert refund.status == RefundStatus.PENDING
    assert AuditEntry.objects.filter(action="refund.notification_held").count() == 2
    forged = refund_notification(bank_gateway, refund, event_id="evt_" + uuid.uuid4().hex)
    assert post_webhook(Client(), forged, sign(forged, secret="not-the-secret")).status_code == 400
    good = refund_notification(bank_gateway, refund, event_id="evt_" + uuid.uuid4().hex)
    assert post_webhook(Client(), good, sign(good)).json() == {"outcome": "posted"}


def test_the_sandbox_refunds_once_per_idempotency_key_and_never_beyond_the_charge(paid_invoice, bank_gateway, settings):
    gateway = HttpGateway.from_settings()
    request = RefundRequest(
        idempotency_key="key-1",
        reference="RFtest",
        charge_id=paid_invoice.gateway_charge_id,
        amount_satang=20_000,
        reason="test",
        callback_url="http://127.0.0.1:9/hook",
    )
    first, again = gateway.create_refund(request), gateway.create_refund(request)
    assert first.refund_id == again.refund_id
    response = bank_gateway.call(
        "POST",
        "/v1/refunds",
        json={"charge_id": paid_invoice.gateway_charge_id, "amount_satang": 5_001, "callback_url": "http://x/"},
        headers={"Idempotency-Key": "key-2"},
    )
    assert (response.status_code, response.json()) == (409, {"error": "refund_exceeds_remaining"})
    no_key = bank_gateway.call("POST", "/v1/refunds", json={"charge_id": paid_invoice.gateway_charge_id})
    assert no_key.status_code == 400


def test_a_refund_the_bank_refuses_fails_and_frees_its_amount(paid_invoice, bank_gateway, officer, approver):
    strong(officer, approver)
    # Someone refunded the whole charge at the bank directly: the bank has nothing left to give back.
    bank_gateway.call(
        "POST",
        "/v1/refunds",
        json={"charge_id": paid_invoice.gateway_charge_id, "amount_satang": 25_000, "callback_url": "http://x/"},
        headers={"Idempotency-Key": uuid.uuid4().hex},
    )
    refund = refund_request(actor=officer, invoice_number=paid_invoice.number, amount_satang=1_000, reason="r")
    with pytest.raises(ApplicationError) as caught:
        refund_approve(actor=approver, refund_id=refund.pk)
    assert (caught.value.code, caught.value.status) == ("refund_refused_by_bank", 409)
    refund.refresh_from_db()
    assert (refund.status, refund.failure_reason) == (
        RefundStatus.FAILED,
        "refused by the gateway: refund_exceeds_remaining",
    )


def test_an_unreachable_bank_leaves_the_refund_approved_and_it_is_sent_again_once(
    paid_invoice, bank_gateway, officer, approver, settings
):
    strong(officer, approver)
    refund = refund_request(actor=officer, invoice_number=paid_invoice.number, amount_satang=1_000, reason="r")
    good_url = settings.BORIKAN_GATEWAY_URL
    settings.BORIKAN_GATEWAY_URL = "http://127.0.0.1:9"
    with pytest.raises(ApplicationError) as caught:
        refund_approve(actor=approver, refund_id=refund.pk)
    assert (caught.value.code, caught.value.status) == ("payment_gateway_unavailable", 503)
    refund.refresh_from_db()
    assert refund.status == RefundStatus.APPROVED
    settings.BORIKAN_GATEWAY_URL = good_url
    sent = refund_submit(actor=approver, refund_id=refund.pk)
    again = refund_submit(actor=approver, refund_id=refund.pk)
    assert (sent.status, again.gateway_refund_id) == (RefundStatus.PENDING, sent.gateway_refund_id)


def test_refund_for_case_asks_for_what_is_left(paid_invoice, officer):
    strong(officer)
    refund_request(actor=officer, invoice_number=paid_invoice.number, amount_satang=5_000, reason="r")
    refund = refund_for_case(actor=officer, case_ref=paid_invoice.case_ref, reason="คำขอถูกปฏิเสธ")
    assert (refund.amount_satang, refund.status) == (20_000, RefundStatus.REQUESTED)
    assert refund_for_case(actor=officer, case_ref=paid_invoice.case_ref, reason="again") is None
    assert refund_for_case(actor=officer, case_ref="no-such-case", reason="r") is None


def test_the_api_requests_and_approves_and_refuses_beyond_what_is_left(paid_invoice, officer, approver, payer, api_as):
    url = f"/api/v1/payments/invoices/{paid_invoice.number}/refunds"
    response = api_as(officer).post(
        url, {"amount_satang": 20_000, "reason": "ปฏิเสธคำขอ"}, content_type="application/json"
    )
    assert response.status_code == 201, response.content
    body = response.json()
    assert (body["status"], body["amount_satang"], body["remaining_satang"]) == ("requested", 20_000, 5_000)
    refused = api_as(officer).post(url, {"amount_satang": 6_000, "reason": "x"}, content_type="application/json")
    assert refused.status_code == 409
    problem = refused.json()
    assert (problem["code"], bool(problem["detail_th"]), bool(problem["detail_en"])) == (
        "refund_exceeds_remaining",
        True,
        True,
    )
    bad = api_as(officer).post(url, {"amount_satang": "lots", "reason": "x"}, content_type="application/json")
    assert bad.status_code == 422
    weak = api_as(officer, "password").post(url, {"amount_satang": 100, "reason": "x"}, content_type="application/json")
    assert (weak.status_code, weak.json().get("code")) == (403, "assurance_required"), weak.content
    approved = api_as(approver).post(
        f"/api/v1/payments/refunds/{body['id']}/approve", {}, content_type="application/json"
    )
    assert (approved.status_code, approved.json()["status"]) == (200, "pending")
    listed = api_as(payer).get(url).json()
    assert [(r["reference"], r["status"]) for r in listed] == [(body["reference"], "pending")]


@pytest.mark.slow
@pytest.mark.django_db(transaction=True)
def test_the_bank_calls_back_and_the_refund_completes(
    live_server, settings, bank_gateway, make_invoice, officer, approver
):
    settings.BORIKAN_PUBLIC_BASE_URL = live_server.url
    invoice = make_invoice()
    bank_gateway.pay(invoice.gateway_charge_id)
    wait_until(lambda: invoice.payments.exists())
    strong(officer, approver)
    refund = refund_request(actor=officer, invoice_number=invoice.number, amount_satang=25_000, reason="rejected")
    refund = refund_approve(actor=approver, refund_id=refund.pk)
    wait_until(lambda: Refund.objects.get(pk=refund.pk).status == RefundStatus.SUCCEEDED)
    deliveries = wait_until(lambda: bank_refund(bank_gateway, refund)["deliveries"])
    assert [(d["status"], json.loads(d["detail"])["outcome"]) for d in deliveries] == [(200, WebhookOutcome.POSTED)]


def test_staff_refund_from_the_invoice_page(paid_invoice, officer, approver, foreign_officer, payer):
    from borikan.conftest import sign_in

    page = f"/payments/invoices/{paid_invoice.number}/"
    officer_client = sign_in(Client(), officer)
    assert 'class="refund-request"' in officer_client.get(page).content.decode()
    bad = officer_client.post(f"{page}refunds/", {"amount_baht": "lots", "reason": "x"}, follow=True)
    assert Refund.objects.count() == 0
    assert "จำนวนเงินต้องมากกว่าศูนย์" in bad.content.decode()
    too_much = officer_client.post(f"{page}refunds/", {"amount_baht": "250.01", "reason": "x"}, follow=True)
    assert Refund.objects.count() == 0 and "เกินยอดที่คืนได้" in too_much.content.decode()
    response = officer_client.post(f"{page}refunds/", {"amount_baht": "1,00.50", "reason": "ปฏิเสธคำขอ"})
    assert (response.status_code, response["Location"]) == (302, page)
    refund = Refund.objects.get()
    assert (refund.amount_satang, refund.requested_by) == (10_050, officer)

    outsider = sign_in(Client(), foreign_officer)
    assert outsider.post(f"/payments/refunds/{refund.pk}/decide/", {"decision": "approve"}).status_code == 404
    assert outsider.post(f"{page}refunds/", {"amount_baht": "1", "reason": "x"}).status_code == 404
    citizen_client = sign_in(Client(), payer)
    assert 'class="refund-request"' not in citizen_client.get(page).content.decode()
    assert citizen_client.post(f"/payments/refunds/{refund.pk}/decide/", {"decision": "approve"}).status_code == 404

    approver_client = sign_in(Client(), approver)
    approver_client.post(f"/payments/refunds/{refund.pk}/decide/", {"decision": "approve"})
    refund.refresh_from_db()
    assert (refund.status, refund.decided_by) == (RefundStatus.PENDING, approver)
    assert refund.reference in citizen_client.get(page).content.decode()


def test_no_one_requests_decides_or_pays_out_a_refund_of_their_own_payment(
    make_invoice, bank_gateway, officer, approver
):
    strong(officer, approver)
    own = make_invoice(payer=approver)
    settle(bank_gateway, own)
    with pytest.raises(ApplicationError) as asked:
        refund_request(actor=approver, invoice_number=own.number, amount_satang=25_000, reason="คืนให้ตัวเอง")
    assert asked.value.code == "conflict_of_interest"
    refund = refund_request(actor=officer, invoice_number=own.number, amount_satang=25_000, reason="ปฏิเสธคำขอ")
    with pytest.raises(ApplicationError) as decided:
        refund_approve(actor=approver, refund_id=refund.pk)
    assert (decided.value.code, decided.value.status) == ("conflict_of_interest", 403)
    refund.refresh_from_db()
    assert refund.status == RefundStatus.REQUESTED
