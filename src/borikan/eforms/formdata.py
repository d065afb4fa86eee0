"""Server-side validation of application form data against its form definition, with Thai/English messages.

The definition is a JSON Schema, optionally with UI hints under "x-ui" (eforms.definition). Checks, in order:
fields hidden by their `show_if` are dropped from the data (and so are never required); the JSON Schema; the
required fields that are visible (in each item of a repeatable group too); the type rules JSON Schema cannot
say (a Thai address that exists). Errors are keyed by field ("name", or "group.0.field" inside a group).
"""

from __future__ import annotations

import copy
import datetime as dt
import functools
import json
from typing import Any

from django.core.exceptions import ValidationError as DjangoValidationError
from django.core.validators import validate_email
from jsonschema import Draft202012Validator, FormatChecker

from borikan.core.errors import ValidationFailed
from borikan.core.thaiid import is_valid_thai_id
from borikan.eforms.address import address_problem, address_tree
from borikan.eforms.definition import split
from borikan.eforms.fields import ADDRESS_MISMATCH, is_thai_phone, type_message

format_checker = FormatChecker(formats=())


@format_checker.checks("thai-citizen-id")
def _thai_id(value: object) -> bool:
    return not isinstance(value, str) or is_valid_thai_id(value)


@format_checker.checks("thai-phone")
def _thai_phone(value: object) -> bool:
    return not isinstance(value, str) or is_thai_phone(value)


@format_checker.checks("date", raises=ValueError)
def _date(value: object) -> bool:
    if isinstance(value, str):
        if len(value) != 10:
            raise ValueError(value)
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


Errors = dict[str, dict[str, str]]


def _empty(value: Any) -> bool:
    return value is None or value == "" or value == [] or value == {}


def is_shown(spec: dict[str, Any], scope: dict[str, Any], fields: dict[str, Any], top: dict[str, Any]) -> bool:
    """Whether a field's `show_if` holds for this data. `scope` is the group item (or the whole data)."""
    rule = spec.get("show_if")
    if not rule:
        return True
    name = rule.get("field")
    if name in scope and scope is not top:
        value = scope.get(name)
    else:
        value = top.get(name)
        controlling = fields.get(name)
        if controlling is not None and not is_shown(controlling, top, fields, top):
            return False
    if "equals" in rule:
        return value == rule["equals"]
    if "in" in rule:
        return value in rule["in"]
    return not _empty(value) and value is not False


def drop_hidden(ui: dict[str, Any], data: dict[str, Any]) -> None:
    """Remove (in place) the values of fields hidden by their condition, in groups too."""
    fields = ui.get("fields", {})
    top_level = dict(data)
    for name, spec in fields.items():
        if name in data and not is_shown(spec, top_level, fields, top_level):
            del data[name]
    for name, spec in fields.items():
        if spec.get("type") == "group" and isinstance(data.get(name), list):
            subs = spec.get("fields", {})
            for item in data[name]:
                if isinstance(item, dict):
                    for sub, sub_spec in subs.items():
                        if sub in item and not is_shown(sub_spec, dict(item), fields, top_level):
                            del item[sub]


def _spec_at(ui: dict[str, Any], path: list[Any]) -> tuple[str, dict[str, Any]]:
    """(error key, UI spec) of the field an error path points into."""
    fields = ui.get("fields", {})
    name = str(path[0])
    spec = fields.get(name, {})
    if spec.get("type") == "group" and len(path) >= 3 and isinstance(path[1], int):
        sub = str(path[2])
        return f"{name}.{path[1]}.{sub}", spec.get("fields", {}).get(sub, {"label_th": sub, "label_en": sub})
    return name, spec


def _labels(spec: dict[str, Any], name: str) -> tuple[str, str]:
    return spec.get("label_th") or name, spec.get("label_en") or name


def _message(error: Any, ui: dict[str, Any]) -> tuple[str, str, str]:
    """(field key, Thai message, English message) for one jsonschema error."""
    if not error.absolute_path:
        if error.validator == "additionalProperties":
            return "form", "มีช่องข้อมูลที่แบบคำขอนี้ไม่รู้จัก", "The form has fields it does not define"
        return "form", "ข้อมูลแบบคำขอไม่ถูกต้อง", "The form data is not valid"
    path = list(error.absolute_path)
    key, spec = _spec_at(ui, path)
    th, en = _labels(spec, key)
    kind = spec.get("type", "text")
    if kind == "group" and error.validator in ("minItems", "maxItems"):
        low, high = spec.get("min_items", 0), spec.get("max_items", 10)
        return key, f"{th}ต้องมี {low} ถึง {high} รายการ", f"{en} must have {low} to {high} entries"
    if kind in ("text", "textarea") and error.validator in ("minLength", "maxLength", "pattern"):
        return key, f"ความยาวหรือรูปแบบของ{th}ไม่ถูกต้อง", f"{en} is too short, too long or not in the right format"
    if kind == "number" and error.validator in ("minimum", "maximum"):
        return key, f"{th}อยู่นอกช่วงที่กำหนด", f"{en} is out of range"
    th_message, en_message = type_message(kind, th, en, spec)
    return key, th_message, en_message


def _required_errors(ui: dict[str, Any], schema: dict[str, Any], data: dict[str, Any]) -> Errors:
    errors: Errors = {}
    fields = ui.get("fields", {})
    for name in schema.get("required", []):
        spec = fields.get(name, {})
        value = data.get(name)
        if not is_shown(spec, data, fields, data):
            continue
        if _empty(value) or (spec.get("type") == "checkbox" and value is not True):
            th, en = _labels(spec, name)
            errors[name] = (
                {"th": f"กรุณาทำเครื่องหมาย{th}", "en": f"{en} must be ticked"}
                if spec.get("type") == "checkbox"
                else {"th": f"กรุณากรอก{th}", "en": f"{en} is required"}
            )
    for name, prop in schema.get("properties", {}).items():
        spec = fields.get(name, {})
        if spec.get("type") != "group" or not isinstance(data.get(name), list):
            continue
        required = prop.get("items", {}).get("required", [])
        for index, item in enumerate(data[name]):
            if not isinstance(item, dict):
                continue
            for sub in required:
                sub_spec = spec.get("fields", {}).get(sub, {})
                if _empty(item.get(sub)) and is_shown(sub_spec, item, fields, data):
                    th, en = _labels(sub_spec, sub)
                    errors[f"{name}.{index}.{sub}"] = {"th": f"กรุณากรอก{th}", "en": f"{en} is required"}
    return errors


def _address_errors(ui: dict[str, Any], data: dict[str, Any], partial: bool, errors: Errors) -> None:
    def check(key: str, spec: dict[str, Any], value: Any) -> None:
        if key in errors or not isinstance(value, dict):
            return
        if partial:
            # A draft may hold part of an address; what it holds must still exist.
            tree = address_tree()
            province, district = value.get("province"), value.get("district")
            if province and province not in tree:
                problem = "province"
            elif district and district not in tree.get(province, {}):
                problem = "district"
            elif value.get("subdistrict") and value["subdistrict"] not in tree.get(province, {}).get(district, {}):
                problem = "subdistrict"
            elif value.get("postcode") and value.get("subdistrict"):
                problem = address_problem(value)
            else:
                problem = ""
        else:
            problem = address_problem(value)
        if problem:
            th, en = _labels(spec, key)
            part_th, part_en = ADDRESS_MISMATCH[problem]
            errors[key] = {"th": f"{th}: {part_th}", "en": f"{en}: {part_en}"}

    for name, spec in ui.get("fields", {}).items():
        if spec.get("type") == "thai_address":
            check(name, spec, data.get(name))
        if spec.get("type") == "group" and isinstance(data.get(name), list):
            for index, item in enumerate(data[name]):
                for sub, sub_spec in spec.get("fields", {}).items():
                    if sub_spec.get("type") == "thai_address" and isinstance(item, dict):
                        check(f"{name}.{index}.{sub}", sub_spec, item.get(sub))


def _phone_kind_errors(ui: dict[str, Any], data: dict[str, Any], errors: Errors) -> None:
    """A phone field limited to mobile or to landline numbers."""

    def check(key: str, spec: dict[str, Any], value: Any) -> None:
        kinds = spec.get("phone_kind", "any")
        if kinds != "any" and key not in errors and isinstance(value, str) and not is_thai_phone(value, kinds):
            th, en = type_message("phone", *_labels(spec, key), spec)
            errors[key] = {"th": th, "en": en}

    for name, spec in ui.get("fields", {}).items():
        if spec.get("type") == "phone":
            check(name, spec, data.get(name))
        if spec.get("type") == "group" and isinstance(data.get(name), list):
            for index, item in enumerate(data[name]):
                for sub, sub_spec in spec.get("fields", {}).items():
                    if sub_spec.get("type") == "phone" and isinstance(item, dict):
                        check(f"{name}.{index}.{sub}", sub_spec, item.get(sub))


def _without_required(schema: dict[str, Any]) -> dict[str, Any]:
    """The schema with the required lists of the form and of group items removed (checked by visibility)."""
    schema = copy.deepcopy(schema)
    schema.pop("required", None)
    for prop in schema.get("properties", {}).values():
        if prop.get("type") == "array" and isinstance(prop.get("items"), dict):
            prop["items"].pop("required", None)
    return schema


@functools.lru_cache(maxsize=256)
def _validator_for(json_schema_text: str) -> Draft202012Validator:
    """The compiled validator of a schema, built once per process per distinct schema (issue 13): keyed by the
    schema's own text, so a published version (immutable) hits it every time and an edited draft gets its own."""
    return Draft202012Validator(_without_required(json.loads(json_schema_text)), format_checker=format_checker)


def form_errors(schema: dict[str, Any], data: Any, *, partial: bool = False) -> Errors:
    """Errors by field. `partial` (drafts) checks only what was filled in, not what is missing.
    Hidden fields' values are dropped from `data` first (in place)."""
    json_schema, ui = split(schema)
    if isinstance(data, dict):
        drop_hidden(ui, data)
    validator = _validator_for(json.dumps(json_schema, sort_keys=True, ensure_ascii=False))
    errors: Errors = {}
    for error in validator.iter_errors(data):
        if partial and error.validator == "required":
            continue
        field, th, en = _message(error, ui)
        errors.setdefault(field, {"th": th, "en": en})
    if isinstance(data, dict):
        if not partial:
            for field, message in _required_errors(ui, json_schema, data).items():
                errors.setdefault(field, message)
        _address_errors(ui, data, partial, errors)
        _phone_kind_errors(ui, data, errors)
    return errors


def validate_form_data(schema: dict[str, Any], data: Any, *, partial: bool = False) -> None:
    """Raise ValidationFailed("invalid_form") with errors by field. Values of hidden fields are removed from
    `data` in place, so the caller stores only what the form shows."""
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
