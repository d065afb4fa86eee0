#!/usr/bin/env python3
"""Lint: a record's status changes only through its declared table (ADR 0017).

Fails on `<row>.status = ...` (any target but `self`) and on `.update(status=...)` outside the writers: the state
table's `move`/`update` (core/statemachine.py) and the case engine (applications/engine.py). Tests, migrations and
the sandboxes (stand-ins for outside parties, with their own state) are not platform writers.
"""

from __future__ import annotations

import ast
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SOURCE = ROOT / "src" / "borikan"
WRITERS = {
    "core/statemachine.py": "the state tables' one writer",
    "applications/engine.py": "the case engine, the one writer of Application.status",
    # A statement line is classified once, before it is saved; it has no lifecycle to follow.
    "payments/reconciliation.py": "reconciliation lines are classified, not moved",
}
SKIPPED_PARTS = {"tests", "migrations", "sandboxes"}


def _is_status_target(node: ast.expr) -> bool:
    if isinstance(node, ast.Tuple):
        return any(_is_status_target(element) for element in node.elts)
    return (
        isinstance(node, ast.Attribute)
        and node.attr == "status"
        and not (isinstance(node.value, ast.Name) and node.value.id == "self")
    )


def _is_queryset(node: ast.expr) -> bool:
    """`Model.objects.update(...)` or `<...>.filter(...).update(...)`; a dict's `update(status=...)` is not."""
    return isinstance(node, ast.Call) or (isinstance(node, ast.Attribute) and node.attr == "objects")


def violations(path: Path) -> list[tuple[int, str]]:
    found = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), filename=str(path))):
        if (isinstance(node, ast.Assign) and any(_is_status_target(target) for target in node.targets)) or (
            isinstance(node, (ast.AugAssign, ast.AnnAssign)) and _is_status_target(node.target)
        ):
            found.append((node.lineno, "assigns .status"))
        elif (
            isinstance(node, ast.Call)
            and isinstance(node.func, ast.Attribute)
            and node.func.attr in ("update", "update_or_create")
            and _is_queryset(node.func.value)
            and any(keyword.arg == "status" for keyword in node.keywords)
        ):
            found.append((node.lineno, f".{node.func.attr}(status=...)"))
    return sorted(found)


def main() -> int:
    problems = []
    for path in sorted(SOURCE.rglob("*.py")):
        relative = path.relative_to(SOURCE)
        if SKIPPED_PARTS & set(relative.parts) or relative.as_posix() in WRITERS:
            continue
        problems += [f"src/borikan/{relative}:{line}: {what}" for line, what in violations(path)]
    if problems:
        print("A status changes only through its state table (table.move / table.update, ADR 0017):")
        print("\n".join(problems))
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
