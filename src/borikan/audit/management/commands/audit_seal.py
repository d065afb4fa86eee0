from django.core.management.base import BaseCommand

from borikan.audit.services import audit_seal


class Command(BaseCommand):
    help = "Seal any committed audit entries not yet in the hash chain (normally done right after each commit)."

    def handle(self, *args, **options) -> None:
        self.stdout.write(f"sealed {audit_seal()} entries")
