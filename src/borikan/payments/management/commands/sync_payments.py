import datetime as dt

from django.core.management.base import BaseCommand
from django.utils import timezone

from borikan.core.errors import ApplicationError
from borikan.payments.models import Invoice, InvoiceStatus, Refund, RefundStatus
from borikan.payments.refunds import refund_sync
from borikan.payments.services import payment_sync


class Command(BaseCommand):
    help = (
        "Ask the gateway about open invoices and sent refunds whose notification may have been lost, and apply what "
        "it says (posted, held or duplicate; never twice). Run it from a scheduler, e.g. every 15 minutes."
    )

    def add_arguments(self, parser) -> None:
        parser.add_argument("--older-than-minutes", type=int, default=10, help="skip invoices issued more recently")

    def handle(self, *args, older_than_minutes: int, **options) -> None:
        cutoff = timezone.now() - dt.timedelta(minutes=max(0, older_than_minutes))
        checked = applied = 0
        for invoice in Invoice.objects.filter(status=InvoiceStatus.OPEN, created_at__lte=cutoff).iterator():
            checked += 1
            try:
                result = payment_sync(invoice=invoice)
            except ApplicationError as error:
                self.stderr.write(f"{invoice.number}: {error.code}")
                continue
            if result is not None:
                applied += 1
                self.stdout.write(f"{invoice.number}: {result.outcome}")
        self.stdout.write(f"checked {checked} open invoices; {applied} paid at the bank")
        checked = completed = 0
        for refund in Refund.objects.filter(status=RefundStatus.PENDING, updated_at__lte=cutoff).iterator():
            checked += 1
            try:
                outcome = refund_sync(refund=refund)
            except ApplicationError as error:
                self.stderr.write(f"{refund.reference}: {error.code}")
                continue
            if outcome is not None:
                completed += 1
                self.stdout.write(f"{refund.reference}: {outcome}")
        self.stdout.write(f"checked {checked} pending refunds; {completed} completed at the bank")
