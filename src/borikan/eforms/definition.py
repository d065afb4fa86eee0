"""A form definition: a JSON Schema (the data) plus UI hints (sections, labels, help, show_if, groups, files).

The two travel together as one dict: the schema with the UI under "x-ui" (an annotation JSON Schema ignores).
That dict is what `schema_for_case` returns and what applications' validation and page rendering read. A bare
schema from before form versions (catalogue `Service.form_schema`) gets its UI derived here.
"""

from __future__ import annotations

import copy
from typing import Any

from jsonschema import Draft202012Validator
from jsonschema.exceptions import SchemaError

from .fields import FIELD_TYPES, FILE_CONTENT_TYPES, JSON_TYPES, property_schema

UI_KEY = "x-ui"
DRAFT = "https://json-schema.org/draft/2020-12/schema"
MAX_FILE_MB = 5
MAX_FILE_COUNT = 1
LEGACY_SECTION = {"key": "main", "title_th": "ข้อมูลผู้ยื่นคำขอ", "title_en": "Applicant details"}


def legacy_kind(name: str, prop: dict[str, Any]) -> str:
    """The field type of a property written before field types existed."""
    if prop.get("x-field") in FIELD_TYPES:
        return prop["x-field"]
    fmt = prop.get("format")
    if fmt == "thai-citizen-id":
        return "citizen_id"
    if fmt == "thai-phone" or (name == "phone" and prop.get("type") == "string"):
        return "phone"  # forms generated before the phone type: typed with dashes and spaces like the citizen ID
    if fmt == "date":
        return "date_be"
    if fmt == "email":
        return "email"
    if "enum" in prop:
        return "choice"
    if prop.get("type") in ("number", "integer"):
        return "number"
    if prop.get("type") == "boolean":
        return "checkbox"
    if prop.get("type") == "object":
        return "thai_address"
    if prop.get("type") == "array":
        return "group"
    if name in ("address", "family_relations") or prop.get("maxLength", 0) > 500:
        return "textarea"
    return "text"


def _legacy_field(name: str, prop: dict[str, Any]) -> tuple[str, dict[str, Any]]:
    kind = legacy_kind(name, prop)
    spec: dict[str, Any] = {
        "type": kind,
        "label_th": prop.get("x-title-th") or prop.get("title") or name,
        "label_en": prop.get("title") or name,
    }
    if kind == "choice":
        spec["choices"] = [{"value": v, "label_th": str(v), "label_en": str(v)} for v in prop.get("enum", [])]
    return kind, spec


def from_legacy(schema: dict[str, Any]) -> tuple[dict[str, Any], dict[str, Any]]:
    """(schema, ui) of a version made from a catalogue form schema: each property tagged with its field type,
    one section in the schema's order, the one attachment as a file field."""
    schema = copy.deepcopy(schema or {})
    schema.pop(UI_KEY, None)
    schema.setdefault("$schema", DRAFT)
    schema.setdefault("type", "object")
    schema.setdefault("properties", {})
    fields: dict[str, Any] = {}
    for name, prop in schema["properties"].items():
        kind, spec = _legacy_field(name, prop)
        prop["x-field"] = kind
        if kind == "phone" and prop.get("format") != "thai-phone":
            prop.pop("pattern", None)
            prop["format"] = "thai-phone"
        fields[name] = spec
    order = list(fields)
    attachment = schema.get("x-attachment")
    if attachment:
        fields[attachment["name"]] = {
            "type": "file",
            "label_th": attachment.get("x-title-th") or attachment.get("title") or attachment["name"],
            "label_en": attachment.get("title") or attachment["name"],
            "accept": list(attachment.get("content_types", FILE_CONTENT_TYPES)),
            "max_size_mb": MAX_FILE_MB,
            "max_count": 1,
            "required": bool(attachment.get("required")),
        }
        order.append(attachment["name"])
    return schema, {"sections": [{**LEGACY_SECTION, "fields": order}], "fields": fields}


def split(definition: dict[str, Any]) -> tuple[dict[str, Any], dict[str, Any]]:
    """(schema, ui) of a definition; a bare schema gets its UI derived."""
    if UI_KEY in definition:
        schema = {k: v for k, v in definition.items() if k != UI_KEY}
        return schema, definition[UI_KEY]
    return from_legacy(definition)


def combine(schema: dict[str, Any], ui: dict[str, Any]) -> dict[str, Any]:
    """The one dict pages and validation read. The first file field also appears as the schema's "x-attachment",
    the spec the applications' upload path checks content types against."""
    combined = {**copy.deepcopy(schema), UI_KEY: copy.deepcopy(ui)}
    # The labels also as the schema's own annotations ("title", "x-title-th"), for readers of the bare schema.
    for name, prop in combined.get("properties", {}).items():
        spec = ui.get("fields", {}).get(name) or {}
        if isinstance(prop, dict) and spec.get("label_en"):
            prop["title"] = spec["label_en"]
        if isinstance(prop, dict) and spec.get("label_th"):
            prop["x-title-th"] = spec["label_th"]
    files = [(name, spec) for name, spec in ui.get("fields", {}).items() if spec.get("type") == "file"]
    if files:
        name, spec = files[0]
        combined["x-attachment"] = {
            "name": name,
            "title": spec.get("label_en", name),
            "x-title-th": spec.get("label_th", name),
            "content_types": list(spec.get("accept") or FILE_CONTENT_TYPES),
            "required": bool(spec.get("required")),
            "max_size_mb": spec.get("max_size_mb", MAX_FILE_MB),
            "max_count": spec.get("max_count", 1),
        }
    else:
        combined.pop("x-attachment", None)
    return combined


def field_order(ui: dict[str, Any]) -> list[str]:
    """Top-level field names in page order: by section, then any field no section lists."""
    seen: list[str] = []
    for section in ui.get("sections", []):
        seen.extend(f for f in section.get("fields", []) if f not in seen)
    seen.extend(f for f in ui.get("fields", {}) if f not in seen)
    return seen


# --- publishing rules -------------------------------------------------------------------------------------


def _label_problems(where: str, spec: dict[str, Any]) -> list[tuple[str, str]]:
    problems = []
    if not str(spec.get("label_th") or "").strip():
        problems.append((f"ช่อง {where} ไม่มีชื่อภาษาไทย", f"Field {where} has no Thai label"))
    if not str(spec.get("label_en") or "").strip():
        problems.append((f"ช่อง {where} ไม่มีชื่อภาษาอังกฤษ", f"Field {where} has no English label"))
    return problems


def _field_problems(where: str, prop: dict[str, Any] | None, spec: dict[str, Any]) -> list[tuple[str, str]]:
    problems = _label_problems(where, spec)
    kind = spec.get("type")
    if kind not in FIELD_TYPES:
        return [*problems, (f"ช่อง {where} ใช้ชนิดที่ระบบไม่รู้จัก", f"Field {where} has an unknown type {kind!r}")]
    if kind == "file":
        accept = spec.get("accept") or []
        if not accept or any(t not in FILE_CONTENT_TYPES for t in accept):
            problems.append((f"ช่อง {where} รับไฟล์ได้เฉพาะ PDF JPEG PNG", f"Field {where} may accept PDF, JPEG, PNG"))
        size, count = spec.get("max_size_mb"), spec.get("max_count")
        if not isinstance(size, int | float) or not 0 < size <= MAX_FILE_MB:
            problems.append((f"ช่อง {where}: ขนาดไฟล์ต้อง 1–{MAX_FILE_MB} MB", f"Field {where}: size 1–{MAX_FILE_MB} MB"))
        if count != MAX_FILE_COUNT:
            # Applications keep one file per field (applications.Attachment: one per application and field).
            problems.append((f"ช่อง {where}: รับได้ 1 ไฟล์", f"Field {where}: takes exactly {MAX_FILE_COUNT} file"))
        if prop is not None:
            problems.append((f"ช่อง {where} เป็นไฟล์ ต้องไม่อยู่ในโครงสร้างข้อมูล", f"File field {where} is not data"))
        return problems
    if prop is None:
        return [*problems, (f"ช่อง {where} ไม่มีในโครงสร้างข้อมูล", f"Field {where} is missing from the schema")]
    if prop.get("x-field") != kind or prop.get("type") != JSON_TYPES[kind]:
        problems.append((f"ช่อง {where} ชนิดข้อมูลไม่ตรงกับชนิดช่อง", f"Field {where}: schema does not match type {kind}"))
    if kind == "choice":
        choices = spec.get("choices") or []
        if not choices:
            problems.append((f"ช่อง {where} ยังไม่มีตัวเลือก", f"Field {where} has no choices"))
        for choice in choices:
            if not choice.get("label_th") or not choice.get("label_en"):
                problems.append((f"ตัวเลือกของ {where} ต้องมีชื่อไทยและอังกฤษ", f"Choices of {where} need both labels"))
                break
    if kind == "group":
        items = prop.get("items") or {}
        sub_props = items.get("properties", {})
        sub_specs = spec.get("fields") or {}
        if not sub_specs:
            problems.append((f"กลุ่ม {where} ยังไม่มีช่อง", f"Group {where} has no fields"))
        for sub, sub_spec in sub_specs.items():
            if sub_spec.get("type") in ("group", "file"):
                problems.append((f"กลุ่ม {where} ซ้อนกลุ่มหรือไฟล์ไม่ได้", f"Group {where} cannot hold groups or files"))
                continue
            problems.extend(_field_problems(f"{where}.{sub}", sub_props.get(sub), sub_spec))
        for sub in sub_props:
            if sub not in sub_specs:
                problems.append((f"ช่อง {where}.{sub} ไม่มีชื่อที่แสดง", f"Field {where}.{sub} has no labels"))
    return problems


def _show_if_problems(name: str, spec: dict[str, Any], names: set[str]) -> list[tuple[str, str]]:
    rule = spec.get("show_if")
    if not rule:
        return []
    if not isinstance(rule, dict) or rule.get("field") not in names or rule.get("field") == name:
        return [(f"เงื่อนไขการแสดงช่อง {name} อ้างถึงช่องที่ไม่มี", f"The show_if of {name} names no other field")]
    if not any(k in rule for k in ("equals", "in", "filled")):
        return [(f"เงื่อนไขการแสดงช่อง {name} ไม่ครบ", f"The show_if of {name} needs equals, in or filled")]
    return []


def definition_problems(schema: dict[str, Any], ui: dict[str, Any]) -> list[tuple[str, str]]:
    """Why this definition may not be published ([] when it may): a valid Draft 2020-12 schema of an object,
    only our field types, every field labelled in Thai and English, sections and conditions that add up."""
    problems: list[tuple[str, str]] = []
    try:
        Draft202012Validator.check_schema(schema)
    except SchemaError as error:
        return [("โครงสร้างข้อมูลไม่ใช่ JSON Schema ที่ถูกต้อง", f"The schema is not a valid JSON Schema: {error.message}")]
    if schema.get("$schema", DRAFT) != DRAFT:
        problems.append(("ต้องใช้ JSON Schema Draft 2020-12", "The schema must be JSON Schema Draft 2020-12"))
    if schema.get("type") != "object" or schema.get("additionalProperties") is not False:
        problems.append(("โครงสร้างข้อมูลต้องเป็นออบเจกต์ที่ปิด", "The schema must be a closed object"))
    props: dict[str, Any] = schema.get("properties", {})
    fields: dict[str, Any] = ui.get("fields", {})
    if not [f for f in fields.values() if f.get("type") != "file"]:
        problems.append(("แบบคำขอต้องมีอย่างน้อยหนึ่งช่อง", "The form needs at least one field"))
    for name, spec in fields.items():
        problems.extend(_field_problems(name, props.get(name), spec))
        problems.extend(_show_if_problems(name, spec, set(fields)))
        if spec.get("type") == "group":
            subs = spec.get("fields") or {}
            for sub, sub_spec in subs.items():
                problems.extend(_show_if_problems(f"{name}.{sub}", sub_spec, set(subs) | set(fields)))
    if len([f for f in fields.values() if f.get("type") == "file"]) > 1:
        # The applications' upload path takes the form's one attachment ("x-attachment").
        problems.append(("แบบคำขอมีช่องไฟล์ได้หนึ่งช่อง", "A form may have one file field"))
    for name in props:
        if name not in fields:
            problems.append((f"ช่อง {name} ไม่มีชื่อที่แสดง", f"Field {name} has no labels"))
    for name in schema.get("required", []):
        if name not in props:
            problems.append((f"ช่องบังคับ {name} ไม่มีอยู่", f"Required field {name} does not exist"))
    listed: list[str] = []
    for section in ui.get("sections", []):
        problems.extend(
            (f"หัวข้อ {section.get('key')} ไม่มีชื่อ{lang}", f"Section {section.get('key')} has no {en} title")
            for lang, en, key in (("ภาษาไทย", "Thai", "title_th"), ("ภาษาอังกฤษ", "English", "title_en"))
            if not str(section.get(key) or "").strip()
        )
        listed.extend(section.get("fields", []))
    for name in listed:
        if name not in fields:
            problems.append((f"หัวข้ออ้างถึงช่อง {name} ที่ไม่มี", f"A section lists field {name}, which does not exist"))
    if sorted(listed) != sorted(set(listed)) or set(listed) != set(fields):
        problems.append(("ทุกช่องต้องอยู่ในหัวข้อเดียว", "Every field must be in exactly one section"))
    return problems


def new_property(kind: str, spec: dict[str, Any]) -> dict[str, Any]:
    """The schema property the builder writes for a field of this type."""
    if kind == "group":
        return {
            "x-field": "group",
            "type": "array",
            "items": {"type": "object", "properties": {}, "required": [], "additionalProperties": False},
            "minItems": int(spec.get("min_items") or 0),
            "maxItems": int(spec.get("max_items") or 10),
        }
    return property_schema(kind, spec)
