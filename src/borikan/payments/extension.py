"""What the fee pages may ask of the apps above payments, without importing them (the layers, ADR 0017): the
e-forms app registers, from its ready(), the source of a service's number fields a fee by quantity can count."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

NumberFields = Callable[..., list[dict[str, str]]]
_number_fields: list[NumberFields] = []


def register_number_fields(source: NumberFields) -> None:
    if source not in _number_fields:
        _number_fields.append(source)


def number_fields(*, service: Any) -> list[dict[str, str]]:
    """The registered source's answer, or none when no forms app is installed."""
    return _number_fields[0](service=service) if _number_fields else []
