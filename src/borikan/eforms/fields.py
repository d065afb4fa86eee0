"""The field types a form may use: their JSON Schema, how a page entry becomes stored data, how data is shown,
and the Thai/English message when a value is wrong.

Stored forms: citizen ID and phone as digits, a Buddhist-Era date as an ISO Gregorian date, money as integer
satang, a Thai address as {line, province, district, subdistrict, postcode}, a repeatable group as a list of
objects. Pages enter dates in B.E. (dd/mm/yyyy) and money in baht with up to two decimals.
"""

from __future__ import annotations

import datetime as dt
import re
from decimal import Decimal, InvalidOperation
from typing import Any

from borikan.core.thaidate import thai_date
from borikan.identity.proven import BOUND_KEYS

from .address import PARTS, address_text

FIELD_TYPES = (
    "text",
    "textarea",
    "number",
    "email",
    "choice",
    "checkbox",
    "citizen_id",
    "phone",
    "date_be",
    "money",
    "thai_address",
    "group",
    "file",
)
# The JSON type a property of each field type must have (file fields live in the UI and the attachments only).
JSON_TYPES = {
    "text": "string",
    "textarea": "string",
    "number": "number",
    "email": "string",
    "choice": "string",
    "checkbox": "boolean",
    "citizen_id": "string",
    "phone": "string",
    "date_be": "string",
    "money": "integer",
    "thai_address": "object",
    "group": "array",
}
TYPE_LABELS = {
    "text": ("ข้อความ", "Text"),
    "textarea": ("ข้อความหลายบรรทัด", "Long text"),
    "number": ("ตัวเลข", "Number"),
    "email": ("อีเมล", "E-mail"),
    "choice": ("ตัวเลือก", "Choice"),
    "checkbox": ("ช่องทำเครื่องหมาย", "Checkbox"),
    "citizen_id": ("เลขประจำตัวประชาชน", "Citizen ID"),
    "phone": ("หมายเลขโทรศัพท์", "Phone"),
    "date_be": ("วันที่ (พ.ศ.)", "Date (Buddhist Era)"),
    "money": ("จำนวนเงิน (บาท)", "Money (baht)"),
    "thai_address": ("ที่อยู่ในประเทศไทย", "Thai address"),
    "group": ("กลุ่มที่เพิ่มได้หลายรายการ", "Repeatable group"),
    "file": ("ไฟล์แนบ", "File"),
}
FILE_CONTENT_TYPES = ("application/pdf", "image/jpeg", "image/png")
MOBILE = re.compile(r"^0[689][0-9]{8}$")
LANDLINE = re.compile(r"^0[2-7][0-9]{7}$")
BE_DATE = re.compile(r"^\s*([0-9]{1,2})[/.-]([0-9]{1,2})[/.-]([0-9]{4})\s*$")

ADDRESS_SCHEMA: dict[str, Any] = {
    "type": "object",
    "properties": {
        "line": {"type": "string", "minLength": 1, "maxLength": 300},
        "province": {"type": "string", "maxLength": 100},
        "district": {"type": "string", "maxLength": 100},
        "subdistrict": {"type": "string", "maxLength": 100},
        "postcode": {"type": "string", "pattern": "^[0-9]{5}$"},
    },
    "required": list(PARTS),
    "additionalProperties": False,
}


def property_schema(kind: str, spec: dict[str, Any]) -> dict[str, Any]:
    """The JSON Schema of one field of this type (`spec` is its UI entry: choices, limits...)."""
    base: dict[str, Any] = {"x-field": kind}
    if spec.get("bound") in BOUND_KEYS:
        # The field asks for a fact the proofing settled (identity.proven): prefilled, and held to it at submit.
        base["x-bound"] = spec["bound"]
    if kind == "text":
        return {**base, "type": "string", "maxLength": int(spec.get("max_length") or 200)}
    if kind == "textarea":
        return {**base, "type": "string", "maxLength": int(spec.get("max_length") or 2000)}
    if kind == "number":
        return {**base, "type": "number"}
    if kind == "email":
        return {**base, "type": "string", "format": "email", "maxLength": 254}
    if kind == "choice":
        return {**base, "type": "string", "enum": [c["value"] for c in spec.get("choices", [])]}
    if kind == "checkbox":
        return {**base, "type": "boolean"}
    if kind == "citizen_id":
        return {**base, "type": "string", "format": "thai-citizen-id"}
    if kind == "phone":
        return {**base, "type": "string", "format": "thai-phone"}
    if kind == "date_be":
        return {**base, "type": "string", "format": "date"}
    if kind == "money":
        return {**base, "type": "integer", "minimum": 0}
    if kind == "thai_address":
        return {**base, **ADDRESS_SCHEMA}
    raise ValueError(kind)


def type_message(kind: str, label_th: str, label_en: str, spec: dict[str, Any]) -> tuple[str, str]:
    """What to tell the person when the value of a field of this type is wrong."""
    if spec.get("error_th") and spec.get("error_en"):
        return spec["error_th"], spec["error_en"]
    messages = {
        "citizen_id": (
            f"รูปแบบ{label_th}ไม่ถูกต้อง",
            f"{label_en} is not in the right format: 13 digits with a valid check digit",
        ),
        "phone": (
            f"{label_th}ต้องเป็นโทรศัพท์มือถือ 10 หลัก (06, 08, 09) หรือโทรศัพท์พื้นฐาน 9 หลัก (02–07)",
            f"{label_en} must be a 10-digit mobile number (06, 08, 09) or a 9-digit landline number (02–07)",
        ),
        "date_be": (
            f"{label_th}ต้องเป็นวันที่ที่มีอยู่จริง ในรูปแบบ วว/ดด/ปปปป (พ.ศ.)",
            f"{label_en} must be a real date written dd/mm/yyyy in the Buddhist Era",
        ),
        "money": (
            f"{label_th}ต้องเป็นจำนวนเงินบาทที่ไม่ติดลบ มีทศนิยมไม่เกิน 2 ตำแหน่ง",
            f"{label_en} must be an amount in baht, not negative, with at most 2 decimals",
        ),
        "thai_address": (
            f"กรุณากรอก{label_th}ให้ครบ: บ้านเลขที่ จังหวัด อำเภอ/เขต ตำบล/แขวง และรหัสไปรษณีย์",
            f"Complete {label_en}: house number and street, province, district, subdistrict and postcode",
        ),
        "email": (f"{label_th}ไม่ใช่อีเมลที่ถูกต้อง", f"{label_en} is not a valid e-mail address"),
        "choice": (f"กรุณาเลือก{label_th}จากรายการ", f"Choose {label_en} from the list"),
        "checkbox": (f"กรุณาทำเครื่องหมาย{label_th}", f"{label_en} must be ticked"),
        "number": (f"{label_th}ต้องเป็นตัวเลข", f"{label_en} must be a number"),
        "text": (f"{label_th}ยาวเกินไปหรือไม่ถูกต้อง", f"{label_en} is too long or not valid"),
        "textarea": (f"{label_th}ยาวเกินไปหรือไม่ถูกต้อง", f"{label_en} is too long or not valid"),
    }
    return messages.get(kind, (f"{label_th}ไม่ถูกต้อง", f"{label_en} is not valid"))


ADDRESS_MISMATCH = {
    "province": ("ไม่พบจังหวัดที่ระบุ", "The province is not a Thai province"),
    "district": ("อำเภอ/เขตไม่อยู่ในจังหวัดที่เลือก", "The district is not in the chosen province"),
    "subdistrict": ("ตำบล/แขวงไม่อยู่ในอำเภอ/เขตที่เลือก", "The subdistrict is not in the chosen district"),
    "postcode": ("รหัสไปรษณีย์ไม่ตรงกับตำบล/แขวงที่เลือก", "The postcode does not match the chosen subdistrict"),
}


def is_thai_phone(value: str, kinds: str = "any") -> bool:
    if kinds == "mobile":
        return bool(MOBILE.match(value))
    if kinds == "landline":
        return bool(LANDLINE.match(value))
    return bool(MOBILE.match(value) or LANDLINE.match(value))


# --- page entry ↔ stored value ------------------------------------------------------------------------


def be_to_iso(text: str) -> str | None:
    """'25/05/2564' (B.E.) → '2021-05-25'; None when it is not a real date."""
    match = BE_DATE.match(text)
    if not match:
        return None
    day, month, year_be = (int(g) for g in match.groups())
    year = year_be - 543
    if year < 1941 and month < 4:
        year += 1  # before B.E. 2484 the Thai year began on 1 April
    try:
        return dt.date(year, month, day).isoformat()
    except ValueError:
        return None


def iso_to_be(value: Any) -> str:
    try:
        day = dt.date.fromisoformat(value)
    except (TypeError, ValueError):
        return "" if value is None else str(value)
    year = day.year + 543 - (1 if day.year < 1941 and day.month < 4 else 0)
    return f"{day.day:02d}/{day.month:02d}/{year}"


def baht_to_satang(text: str) -> int | None:
    cleaned = text.replace(",", "").replace("฿", "").replace("บาท", "").strip()
    try:
        amount = Decimal(cleaned)
    except InvalidOperation:
        return None
    if not amount.is_finite() or amount < 0 or amount != amount.quantize(Decimal("0.01")):
        return None
    return int(amount * 100)


def satang_to_baht(value: Any) -> str:
    if isinstance(value, bool) or not isinstance(value, int):
        return "" if value is None else str(value)
    return f"{value // 100}.{value % 100:02d}"


def parse_entry(kind: str, raw: str) -> Any:
    """A page entry → the stored value. An entry that cannot be read is kept as typed, so validation reports it."""
    if kind in ("citizen_id", "phone"):
        return re.sub(r"[\s-]", "", raw)
    if kind == "date_be":
        return be_to_iso(raw) or raw
    if kind == "money":
        satang = baht_to_satang(raw)
        return raw if satang is None else satang
    if kind == "number":
        try:
            return float(raw) if "." in raw else int(raw)
        except ValueError:
            return raw
    if kind == "checkbox":
        return raw.lower() in ("on", "true", "1", "yes")
    return raw


def entry_value(kind: str, value: Any) -> str:
    """A stored value → what the page input shows."""
    if value is None:
        return ""
    if kind == "date_be":
        return iso_to_be(value)
    if kind == "money":
        return satang_to_baht(value)
    if kind == "thai_address":
        return address_text(value)
    return str(value)


def display_value(kind: str, value: Any, spec: dict[str, Any], *, english: bool) -> str:
    """A stored value as a person reads it: B.E. dates, baht, the choice's label, a full address."""
    if value is None or value == "":
        return ""
    if kind == "date_be":
        try:
            day = dt.date.fromisoformat(value)
        except (TypeError, ValueError):
            return str(value)
        return f"{iso_to_be(value)} (B.E.)" if english else thai_date(day)
    if kind == "money":
        baht = satang_to_baht(value)
        if not isinstance(value, int) or isinstance(value, bool):
            return baht
        whole, _, cents = baht.partition(".")
        grouped = f"{int(whole):,}.{cents}"
        return f"THB {grouped}" if english else f"{grouped} บาท"
    if kind == "thai_address":
        return address_text(value, english=english)
    if kind == "checkbox":
        return ("Yes" if english else "ใช่") if value is True else ("No" if english else "ไม่ใช่")
    if kind == "choice":
        for choice in spec.get("choices", []):
            if choice.get("value") == value:
                return choice.get("label_en" if english else "label_th") or str(value)
    return str(value)
