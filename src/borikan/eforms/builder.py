"""Edits the form builder page makes to a draft: plain functions from (schema, ui) to a new (schema, ui).

A field is named "name" at the top level or "group.sub" inside a repeatable group. Problems of the whole
definition (labels missing, a show_if naming nothing...) are left to the publishing check; these refuse only
edits that cannot be applied.
"""

from __future__ import annotations

import copy
import re
from typing import Any

from borikan.core.errors import ValidationFailed

from .definition import new_property
from .fields import FIELD_TYPES, FILE_CONTENT_TYPES

NAME = re.compile(r"^[a-z][a-z0-9_]{0,39}$")
Definition = tuple[dict[str, Any], dict[str, Any]]


def _bad(code: str, th: str, en: str, field: str | None = None) -> ValidationFailed:
    return ValidationFailed(code, th, en, field=field)


def _split_name(name: str) -> tuple[str, str]:
    group, _, sub = name.partition(".")
    return group, sub


def _containers(schema: dict[str, Any], ui: dict[str, Any], name: str) -> tuple[dict, dict, list, str]:
    """(properties, UI fields, required list, leaf name) of the level the field lives at."""
    group, sub = _split_name(name)
    if not sub:
        return schema.setdefault("properties", {}), ui.setdefault("fields", {}), schema.setdefault("required", []), name
    group_spec = ui.get("fields", {}).get(group)
    group_prop = schema.get("properties", {}).get(group)
    if not group_spec or group_spec.get("type") != "group" or not group_prop:
        raise _bad("no_such_group", "ไม่พบกลุ่มที่ระบุ", "There is no such repeatable group", "group")
    items = group_prop.setdefault("items", {"type": "object", "properties": {}, "additionalProperties": False})
    return (
        items.setdefault("properties", {}),
        group_spec.setdefault("fields", {}),
        items.setdefault("required", []),
        sub,
    )


def _choices(text: str) -> list[dict[str, str]]:
    """One choice a line: value | Thai label | English label."""
    choices = []
    for line in text.splitlines():
        if not line.strip():
            continue
        parts = [p.strip() for p in line.split("|")]
        value = parts[0]
        choices.append(
            {
                "value": value,
                "label_th": parts[1] if len(parts) > 1 else value,
                "label_en": parts[2] if len(parts) > 2 else value,
            }
        )
    return choices


def field_add(
    schema: dict[str, Any],
    ui: dict[str, Any],
    *,
    name: str,
    kind: str,
    label_th: str,
    label_en: str,
    section: str = "",
    required: bool = False,
    group: str = "",
) -> Definition:
    schema, ui = copy.deepcopy(schema), copy.deepcopy(ui)
    if not NAME.match(name):
        raise _bad(
            "invalid_field_name",
            "ชื่อช่องต้องเป็นอักษรอังกฤษตัวเล็ก ตัวเลข หรือ _ ขึ้นต้นด้วยตัวอักษร",
            "A field name is lowercase letters, digits or _, starting with a letter",
            "name",
        )
    if kind not in FIELD_TYPES:
        raise _bad("invalid_field_type", "ไม่รู้จักชนิดช่องนี้", "Unknown field type", "type")
    full = f"{group}.{name}" if group else name
    props, specs, required_list, leaf = _containers(schema, ui, full)
    if leaf in specs or leaf in props:
        raise _bad("field_exists", "มีช่องชื่อนี้อยู่แล้ว", "A field with this name already exists", "name")
    if group and kind in ("group", "file"):
        raise _bad("nested_group", "ในกลุ่มใส่กลุ่มหรือไฟล์ไม่ได้", "A group cannot hold a group or a file", "type")
    spec: dict[str, Any] = {"type": kind, "label_th": label_th.strip(), "label_en": label_en.strip()}
    if kind == "file":
        spec.update({"accept": list(FILE_CONTENT_TYPES), "max_size_mb": 5, "max_count": 1, "required": required})
    elif kind == "group":
        spec.update({"fields": {}, "min_items": 1 if required else 0, "max_items": 10})
    elif kind == "choice":
        spec["choices"] = []
    specs[leaf] = spec
    if kind != "file":
        props[leaf] = new_property(kind, spec)
        if required:
            required_list.append(leaf)
    if not group:
        sections = ui.setdefault("sections", [])
        target = next((s for s in sections if s.get("key") == section), None)
        if target is None:
            if not sections:
                sections.append({"key": "main", "title_th": "ข้อมูลคำขอ", "title_en": "Application", "fields": []})
            target = sections[-1]
        target.setdefault("fields", []).append(leaf)
    return schema, ui


def field_update(schema: dict[str, Any], ui: dict[str, Any], *, name: str, values: dict[str, Any]) -> Definition:
    """Change a field's labels, help, required, section, show_if and its type's settings (all from `values`,
    the builder form: keys absent are left as they are)."""
    schema, ui = copy.deepcopy(schema), copy.deepcopy(ui)
    props, specs, required_list, leaf = _containers(schema, ui, name)
    spec = specs.get(leaf)
    if spec is None:
        raise NotFoundField(name)
    for key in ("label_th", "label_en", "help_th", "help_en", "error_th", "error_en"):
        if key in values:
            spec[key] = str(values[key]).strip()
            if not spec[key] and key.startswith(("help", "error")):
                spec.pop(key)
    kind = spec["type"]
    if "show_if_field" in values:
        field, value = str(values.get("show_if_field") or "").strip(), str(values.get("show_if_value") or "").strip()
        if not field:
            spec.pop("show_if", None)
        elif value in ("", "*"):
            spec["show_if"] = {"field": field, "filled": True}
        elif value in ("true", "false"):
            spec["show_if"] = {"field": field, "equals": value == "true"}
        else:
            spec["show_if"] = {"field": field, "in": [v.strip() for v in value.split(",") if v.strip()]}
    if kind == "choice" and "choices" in values:
        spec["choices"] = _choices(str(values["choices"]))
    if kind == "file":
        if "accept" in values:
            spec["accept"] = [t for t in values["accept"] if t in FILE_CONTENT_TYPES]
        for key in ("max_size_mb", "max_count"):
            if key in values:
                spec[key] = _int(values[key], key)
    if kind == "group":
        for key in ("min_items", "max_items"):
            if key in values:
                spec[key] = _int(values[key], key)
    if kind in ("text", "textarea") and values.get("max_length"):
        spec["max_length"] = _int(values["max_length"], "max_length")
    if kind == "phone" and values.get("phone_kind") in ("any", "mobile", "landline"):
        spec["phone_kind"] = values["phone_kind"]
    if kind == "group":
        prop = props[leaf]
        prop["minItems"], prop["maxItems"] = spec.get("min_items", 0), spec.get("max_items", 10)
    elif kind == "choice" or (kind in ("text", "textarea") and values.get("max_length")):
        props[leaf] = new_property(kind, spec)  # other properties keep their own constraints (a legacy pattern)
    if "required" in values:
        wanted = bool(values["required"])
        if kind == "file":
            spec["required"] = wanted
        elif wanted and leaf not in required_list:
            required_list.append(leaf)
        elif not wanted and leaf in required_list:
            required_list.remove(leaf)
    if "section" in values and "." not in name and values["section"]:
        for section in ui.get("sections", []):
            if leaf in section.get("fields", []):
                section["fields"].remove(leaf)
        target = next((s for s in ui.get("sections", []) if s.get("key") == values["section"]), None)
        if target is None:
            raise _bad("no_such_section", "ไม่พบหัวข้อที่ระบุ", "There is no such section", "section")
        target.setdefault("fields", []).append(leaf)
    return schema, ui


def _int(value: Any, field: str) -> int:
    try:
        return int(value)
    except (TypeError, ValueError):
        raise _bad("invalid_number", "ต้องเป็นจำนวนเต็ม", "Must be a whole number", field) from None


class NotFoundField(ValidationFailed):
    status = 404

    def __init__(self, name: str) -> None:
        super().__init__("no_such_field", f"ไม่พบช่อง {name}", f"There is no field {name}", field="name")


def field_remove(schema: dict[str, Any], ui: dict[str, Any], *, name: str) -> Definition:
    schema, ui = copy.deepcopy(schema), copy.deepcopy(ui)
    props, specs, required_list, leaf = _containers(schema, ui, name)
    if leaf not in specs:
        raise NotFoundField(name)
    specs.pop(leaf)
    props.pop(leaf, None)
    if leaf in required_list:
        required_list.remove(leaf)
    if "." not in name:
        for section in ui.get("sections", []):
            if leaf in section.get("fields", []):
                section["fields"].remove(leaf)
    return schema, ui


def field_move(schema: dict[str, Any], ui: dict[str, Any], *, name: str, step: int) -> Definition:
    """Move a field up (step -1) or down (+1) within its section (or within its group)."""
    schema, ui = copy.deepcopy(schema), copy.deepcopy(ui)
    group, sub = _split_name(name)
    if sub:
        _, specs, _, leaf = _containers(schema, ui, name)
        order = list(specs)
        if leaf not in order:
            raise NotFoundField(name)
        i = order.index(leaf)
        j = max(0, min(len(order) - 1, i + step))
        order[i], order[j] = order[j], order[i]
        ui["fields"][group]["fields"] = {k: specs[k] for k in order}
        return schema, ui
    for section in ui.get("sections", []):
        fields = section.get("fields", [])
        if name in fields:
            i = fields.index(name)
            j = max(0, min(len(fields) - 1, i + step))
            fields[i], fields[j] = fields[j], fields[i]
            return schema, ui
    raise NotFoundField(name)


def section_save(ui: dict[str, Any], *, key: str, title_th: str, title_en: str) -> dict[str, Any]:
    """Add a section, or rename the one with this key."""
    ui = copy.deepcopy(ui)
    if not NAME.match(key):
        raise _bad("invalid_section_key", "รหัสหัวข้อไม่ถูกต้อง", "A section key is lowercase letters and digits", "key")
    sections = ui.setdefault("sections", [])
    section = next((s for s in sections if s.get("key") == key), None)
    if section is None:
        section = {"key": key, "fields": []}
        sections.append(section)
    section["title_th"], section["title_en"] = title_th.strip(), title_en.strip()
    return ui


def section_remove(ui: dict[str, Any], *, key: str) -> dict[str, Any]:
    ui = copy.deepcopy(ui)
    section = next((s for s in ui.get("sections", []) if s.get("key") == key), None)
    if section is None:
        raise _bad("no_such_section", "ไม่พบหัวข้อที่ระบุ", "There is no such section", "section")
    if section.get("fields"):
        raise _bad("section_not_empty", "ย้ายช่องออกจากหัวข้อก่อนลบ", "Move the fields out before removing it", "section")
    ui["sections"].remove(section)
    return ui
