"""Carry out due case effects (invoice creation, issuance); with --sweep also re-drive what never completed."""

import time

from django.core.management.base import BaseCommand

from borikan.applications.effects import run_due, sweep
from borikan.applications.models import CaseEffect, EffectStatus


class Command(BaseCommand):
    help = (
        "Run due case effects; --sweep re-drives abandoned effects and cases missing one; --failed lists given-up ones."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--sweep", action="store_true", dest="with_sweep", help="also create effects that cases are missing"
        )
        parser.add_argument("--every", type=float, default=0, help="repeat every N seconds (0: once)")
        parser.add_argument("--failed", action="store_true", help="list effects given up after their attempts")

    def handle(self, *args, with_sweep: bool = False, every: float = 0, failed: bool = False, **options):
        if failed:
            for effect in CaseEffect.objects.filter(status=EffectStatus.FAILED).order_by("id"):
                self.stdout.write(f"{effect.key}\tattempts={effect.attempts}\t{effect.last_error[:200]}")
            return
        while True:
            result = sweep() if with_sweep else {"ran": run_due()}
            self.stdout.write(" ".join(f"{name}={value}" for name, value in result.items()))
            if not every:
                return
            time.sleep(every)
