"""The SLA clock (§5): working days from the PublicHoliday data, paused while the case waits for the applicant.
Every test names its own days, so none depends on the date it runs."""

from __future__ import annotations

import datetime as dt

import pytest

from borikan.applications.models import Application
from borikan.applications.services import application_transition
from borikan.applications.tests.factories import make_application
from borikan.casework import sla

D = dt.date
pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    ("start", "end", "days"),
    [
        (D(2026, 11, 23), D(2026, 11, 23), 0),  # same day
        (D(2026, 11, 23), D(2026, 11, 30), 5),  # Mon → next Mon: one working week
        (D(2026, 11, 27), D(2026, 11, 30), 1),  # Fri → Mon: the Friday
        (D(2026, 11, 28), D(2026, 11, 30), 0),  # Sat → Mon: nothing
        (D(2026, 4, 10), D(2026, 4, 16), 1),  # Fri 10 April → Thu 16: Songkran 13–15 April does not count
        (D(2026, 12, 4), D(2026, 12, 11), 3),  # Fri 4 → Fri 11 Dec: Fri, Tue 8, Wed 9 (7 and 10 Dec are holidays)
        (D(2026, 12, 30), D(2027, 1, 4), 1),  # 31 Dec and 1 Jan are holidays, then the weekend
    ],
)
def test_working_days_between_skips_weekends_and_public_holidays(start, end, days):
    assert sla.working_days_between(start, end) == days


@pytest.mark.parametrize(
    ("day", "count", "result"),
    [
        (D(2026, 11, 25), 0, D(2026, 11, 25)),
        (D(2026, 11, 27), 1, D(2026, 11, 30)),  # Fri + 1 → Mon
        (D(2026, 4, 10), 1, D(2026, 4, 16)),  # across Songkran
        (D(2026, 12, 4), 2, D(2026, 12, 9)),  # Mon 7 is a holiday: Tue 8, Wed 9
        (D(2026, 12, 29), 2, D(2027, 1, 4)),  # Wed 30, then 31 Dec + 1 Jan + weekend: Mon 4 Jan
    ],
)
def test_add_working_days(day, count, result):
    assert sla.add_working_days(day, count) == result


def _pause_and_resume(monkeypatch, app, officer, citizen, paused_on, resumed_on):
    monkeypatch.setattr(sla, "today", lambda: paused_on)
    application_transition(application_id=app.pk, action="request_info", actor=officer, reason="โปรดแก้ไข")
    monkeypatch.setattr(sla, "today", lambda: resumed_on)
    return application_transition(application_id=app.pk, action="resubmit", actor=citizen)


@pytest.mark.parametrize(
    ("due", "paused_on", "resumed_on", "paused", "new_due"),
    [
        # asked on Fri 10 April, answered Thu 16 April: only the Friday was lost (Songkran), due moves one day
        (D(2026, 4, 20), D(2026, 4, 10), D(2026, 4, 16), 1, D(2026, 4, 21)),
        # asked and answered the same day: the clock loses nothing
        (D(2026, 11, 30), D(2026, 11, 25), D(2026, 11, 25), 0, D(2026, 11, 30)),
        # asked Mon 30 Nov, answered Fri 11 Dec: 30 Nov–10 Dec less 7 and 10 Dec = 7 working days;
        # due Fri 4 Dec + 7 → Tue 8, Wed 9, Fri 11, Mon 14, Tue 15, Wed 16, Thu 17
        (D(2026, 12, 4), D(2026, 11, 30), D(2026, 12, 11), 7, D(2026, 12, 17)),
        # asked on a Saturday (a counter case keyed in at the weekend), answered Monday: nothing lost
        (D(2026, 12, 1), D(2026, 11, 28), D(2026, 11, 30), 0, D(2026, 12, 1)),
    ],
)
def test_the_due_date_moves_by_the_working_days_paused(
    monkeypatch, free_service, citizen, officer, due, paused_on, resumed_on, paused, new_due
):
    app = make_application(service=free_service, applicant=citizen, status="in_review", due_date=due)
    resumed = _pause_and_resume(monkeypatch, app, officer, citizen, paused_on, resumed_on)
    assert resumed.due_date == new_due
    assert resumed.sla_paused_days == paused and resumed.sla_paused_on is None


def test_paused_cases_are_neither_overdue_nor_due_soon(monkeypatch, free_service, citizen, officer):
    app = make_application(service=free_service, applicant=citizen, status="in_review", due_date=D(2026, 11, 26))
    monkeypatch.setattr(sla, "today", lambda: D(2026, 11, 25))
    application_transition(application_id=app.pk, action="request_info", actor=officer, reason="โปรดแก้ไข")
    app.refresh_from_db()
    later = D(2026, 12, 15)
    assert sla.flags(app, later) == {"overdue": False, "due_soon": False, "paused": True}
    assert not Application.objects.filter(sla.overdue_q(later)).exists()


def test_two_pauses_add_up(monkeypatch, free_service, citizen, officer):
    """The case's paused total accumulates (here a case that already carries two paused days)."""
    app = make_application(
        service=free_service, applicant=citizen, status="in_review", due_date=D(2026, 12, 4), sla_paused_days=2
    )
    resumed = _pause_and_resume(monkeypatch, app, officer, citizen, D(2026, 11, 27), D(2026, 11, 30))
    assert resumed.sla_paused_days == 3 and resumed.due_date == D(2026, 12, 8)


def test_submission_due_date_counts_working_days_from_submission(free_service):
    """The processing time (3 working days) from a Friday before the December holidays: Fri 4, Tue 8, Wed 9."""
    from borikan.applications.engine import due_date_from

    assert due_date_from(D(2026, 12, 4), free_service.processing_time_days) == D(2026, 12, 9)
