"""Long forms one section at a time, with a task list (GOV.UK's pattern for long applications).

A form with several titled sections is long on a phone: the person sees the list of its sections, each with
where it stands (not started, in progress, completed, needs attention), and fills one section per page. Saving a
section keeps every other section's answers as they were: the section's own fields are replaced by what was
posted, nothing else."""

from __future__ import annotations

import copy
from dataclasses import dataclass
from typing import Any

from .definition import split
from .formdata import form_errors

# A form with this many sections that hold fields is "long": one section per page and a task list.
LONG_FORM_SECTIONS = 3

NOT_STARTED, IN_PROGRESS, COMPLETED, NEEDS_ATTENTION = "not_started", "in_progress", "completed", "needs_attention"


@dataclass(frozen=True)
class Task:
    key: str
    title_th: str
    title_en: str
    status: str
    fields: tuple[str, ...]


def sections(schema: dict[str, Any]) -> list[dict[str, Any]]:
    """The form's sections that hold at least one field, in page order."""
    _json, ui = split(schema)
    return [section for section in ui.get("sections", []) if section.get("fields")]


def is_long(schema: dict[str, Any]) -> bool:
    return len(sections(schema)) >= LONG_FORM_SECTIONS


def section_fields(schema: dict[str, Any], key: str) -> tuple[str, ...] | None:
    """The names of the fields in section `key`, or None when the form has no such section."""
    for section in sections(schema):
        if section.get("key") == key:
            return tuple(section.get("fields", []))
    return None


def tasks(schema: dict[str, Any], data: dict[str, Any], *, attached: set[str]) -> list[Task]:
    """Each section and where it stands. `attached` names the file fields that already hold a file."""
    _json, ui = split(schema)
    specs = ui.get("fields", {})
    errors = form_errors(schema, copy.deepcopy(data))
    attachment = schema.get("x-attachment") or {}
    if attachment.get("required") and attachment.get("name") not in attached:
        errors.setdefault(attachment.get("name", "file"), {"th": "", "en": ""})
    found = []
    for section in sections(schema):
        names = tuple(section.get("fields", []))
        filled = [
            name
            for name in names
            if (name in attached if specs.get(name, {}).get("type") == "file" else data.get(name) not in (None, "", []))
        ]
        wrong = [name for name in names if name in errors]
        if not filled:
            status = NOT_STARTED
        elif not wrong:
            status = COMPLETED
        elif any(name in filled for name in wrong):
            status = NEEDS_ATTENTION  # something typed does not validate
        else:
            status = IN_PROGRESS  # started; required answers still missing
        found.append(
            Task(
                key=section.get("key", ""),
                title_th=section.get("title_th", "") or section.get("title_en", ""),
                title_en=section.get("title_en", "") or section.get("title_th", ""),
                status=status,
                fields=names,
            )
        )
    return found


def merge_section(stored: dict[str, Any], posted: dict[str, Any], names: tuple[str, ...]) -> dict[str, Any]:
    """The draft after saving one section: that section's fields as posted (left empty = removed), every
    other field as stored."""
    merged = {name: value for name, value in stored.items() if name not in names}
    merged.update({name: value for name, value in posted.items() if name in names})
    return merged


def posted_data(schema: dict[str, Any], stored: dict[str, Any], post: Any) -> dict[str, Any]:
    """What a form page posted, as the draft to store: a one-section page (its `section` field names the
    section) changes only that section's answers."""
    from .formrender import parse_post

    data = parse_post(schema, post)
    names = section_fields(schema, post.get("section") or "")
    return merge_section(stored, data, names) if names is not None else data
