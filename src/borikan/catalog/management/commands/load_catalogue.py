import json
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from borikan.catalog.exporting import catalogue_from_csv
from borikan.catalog.loading import DEFAULT_CATALOGUE, load_catalogue, read_catalogue_file


class Command(BaseCommand):
    help = (
        "Validate a service catalogue (JSON, or CSV from export_catalogue) and load it; "
        "a file with any bad record loads nothing."
    )

    def add_arguments(self, parser) -> None:
        parser.add_argument("path", nargs="?", default=str(DEFAULT_CATALOGUE))

    def handle(self, *args, path: str, **options) -> None:
        try:
            if path.endswith(".csv"):
                data = catalogue_from_csv(Path(path).read_text(encoding="utf-8"))
            else:
                data = read_catalogue_file(Path(path))
        except FileNotFoundError:
            raise CommandError(f"no such file: {path}") from None
        except json.JSONDecodeError as exc:
            raise CommandError(f"{path} is not valid JSON: {exc}") from None
        except ValueError as exc:
            raise CommandError(f"{path}: {exc}; nothing was loaded") from None
        report = load_catalogue(data=data)
        if not report.ok:
            for error in report.errors:
                self.stderr.write(f"  - {error}")
            raise CommandError(f"{len(report.errors)} problem(s) in {path}; nothing was loaded")
        self.stdout.write(
            f"catalogue loaded: {report.services_created} services created, {report.services_updated} updated; "
            f"{report.agencies_created} agencies created, {report.agencies_updated} updated"
        )
