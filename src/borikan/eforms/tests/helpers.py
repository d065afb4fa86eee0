"""A form with every field type, built the way the builder page builds one."""

from __future__ import annotations

from typing import Any

from borikan.eforms import builder

CITIZEN_ID = "1101700230708"
ADDRESS = {
    "line": "99 ถนนพระรามที่ 6",
    "province": "กรุงเทพมหานคร",
    "district": "พญาไท",
    "subdistrict": "สามเสนใน",
    "postcode": "10400",
}


def rich_definition() -> tuple[dict[str, Any], dict[str, Any]]:
    schema: dict[str, Any] = {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "type": "object",
        "properties": {},
        "required": [],
        "additionalProperties": False,
    }
    ui: dict[str, Any] = {"sections": [], "fields": {}}
    ui = builder.section_save(ui, key="person", title_th="ผู้ยื่นคำขอ", title_en="Applicant")
    ui = builder.section_save(ui, key="business", title_th="กิจการ", title_en="Business")
    add = [
        ("full_name", "text", "ชื่อ-นามสกุล", "Full name", "person", True),
        ("email", "email", "อีเมล", "E-mail", "person", False),
        ("citizen_id", "citizen_id", "เลขประจำตัวประชาชน", "Citizen ID number", "person", True),
        ("phone", "phone", "หมายเลขโทรศัพท์", "Phone number", "person", True),
        ("birth_date", "date_be", "วันเกิด", "Date of birth", "person", True),
        ("home", "thai_address", "ที่อยู่", "Address", "person", True),
        ("capital", "money", "ทุนจดทะเบียน", "Registered capital", "business", True),
        ("staff_count", "number", "จำนวนพนักงาน", "Number of staff", "business", False),
        ("kind", "choice", "ประเภทกิจการ", "Kind of business", "business", True),
        ("other_kind", "text", "ระบุประเภทอื่น", "Other kind", "business", True),
        ("has_branches", "checkbox", "มีสาขา", "Has branches", "business", False),
        ("branches", "group", "สาขา", "Branches", "business", False),
        ("consent", "checkbox", "ยินยอมให้ตรวจสอบข้อมูล", "I consent to the checks", "business", True),
        ("plan", "file", "แผนผังสถานที่", "Floor plan", "business", False),
    ]
    for name, kind, th, en, section, required in add:
        schema, ui = builder.field_add(
            schema, ui, name=name, kind=kind, label_th=th, label_en=en, section=section, required=required
        )
    schema, ui = builder.field_update(
        schema,
        ui,
        name="kind",
        values={"choices": "shop | ร้านค้า | Shop\nfactory | โรงงาน | Factory\nother | อื่น ๆ | Other"},
    )
    schema, ui = builder.field_update(
        schema, ui, name="other_kind", values={"show_if_field": "kind", "show_if_value": "other"}
    )
    schema, ui = builder.field_update(
        schema,
        ui,
        name="branches",
        values={"show_if_field": "has_branches", "show_if_value": "true", "min_items": 1, "max_items": 3},
    )
    for name, kind, th, en, required in [
        ("branch_name", "text", "ชื่อสาขา", "Branch name", True),
        ("branch_phone", "phone", "โทรศัพท์สาขา", "Branch phone", False),
        ("branch_address", "thai_address", "ที่อยู่สาขา", "Branch address", True),
    ]:
        schema, ui = builder.field_add(
            schema, ui, name=name, kind=kind, label_th=th, label_en=en, required=required, group="branches"
        )
    return schema, ui


def good_data() -> dict[str, Any]:
    return {
        "full_name": "สมชาย ใจดี",
        "email": "somchai@example.com",
        "citizen_id": CITIZEN_ID,
        "phone": "0812345678",
        "birth_date": "1990-05-25",
        "home": dict(ADDRESS),
        "capital": 150000050,
        "staff_count": 12,
        "kind": "shop",
        "consent": True,
    }
