from django.core.management.base import BaseCommand, CommandError

from borikan.audit.services import audit_verify_chain


class Command(BaseCommand):
    help = "Verify the hash chain of the audit log and name the first broken entry."

    def handle(self, *args, **options) -> None:
        report = audit_verify_chain()
        if not report.ok:
            raise CommandError(
                f"audit chain broken at entry #{report.first_broken_seq}: {report.problem} "
                f"({report.checked} entries before it are intact)"
            )
        self.stdout.write(self.style.SUCCESS(f"audit chain intact: {report.checked} entries verified"))
