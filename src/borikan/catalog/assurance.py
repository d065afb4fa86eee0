"""From a service's risk assessment to the identity (IAL) and authentication (AAL) levels it requires.

The method (documented in docs/assurance.md, tested row by row):
1. An agency admin rates the impact of a wrongly issued decision in each of the six categories of
   NIST SP 800-63-3 §6 as none / low / moderate / high.
2. Table 6-1 gives the NIST level (1-3): the lowest level whose allowed impact covers every category.
   The same table applies to IAL and to AAL.
3. The Thai sub-level within that level rises with what was rated (ETDA/NDID levels: IAL 1.1-1.3, 2.1-2.3, 3;
   AAL 1, 2.1, 2.2, 3):
   - IAL level 1: 1.1 if every category is "none", else 1.2 (some low impact: basic checks of the evidence).
   - IAL level 2: 2.1 if nothing is rated moderate, 2.2 if one category is, 2.3 if two or more are.
   - AAL level 2: 2.1 if nothing is rated moderate, else 2.2 (a stronger possession factor).
   - Level 3 is 3 for both.
4. Floors from NIST: a service that makes personal data available online needs AAL 2 or more (§6.2, EO 13681),
   and IAL 2 or more needs AAL 2 or more (Table 6-2).
Levels are decimals, compared numerically (2.3 ≥ 2.2), as NDID and ThaID report them.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal
from enum import IntEnum


class Impact(IntEnum):
    NONE = 0
    LOW = 1
    MODERATE = 2
    HIGH = 3


# NIST SP 800-63-3 §6.2 impact categories (keys are stable: they are stored with each assessment).
CATEGORIES: dict[str, tuple[str, str]] = {
    "inconvenience": (
        "ความไม่สะดวก ความทุกข์ใจ หรือความเสียหายต่อชื่อเสียง",
        "Inconvenience, distress, or damage to standing or reputation",
    ),
    "financial": ("ความสูญเสียทางการเงินหรือความรับผิดของหน่วยงาน", "Financial loss or agency liability"),
    "programs": ("ความเสียหายต่อภารกิจของหน่วยงานหรือประโยชน์สาธารณะ", "Harm to agency programs or public interests"),
    "sensitive_information": ("การเปิดเผยข้อมูลอ่อนไหวโดยไม่ได้รับอนุญาต", "Unauthorized release of sensitive information"),
    "personal_safety": ("ความปลอดภัยของบุคคล", "Personal safety"),
    "civil_criminal": ("การละเมิดทางแพ่งหรืออาญา", "Civil or criminal violations"),
}

# Table 6-1: the highest impact each level may carry, per category (level 3 carries anything).
LEVEL_CEILINGS: dict[int, dict[str, Impact]] = {
    1: {
        "inconvenience": Impact.LOW,
        "financial": Impact.LOW,
        "programs": Impact.NONE,
        "sensitive_information": Impact.NONE,
        "personal_safety": Impact.NONE,
        "civil_criminal": Impact.NONE,
    },
    2: {
        "inconvenience": Impact.MODERATE,
        "financial": Impact.MODERATE,
        "programs": Impact.MODERATE,
        "sensitive_information": Impact.MODERATE,
        "personal_safety": Impact.LOW,
        "civil_criminal": Impact.MODERATE,
    },
}

IAL_LEVELS = ("1.1", "1.2", "1.3", "2.1", "2.2", "2.3", "3")
AAL_LEVELS = ("1", "2.1", "2.2", "3")


@dataclass(frozen=True)
class Derivation:
    """The required levels and the reasons, in order, for showing to the agency and the citizen."""

    nist_level: int
    ial: Decimal
    aal: Decimal
    steps: list[tuple[str, str]] = field(default_factory=list)  # (Thai, English)


def nist_level(ratings: dict[str, Impact]) -> int:
    for level in (1, 2):
        if all(ratings[category] <= ceiling for category, ceiling in LEVEL_CEILINGS[level].items()):
            return level
    return 3


def derive_levels(ratings: dict[str, Impact], *, personal_data_online: bool) -> Derivation:
    missing = set(CATEGORIES) - set(ratings)
    if missing:
        raise ValueError(f"every impact category must be rated; missing {sorted(missing)}")
    level = nist_level(ratings)
    moderate = sum(1 for value in ratings.values() if value == Impact.MODERATE)
    worst = max(ratings.values())
    steps = [
        (
            f"ผลกระทบสูงสุดที่ประเมินได้: {worst.name.lower()} → ระดับ NIST {level} (ตาราง 6-1)",
            f"Highest rated impact: {worst.name.lower()} → NIST level {level} (Table 6-1)",
        )
    ]
    if level == 1:
        ial = Decimal("1.1") if worst == Impact.NONE else Decimal("1.2")
        aal = Decimal("1")
    elif level == 2:
        ial = Decimal({0: "2.1", 1: "2.2"}.get(moderate, "2.3"))
        aal = Decimal("2.1") if moderate == 0 else Decimal("2.2")
        steps.append(
            (
                f"จำนวนหมวดที่ผลกระทบระดับปานกลาง: {moderate} → IAL {ial}, AAL {aal}",
                f"Categories rated moderate: {moderate} → IAL {ial}, AAL {aal}",
            )
        )
    else:
        ial, aal = Decimal("3"), Decimal("3")
    if personal_data_online and aal < Decimal("2.1"):
        aal = Decimal("2.1")
        steps.append(
            (
                "บริการแสดงข้อมูลส่วนบุคคลทางออนไลน์ จึงต้องยืนยันตัวตนอย่างน้อย 2 ปัจจัย (AAL 2.1)",
                "The service shows personal data online, so it needs two factors at least (AAL 2.1)",
            )
        )
    if ial >= Decimal("2.1") and aal < Decimal("2.1"):
        aal = Decimal("2.1")
    return Derivation(nist_level=level, ial=ial, aal=aal, steps=steps)


def _profile(inconvenience: int, financial: int, programs: int, sensitive: int, safety: int, civil: int):
    values = (inconvenience, financial, programs, sensitive, safety, civil)
    return {category: Impact(value) for category, value in zip(CATEGORIES, values, strict=True)}


# The starting point an agency admin adjusts for each transaction type of the taxonomy (ratings in the order
# of CATEGORIES: inconvenience, financial, programmes, sensitive information, safety, civil/criminal).
# Illustrative defaults: what a wrongly granted transaction of that kind typically risks.
DEFAULT_PROFILES: dict[str, dict[str, Impact]] = {
    "information": _profile(0, 0, 0, 0, 0, 0),
    "complaint": _profile(1, 0, 0, 0, 0, 0),
    "registration": _profile(1, 0, 1, 1, 0, 1),
    "licence-renewal": _profile(1, 1, 1, 1, 1, 1),
    "licence-new": _profile(2, 1, 2, 1, 1, 2),
    "permit": _profile(2, 1, 2, 1, 1, 1),
    "certificate-request": _profile(1, 1, 1, 2, 0, 2),
    "benefit-claim": _profile(2, 2, 2, 2, 0, 2),
    "tax-filing": _profile(1, 2, 1, 2, 0, 2),
    "payment": _profile(1, 2, 1, 1, 0, 1),
    "amendment": _profile(2, 1, 1, 2, 0, 2),
}
