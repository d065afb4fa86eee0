"""Casework's models moved out of applications with their data (state-only migrations: the tables keep their names).
Run for real on PostgreSQL or SQLite: the database is taken back to before the move, casework rows are written with
the models of that time, and the migrations run forwards; the rows are there, through the new models."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

from borikan.applications.models import Application
from borikan.applications.tests.factories import make_application
from borikan.casework.models import CaseNote, Defect, InformationRequest, PublicHoliday, ReviewChecklist
from borikan.conftest import make_agency, make_service, make_staff, make_user

BEFORE = [("applications", "0008_case_view"), ("casework", None)]
LATEST = [("applications", "0010_casework_moved"), ("casework", "0001_initial")]


def _migrate(targets):
    """Migrate to `targets` (None: casework unapplied); the historical app registry of that state."""
    executor = MigrationExecutor(connection)
    executor.migrate(targets)
    nodes = [(app, name) for app, name in targets if name is not None]
    return MigrationExecutor(connection).loader.project_state(nodes).apps


@pytest.mark.django_db(transaction=True)
def test_the_records_survive_the_move_and_the_move_back():
    agency = make_agency("EXCISE")
    service = make_service(agency)
    officer = make_staff("officer@excise.go.th", agency, "officer")
    case = make_application(service=service, applicant=make_user("c@example.com"), status="info_requested")
    holidays = PublicHoliday.objects.count()
    try:
        old = _migrate(BEFORE)
        OldRequest = old.get_model("applications", "InformationRequest")
        OldDefect = old.get_model("applications", "Defect")
        OldNote = old.get_model("applications", "CaseNote")
        OldChecklist = old.get_model("applications", "ReviewChecklist")
        OldCase = old.get_model("applications", "Application")
        request = OldRequest.objects.create(
            application_id=case.pk, requested_by_id=officer.pk, message="แนบแผนผัง", deadline=dt.date(2027, 1, 8)
        )
        OldDefect.objects.create(request=request, kind="field", name="address", reason="illegible", before="99")
        OldNote.objects.create(application_id=case.pk, author_id=officer.pk, body="โทรหาผู้ยื่นแล้ว")
        checklist = OldChecklist.objects.create(service_id=service.pk, version=1, items=[], created_by_id=officer.pk)
        OldCase.objects.filter(pk=case.pk).update(review_checklist=checklist)

        _migrate(LATEST)
        moved = InformationRequest.objects.get(application=case)
        assert (moved.message, moved.status, moved.deadline) == ("แนบแผนผัง", "open", dt.date(2027, 1, 8))
        assert [(d.name, d.reason) for d in Defect.objects.filter(request=moved)] == [("address", "illegible")]
        assert CaseNote.objects.get(application=case).body == "โทรหาผู้ยื่นแล้ว"
        assert Application.objects.get(pk=case.pk).review_checklist == ReviewChecklist.objects.get(service=service)
        assert PublicHoliday.objects.count() == holidays  # the shipped calendar is where it was

        again = _migrate(BEFORE)  # and back: the same rows, under applications again
        assert again.get_model("applications", "InformationRequest").objects.filter(application_id=case.pk).count() == 1
    finally:
        _migrate(LATEST)
