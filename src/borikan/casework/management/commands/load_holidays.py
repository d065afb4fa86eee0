import datetime as dt
import json
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

from borikan.casework.deadlines import HOLIDAYS_FILE
from borikan.casework.models import PublicHoliday


class Command(BaseCommand):
    help = "Load public holidays (JSON like applications/data/thai-public-holidays.json); a bad entry loads nothing."

    def add_arguments(self, parser) -> None:
        parser.add_argument("path", nargs="?", default=str(HOLIDAYS_FILE))

    def handle(self, *args, path: str, **options) -> None:
        try:
            entries = json.loads(Path(path).read_text(encoding="utf-8"))["holidays"]
            rows = [(dt.date.fromisoformat(e["date"]), e["name_th"], e.get("name_en", "")) for e in entries]
        except (OSError, KeyError, TypeError, ValueError) as error:
            raise CommandError(f"{path}: not a holiday list ({error}); nothing was loaded") from None
        with transaction.atomic():
            for date, name_th, name_en in rows:
                PublicHoliday.objects.update_or_create(date=date, defaults={"name_th": name_th, "name_en": name_en})
        self.stdout.write(f"{len(rows)} public holidays loaded")
