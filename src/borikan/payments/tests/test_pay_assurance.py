"""Opening an open invoice to pay it is the citizen's "pay" step: it needs the service's IAL/AAL (identity
enforcement), checked in the selector every page and endpoint uses; staff reads need staff assurance."""

import uuid

import pytest

from borikan.agencies.models import StaffRole
from borikan.audit.models import AuditEntry
from borikan.catalog.services import risk_assessment_record
from borikan.conftest import make_staff, sign_in
from borikan.identity import authn
from borikan.identity.enforcement import AssuranceRequired
from borikan.identity.models import User
from borikan.payments.fee_services import invoice_issue_for_case
from borikan.payments.selectors import access_invoice_for_user

from .gatewaykit import settle

pytestmark = pytest.mark.django_db

NO_IMPACT = dict.fromkeys(
    ("inconvenience", "financial", "programs", "sensitive_information", "personal_safety", "civil_criminal"), "none"
)


@pytest.fixture
def aal2_invoice(bank_gateway, service, agency, payer, officer):
    """An invoice for a service whose risk assessment requires AAL 2.2 to take its steps."""
    admin = make_staff("admin@excise.go.th", agency, StaffRole.AGENCY_ADMIN)
    risk_assessment_record(
        actor=admin,
        service=service,
        ratings=NO_IMPACT,
        justification="ค่าธรรมเนียมสูง",
        aal="2.2",
        override_reason="ชำระเงินจำนวนมาก",
    )
    return invoice_issue_for_case(
        actor=officer, case_ref=str(uuid.uuid4()), service=service, payer=payer, ref1="BK2569000042"
    ).invoice


def test_a_payer_below_the_services_aal_is_refused_the_qr_over_the_api(aal2_invoice, payer, api_as):
    url = f"/api/v1/payments/invoices/{aal2_invoice.number}"
    refused = api_as(payer).get(url)  # a password sign-in: AAL 1
    assert refused.status_code == 403
    problem = refused.json()
    assert (problem["code"], problem["errors"]["step"], problem["errors"]["required_aal"]) == (
        "assurance_required",
        "pay",
        "2.2",
    )
    assert problem["errors"]["fix"]["aal"].startswith("/account/step-up/")
    assert problem["detail_th"] and problem["detail_en"]
    assert AuditEntry.objects.filter(action="auth.assurance_refused", subject_user_id=payer.pk).exists()
    stepped_up = api_as(payer, "password", "totp").get(url)
    assert stepped_up.status_code == 200
    assert stepped_up.json()["qr_svg_data_uri"].startswith("data:image/svg+xml")


def test_the_invoice_page_sends_the_payer_to_step_up_and_back(client, aal2_invoice, payer):
    page = f"/payments/invoices/{aal2_invoice.number}/"
    sign_in(client, payer)
    response = client.get(page)
    assert response.status_code == 302
    assert response["Location"].startswith("/account/step-up/?aal=2.2")
    assert "next=" in response["Location"]
    sign_in(client, payer, "password", "totp")
    assert client.get(page).status_code == 200


def test_a_paid_invoice_is_no_longer_a_pay_step(aal2_invoice, bank_gateway, payer, api_as):
    settle(bank_gateway, aal2_invoice)
    body = api_as(payer).get(f"/api/v1/payments/invoices/{aal2_invoice.number}").json()
    assert (body["status"], body["qr_svg_data_uri"]) == ("paid", None)


def test_an_invoice_without_its_service_needs_a_signed_in_payer(make_invoice, payer):
    invoice = make_invoice()
    bare = User.objects.get(pk=payer.pk)  # outside a request: no sign-in, AAL 0
    with pytest.raises(AssuranceRequired) as caught:
        access_invoice_for_user(user=bare, number=invoice.number)
    assert caught.value.details["step"] == "pay"
    authn.attach(bare, aal=authn.AAL1, methods=("password",))
    assert access_invoice_for_user(user=bare, number=invoice.number) == invoice


def test_staff_read_invoices_at_staff_assurance(make_invoice, officer, api_as):
    invoice = make_invoice()
    url = f"/api/v1/payments/invoices/{invoice.number}"
    assert api_as(officer, "password").get(url).status_code == 403
    assert api_as(officer).get(url).status_code == 200
