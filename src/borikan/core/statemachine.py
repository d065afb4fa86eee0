"""Declared state tables for the platform's stateful records (refunds, deliveries, documents, approval rounds,
information requests, invoices, claims, templates, case effects). ADR 0017.

Each app declares its table once — statuses (the model's TextChoices), the moves between them and a Thai label
for each status beside the English one — and changes a status only through `table.move(row, event)` (one row in
hand) or `table.update(queryset, event)` (compare-and-set in SQL). `make lint` (`tools/check_status_writes.py`)
fails on any other write of `.status`, so a status can only follow its table. The case itself
(`applications.Application`) has the richer engine of `applications/engine.py`.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from django.db import models

from .errors import ApplicationError


class IllegalStateChange(ApplicationError):
    status = 409


@dataclass(frozen=True)
class StateTable:
    name: str
    statuses: type[models.TextChoices]
    moves: Mapping[tuple[str, str], str]  # (from status, event) -> to status
    labels_th: Mapping[str, str]

    def __post_init__(self) -> None:
        known = set(self.statuses.values)
        used = {s for pair in self.moves for s in pair[:1]} | set(self.moves.values())
        if used - known or set(self.labels_th) != known:
            raise ValueError(f"{self.name}: the table and the statuses disagree ({used - known}, {self.labels_th})")

    def target(self, source: str, event: str) -> str | None:
        return self.moves.get((str(source), event))

    def move(self, row: Any, event: str) -> str:
        """Set the row's status to where `event` leads from its current one (the caller saves it)."""
        source = str(row.status)
        target = self.target(source, event)
        if target is None:
            raise IllegalStateChange(
                "illegal_state_change",
                f"ไม่สามารถ{event}ได้ในสถานะ {self.label_th(source)}",
                f"Cannot {event} a {self.name} that is {self.label_en(source)}",
                details={"status": source, "event": event, "record": self.name},
            )
        row.status = target
        return target

    def update(self, queryset: models.QuerySet, event: str, **fields: Any) -> int:
        """Compare-and-set in SQL: rows in a status `event` leaves from move to its one target; returns how many."""
        sources = [source for (source, e) in self.moves if e == event]
        targets = {self.moves[(source, event)] for source in sources}
        if len(targets) != 1:
            raise ValueError(f"{self.name}: {event!r} leads to {sorted(targets)}; move the rows one by one")
        return queryset.filter(status__in=sources).update(status=targets.pop(), **fields)

    def label_th(self, status: str) -> str:
        return self.labels_th.get(str(status), str(status))

    def label_en(self, status: str) -> str:
        return str(dict(self.statuses.choices).get(str(status), status))

    def mermaid(self) -> str:
        lines = ["stateDiagram-v2"]
        lines += [f"    {src} --> {dst}: {event}" for (src, event), dst in self.moves.items()]
        return "\n".join(lines)

    def slug(self) -> str:
        return self.name.replace(" ", "-")

    def document(self) -> str:
        """docs/workflows/<slug>.md: the diagram and the labels, generated from the table (`make docs`)."""
        rows = "\n".join(f"| `{s}` | {self.label_th(s)} | {self.label_en(s)} |" for s in self.statuses.values)
        return (
            f"# The {self.name} lifecycle\n\n"
            "Generated from its declared table (`core/statemachine.py`) by `make docs`; "
            "a test fails when it drifts.\n\n"
            f"```mermaid\n{self.mermaid()}\n```\n\n| status | ไทย | English |\n|---|---|---|\n{rows}\n"
        )


_tables: dict[str, StateTable] = {}


def declare(table: StateTable) -> StateTable:
    _tables[table.name] = table
    return table


def tables() -> dict[str, StateTable]:
    return dict(_tables)
