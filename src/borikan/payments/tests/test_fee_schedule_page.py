"""The agency admin's fee schedule page: shows the schedule, sets it through the same service function as the API
(audited), and answers bad input with the field's own error, never a 500."""

from typing import Any

import pytest
from django.test import Client
from django.urls import reverse

from borikan.agencies.models import StaffRole
from borikan.audit.models import AuditEntry
from borikan.conftest import make_staff, sign_in
from borikan.payments.fee_services import fee_schedule_set
from borikan.payments.models import ExemptionClaim, FeeExemption, FeeSchedule

pytestmark = pytest.mark.django_db

ACT = "กฎกระทรวงกำหนดค่าธรรมเนียม พ.ศ. 2560 ข้อ 3"


@pytest.fixture
def agency_admin(agency):
    return make_staff("admin@excise.go.th", agency, StaffRole.AGENCY_ADMIN)


def _management(prefix: str, total: int, initial: int = 0) -> dict[str, str]:
    return {
        f"{prefix}-TOTAL_FORMS": str(total),
        f"{prefix}-INITIAL_FORMS": str(initial),
        f"{prefix}-MIN_NUM_FORMS": "0",
        f"{prefix}-MAX_NUM_FORMS": "50",
    }


def _post(client: Client, service, **fields) -> Any:
    data = {
        "kind": "fixed",
        "base_baht": "",
        "unit_baht": "",
        "quantity_field": "",
        "unit_name_th": "",
        "unit_name_en": "",
        "max_quantity": "",
        "legal_basis_th": ACT,
        **_management("tiers", 2),
        **_management("exemptions", 1),
        **fields,
    }
    return client.post(reverse("payments:fee_schedule", args=[service.slug]), data)


def _page(client: Client, service):
    return client.get(reverse("payments:fee_schedule", args=[service.slug]))


def test_the_admin_sees_the_flat_fee_and_sets_a_tiered_schedule_with_an_exemption(service, agency_admin):
    client = sign_in(Client(), agency_admin)
    page = _page(client, service)
    assert page.status_code == 200
    assert 'class="govuk-summary-list"' in page.text and "govuk-button" in page.text

    response = _post(
        client,
        service,
        kind="tiered",
        base_baht="100",
        quantity_field="machines",
        **{"tiers-0-up_to": "10", "tiers-0-amount_baht": "50.25", "tiers-1-up_to": "", "tiers-1-amount_baht": "200"},
        **{
            "exemptions-0-code": "elderly",
            "exemptions-0-category": "elderly",
            "exemptions-0-name_th": "ผู้สูงอายุ",
            "exemptions-0-name_en": "Elderly person",
            "exemptions-0-percent": "50",
            "exemptions-0-legal_basis_th": "พระราชบัญญัติผู้สูงอายุ พ.ศ. 2546 มาตรา 11",
        },
    )
    assert response.status_code == 302, response.content.decode()
    schedule = FeeSchedule.objects.get(service=service)
    assert (schedule.kind, schedule.base_satang, schedule.quantity_field) == ("tiered", 10_000, "machines")
    assert schedule.tiers == [{"up_to": 10, "satang": 5_025}, {"up_to": None, "satang": 20_000}]
    assert list(schedule.exemptions.values_list("code", "percent")) == [("elderly", 50)]
    entry = AuditEntry.objects.get(action="fee_schedule.created")
    assert entry.actor_id == agency_admin.pk and entry.data["kind"] == "tiered"

    shown = _page(client, service).text  # the page opens on what was saved
    assert "50.25" in shown and 'value="elderly"' in shown and "ผู้สูงอายุ" in shown


@pytest.mark.parametrize(
    ("fields", "field_id", "message"),
    [
        ({"legal_basis_th": " "}, "id_legal_basis_th", "ต้องระบุกฎหมายที่กำหนดค่าธรรมเนียม"),
        ({"kind": "per_unit", "unit_baht": "5"}, "id_quantity_field", "ต้องระบุช่องในแบบคำขอที่ใช้นับจำนวน"),
        ({"base_baht": "-1"}, "id_base_baht", "จำนวนเงินต้องเป็นจำนวนเต็มสตางค์ไม่ติดลบ"),
        ({"base_baht": "abc"}, "id_base_baht", ""),
        ({"max_quantity": "0"}, "id_max_quantity", "จำนวนสูงสุดต้องเป็นจำนวนเต็มบวก"),
        ({"kind": "tiered", "quantity_field": "machines"}, None, "ช่วงค่าธรรมเนียมไม่ถูกต้อง"),
        ({"kind": "nonsense"}, "group-id_kind", ""),
        (
            {"exemptions-0-code": "Bad Code", "exemptions-0-category": "elderly", "exemptions-0-name_th": "ก"},
            "id_exemptions-0-code",
            "รหัสข้อยกเว้น",
        ),
        (
            {"exemptions-0-code": "elderly", "exemptions-0-category": "elderly", "exemptions-0-name_th": "ก"},
            "id_exemptions-0-legal_basis_th",
            "ข้อยกเว้นต้องมีชื่อและบทบัญญัติของกฎหมายที่ให้ยกเว้น",
        ),
    ],
)
def test_bad_input_is_a_form_error_beside_its_field_and_nothing_is_stored(
    service, agency_admin, fields, field_id, message
):
    client = sign_in(Client(), agency_admin)
    client.cookies["django_language"] = "th"
    response = _post(client, service, **fields)
    assert 400 <= response.status_code < 500
    body = response.content.decode()
    assert "govuk-error-summary" in body
    assert message in body
    if field_id:
        assert f'href="#{field_id}"' in body  # the summary points at the field
    assert not FeeSchedule.objects.exists()
    assert not AuditEntry.objects.filter(action__startswith="fee_schedule.").exists()


def test_a_claimed_exemption_cannot_be_removed_from_the_page(service, agency_admin, citizen):
    fee_schedule_set(
        actor=None,
        service=service,
        kind="fixed",
        base_satang=10_000,
        legal_basis_th=ACT,
        exemptions=[{"code": "elderly", "category": "elderly", "name_th": "ผู้สูงอายุ", "legal_basis_th": "พ.ร.บ. ผู้สูงอายุ"}],
    )
    ExemptionClaim.objects.create(case_ref="case-1", exemption=FeeExemption.objects.get(), claimant=citizen)
    client = sign_in(Client(), agency_admin)
    response = _post(
        client,
        service,
        base_baht="100",
        **_management("exemptions", 2, initial=1),
        **{
            "exemptions-0-code": "elderly",
            "exemptions-0-category": "elderly",
            "exemptions-0-name_th": "ผู้สูงอายุ",
            "exemptions-0-legal_basis_th": "พ.ร.บ. ผู้สูงอายุ",
            "exemptions-0-DELETE": "on",
        },
    )
    assert response.status_code == 409
    assert FeeExemption.objects.filter(code="elderly").exists()


def test_only_the_services_agency_admin_opens_the_page(service, officer, approver, foreign_officer, citizen):
    assert _page(sign_in(Client(), officer), service).status_code == 403
    assert _page(sign_in(Client(), approver), service).status_code == 403
    assert _page(sign_in(Client(), foreign_officer), service).status_code == 404
    assert _page(sign_in(Client(), citizen), service).status_code == 404
    assert _post(sign_in(Client(), officer), service, base_baht="1").status_code == 403
    assert not FeeSchedule.objects.exists()


def test_the_page_suggests_the_forms_number_fields_for_the_quantity(service, agency_admin):
    from django.utils import timezone

    from borikan.eforms.models import FormVersion

    FormVersion.objects.create(
        service=service,
        number=1,
        status="published",
        published_at=timezone.now(),
        schema={"type": "object", "properties": {"machines": {"type": "number"}}},
        ui={"fields": {"machines": {"type": "number", "label_th": "จำนวนเครื่อง", "label_en": "Machines"}}},
    )
    client = sign_in(Client(), agency_admin)
    client.cookies["django_language"] = "th"
    page = _page(client, service).content.decode()
    assert 'list="quantity-fields"' in page and '<option value="machines">จำนวนเครื่อง</option>' in page
    assert FormVersion.objects.count() == 1  # opening the page publishes nothing
