"""Thai addresses: province → district → subdistrict → postcode, checked against the data file shipped in data/."""

from __future__ import annotations

import json
from functools import cache
from pathlib import Path
from typing import Any

from pythainlp.util import collate

DATA_FILE = Path(__file__).parent / "data" / "thai_address.json"
PARTS = ("line", "province", "district", "subdistrict", "postcode")


@cache
def address_tree() -> dict[str, dict[str, dict[str, list[str]]]]:
    with DATA_FILE.open(encoding="utf-8") as f:
        return json.load(f)


def thai_sorted(names: Any) -> list[str]:
    """In Thai dictionary order (leading vowels such as เ แ ไ are skipped, as a Thai reader expects), not by code
    point, which put เชียงใหม่ after อุบลราชธานี."""
    return collate(list(names))


@cache
def _provinces() -> tuple[str, ...]:
    return tuple(thai_sorted(address_tree()))


def provinces() -> list[str]:
    return list(_provinces())


def districts(province: str) -> list[str]:
    return thai_sorted(address_tree().get(province, {}))


def subdistricts(province: str, district: str) -> list[str]:
    return thai_sorted(address_tree().get(province, {}).get(district, {}))


def postcodes(province: str, district: str, subdistrict: str) -> list[str]:
    """The postcodes of a subdistrict; for the few the source lists without one, those of its district."""
    district_map = address_tree().get(province, {}).get(district, {})
    if subdistrict not in district_map:
        return []
    codes = district_map[subdistrict]
    if codes:
        return list(codes)
    return sorted({code for codes in district_map.values() for code in codes})


def address_problem(value: Any) -> str:
    """'' when the address is consistent, else which part is wrong: province, district, subdistrict or postcode."""
    if not isinstance(value, dict):
        return "province"
    province, district, subdistrict = value.get("province"), value.get("district"), value.get("subdistrict")
    tree = address_tree()
    if province not in tree:
        return "province"
    if district not in tree[province]:
        return "district"
    if subdistrict not in tree[province][district]:
        return "subdistrict"
    if value.get("postcode") not in postcodes(province, district, subdistrict):
        return "postcode"
    return ""


def address_text(value: Any, *, english: bool = False) -> str:
    if not isinstance(value, dict):
        return ""
    province = value.get("province", "")
    bangkok = province == "กรุงเทพมหานคร"
    if english:
        parts = [value.get("line", ""), value.get("subdistrict", ""), value.get("district", ""), province]
    else:
        parts = [
            value.get("line", ""),
            ("แขวง" if bangkok else "ตำบล") + value.get("subdistrict", "") if value.get("subdistrict") else "",
            ("เขต" if bangkok else "อำเภอ") + value.get("district", "") if value.get("district") else "",
            ("" if bangkok else "จังหวัด") + province if province else "",
        ]
    return " ".join(p for p in [*parts, value.get("postcode", "")] if p)
