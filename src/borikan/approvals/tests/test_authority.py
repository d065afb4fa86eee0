"""The authority rule is written once (`services.authority`): the read path (`can_decide_now`, for buttons and the
engine's role check) and the write path (`decision_record`) give the same answer for every kind of actor."""

from __future__ import annotations

import pytest
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from borikan.agencies.models import StaffRole
from borikan.approvals import services
from borikan.approvals.models import CaseApproval, Decision
from borikan.conftest import make_staff
from borikan.core.errors import ApplicationError
from borikan.identity.enforcement import AssuranceRequired

from .helpers import admin_of, decide, pinned_case, two_level_chain

pytestmark = pytest.mark.django_db
APPEAL_REASON = "ผังร้านถูกต้องตามที่ยื่นไว้แล้ว โปรดพิจารณาใหม่"


class _Undo(Exception):
    """Raised inside a savepoint to undo a decision the write path was allowed to record."""


def _write_answer(actor, pin) -> tuple[str | None, Decision | None]:
    """What `decision_record` says for the case's current level: None and the decision (then undone), or the
    refusal's code with nothing written."""
    level = CaseApproval.objects.get(case_ref=pin.case_ref).current_level
    decisions_before = Decision.objects.count()
    recorded = None
    try:
        with transaction.atomic():
            recorded = decide(actor, pin, level, "approve")
            raise _Undo
    except _Undo:
        return None, recorded
    except (ApplicationError, AssuranceRequired) as refused:
        assert refused.message_th and refused.message_en
        assert Decision.objects.count() == decisions_before
        return refused.code, None


def _read_answer(actor, pin) -> bool:
    with CaptureQueriesContext(connection) as queries:
        answer = services.can_decide_now(actor=actor, case_ref=pin.case_ref)
    assert all(q["sql"].lstrip().upper().startswith("SELECT") for q in queries.captured_queries), "reads only"
    return answer


@pytest.fixture
def world(agency, service, citizen, approver, officer, foreign_officer):
    admin = admin_of(agency)
    two_level_chain(service, admin)
    director = make_staff("director@excise.go.th", agency, StaffRole.OFFICER, StaffRole.DIRECTOR)
    second_director = make_staff("director2@excise.go.th", agency, StaffRole.DIRECTOR)
    both = make_staff("both@excise.go.th", agency, StaffRole.APPROVER, StaffRole.DIRECTOR)
    staff_applicant = make_staff("applicant-staff@excise.go.th", agency, StaffRole.APPROVER)
    delegate = make_staff("delegate@excise.go.th", agency, StaffRole.OFFICER)
    today = timezone.localdate()
    services.delegation_create(
        actor=approver, agency=agency, delegator=approver, delegate=delegate, starts_on=today, ends_on=today
    )

    fresh = pinned_case(service, citizen)  # at level 1 (approver)
    own = pinned_case(service, staff_applicant)  # a staff member's own application, at level 1
    half = pinned_case(service, citizen)  # `both` approved level 1; level 2 (director) is next
    decide(both, half, 1)
    appealed = pinned_case(service, citizen)  # the director rejected at level 2; the appeal reopened level 2
    decide(approver, appealed, 1)
    decide(director, appealed, 2, "reject", "ผังไม่ตรงกับที่ตั้ง")
    services.appeal_lodge(actor=citizen, case_ref=appealed.case_ref, reason=APPEAL_REASON)
    done = pinned_case(service, citizen)
    decide(approver, done, 1)
    decide(director, done, 2)
    return {
        "people": {
            "approver": approver,
            "director": director,
            "second_director": second_director,
            "both": both,
            "staff_applicant": staff_applicant,
            "delegate": delegate,
            "officer": officer,
            "foreign_officer": foreign_officer,
            "citizen": citizen,
        },
        "cases": {"fresh": fresh, "own": own, "half": half, "appealed": appealed, "done": done},
    }


MATRIX = [
    # (actor, case, the refusal's code; None: may decide)
    ("approver", "fresh", None),
    ("director", "fresh", "not_authorised_for_level"),  # a director, not an approver
    ("delegate", "fresh", None),  # the approver's delegate today, on their behalf
    ("officer", "fresh", "not_authorised_for_level"),  # staff without a deciding role
    ("foreign_officer", "fresh", "not_found"),  # another agency's staff (who hold approver there)
    ("citizen", "fresh", "not_found"),
    ("staff_applicant", "own", "conflict_of_interest"),  # an approver deciding their own application
    ("approver", "own", None),
    ("both", "half", "already_decided_a_level"),  # decided level 1 of this round; holds director too
    ("director", "half", None),
    ("director", "appealed", "appeal_same_decider"),  # made the rejection under appeal
    ("second_director", "appealed", None),
    ("director", "done", "chain_complete"),
]


@pytest.mark.parametrize(("who", "which", "code"), MATRIX, ids=[f"{w}-{c}" for w, c, _ in MATRIX])
def test_the_read_and_the_write_path_give_the_same_answer(world, who, which, code):
    actor, pin = world["people"][who], world["cases"][which]
    case = CaseApproval.objects.select_related("pin__chain_version").get(case_ref=pin.case_ref)
    rule = services.authority(actor, case, case.current_level)
    assert (rule.code if isinstance(rule, services.Refusal) else None) == code
    assert _read_answer(actor, pin) is (code is None)
    written, decision = _write_answer(actor, pin)
    assert written == code
    if code is None:
        assert decision.decided_by == actor and decision.level == case.current_level
        assert decision.on_behalf_of == (world["people"]["approver"] if who == "delegate" else None)


def test_the_rule_names_whom_a_delegate_decides_for(world):
    pin = world["cases"]["fresh"]
    case = CaseApproval.objects.select_related("pin__chain_version").get(case_ref=pin.case_ref)
    found = services.authority(world["people"]["delegate"], case, 1)
    assert isinstance(found, services.Authority)
    assert (found.step.role, found.on_behalf_of, found.delegation.delegate) == (
        "approver",
        world["people"]["approver"],
        world["people"]["delegate"],
    )
    assert services.authority(world["people"]["approver"], case, 1).on_behalf_of is None


def test_a_weak_sign_in_sees_the_button_and_the_write_asks_to_step_up(world):
    from borikan.conftest import signed_in
    from borikan.identity.authn import Method

    weak = signed_in(world["people"]["approver"], Method.PASSWORD)
    pin = world["cases"]["fresh"]
    assert _read_answer(weak, pin) is True
    assert _write_answer(weak, pin)[0] == "assurance_required"


def test_a_revoked_director_role_ends_the_authority_on_both_paths(world, agency):
    director, pin = world["people"]["director"], world["cases"]["half"]
    assert _read_answer(director, pin)
    services.approval_role_revoke(actor=admin_of(agency, "admin2@excise.go.th"), agency=agency, user=director,
                                  role="director")  # fmt: skip
    assert not _read_answer(director, pin)
    assert _write_answer(director, pin)[0] == "not_authorised_for_level"
