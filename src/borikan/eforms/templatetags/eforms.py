"""Template helpers of the form pages."""

from __future__ import annotations

import dataclasses
from typing import Any

from django import template

from borikan.eforms.formrender import FieldView
from borikan.identity.proven import prefill_values

from ..definition import split
from ..fields import entry_value
from ..prefill import prefill_data
from ..services import schema_for_case

register = template.Library()


@register.simple_tag
def prefill_fields(fields: list[FieldView], app: Any, user: Any) -> list[FieldView]:
    """The fields with the proven identity's answers filled in and locked (on every open by the applicant), and
    the person's profile offered in the empty ones on the first open of an untouched draft (no data saved yet).
    Marked `prefilled` so the page's autosave stores them."""
    if app.applicant_id != getattr(user, "pk", None) or app.status not in ("draft", "info_requested"):
        return fields
    schema = schema_for_case(app.case_ref, app.service)
    # What the proofing settled is filled in and locked on every open (the submission is refused otherwise).
    proven = prefill_values(schema, user)
    fields = [
        dataclasses.replace(
            f, value=entry_value(f.kind, proven[f.name]), prefilled=f.value != proven[f.name], locked=True
        )
        if f.name in proven
        else f
        for f in fields
    ]
    if app.form_data or app.status != "draft":
        return fields
    _, ui = split(schema)
    offered = prefill_data(ui, {}, user)
    return [
        dataclasses.replace(f, value=entry_value(f.kind, offered[f.name]), prefilled=True)
        if f.name in offered and not f.value
        else f
        for f in fields
    ]


@register.filter
def any_prefilled(fields: list[FieldView]) -> bool:
    return any(f.prefilled for f in fields)


@register.filter
def filled_rows(rows: list[list[FieldView]]) -> list[list[FieldView]]:
    """The items of a repeatable group that hold something (the page adds an empty one to fill)."""
    return [row for row in rows if any(f.display for f in row)]
