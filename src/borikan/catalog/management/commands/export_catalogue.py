import json
from pathlib import Path

from django.core.management.base import BaseCommand

from borikan.catalog.exporting import catalogue_to_csv, export_catalogue


class Command(BaseCommand):
    help = "Export the whole service directory as JSON (see catalog/data/catalogue.schema.json) or CSV."

    def add_arguments(self, parser) -> None:
        parser.add_argument("--format", choices=["json", "csv"], default="json")
        parser.add_argument("--output", "-o", help="file to write (default: standard output)")

    def handle(self, *args, format: str, output: str | None, **options) -> None:
        data = export_catalogue()
        text = catalogue_to_csv(data) if format == "csv" else json.dumps(data, ensure_ascii=False, indent=2) + "\n"
        if output:
            Path(output).write_text(text, encoding="utf-8")
            self.stdout.write(f"wrote {len(data['services'])} services to {output}")
        else:
            self.stdout.write(text, ending="")
