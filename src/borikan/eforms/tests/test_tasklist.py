"""A long form one section per page, with a task list: each section saved on its own keeps the others."""

from __future__ import annotations

import re

import pytest
from django.test import Client

from borikan.applications.models import Application
from borikan.conftest import sign_in
from borikan.eforms import builder, services, tasklist

pytestmark = pytest.mark.django_db

PERSON = {"full_name": "สมชาย ใจดี", "phone": "081-234-5678", "birth_date": "25/05/2533"}
SHOP = {"shop_name": "ร้านสมชายโภชนา", "capital": "150000"}


def _long_definition():
    schema = {"type": "object", "properties": {}, "required": [], "additionalProperties": False}
    ui: dict = {"sections": [], "fields": {}}
    for key, th, en in [("person", "ผู้ยื่นคำขอ", "Applicant"), ("shop", "ร้านค้า", "The shop"), ("more", "อื่น ๆ", "More")]:
        ui = builder.section_save(ui, key=key, title_th=th, title_en=en)
    for name, kind, th, section, required in [
        ("full_name", "text", "ชื่อ-นามสกุล", "person", True),
        ("phone", "phone", "หมายเลขโทรศัพท์", "person", True),
        ("birth_date", "date_be", "วันเกิด", "person", True),
        ("shop_name", "text", "ชื่อร้าน", "shop", True),
        ("capital", "money", "ทุน", "shop", True),
        ("note", "text", "หมายเหตุ", "more", False),
    ]:
        schema, ui = builder.field_add(
            schema, ui, name=name, kind=kind, label_th=th, label_en=name, section=section, required=required
        )
    return schema, ui


@pytest.fixture
def long_service(free_service, form_admin):
    services.form_draft_create(actor=form_admin, service=free_service)
    schema, ui = _long_definition()
    services.form_draft_update(actor=form_admin, service=free_service, schema=schema, ui=ui)
    services.form_publish(actor=form_admin, service=free_service)
    return free_service


def _start(client: Client, service) -> Application:
    client.post(f"/applications/start/{service.slug}/")
    return Application.objects.latest("created_at")


def _statuses(page: str) -> list[str]:
    return [
        " ".join(re.sub(r"<[^>]+>", " ", s).split())
        for s in re.findall(r'govuk-task-list__status"[^>]*>(.*?)</div>', page, re.S)
    ]


def test_a_long_form_opens_on_its_task_list(long_service, citizen):
    client = sign_in(Client(), citizen)
    app = _start(client, long_service)
    page = client.get(f"/applications/{app.pk}/edit/").content.decode()
    assert 'class="govuk-task-list"' in page
    assert f'href="/applications/{app.pk}/edit/?section=person"' in page and "?section=shop" in page
    assert _statuses(page) == ["ยังไม่ได้เริ่ม"] * 3
    assert "ท่านกรอกครบแล้ว 0 จาก 3 หัวข้อ" in page


def test_one_section_per_page_and_saving_it_keeps_the_other_sections(long_service, citizen):
    client = sign_in(Client(), citizen)
    app = _start(client, long_service)
    person = client.get(f"/applications/{app.pk}/edit/?section=person").content.decode()
    assert 'name="full_name"' in person and 'name="shop_name"' not in person
    assert 'name="section" value="person"' in person and "บันทึกและดำเนินการต่อ" in person
    saved = client.post(f"/forms/applications/{app.pk}/save/", {**PERSON, "section": "person"})
    assert saved.status_code == 302 and saved["Location"] == f"/applications/{app.pk}/edit/"
    client.post(f"/forms/applications/{app.pk}/save/", {**SHOP, "section": "shop"})
    app.refresh_from_db()
    assert app.form_data["full_name"] == "สมชาย ใจดี" and app.form_data["shop_name"] == "ร้านสมชายโภชนา"
    assert app.form_data["birth_date"] == "1990-05-25" and app.form_data["capital"] == 15_000_000
    assert _statuses(client.get(f"/applications/{app.pk}/edit/").content.decode()) == [
        "กรอกครบแล้ว",
        "กรอกครบแล้ว",
        "ยังไม่ได้เริ่ม",
    ]
    # Emptying a field on its section's page removes it; nothing outside that section moves
    client.post(f"/forms/applications/{app.pk}/save/", {**SHOP, "capital": "", "section": "shop"})
    app.refresh_from_db()
    assert "capital" not in app.form_data and app.form_data["full_name"] == "สมชาย ใจดี"
    assert _statuses(client.get(f"/applications/{app.pk}/edit/").content.decode())[1] == "ยังกรอกไม่ครบ"


def test_a_bad_answer_in_a_section_is_shown_there_and_nothing_is_stored(long_service, citizen):
    client = sign_in(Client(), citizen)
    app = _start(client, long_service)
    client.post(f"/forms/applications/{app.pk}/save/", {**SHOP, "section": "shop"})
    bad = client.post(
        f"/forms/applications/{app.pk}/save/", {**PERSON, "birth_date": "31/02/2533", "section": "person"}
    )
    page = bad.content.decode()
    assert bad.status_code == 400 and 'href="#f-birth_date"' in page and 'name="shop_name"' not in page
    app.refresh_from_db()
    assert app.form_data == {"shop_name": "ร้านสมชายโภชนา", "capital": 15_000_000}


def test_autosave_on_a_section_page_keeps_the_other_sections(long_service, citizen):
    client = sign_in(Client(), citizen)
    app = _start(client, long_service)
    client.post(f"/forms/applications/{app.pk}/save/", {**SHOP, "section": "shop"})
    saved = client.post(f"/forms/applications/{app.pk}/autosave/", {"full_name": "สมชาย", "section": "person"})
    assert saved.status_code == 200 and saved.json()["saved"]
    app.refresh_from_db()
    assert app.form_data == {"full_name": "สมชาย", "shop_name": "ร้านสมชายโภชนา", "capital": 15_000_000}


def test_an_unknown_section_goes_back_to_the_task_list_and_short_forms_have_none(long_service, free_service, citizen):
    client = sign_in(Client(), citizen)
    app = _start(client, long_service)
    gone = client.get(f"/applications/{app.pk}/edit/?section=nope")
    assert gone.status_code == 302 and gone["Location"] == f"/applications/{app.pk}/edit/"
    assert tasklist.is_long(services.schema_for_case(app.case_ref, app.service))
    assert not tasklist.is_long({"x-ui": {"sections": [{"key": "a", "fields": ["x"]}]}})
