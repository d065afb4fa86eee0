"""0010: every invoice issued before charges existed gets its one Thai QR charge, and its payment points at it. Run
for real: the database is taken back to before charges, rows are written with the models of that time, then the
migrations run forwards, again, backwards and forwards."""

from __future__ import annotations

import datetime as dt
import importlib

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor
from django.utils import timezone

from borikan.conftest import make_agency, make_user

BEFORE = [("payments", "0008_refund_requested_by_platform")]
SCHEMA = [("payments", "0009_charges")]
MIGRATED = [("payments", "0010_thai_qr_charges_for_existing_invoices")]

data_migration = importlib.import_module("borikan.payments.migrations.0010_thai_qr_charges_for_existing_invoices")


def _migrate(targets):
    executor = MigrationExecutor(connection)
    executor.migrate(targets)
    return MigrationExecutor(connection).loader.project_state(targets).apps


def _latest() -> None:
    executor = MigrationExecutor(connection)
    executor.migrate(executor.loader.graph.leaf_nodes())


@pytest.mark.django_db(transaction=True)
def test_each_existing_invoice_gets_its_thai_qr_charge_once():
    agency = make_agency("EXCISE")
    payer = make_user("payer@example.com")
    paid_at = timezone.now() - dt.timedelta(days=3)
    try:
        old = _migrate(BEFORE)
        Invoice, Payment = old.get_model("payments", "Invoice"), old.get_model("payments", "Payment")

        def invoice(n: int, status: str, **extra):
            return Invoice.objects.create(
                number=f"INV-EXCISE-2569-{n:06d}",
                case_ref=f"case-{n}",
                agency_id=agency.pk,
                payer_id=payer.pk,
                description="ค่าธรรมเนียม",
                amount_satang=1000 * n,
                ref1=f"BK{n}",
                ref2="EXCISE1",
                due_date=timezone.localdate(),
                status=status,
                qr_payload="000201",
                gateway_charge_id=f"ch_{n}",
                **extra,
            )

        opened = invoice(1, "open")
        paid = invoice(2, "paid", paid_at=paid_at)
        payment = Payment.objects.create(
            invoice_id=paid.pk, gateway_txn_id="txn_2", amount_satang=2000, paid_at=paid_at, raw_notification={}
        )
        cancelled = invoice(3, "cancelled")

        new = _migrate(MIGRATED)
        Charge, Payment = new.get_model("payments", "Charge"), new.get_model("payments", "Payment")
        charges = {
            c.invoice_id: (c.channel, c.reference, c.status, c.amount_satang, c.paid_at) for c in Charge.objects.all()
        }
        assert charges == {
            opened.pk: ("thai_qr", "ch_1", "pending", 1000, None),
            paid.pk: ("thai_qr", "ch_2", "paid", 2000, paid_at),
            cancelled.pk: ("thai_qr", "ch_3", "closed", 3000, None),
        }
        moved = Payment.objects.get(pk=payment.pk)
        assert (moved.charge.invoice_id, moved.channel) == (paid.pk, "thai_qr")
        assert Charge.objects.get(invoice_id=opened.pk).created_at == Invoice.objects.get(pk=opened.pk).created_at

        data_migration.forwards(new, None)  # run again: nothing doubled
        assert Charge.objects.count() == 3

        _migrate(SCHEMA)  # backwards: the charges go, the payments no longer point at them
        back = MigrationExecutor(connection).loader.project_state(SCHEMA).apps
        assert back.get_model("payments", "Charge").objects.count() == 0
        assert back.get_model("payments", "Payment").objects.get(pk=payment.pk).charge_id is None
        new = _migrate(MIGRATED)
        assert new.get_model("payments", "Charge").objects.count() == 3
    finally:
        _latest()
