import datetime as dt
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from borikan.core.errors import ApplicationError
from borikan.payments.models import LineStatus
from borikan.payments.reconciliation import reconciliation_run


class Command(BaseCommand):
    help = (
        "Reconcile one settlement day: the bank's settlement CSV (fetched from the gateway, or --file) against the "
        "payments and refunds recorded here. Stores a reconciliation run and prints what does not match."
    )

    def add_arguments(self, parser) -> None:
        parser.add_argument("--date", required=True, help="settlement day, YYYY-MM-DD (Thai time)")
        parser.add_argument("--file", help="a settlement CSV to read instead of fetching it from the gateway")

    def handle(self, *args, date: str, file: str | None = None, **options) -> None:
        try:
            day = dt.date.fromisoformat(date)
        except ValueError:
            raise CommandError(f"--date must be YYYY-MM-DD, not {date!r}") from None
        content = None
        if file:
            path = Path(file)
            if not path.is_file():
                raise CommandError(f"no such file: {file}")
            content = path.read_bytes()
        try:
            run = reconciliation_run(actor=None, day=day, content=content, file_name=path.name if file else "")
        except ApplicationError as error:
            raise CommandError(f"{error.code}: {error.message_en}") from None
        counts = ", ".join(f"{status} {count}" for status, count in run.counts.items() if count)
        self.stdout.write(f"reconciliation run {run.pk} for {day}: {counts or 'nothing to reconcile'}")
        for line in run.lines.exclude(status=LineStatus.MATCHED).select_related("invoice"):
            where = f"row {line.row_number}" if line.row_number else "ours"
            self.stdout.write(
                f"  {line.status:<16} {line.record_type:<8} {line.txn_id or '-':<28} bank={line.bank_amount_satang} "
                f"ours={line.our_amount_satang} {line.invoice.number if line.invoice else ''} ({where}) {line.detail}"
            )
