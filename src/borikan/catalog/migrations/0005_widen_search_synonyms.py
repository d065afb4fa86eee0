"""Bring a dictionary seeded before the synonyms were widened up to data/search_synonyms.json (issue 12).

Each group of the file either widens the row it grew from (a row whose terms are all in the group: the seeded
row, or an operator's smaller one) or is added. Rows with a term the file does not have (an operator's edit) are
left as they are. A fresh database was seeded from the widened file by 0003 and is not changed here.
"""

import json
import uuid
from pathlib import Path

from django.db import migrations

SEED = Path(__file__).resolve().parent.parent / "data" / "search_synonyms.json"


def _key(term: str) -> str:
    return " ".join(str(term).lower().split())


def widen(apps, schema_editor):
    SearchSynonym = apps.get_model("catalog", "SearchSynonym")
    rows = list(SearchSynonym.objects.all())
    changed = False
    for group in json.loads(SEED.read_text(encoding="utf-8"))["groups"]:
        terms = group["terms"]
        keys = {_key(t) for t in terms}
        grown = [row for row in rows if isinstance(row.terms, list) and {_key(t) for t in row.terms} <= keys]
        if not grown:
            rows.append(SearchSynonym.objects.create(terms=terms, note=group.get("note", "")))
            changed = True
        for row in grown:
            if {_key(t) for t in row.terms} != keys:
                row.terms = terms
                row.save(update_fields=["terms"])
                changed = True
    if changed:  # updates send no signal here: replace the revision so every process rebuilds its index
        apps.get_model("catalog", "SearchRevision").objects.update_or_create(
            key="catalogue", defaults={"token": uuid.uuid4().hex}
        )


class Migration(migrations.Migration):
    dependencies = [
        ("catalog", "0004_riskassessment"),
    ]

    operations = [migrations.RunPython(widen, migrations.RunPython.noop)]
