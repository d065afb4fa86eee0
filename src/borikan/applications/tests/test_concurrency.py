"""Two people acting on the same case at the same moment: exactly one succeeds (row lock on the case)."""

from __future__ import annotations

import threading

import pytest
from django.db import connection, connections

from borikan.agencies.models import StaffMembership, StaffRole
from borikan.applications.models import ApplicationEvent
from borikan.applications.services import application_transition
from borikan.conftest import make_staff
from borikan.core.errors import ApplicationError

from .factories import make_application

pytestmark = pytest.mark.skipif(
    connection.vendor != "postgresql", reason="needs PostgreSQL row locks (SELECT ... FOR UPDATE)"
)


@pytest.mark.django_db(transaction=True)
def test_two_approvers_deciding_at_once_only_one_wins(free_service, citizen, approver):
    second = make_staff("approver2@excise.go.th", free_service.agency, StaffRole.APPROVER)
    app = make_application(service=free_service, applicant=citizen, status="pending_approval")
    barrier = threading.Barrier(2)
    outcomes: list[str] = []

    def decide(actor, action: str, reason: str) -> None:
        barrier.wait()
        try:
            application_transition(application_id=app.pk, action=action, actor=actor, reason=reason)
            outcomes.append(f"{action}:ok")
        except ApplicationError as error:
            outcomes.append(f"{action}:{error.code}")
        finally:
            connections.close_all()

    threads = [
        threading.Thread(target=decide, args=(approver, "approve", "")),
        threading.Thread(target=decide, args=(second, "reject", "incomplete premises plan")),
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert sorted(o.split(":")[1] for o in outcomes) == ["illegal_transition", "ok"]
    app.refresh_from_db()
    # One decision is on record. An approval (no fee) is then issued and delivered right after its commit (the
    # issuance effect, in-process here), so the case may already have moved on from "approved".
    [decision] = ApplicationEvent.objects.filter(application=app, action__in=["approve", "reject"])
    assert app.status in (("rejected",) if decision.action == "reject" else ("approved", "issued", "delivered"))
    assert StaffMembership.objects.filter(role=StaffRole.APPROVER).count() == 2
