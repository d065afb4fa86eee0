"""Turn a form definition (eforms: JSON Schema + UI hints) into the fields of its HTML form, and a posted page
back into form data. The server validates with the same definition (formdata.py)."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from typing import Any

from django.utils.translation import get_language

from borikan.eforms import address
from borikan.eforms.definition import field_order, split
from borikan.eforms.fields import display_value, entry_value, parse_entry

INPUT_TYPES = {
    "text": "text",
    "textarea": "textarea",
    "number": "number",
    "email": "email",
    "citizen_id": "text",
    "phone": "tel",
    "date_be": "text",
    "money": "text",
    "checkbox": "checkbox",
    "choice": "select",
    "thai_address": "address",
    "group": "group",
    "file": "file",
}
INPUT_MODES = {"citizen_id": "numeric", "phone": "tel", "date_be": "numeric", "money": "decimal", "number": "decimal"}
# The format a field expects, shown as a hint above it from the start (a placeholder disappears as one types,
# and a hint that appears only after an error is too late).
FORMAT_HINTS = {
    "date_be": ("วัน/เดือน/ปี พ.ศ. เช่น 15/08/2535", "Day/month/Buddhist-Era year, for example 15/08/2535"),
    "money": ("จำนวนเงินเป็นบาท เช่น 1500.00", "An amount in baht, for example 1500.00"),
    "citizen_id": ("เลข 13 หลัก มีขีดหรือไม่มีก็ได้", "13 digits, with or without dashes"),
    "phone": ("เช่น 0812345678 หรือ 02-123-4567", "For example 0812345678 or 02-123-4567"),
}
ROW_KEY = re.compile(r"^(?P<group>[A-Za-z0-9_]+)\.(?P<index>[0-9]{1,3})\.(?P<sub>[A-Za-z0-9_]+)(?:\.[a-z]+)?$")


@dataclass(frozen=True)
class Choice:
    value: str
    label: str


@dataclass(frozen=True)
class FieldView:
    name: str
    label: str
    input_type: str
    value: str
    required: bool
    error: str
    choices: list[Choice]
    pattern: str
    kind: str = "text"
    help: str = ""
    section: str = ""
    section_title: str = ""
    display: str = ""
    show_if_field: str = ""
    show_if_values: str = ""  # JSON list of the values that show the field ("" = any non-empty value)
    input_mode: str = ""
    format_hint: str = ""
    checked: bool = False
    parts: dict[str, str] = field(default_factory=dict)  # a Thai address: line, province, ... postcode
    options: dict[str, list[str]] = field(default_factory=dict)  # address selects' options
    rows: list[list[FieldView]] = field(default_factory=list)  # a group: its items (and one empty row)
    accept: str = ""
    max_size_mb: float = 0
    max_count: int = 0
    prefilled: bool = False
    locked: bool = False  # the proven identity's answer (identity.proven): shown, not typed


def _english() -> bool:
    return (get_language() or "th").startswith("en")


def _text(spec: dict[str, Any], key: str, english: bool) -> str:
    return spec.get(f"{key}_en" if english else f"{key}_th") or spec.get(f"{key}_th") or spec.get(f"{key}_en") or ""


def _show_if(spec: dict[str, Any]) -> tuple[str, str]:
    rule = spec.get("show_if") or {}
    if not rule.get("field"):
        return "", ""
    if "equals" in rule:
        values = [rule["equals"]]
    elif "in" in rule:
        values = list(rule["in"])
    else:
        values = []
    return rule["field"], json.dumps(["true" if v is True else str(v) for v in values]) if values else ""


def _address_view(value: Any) -> tuple[dict[str, str], dict[str, list[str]]]:
    parts = {p: str(value.get(p, "")) if isinstance(value, dict) else "" for p in address.PARTS}
    options = {
        "province": address.provinces(),
        "district": address.districts(parts["province"]) if parts["province"] else [],
        "subdistrict": address.subdistricts(parts["province"], parts["district"]) if parts["district"] else [],
        "postcode": address.postcodes(parts["province"], parts["district"], parts["subdistrict"]),
    }
    return parts, options


def _field_view(
    name: str,
    spec: dict[str, Any],
    prop: dict[str, Any],
    value: Any,
    *,
    required: bool,
    errors: dict[str, dict[str, str]],
    english: bool,
    section: tuple[str, str] = ("", ""),
) -> FieldView:
    kind = spec.get("type", "text")
    error = errors.get(name, {})
    show_field, show_values = _show_if(spec)
    parts: dict[str, str] = {}
    options: dict[str, list[str]] = {}
    rows: list[list[FieldView]] = []
    if kind == "thai_address":
        parts, options = _address_view(value)
    if kind == "group":
        subs = spec.get("fields", {})
        sub_props = prop.get("items", {}).get("properties", {})
        sub_required = set(prop.get("items", {}).get("required", []))
        items = value if isinstance(value, list) else []
        count = min(len(items) + 1, int(spec.get("max_items") or 10))
        for index in range(max(count, len(items))):
            item = items[index] if index < len(items) and isinstance(items[index], dict) else {}
            rows.append(
                [
                    _field_view(
                        f"{name}.{index}.{sub}",
                        sub_spec,
                        sub_props.get(sub, {}),
                        item.get(sub),
                        required=sub in sub_required,
                        errors=errors,
                        english=english,
                    )
                    for sub, sub_spec in subs.items()
                ]
            )
    choices = [
        Choice(str(c.get("value")), c.get("label_en" if english else "label_th") or str(c.get("value")))
        for c in spec.get("choices", [])
    ]
    return FieldView(
        name=name,
        label=_text(spec, "label", english) or name,
        input_type=INPUT_TYPES.get(kind, "text"),
        value=entry_value(kind, value) if not isinstance(value, list) else "",
        required=required,
        error=error.get("en" if english else "th", ""),
        choices=choices,
        pattern=prop.get("pattern", "").strip("^$") if kind in ("text", "textarea") else "",
        kind=kind,
        help=_text(spec, "help", english),
        section=section[0],
        section_title=section[1],
        display=display_value(kind, value, spec, english=english) if kind != "group" else "",
        show_if_field=show_field,
        show_if_values=show_values,
        input_mode=INPUT_MODES.get(kind, ""),
        format_hint=FORMAT_HINTS[kind][1 if english else 0] if kind in FORMAT_HINTS else "",
        checked=value is True,
        parts=parts,
        options=options,
        rows=rows,
        accept=",".join(spec.get("accept", [])) if kind == "file" else "",
        max_size_mb=spec.get("max_size_mb", 0) if kind == "file" else 0,
        max_count=spec.get("max_count", 0)
        if kind == "file"
        else int(spec.get("max_items") or 10)
        if kind == "group"
        else 0,
    )


def form_fields(schema: dict[str, Any], data: dict[str, Any], errors: dict[str, dict[str, str]]) -> list[FieldView]:
    """The top-level fields in page order; each knows its section (the template opens a fieldset when it
    changes). File fields are listed too (kind "file"): the upload itself goes through the attachment path."""
    english = _english()
    json_schema, ui = split(schema)
    props = json_schema.get("properties", {})
    required = set(json_schema.get("required", []))
    specs = ui.get("fields", {})
    section_of: dict[str, tuple[str, str]] = {}
    for section in ui.get("sections", []):
        for name in section.get("fields", []):
            section_of[name] = (section.get("key", ""), _text(section, "title", english))
    views = []
    for name in field_order(ui):
        spec = specs.get(name, {})
        views.append(
            _field_view(
                name,
                spec,
                props.get(name, {}),
                data.get(name),
                required=name in required or (spec.get("type") == "file" and bool(spec.get("required"))),
                errors=errors,
                english=english,
                section=section_of.get(name, ("", "")),
            )
        )
    return views


def _entry(kind: str, post: Any, name: str) -> Any:
    """The stored value of one posted field, or None when left empty."""
    if kind == "thai_address":
        parts = {p: (post.get(f"{name}.{p}") or "").strip() for p in address.PARTS}
        return parts if any(parts.values()) else None
    raw = (post.get(name) or "").strip()
    if kind == "checkbox":
        return True if raw else None
    return parse_entry(kind, raw) if raw else None


def parse_post(schema: dict[str, Any], post: Any) -> dict[str, Any]:
    """Form fields → JSON data typed as the definition says (B.E. dates → ISO, baht → satang, address parts →
    one object, group rows → a list). Empty fields and empty group rows are left out (drafts may be partial)."""
    json_schema, ui = split(schema)
    data: dict[str, Any] = {}
    for name, spec in ui.get("fields", {}).items():
        kind = spec.get("type", "text")
        if kind == "file" or name not in json_schema.get("properties", {}):
            continue
        if kind == "group":
            indexes = sorted(
                {int(m["index"]) for key in post if (m := ROW_KEY.match(key)) and m["group"] == name},
            )[: int(spec.get("max_items") or 10) + 1]
            rows = []
            for index in indexes:
                item = {}
                for sub, sub_spec in spec.get("fields", {}).items():
                    value = _entry(sub_spec.get("type", "text"), post, f"{name}.{index}.{sub}")
                    if value is not None:
                        item[sub] = value
                if item:
                    rows.append(item)
            if rows:
                data[name] = rows
            continue
        value = _entry(kind, post, name)
        if value is not None:
            data[name] = value
    return data
