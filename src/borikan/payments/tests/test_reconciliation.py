"""Reconciliation of the bank's daily settlement CSV (served by the sandbox bank) with what was recorded here."""

import csv
import io
import json

import pytest
from django.core.management import CommandError, call_command
from django.test import Client
from django.utils import timezone

from borikan.audit.models import AuditEntry
from borikan.conftest import sign_in
from borikan.core.errors import ApplicationError
from borikan.payments.models import LineStatus, ReconciliationLine, ReconciliationRun
from borikan.payments.reconciliation import COLUMNS, reconciliation_run
from borikan.payments.refunds import refund_approve, refund_request

from .gatewaykit import bank_notification, notification_for, post_webhook, refund_notification, settle, sign

pytestmark = pytest.mark.django_db


def statuses(run) -> dict[str, str]:
    return dict(run.lines.values_list("txn_id", "status"))


@pytest.fixture
def day_of_business(make_invoice, bank_gateway, officer, approver):
    """Today at the bank and here: one of each kind of line. Returns the transaction ids by expected status."""
    matched = settle(bank_gateway, make_invoice(ref1="BK2569000001"))
    # The bank's notification was lost: the bank settled it, we never heard.
    lost = bank_gateway.pay(make_invoice(ref1="BK2569000002").gateway_charge_id)
    # The bank settled 240.00 but a notification claiming 250.00 for the same transaction was posted here.
    short = bank_gateway.pay(make_invoice(ref1="BK2569000003").gateway_charge_id, amount_satang=24_000)
    body = bank_notification(short, amount_satang=25_000)
    assert post_webhook(Client(), body, sign(body)).json()["outcome"] == "posted"
    # The bank settled a wrong amount and told us truthfully: we hold it for an officer.
    held = settle(bank_gateway, make_invoice(ref1="BK2569000004"), expect="held", amount_satang=100)
    # Posted here from a notification the bank never sent (e.g. replayed from elsewhere): missing at the bank.
    phantom = make_invoice(ref1="BK2569000005")
    phantom_body = notification_for(phantom, paid_at=timezone.now().isoformat())
    assert post_webhook(Client(), phantom_body, sign(phantom_body)).json()["outcome"] == "posted"
    # A refund settled at the bank and here.
    refunded_invoice = make_invoice(ref1="BK2569000006")
    refunded_payment = settle(bank_gateway, refunded_invoice)
    refund = refund_request(actor=officer, invoice_number=refunded_invoice.number, amount_satang=5_000, reason="r")
    refund = refund_approve(actor=approver, refund_id=refund.pk)
    refund_body = refund_notification(bank_gateway, refund)
    assert post_webhook(Client(), refund_body, sign(refund_body)).json()["outcome"] == "posted"
    refund.refresh_from_db()
    return {
        "matched": [matched["txn_id"], refunded_payment["txn_id"], refund.gateway_refund_id],
        "missing_here": [lost["txn_id"]],
        "amount_mismatch": [short["txn_id"]],
        "held_here": [held["txn_id"]],
        "missing_at_bank": [json.loads(phantom_body)["txn_id"]],
    }


def test_the_days_statement_is_matched_line_by_line(day_of_business, agency):
    run = reconciliation_run(actor=None, day=timezone.localdate())
    found = statuses(run)
    for status, txn_ids in day_of_business.items():
        for txn_id in txn_ids:
            assert found.get(txn_id) == status, (status, txn_id)
    mismatch = run.lines.get(txn_id=day_of_business["amount_mismatch"][0])
    assert (mismatch.bank_amount_satang, mismatch.our_amount_satang, mismatch.agency) == (24_000, 25_000, agency)
    refund_line = run.lines.get(txn_id=day_of_business["matched"][2])
    assert (refund_line.record_type, refund_line.bank_amount_satang) == ("refund", 5_000)
    # The sandbox runs for the whole test session: other tests' payments show as missing here, never as matched.
    assert run.counts["matched"] == 3
    assert run.counts["missing_at_bank"] == 1
    assert AuditEntry.objects.get(action="payments.reconciled").data["counts"] == run.counts


def statement(*rows: tuple) -> bytes:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(COLUMNS)
    writer.writerows(rows)
    return out.getvalue().encode()


def test_a_statement_file_with_bad_rows_keeps_them_as_lines(make_invoice, bank_gateway):
    paid = settle(bank_gateway, make_invoice())
    at = paid["paid_at"]
    content = statement(
        ("payment", paid["txn_id"], paid["id"], paid["ref1"], paid["ref2"], "25000", at, ""),
        ("payment", paid["txn_id"], paid["id"], paid["ref1"], paid["ref2"], "25000", at, ""),
        ("payment", "txn_bad_amount", "ch_x", "", "", "12.50", at, ""),
        ("bonus", "txn_bad_type", "ch_x", "", "", "100", at, ""),
        ("payment", "txn_no_zone", "ch_x", "", "", "100", "2026-11-25T10:00:00", ""),
        ("payment", "too", "few"),
        ("payment", "txn_unknown", "ch_x", "X", "EXCISE6", "100", at, ""),
    )
    run = reconciliation_run(actor=None, day=timezone.localdate(), content=content, file_name="stmt.csv")
    assert (run.source, run.file_name) == ("file", "stmt.csv")
    invalid = list(run.lines.filter(status=LineStatus.INVALID_ROW).values_list("row_number", "detail"))
    assert [number for number, _ in invalid] == [3, 4, 5, 6, 7]
    assert "twice" in invalid[0][1] and "satang" in invalid[1][1] and "time zone" in invalid[3][1]
    assert run.lines.get(txn_id=paid["txn_id"], row_number=2).status == LineStatus.MATCHED
    unknown = run.lines.get(txn_id="txn_unknown")
    assert (unknown.status, unknown.agency.code) == (LineStatus.MISSING_HERE, "EXCISE")


@pytest.mark.parametrize(
    "content",
    [b"", b"date,amount\n2026-11-25,100\n", "\ufffe".encode("utf-16"), b"\xff\xfe\x00garbage"],
)
def test_a_file_that_is_not_a_statement_is_refused_and_nothing_is_written(content):
    with pytest.raises(ApplicationError) as caught:
        reconciliation_run(actor=None, day=timezone.localdate(), content=content)
    assert (caught.value.code, caught.value.status) == ("settlement_file_invalid", 422)
    assert caught.value.message_th and caught.value.message_en
    assert (ReconciliationRun.objects.count(), ReconciliationLine.objects.count()) == (0, 0)


def test_citizens_cannot_reconcile(citizen):
    with pytest.raises(ApplicationError) as caught:
        reconciliation_run(actor=citizen, day=timezone.localdate(), content=statement())
    assert (caught.value.code, caught.value.status) == ("forbidden", 403)


def test_the_unreachable_bank_is_a_503_and_nothing_is_written(settings):
    settings.BORIKAN_GATEWAY_URL = "http://127.0.0.1:9"
    with pytest.raises(ApplicationError) as caught:
        reconciliation_run(actor=None, day=timezone.localdate())
    assert (caught.value.code, caught.value.status) == ("payment_gateway_unavailable", 503)
    assert ReconciliationRun.objects.count() == 0


def test_the_command_reads_a_file_or_the_bank(tmp_path, make_invoice, bank_gateway):
    paid = settle(bank_gateway, make_invoice())
    path = tmp_path / "settlement.csv"
    path.write_bytes(statement(("payment", paid["txn_id"], paid["id"], "", "", "25000", paid["paid_at"], "")))
    out = io.StringIO()
    call_command("reconcile_payments", "--date", timezone.localdate().isoformat(), "--file", str(path), stdout=out)
    assert "matched 1" in out.getvalue()
    out = io.StringIO()
    call_command("reconcile_payments", "--date", timezone.localdate().isoformat(), stdout=out)
    assert f"reconciliation run {ReconciliationRun.objects.first().pk}" in out.getvalue()
    assert ReconciliationRun.objects.first().source == "gateway"
    with pytest.raises(CommandError, match="YYYY-MM-DD"):
        call_command("reconcile_payments", "--date", "25/11/2569")
    with pytest.raises(CommandError, match="no such file"):
        call_command("reconcile_payments", "--date", "2026-11-25", "--file", str(tmp_path / "nope.csv"))
    (tmp_path / "bad.csv").write_bytes(b"nonsense\n")
    with pytest.raises(CommandError, match="settlement_file_invalid"):
        call_command("reconcile_payments", "--date", "2026-11-25", "--file", str(tmp_path / "bad.csv"))


def test_staff_pages_run_show_only_their_agency_and_export(
    client, make_invoice, bank_gateway, officer, foreign_officer, citizen
):
    paid = settle(bank_gateway, make_invoice())
    content = statement(
        ("payment", paid["txn_id"], paid["id"], "", "", "25000", paid["paid_at"], ""),
        ("payment", "=HYPERLINK(1)", "ch_x", "", "EXCISE6", "100", paid["paid_at"], ""),
    )
    sign_in(client, officer)
    assert client.get("/payments/reconciliation/").status_code == 200
    upload = io.BytesIO(content)
    upload.name = "statement.csv"
    response = client.post("/payments/reconciliation/", {"date": timezone.localdate().isoformat(), "file": upload})
    assert response.status_code == 302
    run = ReconciliationRun.objects.get()
    assert response["Location"] == f"/payments/reconciliation/{run.pk}/"
    html = client.get(response["Location"]).content.decode()
    assert paid["txn_id"] in html
    export = client.get(f"/payments/reconciliation/{run.pk}/export.csv")
    assert export["Content-Type"].startswith("text/csv")
    rows = list(csv.reader(io.StringIO(export.content.decode())))
    assert rows[0][:3] == ["status", "record_type", "txn_id"]
    assert ["matched", paid["txn_id"]] == [rows[1][0], rows[1][2]]
    assert rows[2][2] == "'=HYPERLINK(1)"  # a statement cell is never a spreadsheet formula
    bad = client.post("/payments/reconciliation/", {"date": "yesterday"})
    assert bad.status_code == 422
    other = sign_in(Client(), foreign_officer)
    html = other.get(f"/payments/reconciliation/{run.pk}/").content.decode()
    assert paid["txn_id"] not in html
    assert list(
        csv.reader(io.StringIO(other.get(f"/payments/reconciliation/{run.pk}/export.csv").content.decode()))
    ) == [rows[0]]
    outsider = sign_in(Client(), citizen)
    assert outsider.get("/payments/reconciliation/").status_code == 404
    assert outsider.get(f"/payments/reconciliation/{run.pk}/").status_code == 404


def test_reconciliation_page_needs_staff_assurance(client, officer):
    sign_in(client, officer, "password")
    response = client.get("/payments/reconciliation/")
    assert response.status_code == 302
    assert "aal=2.1" in response["Location"]
