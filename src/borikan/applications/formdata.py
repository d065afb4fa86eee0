"""Server-side validation of application form data against the service's JSON Schema, with Thai/English messages."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.core.exceptions import ValidationError as DjangoValidationError
from django.core.validators import validate_email
from jsonschema import Draft202012Validator, FormatChecker

from borikan.core.errors import ValidationFailed
from borikan.core.thaiid import is_valid_thai_id

format_checker = FormatChecker(formats=())


@format_checker.checks("thai-citizen-id")
def _thai_id(value: object) -> bool:
    return not isinstance(value, str) or is_valid_thai_id(value)


@format_checker.checks("date", raises=ValueError)
def _date(value: object) -> bool:
    if isinstance(value, str):
        dt.date.fromisoformat(value)
    return True


@format_checker.checks("email")
def _email(value: object) -> bool:
    if not isinstance(value, str):
        return True
    try:
        validate_email(value)
    except DjangoValidationError:
        return False
    return True


def _labels(schema: dict[str, Any], name: str) -> tuple[str, str]:
    prop = schema.get("properties", {}).get(name, {})
    return prop.get("x-title-th", name), prop.get("title", name)


def _messages(error: Any, schema: dict[str, Any]) -> tuple[str, str, str]:
    """(field, Thai message, English message) for one jsonschema error."""
    if error.validator == "required":
        name = error.message.split("'")[1]
        th, en = _labels(schema, name)
        return name, f"กรุณากรอก{th}", f"{en} is required"
    if error.validator == "additionalProperties":
        return "form", "มีช่องข้อมูลที่แบบคำขอนี้ไม่รู้จัก", "The form has fields it does not define"
    name = str(error.absolute_path[0]) if error.absolute_path else "form"
    th, en = _labels(schema, name)
    if error.validator in ("format", "pattern", "enum"):
        return name, f"รูปแบบ{th}ไม่ถูกต้อง", f"{en} is not in the right format"
    if error.validator in ("minLength", "maxLength", "minimum", "maximum"):
        return name, f"ความยาวหรือค่าของ{th}ไม่อยู่ในช่วงที่กำหนด", f"{en} is too short, too long or out of range"
    if error.validator == "type":
        return name, f"ชนิดข้อมูลของ{th}ไม่ถูกต้อง", f"{en} has the wrong type"
    return name, f"{th}ไม่ถูกต้อง", f"{en} is not valid"


def form_errors(schema: dict[str, Any], data: Any, *, partial: bool = False) -> dict[str, dict[str, str]]:
    """Errors by field. `partial` (drafts) checks only what was filled in, not what is missing."""
    validator = Draft202012Validator(schema, format_checker=format_checker)
    errors: dict[str, dict[str, str]] = {}
    for error in validator.iter_errors(data):
        if partial and error.validator == "required":
            continue
        field, th, en = _messages(error, schema)
        errors.setdefault(field, {"th": th, "en": en})
    return errors


def validate_form_data(schema: dict[str, Any], data: Any, *, partial: bool = False) -> None:
    if not isinstance(data, dict):
        raise ValidationFailed("invalid_form", "ข้อมูลแบบคำขอต้องเป็นออบเจกต์", "Form data must be an object")
    errors = form_errors(schema, data, partial=partial)
    if errors:
        raise ValidationFailed(
            "invalid_form",
            "ข้อมูลในแบบคำขอไม่ถูกต้อง กรุณาตรวจสอบช่องที่ระบุ",
            "The form has errors; check the fields listed",
            details=errors,
        )
