"""Turn a service's JSON Schema into the fields of its HTML form (the server validates with the same schema)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.utils.translation import get_language

INPUT_TYPES = {"date": "date", "email": "email"}


@dataclass(frozen=True)
class FieldView:
    name: str
    label: str
    input_type: str
    value: str
    required: bool
    error: str
    choices: list[str]
    pattern: str


def form_fields(schema: dict[str, Any], data: dict[str, Any], errors: dict[str, dict[str, str]]) -> list[FieldView]:
    english = (get_language() or "th").startswith("en")
    required = set(schema.get("required", []))
    fields = []
    for name, prop in schema.get("properties", {}).items():
        label = prop.get("title", name) if english else prop.get("x-title-th", prop.get("title", name))
        if prop.get("type") == "number":
            input_type = "number"
        elif name in ("address", "family_relations") or prop.get("maxLength", 0) > 500:
            input_type = "textarea"
        else:
            input_type = INPUT_TYPES.get(prop.get("format", ""), "tel" if name == "phone" else "text")
        error = errors.get(name, {})
        fields.append(
            FieldView(
                name=name,
                label=label,
                input_type=input_type,
                value="" if data.get(name) is None else str(data.get(name)),
                required=name in required,
                error=error.get("en" if english else "th", ""),
                choices=list(prop.get("enum", [])),
                pattern=prop.get("pattern", "").strip("^$"),
            )
        )
    return fields


def parse_post(schema: dict[str, Any], post: Any) -> dict[str, Any]:
    """Form fields → JSON data typed as the schema says. Empty fields are left out (drafts may be partial)."""
    data: dict[str, Any] = {}
    for name, prop in schema.get("properties", {}).items():
        raw = (post.get(name) or "").strip()
        if not raw:
            continue
        if prop.get("type") == "number":
            try:
                data[name] = float(raw) if "." in raw else int(raw)
            except ValueError:
                data[name] = raw  # left as text so the schema reports it as the wrong type
        else:
            data[name] = raw
    return data
