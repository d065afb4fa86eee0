"""Two approvers deciding the same level at the same moment: exactly one decision is recorded (PostgreSQL row lock
on the case's approval state). And two admins saving a chain at once: one version each, never the same number."""

from __future__ import annotations

import threading

import pytest
from django.db import connection, connections

from borikan.agencies.models import StaffRole
from borikan.approvals import services
from borikan.approvals.models import CaseApproval, ChainVersion, Decision
from borikan.conftest import make_staff
from borikan.core.errors import ApplicationError

from .helpers import DIGEST, admin_of, pinned_case, two_level_chain

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
def test_two_approvers_deciding_one_level_at_once_only_one_succeeds(service, citizen, approver):
    admin = admin_of(service.agency)
    two_level_chain(service, admin)
    second = make_staff("approver2@excise.go.th", service.agency, StaffRole.APPROVER)
    pin = pinned_case(service, citizen)

    def decide(actor, outcome: str, reason: str):
        return lambda: services.decision_record(
            actor=actor, case_ref=pin.case_ref, service=service, level=1, outcome=outcome, reason=reason,
            form_data_digest=DIGEST,
        )  # fmt: skip

    outcomes = _race(decide(approver, "approve", ""), decide(second, "reject", "ไม่มีแผนผังร้าน"))

    assert outcomes == ["level_already_decided", "ok"] or outcomes == ["chain_complete", "ok"]
    assert Decision.objects.filter(case__case_ref=pin.case_ref).count() == 1
    state = CaseApproval.objects.get(case_ref=pin.case_ref)
    decision = Decision.objects.get(case__case_ref=pin.case_ref)
    if decision.outcome == "approve":
        assert (state.status, state.current_level) == ("pending", 2)
    else:
        assert (state.status, state.current_level) == ("rejected", 1)


@pytest.mark.django_db(transaction=True)
def test_many_approvers_at_once_still_one_decision_per_level(service, citizen):
    admin = admin_of(service.agency)
    two_level_chain(service, admin)
    approvers = [make_staff(f"approver{i}@excise.go.th", service.agency, StaffRole.APPROVER) for i in range(4)]
    pin = pinned_case(service, citizen)

    def decide(actor):
        return lambda: services.decision_record(
            actor=actor, case_ref=pin.case_ref, service=service, level=1, outcome="approve", reason="",
            form_data_digest=DIGEST,
        )  # fmt: skip

    outcomes = _race(*[decide(a) for a in approvers])
    assert outcomes.count("ok") == 1 and set(outcomes) == {"ok", "level_already_decided"}
    assert Decision.objects.filter(case__case_ref=pin.case_ref, level=1).count() == 1


@pytest.mark.django_db(transaction=True)
def test_two_admins_saving_a_chain_at_once_get_distinct_versions_or_a_409(service):
    first, second = admin_of(service.agency), admin_of(service.agency, "admin2@excise.go.th")
    outcomes = _race(
        lambda: services.chain_version_create(actor=first, service=service, levels=[{"role": "approver"}]),
        lambda: services.chain_version_create(actor=second, service=service, levels=[{"role": "agency_admin"}]),
    )
    numbers = sorted(ChainVersion.objects.filter(service=service).values_list("number", flat=True))
    assert numbers in ([1], [1, 2])
    assert outcomes == (["ok", "stale_version"] if numbers == [1] else ["ok", "ok"])
