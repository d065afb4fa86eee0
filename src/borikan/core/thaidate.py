"""Buddhist-Era dates and Thai fiscal years for pages and documents (stored dates stay Gregorian)."""

from __future__ import annotations

import datetime as dt
import re

THAI_MONTHS = (
    "มกราคม", "กุมภาพันธ์", "มีนาคม", "เมษายน", "พฤษภาคม", "มิถุนายน",
    "กรกฎาคม", "สิงหาคม", "กันยายน", "ตุลาคม", "พฤศจิกายน", "ธันวาคม",
)  # fmt: skip
THAI_DIGITS = str.maketrans("0123456789", "๐๑๒๓๔๕๖๗๘๙")


def be_year(day: dt.date) -> int:
    """Buddhist-Era year. Thai New Year is 1 January since B.E. 2484 (1941); before that, 1 April."""
    if day.year < 1941 and day.month < 4:
        return day.year + 542
    return day.year + 543


def thai_date(day: dt.date, *, thai_digits: bool = False) -> str:
    """'25 พฤษภาคม 2564' (or with Thai numerals: '๒๕ พฤษภาคม ๒๕๖๔')."""
    text = f"{day.day} {THAI_MONTHS[day.month - 1]} {be_year(day)}"
    return text.translate(THAI_DIGITS) if thai_digits else text


def fiscal_year_be(day: dt.date) -> int:
    """The Thai fiscal year runs 1 October to 30 September and is named by the year it ends in."""
    return be_year(day) + (1 if day.month >= 10 else 0)


_TYPED_BE = re.compile(r"^\s*(\d{1,2})\s*[/.\-]\s*(\d{1,2})\s*[/.\-]\s*(\d{4})\s*$")


def parse_typed_date(text: str) -> dt.date:
    """A date a person typed on a Thai page: day/month/Buddhist-Era year (15/08/2569), or ISO (2026-08-15) as
    older clients send. A Gregorian year typed where B.E. is asked (15/08/2026) is refused: ValueError."""
    text = (text or "").strip()
    if match := _TYPED_BE.match(text):
        day, month, year_be = (int(part) for part in match.groups())
        if year_be < 2400:
            raise ValueError("the year is not in the Buddhist Era")
        return dt.date(year_be - 543, month, day)
    return dt.date.fromisoformat(text)


def typed_be(day: dt.date | None) -> str:
    """The value a date box shows back: 15/08/2569."""
    return f"{day.day:02d}/{day.month:02d}/{day.year + 543}" if day else ""
