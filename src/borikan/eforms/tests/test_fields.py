"""Server validation of every field type: good values pass, bad ones fail with a Thai and an English message."""

from __future__ import annotations

import copy

import pytest

from borikan.core.errors import ValidationFailed
from borikan.eforms import address
from borikan.eforms.definition import combine, definition_problems
from borikan.eforms.fields import baht_to_satang, be_to_iso, display_value, is_thai_phone, iso_to_be
from borikan.eforms.formdata import form_errors, validate_form_data
from borikan.eforms.formrender import form_fields, parse_post

from .helpers import ADDRESS, good_data, rich_definition


@pytest.fixture
def definition():
    schema, ui = rich_definition()
    return combine(schema, ui)


def errors_for(definition, **changes):
    data = good_data()
    for key, value in changes.items():
        if value is None:
            data.pop(key, None)
        else:
            data[key] = value
    return form_errors(definition, data)


def test_the_rich_form_is_publishable_and_good_data_passes(definition):
    schema, ui = rich_definition()
    assert definition_problems(schema, ui) == []
    assert errors_for(definition) == {}


@pytest.mark.parametrize(
    ("field", "bad", "th", "en"),
    [
        ("citizen_id", "1101700230709", "รูปแบบเลขประจำตัวประชาชนไม่ถูกต้อง", "13 digits with a valid check digit"),
        ("citizen_id", "110170023070", "รูปแบบเลขประจำตัวประชาชนไม่ถูกต้อง", "Citizen ID number is not"),
        ("phone", "0112345678", "หมายเลขโทรศัพท์ต้องเป็นโทรศัพท์มือถือ", "10-digit mobile number"),
        ("phone", "08123", "หมายเลขโทรศัพท์ต้องเป็น", "Phone number must be"),
        ("birth_date", "2533-05-25x", "วันเกิดต้องเป็นวันที่ที่มีอยู่จริง", "Buddhist Era"),
        ("birth_date", "1990-02-30", "วันเกิดต้องเป็นวันที่", "Date of birth must be a real date"),
        ("capital", -5, "ทุนจดทะเบียนต้องเป็นจำนวนเงินบาท", "Registered capital must be an amount in baht"),
        ("capital", 12.5, "ทุนจดทะเบียนต้องเป็นจำนวนเงินบาท", "at most 2 decimals"),
        ("capital", "1,000", "ทุนจดทะเบียนต้องเป็นจำนวนเงินบาท", "not negative"),
        ("email", "not-an-email", "อีเมลไม่ใช่อีเมลที่ถูกต้อง", "E-mail is not a valid e-mail address"),
        ("kind", "bakery", "กรุณาเลือกประเภทกิจการจากรายการ", "Choose Kind of business from the list"),
        ("staff_count", "twelve", "จำนวนพนักงานต้องเป็นตัวเลข", "Number of staff must be a number"),
        ("consent", "yes", "กรุณาทำเครื่องหมายยินยอม", "must be ticked"),
        ("full_name", "ก" * 201, "ความยาวหรือรูปแบบของชื่อ-นามสกุลไม่ถูกต้อง", "Full name is too short, too long"),
    ],
)
def test_bad_values_have_messages_in_both_languages(definition, field, bad, th, en):
    errors = errors_for(definition, **{field: bad})
    assert set(errors) == {field}
    assert th in errors[field]["th"]
    assert en in errors[field]["en"]


@pytest.mark.parametrize(
    ("part", "value", "en"),
    [
        ("province", "แอตแลนติส", "not a Thai province"),
        ("district", "เมืองเชียงใหม่", "not in the chosen province"),  # a district of Chiang Mai
        ("subdistrict", "สีลม", "not in the chosen district"),
        ("postcode", "10500", "does not match the chosen subdistrict"),
    ],
)
def test_a_thai_address_must_exist_in_the_data_file(definition, part, value, en):
    home = {**ADDRESS, part: value}
    errors = errors_for(definition, home=home)
    assert set(errors) == {"home"}
    assert en in errors["home"]["en"] and errors["home"]["th"].startswith("ที่อยู่:")


def test_an_incomplete_address_is_refused_on_submit_but_kept_in_a_draft(definition):
    partial_home = {"province": "เชียงใหม่", "district": "เมืองเชียงใหม่"}
    assert "home" in errors_for(definition, home=partial_home)
    assert "Complete Address" in errors_for(definition, home=partial_home)["home"]["en"]
    assert form_errors(definition, {"home": partial_home}, partial=True) == {}
    wrong = {"province": "เชียงใหม่", "district": "พญาไท"}
    assert "home" in form_errors(definition, {"home": wrong}, partial=True)


def test_required_fields_are_named_in_both_languages(definition):
    errors = errors_for(definition, full_name=None, home=None, consent=None)
    assert errors["full_name"] == {"th": "กรุณากรอกชื่อ-นามสกุล", "en": "Full name is required"}
    assert errors["home"]["en"] == "Address is required"
    assert errors["consent"] == {
        "th": "กรุณาทำเครื่องหมายยินยอมให้ตรวจสอบข้อมูล",
        "en": "I consent to the checks must be ticked",
    }
    assert errors_for(definition, consent=False)["consent"]["en"].endswith("must be ticked")


def test_per_field_messages_override_the_type_message():
    from borikan.eforms import builder

    schema, ui = rich_definition()
    schema, ui = builder.field_update(
        schema, ui, name="phone", values={"error_th": "โทรศัพท์ผิด", "error_en": "Wrong phone", "phone_kind": "mobile"}
    )
    errors = errors_for(combine(schema, ui), phone="021234567")  # a landline, where only mobiles are taken
    assert errors["phone"] == {"th": "โทรศัพท์ผิด", "en": "Wrong phone"}


def test_unknown_fields_are_refused(definition):
    errors = errors_for(definition, sneaky="x")
    assert errors["form"]["en"] == "The form has fields it does not define"


def test_validate_raises_422_with_the_errors(definition):
    data = good_data()
    data["citizen_id"] = "123"
    with pytest.raises(ValidationFailed) as caught:
        validate_form_data(definition, data)
    assert caught.value.status == 422 and "citizen_id" in caught.value.details


def test_phone_numbers():
    assert is_thai_phone("0812345678") and is_thai_phone("0612345678") and is_thai_phone("0912345678")
    assert is_thai_phone("021234567") and is_thai_phone("053123456")
    assert not is_thai_phone("0112345678") and not is_thai_phone("081234567") and not is_thai_phone("+66812345678")
    assert is_thai_phone("0812345678", "mobile") and not is_thai_phone("021234567", "mobile")
    assert is_thai_phone("021234567", "landline") and not is_thai_phone("0812345678", "landline")


def test_buddhist_era_dates_are_entered_and_shown_in_be_and_stored_iso():
    assert be_to_iso("25/05/2533") == "1990-05-25"
    assert be_to_iso("1/1/2567") == "2024-01-01"
    assert be_to_iso("29/02/2567") == "2024-02-29"
    assert be_to_iso("29/02/2566") is None  # 2023 is not a leap year
    assert be_to_iso("15/02/2483") == "1941-02-15"  # before B.E. 2484 the year began in April
    assert be_to_iso("1990-05-25") is None
    assert iso_to_be("1990-05-25") == "25/05/2533"
    assert display_value("date_be", "1990-05-25", {}, english=False) == "25 พฤษภาคม 2533"
    assert display_value("date_be", "1990-05-25", {}, english=True) == "25/05/2533 (B.E.)"


def test_money_is_entered_in_baht_and_stored_in_satang():
    assert baht_to_satang("1,500,000.50") == 150000050
    assert baht_to_satang("12") == 1200
    assert baht_to_satang("0.05") == 5
    assert baht_to_satang("1.005") is None
    assert baht_to_satang("-1") is None
    assert baht_to_satang("abc") is None
    assert display_value("money", 150000050, {}, english=False) == "1,500,000.50 บาท"
    assert display_value("money", 150000050, {}, english=True) == "THB 1,500,000.50"


def test_the_address_data_file_is_real_and_compact():
    assert len(address.provinces()) == 77
    assert "พญาไท" in address.districts("กรุงเทพมหานคร")
    assert address.postcodes("กรุงเทพมหานคร", "พญาไท", "สามเสนใน") == ["10400"]
    assert address.postcodes("เชียงใหม่", "เมืองเชียงใหม่", "ศรีภูมิ") == ["50200"]
    assert address.DATA_FILE.stat().st_size < 1_500_000


class Post(dict):
    def getlist(self, key):
        return [self[key]] if key in self else []


def test_a_posted_page_becomes_typed_data(definition):
    post = Post(
        {
            "full_name": " สมชาย ใจดี ",
            "citizen_id": "1-1017-00230-70-8",
            "phone": "081-234-5678",
            "birth_date": "25/05/2533",
            "home.line": "99 ถนนพระรามที่ 6",
            "home.province": "กรุงเทพมหานคร",
            "home.district": "พญาไท",
            "home.subdistrict": "สามเสนใน",
            "home.postcode": "10400",
            "capital": "1,500,000.50",
            "kind": "shop",
            "has_branches": "on",
            "branches.0.branch_name": "สาขาหนึ่ง",
            "branches.0.branch_address.province": "เชียงใหม่",
            "branches.1.branch_name": "",
            "consent": "on",
        }
    )
    data = parse_post(definition, post)
    assert data["citizen_id"] == "1101700230708" and data["phone"] == "0812345678"
    assert data["birth_date"] == "1990-05-25" and data["capital"] == 150000050
    assert data["home"] == ADDRESS
    assert data["branches"] == [
        {
            "branch_name": "สาขาหนึ่ง",
            "branch_address": {"line": "", "province": "เชียงใหม่", "district": "", "subdistrict": "", "postcode": ""},
        }
    ]
    assert data["has_branches"] is True and data["consent"] is True


def test_the_page_fields_show_sections_and_entry_formats(definition):
    data = good_data()
    fields = form_fields(definition, data, {"phone": {"th": "ผิด", "en": "wrong"}})
    by_name = {f.name: f for f in fields}
    assert [f.section for f in fields][:2] == ["person", "person"] and by_name["capital"].section == "business"
    assert by_name["birth_date"].value == "25/05/2533"
    assert by_name["capital"].value == "1500000.50"
    assert by_name["home"].parts["postcode"] == "10400" and "พญาไท" in by_name["home"].options["district"]
    assert by_name["phone"].error == "ผิด"
    assert by_name["plan"].kind == "file" and by_name["plan"].max_size_mb == 5
    assert by_name["branches"].rows and by_name["branches"].rows[0][0].name == "branches.0.branch_name"
    assert copy.deepcopy(data) == data


def test_provinces_are_in_thai_dictionary_order():
    """Issue 12: sorted by code point, เชียงใหม่ came after อุบลราชธานี."""
    names = address.provinces()
    assert names.index("ขอนแก่น") < names.index("ชัยนาท") < names.index("เชียงใหม่") < names.index("ตรัง")
    assert names.index("เชียงใหม่") < names.index("อุบลราชธานี")
    assert names[0] == "กระบี่"


def test_a_field_can_be_bound_to_a_proven_fact():
    from borikan.eforms.fields import property_schema

    assert property_schema("text", {"bound": "name_th"})["x-bound"] == "name_th"
    assert "x-bound" not in property_schema("text", {"bound": "shoe_size"})  # only facts a proofing settles
