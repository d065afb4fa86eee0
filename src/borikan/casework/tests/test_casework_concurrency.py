"""Casework races on PostgreSQL: two officers claiming one case, and the expiry job meeting the applicant's answer."""

from __future__ import annotations

import datetime as dt
import threading

import pytest
from django.db import connection, connections

from borikan.agencies.models import StaffRole
from borikan.applications.models import Application
from borikan.applications.services import application_resubmit
from borikan.applications.tests.factories import make_application
from borikan.audit.models import AuditEntry
from borikan.casework import sla
from borikan.casework.models import InformationRequest
from borikan.casework.services import case_assign, expire_information_requests, information_request_create
from borikan.conftest import make_staff
from borikan.core.errors import ApplicationError

pytestmark = [
    pytest.mark.postgres,
    pytest.mark.skipif(connection.vendor != "postgresql", reason="needs PostgreSQL row locks (SELECT ... FOR UPDATE)"),
]


def _race(*calls) -> list[str]:
    barrier = threading.Barrier(len(calls))
    outcomes: list[str] = []

    def run(call) -> None:
        barrier.wait()
        try:
            call()
            outcomes.append("ok")
        except ApplicationError as error:
            outcomes.append(error.code)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=run, args=(call,)) for call in calls]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return sorted(outcomes)


@pytest.mark.django_db(transaction=True)
def test_two_officers_claiming_at_once_one_gets_the_case(free_service, citizen, officer):
    second = make_staff("officer2@excise.go.th", free_service.agency, StaffRole.OFFICER)
    app = make_application(service=free_service, applicant=citizen, status="in_review")
    outcomes = _race(
        lambda: case_assign(actor=officer, application_id=app.pk, expected_version=app.version),
        lambda: case_assign(actor=second, application_id=app.pk, expected_version=app.version),
    )
    assert outcomes == ["ok", "stale_version"]
    app.refresh_from_db()
    assert app.assigned_to_id in (officer.pk, second.pk) and app.version == 2
    assert AuditEntry.objects.filter(action="application.assigned").count() == 1


@pytest.mark.django_db(transaction=True)
def test_expiry_racing_the_answer_leaves_one_outcome(free_service, citizen, officer, monkeypatch):
    monkeypatch.setattr(sla, "today", lambda: dt.date(2026, 11, 25))
    app = make_application(service=free_service, applicant=citizen, status="in_review", due_date=dt.date(2026, 12, 2))
    information_request_create(
        actor=officer,
        application_id=app.pk,
        defects=[{"kind": "field", "name": "phone", "reason": "invalid"}],
        deadline=dt.date(2026, 11, 25),
    )
    outcomes = _race(
        lambda: expire_information_requests(on=dt.date(2026, 11, 26)),
        lambda: application_resubmit(actor=citizen, application_id=app.pk),
    )
    app.refresh_from_db()
    request = InformationRequest.objects.get()
    # whichever locked the case first decided it; the other found nothing to do (expiry) or was refused (answer)
    if app.status == "in_review":
        assert (outcomes, request.status) == (["ok", "ok"], "answered")
    else:
        assert (app.status, request.status, outcomes) == ("withdrawn", "expired", ["not_editable", "ok"])
    assert Application.objects.filter(pk=app.pk, sla_paused_on__isnull=True).exists()
