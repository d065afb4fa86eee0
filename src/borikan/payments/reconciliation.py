"""Reconciliation per channel (ADR 0018). The bank's daily settlement statement (CSV) is matched against the
payments and refunds of the channels the bank settles (Thai QR); money taken and handed back at an agency's
counter never passes through the bank and is reconciled against the counter's day-sheet instead
(`counter_day_sheet`: each payment and refund of the day with its officer, and the totals the cash drawer and the
card terminal should show).

Each statement row is matched by the bank's transaction id (a refund's row carries the bank's refund id):
matched, amount mismatch, held here (we hold that payment for an officer), or missing on our side. Payments and
settled refunds recorded here for the day (Thai time) that no row names are missing at the bank. Unreadable
rows are kept as lines of their own; a file that is not a statement at all is refused and nothing is written.
"""

from __future__ import annotations

import csv
import datetime as dt
import hashlib
import io
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from django.db import transaction
from django.utils import timezone

from borikan.agencies.models import Agency, StaffRole
from borikan.agencies.selectors import staff_agency_ids
from borikan.audit.services import audit_record
from borikan.core.errors import ApplicationError, NotFound, PermissionDenied, ValidationFailed
from borikan.identity.enforcement import require_staff

from .channels import bank_statement_channels, counter_channels
from .gateway import GatewayError, get_gateway
from .models import (
    CounterMethod,
    HeldPayment,
    LineStatus,
    Payment,
    ReconciliationLine,
    ReconciliationRun,
    ReconciliationSource,
    Refund,
    RefundStatus,
)

COLUMNS = ("record_type", "txn_id", "charge_id", "ref1", "ref2", "amount_satang", "settled_at", "reference")
MAX_FILE_BYTES = 20 * 1024 * 1024
MAX_ROWS = 200_000
RECONCILING_ROLES = (StaffRole.OFFICER, StaffRole.APPROVER, StaffRole.AGENCY_ADMIN)


def _invalid_file(message_en: str) -> ValidationFailed:
    return ValidationFailed(
        "settlement_file_invalid",
        "ไฟล์รายการชำระเงินของธนาคารไม่ถูกต้อง",
        f"The settlement file is not a valid statement: {message_en}",
        field="file",
    )


@dataclass(frozen=True)
class Row:
    number: int
    record_type: str
    txn_id: str
    charge_id: str
    ref2: str
    amount_satang: int


def _parse(content: bytes) -> tuple[list[Row], list[ReconciliationLine]]:
    """Readable rows, and a line for each unreadable one. Refuses (422) a file that is not a statement."""
    if len(content) > MAX_FILE_BYTES:
        raise _invalid_file(f"larger than {MAX_FILE_BYTES // (1024 * 1024)} MB")
    try:
        text = content.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise _invalid_file("not UTF-8 text") from exc
    reader = csv.reader(io.StringIO(text))
    try:
        header = next(reader, None)
    except csv.Error as exc:
        raise _invalid_file(str(exc)) from exc
    if header is None or tuple(column.strip() for column in header) != COLUMNS:
        raise _invalid_file("the header must be " + ",".join(COLUMNS))
    rows: list[Row] = []
    bad: list[ReconciliationLine] = []
    seen: set[tuple[str, str]] = set()

    def reject(number: int, detail: str, values: list[str]) -> None:
        bad.append(
            ReconciliationLine(
                status=LineStatus.INVALID_ROW,
                record_type=(values[0] if values else "")[:20],
                txn_id=(values[1] if len(values) > 1 else "")[:64],
                row_number=number,
                detail=detail[:500],
            )
        )

    try:
        for number, values in enumerate(reader, start=2):
            if number - 1 > MAX_ROWS:
                raise _invalid_file(f"more than {MAX_ROWS:,} rows")
            if not values or not any(value.strip() for value in values):
                continue
            values = [value.strip() for value in values]
            if len(values) != len(COLUMNS):
                reject(number, f"expected {len(COLUMNS)} columns, found {len(values)}", values)
                continue
            record = dict(zip(COLUMNS, values, strict=True))
            if record["record_type"] not in ("payment", "refund"):
                reject(number, "record_type must be payment or refund", values)
                continue
            if not record["txn_id"] or len(record["txn_id"]) > 64:
                reject(number, "txn_id is missing or too long", values)
                continue
            if not record["amount_satang"].isdigit() or int(record["amount_satang"]) <= 0:
                reject(number, "amount_satang must be a positive whole number of satang", values)
                continue
            try:
                settled = dt.datetime.fromisoformat(record["settled_at"])
            except ValueError:
                settled = None
            if settled is None or settled.tzinfo is None:
                reject(number, "settled_at must be an ISO 8601 time with a time zone", values)
                continue
            key = (record["record_type"], record["txn_id"])
            if key in seen:
                reject(number, "the same transaction appears twice in the statement", values)
                continue
            seen.add(key)
            rows.append(
                Row(
                    number=number,
                    record_type=record["record_type"],
                    txn_id=record["txn_id"],
                    charge_id=record["charge_id"][:64],
                    ref2=record["ref2"][:20],
                    amount_satang=int(record["amount_satang"]),
                )
            )
    except csv.Error as exc:
        raise _invalid_file(str(exc)) from exc
    return rows, bad


def _day_range(day: dt.date) -> tuple[dt.datetime, dt.datetime]:
    start = timezone.make_aware(dt.datetime.combine(day, dt.time.min))
    return start, start + dt.timedelta(days=1)


def _agency_from_ref2(ref2: str, agencies: dict[str, Agency]) -> Agency | None:
    """Ref2 is the agency code + one check digit (services.ref2_for)."""
    return agencies.get(ref2[:-1]) if len(ref2) > 1 else None


def _charge_reference(payment: Payment) -> str:
    return payment.charge.reference if payment.charge_id else payment.invoice.gateway_charge_id


def _match(day: dt.date, rows: Iterable[Row]) -> list[ReconciliationLine]:
    rows = list(rows)
    bank = bank_statement_channels()  # a counter payment is never on the bank's statement, nor missing from it
    payments = {
        p.gateway_txn_id: p
        for p in Payment.objects.filter(
            channel__in=bank, gateway_txn_id__in=[r.txn_id for r in rows if r.record_type == "payment"]
        ).select_related("invoice")
    }
    held = {
        h.gateway_txn_id: h
        for h in HeldPayment.objects.filter(
            gateway_txn_id__in=[r.txn_id for r in rows if r.record_type == "payment"]
        ).select_related("invoice")
    }
    refunds = {
        r.gateway_refund_id: r
        for r in Refund.objects.filter(
            payment__channel__in=bank, gateway_refund_id__in=[row.txn_id for row in rows if row.record_type == "refund"]
        ).select_related("invoice")
    }
    agencies = {agency.code.upper(): agency for agency in Agency.objects.all()}
    lines: list[ReconciliationLine] = []
    matched_payments: set[int] = set()
    matched_refunds: set[int] = set()
    for row in rows:
        line = ReconciliationLine(
            record_type=row.record_type,
            txn_id=row.txn_id,
            charge_id=row.charge_id,
            bank_amount_satang=row.amount_satang,
            row_number=row.number,
        )
        ours: Any = payments.get(row.txn_id) if row.record_type == "payment" else refunds.get(row.txn_id)
        if row.record_type == "refund" and ours is not None and ours.status != RefundStatus.SUCCEEDED:
            line.status, line.detail = LineStatus.MISSING_HERE, f"the refund is {ours.status} here, not succeeded"
            line.our_amount_satang, line.invoice = ours.amount_satang, ours.invoice
            matched_refunds.add(ours.pk)
        elif ours is not None:
            (matched_payments if row.record_type == "payment" else matched_refunds).add(ours.pk)
            line.invoice, line.our_amount_satang = ours.invoice, ours.amount_satang
            line.status = LineStatus.MATCHED if ours.amount_satang == row.amount_satang else LineStatus.AMOUNT_MISMATCH
        elif row.record_type == "payment" and row.txn_id in held:
            hold = held[row.txn_id]
            line.status, line.invoice = LineStatus.HELD_HERE, hold.invoice
            line.our_amount_satang, line.detail = hold.amount_satang, f"held here: {hold.reason}"
        else:
            line.status, line.detail = LineStatus.MISSING_HERE, "no record of this transaction here"
        line.agency = line.invoice.agency if line.invoice else _agency_from_ref2(row.ref2, agencies)
        lines.append(line)
    start, end = _day_range(day)
    for payment in Payment.objects.filter(channel__in=bank, paid_at__gte=start, paid_at__lt=end).select_related(
        "invoice__agency", "charge"
    ):
        if payment.pk not in matched_payments:
            lines.append(
                ReconciliationLine(
                    status=LineStatus.MISSING_AT_BANK,
                    record_type="payment",
                    txn_id=payment.gateway_txn_id,
                    charge_id=_charge_reference(payment),
                    agency=payment.invoice.agency,
                    invoice=payment.invoice,
                    our_amount_satang=payment.amount_satang,
                    detail="posted here, not in the bank's statement",
                )
            )
    for refund in Refund.objects.filter(
        payment__channel__in=bank, status=RefundStatus.SUCCEEDED, completed_at__gte=start, completed_at__lt=end
    ).select_related("invoice__agency", "payment__charge", "payment__invoice"):
        if refund.pk not in matched_refunds:
            lines.append(
                ReconciliationLine(
                    status=LineStatus.MISSING_AT_BANK,
                    record_type="refund",
                    txn_id=refund.gateway_refund_id or "",
                    charge_id=_charge_reference(refund.payment),
                    agency=refund.invoice.agency,
                    invoice=refund.invoice,
                    our_amount_satang=refund.amount_satang,
                    detail="refunded here, not in the bank's statement",
                )
            )
    return lines


def _may_reconcile(actor: Any) -> bool:
    return bool(getattr(actor, "is_superuser", False) or staff_agency_ids(user=actor, roles=RECONCILING_ROLES))


def reconciliation_run(
    *, actor: Any, day: dt.date, content: bytes | None = None, file_name: str = ""
) -> ReconciliationRun:
    """Reconcile one settlement day. Without `content`, the statement is fetched from the gateway.

    `actor` None is the management command; otherwise agency staff (officer, approver, admin) at staff assurance.
    """
    if actor is not None:
        if not _may_reconcile(actor):
            raise PermissionDenied(
                "เฉพาะเจ้าหน้าที่ของหน่วยงานเท่านั้นที่กระทบยอดการชำระเงินได้",
                "Only agency staff can reconcile payments",
            )
        require_staff(actor)
    if content is None:
        try:
            content = get_gateway().settlement_csv(day)
        except GatewayError as exc:
            raise ApplicationError(
                "payment_gateway_unavailable",
                "ดึงรายการชำระเงินจากธนาคารไม่ได้ กรุณาลองใหม่อีกครั้ง",
                "The bank's settlement statement could not be fetched; please try again",
                status=503 if exc.retryable else 502,
            ) from exc
        source = ReconciliationSource.GATEWAY
    else:
        source = ReconciliationSource.FILE
    rows, bad = _parse(content)
    lines = _match(day, rows) + bad
    counts = dict.fromkeys(LineStatus.values, 0)
    for line in lines:
        counts[line.status] += 1
    with transaction.atomic():
        run = ReconciliationRun.objects.create(
            settlement_date=day,
            source=source,
            file_name=(file_name or "")[:255],
            file_sha256=hashlib.sha256(content).hexdigest(),
            started_by=actor,
            counts=counts,
        )
        for line in lines:
            line.run = run
        ReconciliationLine.objects.bulk_create(lines)
        audit_record(
            actor=actor,
            action="payments.reconciled",
            object_type="reconciliation_run",
            object_id=run.pk,
            data={"date": day.isoformat(), "source": source, "sha256": run.file_sha256, "counts": counts},
        )
    return run


# --- reads for the staff pages ------------------------------------------------------------------------------


def runs_for_staff(*, user: Any) -> list[ReconciliationRun]:
    if not _may_reconcile(user):
        raise NotFound("reconciliation", "การกระทบยอด")
    require_staff(user)
    return list(ReconciliationRun.objects.all()[:50])


def run_for_staff(*, user: Any, run_id: int) -> tuple[ReconciliationRun, list[ReconciliationLine]]:
    """The run and the lines the user may see: those of their agencies (everything for a superuser)."""
    if not _may_reconcile(user):
        raise NotFound("reconciliation", "การกระทบยอด")
    require_staff(user)
    run = ReconciliationRun.objects.filter(pk=run_id).first()
    if run is None:
        raise NotFound("reconciliation", "การกระทบยอด")
    lines = run.lines.select_related("agency", "invoice")
    if not getattr(user, "is_superuser", False):
        lines = lines.filter(agency_id__in=staff_agency_ids(user=user, roles=RECONCILING_ROLES))
    return run, list(lines)


def _cell(text: str) -> str:
    """Text from a bank file is not a formula when the export is opened in a spreadsheet."""
    return "'" + text if text[:1] in ("=", "+", "-", "@", "\t", "\r") else text


def lines_csv(lines: Iterable[ReconciliationLine]) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(
        (
            "status",
            "record_type",
            "txn_id",
            "charge_id",
            "agency",
            "invoice",
            "bank_amount_satang",
            "our_amount_satang",
            "statement_row",
            "detail",
        )
    )
    for line in lines:
        writer.writerow(
            (
                line.status,
                _cell(line.record_type),
                _cell(line.txn_id),
                _cell(line.charge_id),
                line.agency.code if line.agency else "",
                line.invoice.number if line.invoice else "",
                "" if line.bank_amount_satang is None else line.bank_amount_satang,
                "" if line.our_amount_satang is None else line.our_amount_satang,
                line.row_number or "",
                _cell(line.detail),
            )
        )
    return out.getvalue()


# --- the counter's day-sheet -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class DaySheetLine:
    record_type: str  # payment / refund
    at: dt.datetime
    reference: str  # the counter charge's reference, or the refund's
    invoice_number: str
    receipt_number: str
    method: str  # cash / card (a refund is handed back the way the payment was taken)
    amount_satang: int  # positive for money in, negative for money out
    officer: str


@dataclass(frozen=True)
class DaySheet:
    """What one agency's counter took and handed back on one day (Thai time): to be checked against the cash drawer
    and the card terminal's batch. Bank (Thai QR) money is not here; the bank's statement reconciles it."""

    agency: Agency
    day: dt.date
    lines: list[DaySheetLine]

    def total(self, *, method: str | None = None, record_type: str | None = None) -> int:
        return sum(
            line.amount_satang
            for line in self.lines
            if (method is None or line.method == method) and (record_type is None or line.record_type == record_type)
        )

    @property
    def totals(self) -> dict[str, int]:
        """received, refunded (negative) and net, overall and per method."""
        totals = {
            "received_satang": self.total(record_type="payment"),
            "refunded_satang": self.total(record_type="refund"),
            "net_satang": self.total(),
        }
        for method in CounterMethod.values:
            totals[f"{method}_net_satang"] = self.total(method=method)
        return totals


def _officer(user: Any) -> str:
    return (user.full_name or user.email) if user is not None else ""


def counter_day_sheet(*, actor: Any, agency_code: str, day: dt.date) -> DaySheet:
    """The counter day-sheet of an agency: staff of that agency (officer, approver, admin) at staff assurance, or a
    superuser; anyone else gets NotFound (an agency they cannot see looks like none). Each read is audited."""
    agency = Agency.objects.filter(code__iexact=(agency_code or "").strip()).first()
    if agency is None or not (
        getattr(actor, "is_superuser", False) or agency.pk in staff_agency_ids(user=actor, roles=RECONCILING_ROLES)
    ):
        raise NotFound("counter day-sheet", "รายการรับจ่ายเงินที่เคาน์เตอร์")
    require_staff(actor)
    start, end = _day_range(day)
    counter = counter_channels()
    lines = [
        DaySheetLine(
            record_type="payment",
            at=payment.paid_at,
            reference=payment.gateway_txn_id,
            invoice_number=payment.invoice.number,
            receipt_number=getattr(getattr(payment, "receipt", None), "number", ""),
            method=payment.charge.method if payment.charge_id else "",
            amount_satang=payment.amount_satang,
            officer=_officer(payment.charge.recorded_by if payment.charge_id else None),
        )
        for payment in Payment.objects.filter(
            channel__in=counter, invoice__agency=agency, paid_at__gte=start, paid_at__lt=end
        ).select_related("invoice", "receipt", "charge__recorded_by")
    ]
    lines += [
        DaySheetLine(
            record_type="refund",
            at=refund.completed_at,
            reference=refund.reference,
            invoice_number=refund.invoice.number,
            receipt_number=getattr(getattr(refund.payment, "receipt", None), "number", ""),
            method=refund.payment.charge.method if refund.payment.charge_id else "",
            amount_satang=-refund.amount_satang,
            officer=_officer(refund.paid_out_by),
        )
        for refund in Refund.objects.filter(
            payment__channel__in=counter,
            agency=agency,
            status=RefundStatus.SUCCEEDED,
            completed_at__gte=start,
            completed_at__lt=end,
        ).select_related("invoice", "payment__receipt", "payment__charge", "paid_out_by")
    ]
    lines.sort(key=lambda line: (line.at, line.reference))
    audit_record(
        actor=actor,
        action="payments.counter_day_sheet_viewed",
        object_type="agency",
        object_id=agency.code,
        data={"date": day.isoformat(), "lines": len(lines)},
    )
    return DaySheet(agency=agency, day=day, lines=lines)


def day_sheet_csv(sheet: DaySheet) -> str:
    """One row per payment and refund, then the totals (satang; refunds negative)."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(("record_type", "time", "reference", "invoice", "receipt", "method", "amount_satang", "officer"))
    for line in sheet.lines:
        writer.writerow(
            (
                line.record_type,
                timezone.localtime(line.at).isoformat(),
                line.reference,
                line.invoice_number,
                line.receipt_number,
                line.method,
                line.amount_satang,
                _cell(line.officer),
            )
        )
    for name, amount in sheet.totals.items():
        writer.writerow(("total", "", name, "", "", "", amount, ""))
    return out.getvalue()
