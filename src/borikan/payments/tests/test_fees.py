"""Fee schedules (fixed, per unit, tiered), exemptions with their legal basis, and invoicing a case from them."""

import uuid

import pytest

from borikan.agencies.models import StaffRole
from borikan.audit.models import AuditEntry
from borikan.conftest import make_staff, sign_in
from borikan.core.errors import ApplicationError
from borikan.payments.fee_services import (
    exemption_claim_decide,
    exemption_claims_record,
    fee_assess_for_case,
    fee_schedule_set,
    invoice_issue_for_case,
)
from borikan.payments.fees import assess
from borikan.payments.models import ClaimStatus, ExemptionClaim, FeeExemption, FeeSchedule, Invoice, InvoiceLine

pytestmark = pytest.mark.django_db

ACT = "กฎกระทรวงกำหนดค่าธรรมเนียม พ.ศ. 2560 ข้อ 3"
ELDERLY = {
    "code": "elderly",
    "category": "elderly",
    "name_th": "ผู้สูงอายุ (60 ปีขึ้นไป)",
    "name_en": "Elderly person (60 or over)",
    "percent": 100,
    "legal_basis_th": "พระราชบัญญัติผู้สูงอายุ พ.ศ. 2546 มาตรา 11",
    "evidence_th": "บัตรประจำตัวประชาชนแสดงวันเกิด",
}
DISABLED_HALF = {
    "code": "disabled",
    "category": "disabled",
    "name_th": "ผู้ถือบัตรประจำตัวคนพิการ",
    "name_en": "Disabled-person card holder",
    "percent": 50,
    "legal_basis_th": "พระราชบัญญัติส่งเสริมและพัฒนาคุณภาพชีวิตคนพิการ พ.ศ. 2550 มาตรา 20",
}


@pytest.fixture
def agency_admin(agency):
    return make_staff("admin@excise.go.th", agency, StaffRole.AGENCY_ADMIN)


def per_unit(service, **extra):
    arguments = {
        "actor": None,
        "service": service,
        "kind": "per_unit",
        "base_satang": 50_000,
        "unit_satang": 10_000,
        "quantity_field": "machines",
        "unit_name_th": "เครื่อง",
        "unit_name_en": "machines",
        "max_quantity": 100,
        "legal_basis_th": ACT,
        "exemptions": [ELDERLY, DISABLED_HALF],
    } | extra
    return fee_schedule_set(**arguments)


TIERS = [{"up_to": 10, "satang": 50_000}, {"up_to": 50, "satang": 100_000}, {"up_to": None, "satang": 200_000}]


def amounts(assessment):
    return [(line.kind, line.quantity, line.unit_satang, line.amount_satang) for line in assessment.lines]


# --- computing ----------------------------------------------------------------------------------------


def test_a_service_without_a_schedule_charges_its_flat_fee(service):
    assessment = assess(service=service)
    assert amounts(assessment) == [("fee", 1, 165_000, 165_000)]
    assert (assessment.subtotal_satang, assessment.total_satang) == (165_000, 165_000)
    assert assessment.lines[0].legal_basis_th == service.legal_basis_th


def test_a_free_service_has_no_lines(free_service):
    assessment = assess(service=free_service)
    assert (assessment.lines, assessment.total_satang, assessment.fully_exempt) == ([], 0, False)


def test_per_unit_is_base_plus_units(service):
    per_unit(service)
    assessment = assess(service=service, form_data={"machines": 3})
    assert amounts(assessment) == [("fee", 1, 50_000, 50_000), ("fee", 3, 10_000, 30_000)]
    assert assessment.total_satang == 80_000
    assert assess(service=service, form_data={"machines": "0"}).total_satang == 50_000


@pytest.mark.parametrize(
    ("quantity", "expected"), [(0, 50_000), (10, 50_000), (11, 100_000), (50, 100_000), (51, 200_000)]
)
def test_tiered_fee_takes_the_first_tier_that_holds_the_quantity(service, quantity, expected):
    fee_schedule_set(
        actor=None,
        service=service,
        kind="tiered",
        tiers=TIERS,
        quantity_field="rai",
        legal_basis_th=ACT,
        max_quantity=500,
    )
    assessment = assess(service=service, form_data={"rai": quantity})
    assert amounts(assessment) == [("fee", quantity, expected, expected)]


@pytest.mark.parametrize(
    ("form_data", "code"),
    [
        ({}, "fee_quantity_missing"),
        ({"machines": -1}, "invalid_fee_quantity"),
        ({"machines": 101}, "invalid_fee_quantity"),
        ({"machines": 2.5}, "invalid_fee_quantity"),
        ({"machines": True}, "invalid_fee_quantity"),
        ({"machines": "three"}, "invalid_fee_quantity"),
    ],
)
def test_a_bad_quantity_is_refused_with_a_code(service, form_data, code):
    per_unit(service)
    with pytest.raises(ApplicationError) as caught:
        assess(service=service, form_data=form_data)
    assert (caught.value.code, caught.value.status, caught.value.field) == (code, 422, "machines")
    assert caught.value.message_th and caught.value.message_en


def test_exemptions_do_not_stack_the_largest_applies(service):
    per_unit(service)
    exemptions = list(FeeExemption.objects.all())
    half = assess(
        service=service, form_data={"machines": 1}, exemptions=[e for e in exemptions if e.code == "disabled"]
    )
    assert amounts(half)[-1] == ("exemption", 1, -30_000, -30_000)
    assert half.total_satang == 30_000
    both = assess(service=service, form_data={"machines": 1}, exemptions=exemptions)
    assert (both.total_satang, both.exemption_code, both.fully_exempt) == (0, "elderly", True)
    assert both.lines[-1].legal_basis_th == ELDERLY["legal_basis_th"]


# --- setting a schedule -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("extra", "code", "field"),
    [
        (
            {"kind": "tiered", "tiers": [{"up_to": None, "satang": 1}, {"up_to": 5, "satang": 2}]},
            "invalid_fee_tiers",
            "tiers",
        ),
        (
            {"kind": "tiered", "tiers": [{"up_to": 9, "satang": 1}, {"up_to": 5, "satang": 2}]},
            "invalid_fee_tiers",
            "tiers",
        ),
        ({"kind": "tiered", "tiers": [{"up_to": 9, "satang": -1}]}, "invalid_fee_tiers", "tiers"),
        ({"kind": "tiered", "tiers": [{"up_to": 9}]}, "invalid_fee_tiers", "tiers"),
        ({"kind": "tiered", "tiers": []}, "invalid_fee_tiers", "tiers"),
        ({"kind": "bulk"}, "invalid_fee_kind", "kind"),
        ({"base_satang": -5}, "invalid_amount", "base_satang"),
        ({"quantity_field": ""}, "fee_quantity_field_required", "quantity_field"),
        ({"legal_basis_th": " "}, "fee_needs_legal_basis", "legal_basis_th"),
        (
            {"exemptions": [ELDERLY | {"legal_basis_th": ""}]},
            "exemption_needs_legal_basis",
            "exemptions[0].legal_basis_th",
        ),
        ({"exemptions": [ELDERLY | {"percent": 0}]}, "invalid_exemption", "exemptions[0].percent"),
        ({"exemptions": [ELDERLY | {"category": "friends"}]}, "invalid_exemption", "exemptions[0].category"),
        ({"exemptions": [ELDERLY, ELDERLY]}, "invalid_exemption", "exemptions"),
    ],
)
def test_an_invalid_schedule_is_refused_and_nothing_is_written(service, extra, code, field):
    with pytest.raises(ApplicationError) as caught:
        per_unit(service, **extra)
    assert (caught.value.code, caught.value.status, caught.value.field) == (code, 422, field)
    assert (FeeSchedule.objects.count(), FeeExemption.objects.count(), AuditEntry.objects.count()) == (0, 0, 0)


def test_only_an_admin_of_the_agency_sets_fees_and_it_is_audited(service, officer, agency_admin):
    with pytest.raises(ApplicationError) as caught:
        per_unit(service, actor=officer)
    assert (caught.value.code, caught.value.status) == ("forbidden", 403)
    per_unit(service, actor=agency_admin)
    per_unit(service, actor=agency_admin, exemptions=[ELDERLY])
    assert list(FeeExemption.objects.values_list("code", flat=True)) == ["elderly"]
    entries = AuditEntry.objects.filter(object_type="service").order_by("id")
    assert [(e.action, e.actor_id) for e in entries] == [
        ("fee_schedule.created", agency_admin.pk),
        ("fee_schedule.changed", agency_admin.pk),
    ]


def test_a_claimed_exemption_cannot_be_removed(service, citizen):
    per_unit(service)
    exemption_claims_record(actor=citizen, case_ref="case-1", service=service, codes=["elderly"])
    with pytest.raises(ApplicationError) as caught:
        per_unit(service, exemptions=[DISABLED_HALF])
    assert (caught.value.code, caught.value.status) == ("exemption_in_use", 409)
    assert set(FeeExemption.objects.values_list("code", flat=True)) == {"elderly", "disabled"}


# --- claims -----------------------------------------------------------------------------------------------


def test_claims_are_recorded_once_and_audited(service, citizen):
    per_unit(service)
    exemption_claims_record(actor=citizen, case_ref="case-1", service=service, codes=["elderly"], note="อายุ 72 ปี")
    exemption_claims_record(actor=citizen, case_ref="case-1", service=service, codes=["elderly"])
    claim = ExemptionClaim.objects.get()
    assert (claim.case_ref, claim.exemption.code, claim.claimant, claim.note, claim.status) == (
        "case-1",
        "elderly",
        citizen,
        "อายุ 72 ปี",
        ClaimStatus.CLAIMED,
    )
    assert AuditEntry.objects.filter(action="fee.exemption_claimed").count() == 1


def test_claiming_an_exemption_the_service_does_not_have_is_refused(service, citizen):
    per_unit(service)
    with pytest.raises(ApplicationError) as caught:
        exemption_claims_record(actor=citizen, case_ref="case-1", service=service, codes=["elderly", "veteran"])
    assert (caught.value.code, caught.value.status, caught.value.details) == (
        "unknown_exemption",
        422,
        {"unknown": ["veteran"]},
    )
    assert ExemptionClaim.objects.count() == 0


def test_a_rejected_claim_is_not_applied(service, citizen, officer, foreign_officer):
    per_unit(service)
    (claim,) = exemption_claims_record(actor=citizen, case_ref="case-1", service=service, codes=["elderly"])
    assert fee_assess_for_case(case_ref="case-1", service=service, form_data={"machines": 1}).total_satang == 0
    with pytest.raises(ApplicationError) as caught:
        exemption_claim_decide(actor=foreign_officer, claim_id=claim.pk, accept=False, reason="x")
    assert caught.value.code == "not_found"
    with pytest.raises(ApplicationError) as caught:
        exemption_claim_decide(actor=officer, claim_id=claim.pk, accept=False, reason="")
    assert caught.value.code == "reason_required"
    exemption_claim_decide(actor=officer, claim_id=claim.pk, accept=False, reason="อายุ 45 ปีตามบัตร")
    assert fee_assess_for_case(case_ref="case-1", service=service, form_data={"machines": 1}).total_satang == 60_000
    assert AuditEntry.objects.filter(action="fee.exemption_rejected", actor_id=officer.pk).count() == 1


# --- invoicing a case ------------------------------------------------------------------------------------


def issue(service, payer, officer, **extra):
    arguments = {
        "actor": officer,
        "case_ref": str(uuid.uuid4()),
        "service": service,
        "payer": payer,
        "ref1": "BK2569000077",
    } | extra
    return invoice_issue_for_case(**arguments)


def test_the_invoice_carries_the_computed_lines_and_the_exemption(bank_gateway, service, payer, officer, client):
    per_unit(service)
    case_ref = str(uuid.uuid4())
    exemption_claims_record(actor=payer, case_ref=case_ref, service=service, codes=["disabled"])
    decision = issue(service, payer, officer, case_ref=case_ref, form_data={"machines": 2})
    invoice = decision.invoice
    assert decision.payment_needed
    assert (invoice.amount_satang, invoice.service, invoice.agency) == (35_000, service, service.agency)
    assert list(invoice.lines.values_list("position", "kind", "quantity", "amount_satang")) == [
        (1, "fee", 1, 50_000),
        (2, "fee", 2, 20_000),
        (3, "exemption", 1, -35_000),
    ]
    assert bank_gateway.charge(invoice.gateway_charge_id)["amount_satang"] == 35_000
    entry = AuditEntry.objects.get(action="invoice.created")
    assert (entry.data["service"], [line["amount_satang"] for line in entry.data["lines"]]) == (
        service.slug,
        [50_000, 20_000, -35_000],
    )
    # The officer's page shows the lines, the exemption's legal basis and the applicant's claim.
    sign_in(client, officer)
    html = client.get(f"/payments/invoices/{invoice.number}/").content.decode()
    assert "ผู้ถือบัตรประจำตัวคนพิการ" in html
    assert DISABLED_HALF["legal_basis_th"] in html
    assert "-350.00" in html
    assert 'class="exemption-claims"' in html


def test_a_fully_exempt_case_is_not_invoiced_and_the_decision_is_audited(bank_gateway, service, payer, officer):
    per_unit(service)
    case_ref = str(uuid.uuid4())
    exemption_claims_record(actor=payer, case_ref=case_ref, service=service, codes=["elderly"])
    decision = issue(service, payer, officer, case_ref=case_ref, form_data={"machines": 4})
    assert (decision.invoice, decision.payment_needed, decision.assessment.subtotal_satang) == (None, False, 90_000)
    assert (Invoice.objects.count(), InvoiceLine.objects.count()) == (0, 0)
    entry = AuditEntry.objects.get(action="fee.exempted")
    assert (entry.object_id, entry.subject_user_id, entry.data["exemption"], entry.data["total_satang"]) == (
        case_ref,
        payer.pk,
        "elderly",
        0,
    )


def test_a_service_with_only_a_flat_fee_is_invoiced_that_fee(bank_gateway, service, payer, officer):
    decision = issue(service, payer, officer)
    assert decision.invoice.amount_satang == 165_000
    assert list(decision.invoice.lines.values_list("kind", "amount_satang")) == [("fee", 165_000)]


def test_a_free_service_needs_no_payment_and_nothing_is_written(bank_gateway, free_service, payer, officer):
    decision = issue(free_service, payer, officer)
    assert (decision.invoice, decision.payment_needed) == (None, False)
    assert AuditEntry.objects.count() == 0


def test_a_bad_quantity_writes_no_invoice(bank_gateway, service, payer, officer):
    per_unit(service)
    with pytest.raises(ApplicationError) as caught:
        issue(service, payer, officer, form_data={"machines": "many"})
    assert caught.value.code == "invalid_fee_quantity"
    assert Invoice.objects.count() == 0


def test_the_legacy_invoice_has_one_line_and_the_api_lists_it(make_invoice, api_as, payer):
    invoice = make_invoice()
    lines = api_as(payer).get(f"/api/v1/payments/invoices/{invoice.number}").json()["lines"]
    assert lines == [
        {
            "kind": "fee",
            "label_th": "ค่าธรรมเนียมคำขอ",
            "label_en": "",
            "quantity": 1,
            "unit_satang": 25_000,
            "amount_satang": 25_000,
            "legal_basis_th": "",
        }
    ]


def test_a_claim_cannot_change_once_the_fee_is_invoiced(bank_gateway, service, payer, officer):
    per_unit(service)
    case_ref = str(uuid.uuid4())
    (claim,) = exemption_claims_record(actor=payer, case_ref=case_ref, service=service, codes=["disabled"])
    issue(service, payer, officer, case_ref=case_ref, form_data={"machines": 1})
    with pytest.raises(ApplicationError) as caught:
        exemption_claim_decide(actor=officer, claim_id=claim.pk, accept=False, reason="late")
    assert (caught.value.code, caught.value.status) == ("fee_already_invoiced", 409)


# --- the API ----------------------------------------------------------------------------------------------------


def test_an_agency_admin_sets_the_schedule_over_the_api_and_anyone_signed_in_reads_it(
    service, agency_admin, officer, citizen, api_as
):
    url = f"/api/v1/payments/services/{service.slug}/fees"
    body = {
        "kind": "tiered",
        "legal_basis_th": ACT,
        "quantity_field": "rai",
        "unit_name_th": "ไร่",
        "tiers": TIERS,
        "exemptions": [ELDERLY],
    }
    assert api_as(officer).put(url, body, content_type="application/json").status_code == 403
    bad = api_as(agency_admin).put(url, body | {"tiers": [{"up_to": 5}]}, content_type="application/json")
    assert (bad.status_code, bad.json()["code"]) == (422, "invalid_fee_tiers")
    response = api_as(agency_admin).put(url, body, content_type="application/json")
    assert response.status_code == 200, response.content
    read = api_as(citizen).get(url).json()
    assert (read["kind"], read["tiers"], [e["code"] for e in read["exemptions"]]) == ("tiered", TIERS, ["elderly"])
    assert read["exemptions"][0]["legal_basis_th"] == ELDERLY["legal_basis_th"]


def test_the_flat_fee_reads_as_a_fixed_schedule(service, citizen, api_as):
    read = api_as(citizen).get(f"/api/v1/payments/services/{service.slug}/fees").json()
    assert (read["kind"], read["base_satang"], read["exemptions"]) == ("fixed", 165_000, [])


def test_a_quote_shows_the_lines_and_whether_payment_is_needed(service, citizen, api_as):
    per_unit(service)
    url = f"/api/v1/payments/services/{service.slug}/fees/quote"
    quote = api_as(citizen).post(url, {"form_data": {"machines": 2}}, content_type="application/json").json()
    assert ([line["amount_satang"] for line in quote["lines"]], quote["total_satang"], quote["payment_needed"]) == (
        [50_000, 20_000],
        70_000,
        True,
    )
    free = (
        api_as(citizen)
        .post(url, {"form_data": {"machines": 2}, "exemptions": ["elderly"]}, content_type="application/json")
        .json()
    )
    assert (free["total_satang"], free["exemption"], free["payment_needed"]) == (0, "elderly", False)
    unknown = api_as(citizen).post(
        url, {"form_data": {"machines": 2}, "exemptions": ["vip"]}, content_type="application/json"
    )
    assert (unknown.status_code, unknown.json()["code"]) == (422, "unknown_exemption")
    missing = api_as(citizen).post(url, {"form_data": {}}, content_type="application/json")
    assert (missing.status_code, missing.json()["code"], missing.json()["field"]) == (
        422,
        "fee_quantity_missing",
        "machines",
    )


def test_an_officer_decides_a_claim_over_the_api(service, citizen, officer, api_as):
    per_unit(service)
    (claim,) = exemption_claims_record(actor=citizen, case_ref="case-9", service=service, codes=["elderly"])
    url = f"/api/v1/payments/exemption-claims/{claim.pk}/decide"
    assert api_as(citizen).post(url, {"accept": True}, content_type="application/json").status_code == 404
    response = api_as(officer).post(url, {"accept": True}, content_type="application/json")
    assert (response.status_code, response.json()["status"]) == (200, "accepted")


def test_an_officer_cannot_decide_their_own_exemption_claim(service, officer):
    per_unit(service)
    (claim,) = exemption_claims_record(actor=officer, case_ref="case-own", service=service, codes=["elderly"])
    with pytest.raises(ApplicationError) as caught:
        exemption_claim_decide(actor=officer, claim_id=claim.pk, accept=True, reason="")
    assert (caught.value.code, caught.value.status) == ("conflict_of_interest", 403)
    claim.refresh_from_db()
    assert claim.status == ClaimStatus.CLAIMED
