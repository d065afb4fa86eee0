"""Seed the synonym dictionary from data/search_synonyms.json (operators edit it afterwards through the API)."""

import json
from pathlib import Path

from django.db import migrations

SEED = Path(__file__).resolve().parent.parent / "data" / "search_synonyms.json"


def seed(apps, schema_editor):
    apps.get_model("catalog", "SearchRevision").objects.get_or_create(key="catalogue", defaults={"token": "seed"})
    SearchSynonym = apps.get_model("catalog", "SearchSynonym")
    if SearchSynonym.objects.exists():
        return
    groups = json.loads(SEED.read_text(encoding="utf-8"))["groups"]
    SearchSynonym.objects.bulk_create(
        SearchSynonym(terms=group["terms"], note=group.get("note", "")) for group in groups
    )


def unseed(apps, schema_editor):
    apps.get_model("catalog", "SearchSynonym").objects.all().delete()


class Migration(migrations.Migration):
    dependencies = [
        ("catalog", "0002_searchsynonym"),
    ]

    operations = [migrations.RunPython(seed, unseed)]
