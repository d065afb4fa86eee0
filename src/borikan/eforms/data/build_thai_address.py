"""Rebuild thai_address.json from the npm package `thai-address-database` (run once, by hand).

    npm pack thai-address-database@0.0.30 && tar xzf thai-address-database-0.0.30.tgz
    node expand.js package/database/db.json > expanded.json   # expand.js: the package's own preprocess()
    python build_thai_address.py expanded.json > thai_address.json

`expanded.json` is the list of {province, amphoe, district, zipcode} rows the package's `preprocess()` yields.
"""

from __future__ import annotations

import json
import sys


def build(rows: list[dict]) -> dict:
    tree: dict[str, dict[str, dict[str, list[str]]]] = {}
    for row in rows:
        zipcode = str(row.get("zipcode") or "")
        postcodes = tree.setdefault(row["province"], {}).setdefault(row["amphoe"], {}).setdefault(row["district"], [])
        if zipcode.isdigit() and len(zipcode) == 5 and zipcode not in postcodes:
            postcodes.append(zipcode)
    return tree


if __name__ == "__main__":
    with open(sys.argv[1], encoding="utf-8") as f:
        tree = build(json.load(f))
    sys.stdout.write(json.dumps(tree, ensure_ascii=False, separators=(",", ":"), sort_keys=True))
