"""The default application form of a service, generated from the personal data its manual lists.

Agencies replace it with their own versioned form (the casework issue); until then every service
still gets a real form: a JSON Schema the server validates and the page renders.
"""

from __future__ import annotations

from typing import Any

# personal-data field → (JSON Schema property, Thai label, English label)
FIELD_SPECS: dict[str, tuple[dict[str, Any], str, str]] = {
    "citizen_id": ({"type": "string", "format": "thai-citizen-id"}, "เลขประจำตัวประชาชน", "Citizen ID number"),
    "full_name": ({"type": "string", "minLength": 2, "maxLength": 200}, "ชื่อ-นามสกุล", "Full name"),
    "birth_date": ({"type": "string", "format": "date"}, "วันเกิด", "Date of birth"),
    "address": ({"type": "string", "minLength": 5, "maxLength": 500}, "ที่อยู่", "Address"),
    "phone": ({"type": "string", "format": "thai-phone"}, "หมายเลขโทรศัพท์", "Phone number"),
    "email": ({"type": "string", "format": "email", "maxLength": 254}, "อีเมล", "E-mail"),
    "nationality": ({"type": "string", "maxLength": 100}, "สัญชาติ", "Nationality"),
    "passport_number": (
        {"type": "string", "pattern": r"^[A-Z0-9]{6,12}$"},
        "เลขที่หนังสือเดินทาง",
        "Passport number",
    ),
    "marital_status": (
        {"type": "string", "enum": ["single", "married", "divorced", "widowed"]},
        "สถานภาพสมรส",
        "Marital status",
    ),
    "family_relations": ({"type": "string", "maxLength": 1000}, "ข้อมูลบุคคลในครอบครัว", "Family members"),
    "income": ({"type": "number", "minimum": 0}, "รายได้ต่อเดือน (บาท)", "Monthly income (baht)"),
    "financial_info": ({"type": "string", "maxLength": 1000}, "ข้อมูลทางการเงิน", "Financial information"),
    "bank_account": (
        {"type": "string", "pattern": r"^[0-9]{10,12}$"},
        "เลขที่บัญชีธนาคาร",
        "Bank account number",
    ),
    "tax_id": ({"type": "string", "pattern": r"^[0-9]{13}$"}, "เลขประจำตัวผู้เสียภาษี", "Tax ID"),
    "health_info": ({"type": "string", "maxLength": 1000}, "ข้อมูลสุขภาพ", "Health information"),
    "disability_info": ({"type": "string", "maxLength": 1000}, "ข้อมูลความพิการ", "Disability information"),
    "criminal_record": ({"type": "string", "maxLength": 1000}, "ประวัติอาชญากรรม", "Criminal record"),
    "death_info": ({"type": "string", "maxLength": 1000}, "ข้อมูลการเสียชีวิต", "Death details"),
    "employment_info": ({"type": "string", "maxLength": 1000}, "ข้อมูลการทำงาน", "Employment"),
    "education_info": ({"type": "string", "maxLength": 1000}, "ข้อมูลการศึกษา", "Education"),
    "business_info": ({"type": "string", "maxLength": 1000}, "ข้อมูลกิจการ", "Business details"),
    "property_info": ({"type": "string", "maxLength": 1000}, "ข้อมูลทรัพย์สิน", "Property details"),
    "vehicle_info": ({"type": "string", "maxLength": 1000}, "ข้อมูลยานพาหนะ", "Vehicle details"),
    "location": ({"type": "string", "maxLength": 500}, "สถานที่ตั้ง", "Location"),
}
# Collected in person or as a file, never typed into a form field.
NOT_TYPED = {"photo", "biometric", "signature"}
NOT_TYPED_LABELS = {
    "photo": ("รูปถ่าย", "Photograph"),
    "biometric": ("ข้อมูลชีวมิติ (เช่น ลายนิ้วมือ)", "Biometric data (such as fingerprints)"),
    "signature": ("ลายมือชื่อ", "Signature"),
}


def personal_data_label(name: str, *, english: bool) -> str:
    """A personal-data field of the citizen manual in words, for the service page (never its key)."""
    if name in FIELD_SPECS:
        _schema, label_th, label_en = FIELD_SPECS[name]
    else:
        label_th, label_en = NOT_TYPED_LABELS.get(name, (name.replace("_", " "), name.replace("_", " ")))
    return label_en if english else label_th


# Fields every application needs to be decided and delivered.
ALWAYS = ("full_name", "email")


def build_default_form_schema(personal_data_fields: list[str]) -> dict[str, Any]:
    names = list(ALWAYS) + [f for f in personal_data_fields if f in FIELD_SPECS and f not in ALWAYS]
    properties: dict[str, Any] = {}
    for name in names:
        schema, label_th, label_en = FIELD_SPECS[name]
        properties[name] = {**schema, "title": label_en, "x-title-th": label_th}
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "type": "object",
        "properties": properties,
        "required": names,
        "additionalProperties": False,
        # One supporting file (scan or photo of the documents the manual lists).
        "x-attachment": {
            "name": "supporting_document",
            "title": "Supporting documents (PDF, JPEG or PNG)",
            "x-title-th": "เอกสารประกอบคำขอ (PDF, JPEG หรือ PNG)",
            "content_types": ["application/pdf", "image/jpeg", "image/png"],
            "required": False,
        },
    }
