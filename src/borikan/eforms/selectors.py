"""Reads about form versions."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from .definition import definition_problems, field_order
from .models import ApplicationForm, FormVersion, VersionStatus


def versions_of(*, service: Any) -> list[FormVersion]:
    return list(FormVersion.objects.filter(service=service).select_related("created_by", "published_by"))


def draft_of(*, service: Any) -> FormVersion | None:
    return FormVersion.objects.filter(service=service, status=VersionStatus.DRAFT).first()


def problems_of(version: FormVersion) -> list[tuple[str, str]]:
    return definition_problems(version.schema, version.ui)


@dataclass(frozen=True)
class BuilderRow:
    name: str  # "field" or "group.sub"
    spec: dict[str, Any]
    required: bool
    section: str
    depth: int
    show_if_field: str
    show_if_value: str
    choices_text: str


def _rule_text(spec: dict[str, Any]) -> tuple[str, str]:
    rule = spec.get("show_if") or {}
    if "equals" in rule:
        value = rule["equals"]
        return rule.get("field", ""), ("true" if value is True else "false" if value is False else str(value))
    if "in" in rule:
        return rule.get("field", ""), ",".join(str(v) for v in rule["in"])
    return rule.get("field", ""), ""


def builder_rows(version: FormVersion) -> list[BuilderRow]:
    """The draft's fields in page order, each group followed by its own fields."""
    fields = version.ui.get("fields", {})
    props = version.schema.get("properties", {})
    required = set(version.schema.get("required", []))
    section_of = {name: s.get("key", "") for s in version.ui.get("sections", []) for name in s.get("fields", [])}
    rows = []

    def row(name: str, spec: dict[str, Any], is_required: bool, section: str, depth: int) -> BuilderRow:
        field, value = _rule_text(spec)
        choices = "\n".join(
            f"{c.get('value', '')} | {c.get('label_th', '')} | {c.get('label_en', '')}" for c in spec.get("choices", [])
        )
        return BuilderRow(name, spec, is_required, section, depth, field, value, choices)

    for name in field_order(version.ui):
        spec = fields.get(name, {})
        is_required = name in required or (spec.get("type") == "file" and bool(spec.get("required")))
        rows.append(row(name, spec, is_required, section_of.get(name, ""), 0))
        if spec.get("type") == "group":
            sub_required = set(props.get(name, {}).get("items", {}).get("required", []))
            for sub, sub_spec in spec.get("fields", {}).items():
                rows.append(row(f"{name}.{sub}", sub_spec, sub in sub_required, "", 1))
    return rows


def pinned_version(*, case_ref: str) -> FormVersion | None:
    """The form version an application was started with (None for a case never pinned). For the decision
    record: `pinned_version(case_ref=app.case_ref).number`."""
    pin = ApplicationForm.objects.select_related("form_version").filter(case_ref=case_ref).first()
    return pin.form_version if pin else None


def number_fields(*, service: Any) -> list[dict[str, str]]:
    """The number fields of the service's published form (else of its catalogue schema): what a fee by quantity
    can count. Read only; nothing is published here."""
    from .definition import from_legacy

    version = FormVersion.objects.filter(service=service, status=VersionStatus.PUBLISHED).order_by("-number").first()
    ui = version.ui if version is not None else from_legacy(service.form_schema or {})[1]
    fields = ui.get("fields", {}) if isinstance(ui, dict) else {}
    return [
        {"name": name, "label_th": str(spec.get("label_th") or name), "label_en": str(spec.get("label_en") or name)}
        for name, spec in fields.items()
        if isinstance(spec, dict) and spec.get("type") == "number"
    ]
