"""The agency's counter: its admin says where and when; the assurance page shows citizens each agency's."""

from __future__ import annotations

import pytest
from django.test import Client

from borikan.agencies.models import Agency
from borikan.audit.models import AuditEntry
from borikan.conftest import TWO_FACTORS, make_agency, make_staff, make_user, sign_in

pytestmark = pytest.mark.django_db

DETAILS = {
    "counter_address_th": "ศูนย์ราชการฯ อาคารบี ชั้น 2 ถนนแจ้งวัฒนะ แขวงทุ่งสองห้อง เขตหลักสี่ กรุงเทพมหานคร 10210",
    "counter_address_en": "Government Complex, Building B, 2nd floor, Chaeng Watthana Road, Bangkok 10210",
    "opening_hours_th": "จันทร์–ศุกร์ 08:30–16:30 น.",
    "opening_hours_en": "",
    "counter_phone": "02-123-4567",
}


def test_the_admin_sets_the_counter_and_citizens_see_it_in_thai_order(agency):
    admin = make_staff("admin@excise.go.th", agency, "agency_admin")
    Agency.objects.create(code="ZDOPA", name_th="กรมการปกครอง", name_en="Department of Provincial Administration")
    client = sign_in(Client(), admin, *TWO_FACTORS)
    saved = client.post(f"/agency-admin/{agency.code}/counter/", DETAILS)
    assert saved.status_code == 302
    agency.refresh_from_db()
    assert agency.counter_phone == "02-123-4567" and agency.opening_hours_th == "จันทร์–ศุกร์ 08:30–16:30 น."
    assert AuditEntry.objects.filter(action="agency.counter_updated", object_id=agency.code).exists()
    page = sign_in(Client(), make_user("somchai@example.com")).get("/account/assurance/").content.decode()
    assert "ถนนแจ้งวัฒนะ" in page and 'href="tel:021234567"' in page
    # The agency without a published counter says so and how to ask, instead of an address-less name
    assert "ยังไม่ได้แจ้งที่อยู่เคาน์เตอร์บริการ" in page
    assert page.index("กรมการปกครอง") < page.index(agency.name_th)  # Thai order (its code sorts last)


def test_only_the_agencys_admin_may_set_it_and_bad_input_is_refused(agency, officer):
    other = make_agency("DBD")
    admin = make_staff("admin@excise.go.th", agency, "agency_admin")
    assert sign_in(Client(), officer, *TWO_FACTORS).get(f"/agency-admin/{agency.code}/counter/").status_code == 404
    client = sign_in(Client(), admin, *TWO_FACTORS)
    assert client.post(f"/agency-admin/{other.code}/counter/", DETAILS).status_code == 404
    too_long = client.post(f"/agency-admin/{agency.code}/counter/", {**DETAILS, "counter_phone": "1" * 41})
    assert too_long.status_code == 400 and "govuk-error-summary" in too_long.content.decode()
    english_only = client.post(f"/agency-admin/{agency.code}/counter/", {**DETAILS, "counter_address_th": ""})
    assert english_only.status_code == 400 and "กรุณากรอกที่อยู่ภาษาไทยก่อน" in english_only.content.decode()
    assert Agency.objects.get(pk=agency.pk).counter_address_th == ""  # nothing half-written
