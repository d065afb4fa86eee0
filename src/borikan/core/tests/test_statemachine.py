"""Declared state tables: the one writer of a record's status, and the lint that keeps it so."""

from __future__ import annotations

import importlib.util
import subprocess
import sys
from pathlib import Path

import pytest

from borikan.core.errors import ApplicationError
from borikan.core.statemachine import tables
from borikan.payments.models import Invoice
from borikan.payments.states import INVOICE

ROOT = Path(__file__).resolve().parents[4]


def test_every_stateful_record_has_a_table_with_thai_and_english_labels():
    names = set(tables())
    assert {"invoice", "refund", "delivery", "document", "approval round", "information request"} <= names
    for table in tables().values():
        for status in table.statuses.values:
            assert not table.label_th(status).isascii()  # a Thai label, not the key
            assert table.label_en(status)


def test_a_move_follows_the_table_and_refuses_anything_else():
    invoice = Invoice(status="open")
    assert INVOICE.move(invoice, "pay") == "paid"
    with pytest.raises(ApplicationError) as refused:
        INVOICE.move(invoice, "cancel")  # paid is final
    assert refused.value.code == "illegal_state_change"
    assert refused.value.status == 409
    assert invoice.status == "paid"


def _checker():
    spec = importlib.util.spec_from_file_location("check_status_writes", ROOT / "tools" / "check_status_writes.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_the_code_base_writes_statuses_only_through_the_tables():
    done = subprocess.run([sys.executable, str(ROOT / "tools" / "check_status_writes.py")], capture_output=True)
    assert done.returncode == 0, done.stdout.decode()


def test_the_lint_catches_a_raw_status_write(tmp_path):
    offending = tmp_path / "bad.py"
    offending.write_text(
        "def f(refund, Refund):\n"
        "    refund.status = 'succeeded'\n"
        "    Refund.objects.filter(pk=1).update(status='failed')\n"
        "    refund.a, refund.status = 1, 'x'\n"
        "    self_like = {}; self_like.update(status='fine')\n"
        "class E:\n"
        "    def __init__(self, status):\n"
        "        self.status = status\n",
        encoding="utf-8",
    )
    assert [line for line, _ in _checker().violations(offending)] == [2, 3, 4]


def test_each_table_has_its_generated_diagram_in_the_docs():
    for table in tables().values():
        path = ROOT / "docs" / "workflows" / f"{table.slug()}.md"
        assert path.exists() and path.read_text(encoding="utf-8") == table.document(), "run `make docs`"
