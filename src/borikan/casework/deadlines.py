"""Deadlines in working days: weekends and the public holidays kept as data do not count."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

HOLIDAYS_FILE = Path(__file__).parent / "data" / "thai-public-holidays.json"


def is_working_day(day: dt.date, holidays: set[dt.date]) -> bool:
    return day.weekday() < 5 and day not in holidays


def working_days_due(start: dt.date, days: int, holidays: set[dt.date]) -> dt.date:
    """The date by which `days` working days have passed, counting the start day if it is a working day.

    One day means "the same working day" (the citizen manual's convention): a Monday submission with a 1-day
    processing time is due that Monday; on a Saturday it is due the next working day.
    """
    if days < 1:
        raise ValueError("a processing time is at least one working day")
    day, counted = start, 0
    while True:
        if is_working_day(day, holidays):
            counted += 1
            if counted == days:
                return day
        day += dt.timedelta(days=1)


def shipped_holidays() -> list[dict[str, str]]:
    return json.loads(HOLIDAYS_FILE.read_text(encoding="utf-8"))["holidays"]
