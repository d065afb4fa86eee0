import datetime as dt

from django.core.management.base import BaseCommand, CommandError

from borikan.casework.services import escalate_overdue_cases


class Command(BaseCommand):
    help = (
        "E-mail each agency's supervisors its overdue and soon-due cases (once per case per day) and send applicants "
        "of late cases the notice the Licensing Facilitation Act requires (every 7 days by default). Run daily."
    )

    def add_arguments(self, parser) -> None:
        parser.add_argument("--date", default="", help="YYYY-MM-DD: act as on this day")

    def handle(self, *args, date: str, **options) -> None:
        try:
            on = dt.date.fromisoformat(date) if date else None
        except ValueError:
            raise CommandError(f"--date {date!r} is not YYYY-MM-DD") from None
        done = escalate_overdue_cases(on=on)
        self.stdout.write(
            f"{done['escalated']} cases escalated to supervisors, {done['late_notices']} late notices sent"
        )
