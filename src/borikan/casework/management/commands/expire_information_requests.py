import datetime as dt

from django.core.management.base import BaseCommand, CommandError

from borikan.casework.services import expire_information_requests


class Command(BaseCommand):
    help = (
        "Close each request for information left unanswered past its deadline as its service defines (reject or "
        "withdrawn). Run daily; --date names the day (default: today, Thai time)."
    )

    def add_arguments(self, parser) -> None:
        parser.add_argument("--date", default="", help="YYYY-MM-DD: act as on this day")

    def handle(self, *args, date: str, **options) -> None:
        try:
            on = dt.date.fromisoformat(date) if date else None
        except ValueError:
            raise CommandError(f"--date {date!r} is not YYYY-MM-DD") from None
        done = expire_information_requests(on=on)
        for row in done:
            self.stdout.write(f"{row['application']}: {row['outcome']}")
        self.stdout.write(f"{len(done)} unanswered requests closed")
