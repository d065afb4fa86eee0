"""Send the delivery outbox's due messages: from cron, or as a loop beside (or instead of) the task workers."""

import time

from django.core.management.base import BaseCommand

from borikan.delivery import outbox


class Command(BaseCommand):
    help = "Send due e-mail and SMS deliveries (retries included); ask the SMS provider for delivery receipts."

    def add_arguments(self, parser):
        parser.add_argument("--limit", type=int, default=500, help="at most this many sends per round")
        parser.add_argument("--loop", type=float, default=0, help="run again every N seconds (0: once)")
        parser.add_argument("--receipts", action="store_true", help="also refresh SMS delivery receipts")

    def handle(self, *args, **options):
        while True:
            sent = outbox.outbox_dispatch(limit=options["limit"])
            receipts = outbox.sms_receipts_refresh() if options["receipts"] else 0
            if options["verbosity"] > 0:
                self.stdout.write(f"dispatched {sent}, receipts updated {receipts}")
            if not options["loop"]:
                return
            time.sleep(options["loop"])
