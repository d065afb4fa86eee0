"""The SLA clock of a case, in working days (weekends and the PublicHoliday rows do not count).

The due date is set at submission (engine.due_date_from). A request for information stops the clock on the day it is
made; the applicant's resubmission starts it again and moves the due date on by the working days the case waited:
the working days from the request day up to (not including) the resubmission day. A request answered the same day
costs nothing; one made on Friday and answered on Monday costs one day (the Friday).

`today()` is the one place that reads the calendar, so tests and commands can name the day.
"""

from __future__ import annotations

import datetime as dt

from django.db.models import Q
from django.utils import timezone

from .caseterms import Status
from .deadlines import is_working_day
from .models import PublicHoliday

# Statuses in which the agency's clock runs: the case waits for the agency and no decision is made yet.
# (Waiting for the citizen — a request for information, a fee before review — stops it.)
SLA_RUNNING = (Status.SUBMITTED, Status.PAID, Status.IN_REVIEW, Status.PENDING_APPROVAL)
# Soon due: due today or within this many working days.
DUE_SOON_WORKING_DAYS = 2


def today() -> dt.date:
    return timezone.localdate()


def holidays(start: dt.date, end: dt.date) -> set[dt.date]:
    return set(PublicHoliday.objects.filter(date__range=(start, end)).values_list("date", flat=True))


def working_days_between(start: dt.date, end: dt.date) -> int:
    """Working days d with start <= d < end (0 when end <= start)."""
    if end <= start:
        return 0
    closed = holidays(start, end)
    return sum(1 for n in range((end - start).days) if is_working_day(start + dt.timedelta(days=n), closed))


def add_working_days(day: dt.date, count: int) -> dt.date:
    """The `count`-th working day after `day` (`day` itself when count is 0)."""
    if count <= 0:
        return day
    closed = holidays(day, day + dt.timedelta(days=count * 2 + 30))
    counted = 0
    while counted < count:
        day += dt.timedelta(days=1)
        if is_working_day(day, closed):
            counted += 1
    return day


def next_working_day_on_or_after(day: dt.date) -> dt.date:
    closed = holidays(day, day + dt.timedelta(days=30))
    while not is_working_day(day, closed):
        day += dt.timedelta(days=1)
    return day


def running_q() -> Q:
    return Q(status__in=[s.value for s in SLA_RUNNING], decided_at__isnull=True)


def overdue_q(on: dt.date) -> Q:
    """Cases whose clock runs and whose last day to decide has passed."""
    return running_q() & Q(due_date__lt=on)


def due_soon_limit(on: dt.date) -> dt.date:
    return add_working_days(on, DUE_SOON_WORKING_DAYS)


def due_soon_q(on: dt.date) -> Q:
    return running_q() & Q(due_date__gte=on, due_date__lte=due_soon_limit(on))


def flags(app, on: dt.date | None = None, soon_limit: dt.date | None = None) -> dict[str, bool]:
    """The case's deadline flags as pages and the API show them (pass `soon_limit` when flagging many cases)."""
    on = on or today()
    running = app.status in SLA_RUNNING and app.decided_at is None and app.due_date is not None
    overdue = running and app.due_date < on
    return {
        "overdue": bool(overdue),
        "due_soon": bool(running and not overdue and app.due_date <= (soon_limit or due_soon_limit(on))),
        "paused": app.sla_paused_on is not None,
    }
