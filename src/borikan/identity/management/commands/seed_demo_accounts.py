from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from borikan.identity.demo_accounts import seed_demo_accounts
from borikan.identity.demo_credentials import DEMO_PASSWORD


class Command(BaseCommand):
    help = "Create the demo citizen and agency staff accounts (local development only)."

    def add_arguments(self, parser) -> None:
        parser.add_argument("--force", action="store_true", help="seed even when DEBUG is off (tests, benchmarks)")

    def handle(self, *args, force: bool, **options) -> None:
        if not settings.DEBUG and not force:
            raise CommandError("demo accounts are for local development; refusing with DEBUG off")
        accounts = seed_demo_accounts()
        self.stdout.write(f"demo accounts (password: {DEMO_PASSWORD}):")
        for account in accounts:
            roles = ", ".join(f"{role}@{account.agency}" for role in account.roles) or "citizen"
            self.stdout.write(f"  {account.email:42} {roles}")
