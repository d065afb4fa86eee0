"""Due dates in working days, with weekends and the public holidays kept as data."""

import datetime as dt

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from borikan.applications.services import application_transition
from borikan.applications.tests.factories import make_application
from borikan.casework.deadlines import working_days_due
from borikan.casework.models import PublicHoliday
from borikan.conftest import make_service

D = dt.date
SONGKRAN = {D(2026, 4, 13), D(2026, 4, 14), D(2026, 4, 15)}


@pytest.mark.parametrize(
    ("start", "days", "due"),
    [
        (D(2026, 11, 23), 1, D(2026, 11, 23)),  # Monday, same day
        (D(2026, 11, 28), 1, D(2026, 11, 30)),  # Saturday → Monday
        (D(2026, 11, 27), 3, D(2026, 12, 1)),  # Friday + Monday + Tuesday
        (D(2026, 4, 10), 3, D(2026, 4, 17)),  # Friday, then Songkran: Thu 16, Fri 17
        (D(2026, 11, 23), 15, D(2026, 12, 15)),  # three weeks, plus the holidays of 7 and 10 December
    ],
)
def test_working_days_due(start, days, due):
    holidays = SONGKRAN | {D(2026, 12, 7), D(2026, 12, 10)}
    assert working_days_due(start, days, holidays) == due


def test_zero_days_is_refused():
    with pytest.raises(ValueError):
        working_days_due(D(2026, 11, 23), 0, set())


@pytest.mark.django_db
def test_shipped_calendar_is_loaded_by_the_migrations():
    assert PublicHoliday.objects.filter(date=D(2026, 4, 13), name_en="Songkran Festival").exists()


@pytest.mark.django_db
def test_submission_sets_the_due_date(agency, citizen):
    service = make_service(agency, slug="three-days", fee_satang=None)  # 3 working days
    app = make_application(service=service, applicant=citizen)
    submitted = application_transition(application_id=app.pk, action="submit", actor=citizen)
    start = submitted.submitted_at.astimezone(dt.timezone(dt.timedelta(hours=7))).date()
    holidays = set(PublicHoliday.objects.values_list("date", flat=True))
    assert submitted.due_date == working_days_due(start, 3, holidays)


@pytest.mark.django_db
def test_queue_lists_the_nearest_deadline_first(free_service, citizen, officer, api_as):
    late = make_application(service=free_service, applicant=citizen, status="submitted", due_date=D(2026, 12, 20))
    soon = make_application(service=free_service, applicant=citizen, status="submitted", due_date=D(2026, 12, 1))
    undated = make_application(service=free_service, applicant=citizen, status="submitted")
    rows = api_as(officer).get("/api/v1/applications/queue").json()
    assert [r["id"] for r in rows] == [str(soon.pk), str(late.pk), str(undated.pk)]
    assert rows[0]["due_date"] == "2026-12-01"


@pytest.mark.django_db
def test_bad_holiday_file_loads_nothing(tmp_path):
    path = tmp_path / "holidays.json"
    path.write_text('{"holidays": [{"date": "2027-01-01", "name_th": "ปีใหม่"}, {"date": "not a date"}]}')
    before = PublicHoliday.objects.count()
    with pytest.raises(CommandError, match="nothing was loaded"):
        call_command("load_holidays", str(path))
    assert PublicHoliday.objects.count() == before
