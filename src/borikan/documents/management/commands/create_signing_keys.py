"""Create the local development CA and a signing key and certificate per agency under var/pki/."""

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from borikan.agencies.models import Agency
from borikan.documents import devpki
from borikan.documents.signing import SigningSettings, dev_identity, forget_loaded_identities


class Command(BaseCommand):
    help = (
        "Development only: create a local certificate authority and one ECDSA P-256 signing certificate per "
        "agency (all agencies, or those named), under BORIKAN_SIGNING_DIR (default var/pki/). Existing keys are "
        "kept unless --force. Production loads keys from BORIKAN_SIGNING_KEYS instead."
    )

    def add_arguments(self, parser) -> None:
        parser.add_argument("--agency", action="append", default=[], metavar="CODE", help="an agency code (repeat)")
        parser.add_argument("--dir", type=Path, default=None, help="where to write (default BORIKAN_SIGNING_DIR)")
        parser.add_argument("--force", action="store_true", help="replace the agencies' existing keys (rotation)")

    def handle(self, *args, agency: list[str], dir: Path | None, force: bool, **options) -> None:
        directory = dir or SigningSettings.current().directory
        agencies = []
        for code in agency:
            found = Agency.objects.filter(code__iexact=code).first()
            if found is None:
                raise CommandError(f"no agency with code {code!r}")
            agencies.append(found)
        if not agency:
            agencies = list(Agency.objects.order_by("code"))
        self.stdout.write(f"development CA (trusted by no one): {devpki.ensure_ca(directory)}")
        for item in agencies:
            files, created = devpki.ensure_agency_keys(
                directory, agency_code=item.code, agency_name=item.name_en, force=force
            )
            identity = dev_identity(directory, agency_code=item.code, create=False)
            until = identity.certificate.not_valid_after_utc.date().isoformat()
            verb = "created" if created else "kept"
            self.stdout.write(f"{verb} {item.code}: {files.certificate} (kid {identity.kid}, valid until {until})")
        forget_loaded_identities()
        if force and agencies:
            self.stdout.write("restart running servers and workers: they keep the previous keys in memory")
