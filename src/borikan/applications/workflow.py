"""The case lifecycle: the one place where statuses and the moves between them are declared.

`TRANSITIONS` maps (from status, action) to the next status. Who may take an action is in
`ACTION_ROLES`; conditions that depend on the case (fee paid? reason given?) are guards checked by
`services.application_transition`, the only code that writes `Application.status`.
"""

from __future__ import annotations

from django.db import models


class Status(models.TextChoices):
    DRAFT = "draft", "draft"
    SUBMITTED = "submitted", "submitted"
    AWAITING_PAYMENT = "awaiting_payment", "awaiting payment"
    PAID = "paid", "paid"
    IN_REVIEW = "in_review", "in review"
    INFO_REQUESTED = "info_requested", "information requested"
    PENDING_APPROVAL = "pending_approval", "pending approval"
    APPROVED = "approved", "approved"
    REJECTED = "rejected", "rejected"
    ISSUED = "issued", "issued"
    DELIVERED = "delivered", "delivered"
    CLOSED = "closed", "closed"
    WITHDRAWN = "withdrawn", "withdrawn"


class Action(models.TextChoices):
    SUBMIT = "submit", "submit"
    REQUEST_PAYMENT = "request_payment", "request payment"
    CONFIRM_PAYMENT = "confirm_payment", "confirm payment"
    START_REVIEW = "start_review", "start review"
    REQUEST_INFO = "request_info", "request information"
    RESUBMIT = "resubmit", "resubmit"
    FORWARD = "forward", "forward for approval"
    APPROVE = "approve", "approve"
    REJECT = "reject", "reject"
    RETURN = "return", "return to review"
    ISSUE = "issue", "issue document"
    DELIVER = "deliver", "deliver"
    CLOSE = "close", "close"
    WITHDRAW = "withdraw", "withdraw"
    # One level of a several-level approval chain approved; the next level decides (approvals app).
    APPROVE_LEVEL = "approve_level", "approve at one level"
    # The applicant appeals a rejection, once, with a reason: review reopens at the next level (approvals app).
    APPEAL = "appeal", "appeal"
    # A request for information left unanswered past its deadline ends the case as the service defines.
    LAPSE_REJECT = "lapse_reject", "reject (request for information unanswered)"
    LAPSE_WITHDRAW = "lapse_withdraw", "close as withdrawn (request for information unanswered)"


class Role(models.TextChoices):
    APPLICANT = "applicant", "applicant"
    OFFICER = "officer", "officer"
    APPROVER = "approver", "approver"
    SYSTEM = "system", "system"


S, A = Status, Action

TRANSITIONS: dict[tuple[Status, Action], Status] = {
    (S.DRAFT, A.SUBMIT): S.SUBMITTED,
    (S.DRAFT, A.WITHDRAW): S.WITHDRAWN,
    # Fee before review: the case waits for payment, then goes to review.
    (S.SUBMITTED, A.REQUEST_PAYMENT): S.AWAITING_PAYMENT,
    (S.SUBMITTED, A.START_REVIEW): S.IN_REVIEW,
    (S.SUBMITTED, A.WITHDRAW): S.WITHDRAWN,
    (S.AWAITING_PAYMENT, A.CONFIRM_PAYMENT): S.PAID,
    (S.AWAITING_PAYMENT, A.WITHDRAW): S.WITHDRAWN,
    (S.PAID, A.START_REVIEW): S.IN_REVIEW,  # guard: fee was due before review
    (S.PAID, A.ISSUE): S.ISSUED,  # guard: fee was due after approval
    (S.PAID, A.WITHDRAW): S.WITHDRAWN,  # guard: not yet reviewed
    (S.IN_REVIEW, A.REQUEST_INFO): S.INFO_REQUESTED,
    (S.IN_REVIEW, A.FORWARD): S.PENDING_APPROVAL,
    (S.IN_REVIEW, A.WITHDRAW): S.WITHDRAWN,
    (S.INFO_REQUESTED, A.RESUBMIT): S.IN_REVIEW,
    (S.INFO_REQUESTED, A.WITHDRAW): S.WITHDRAWN,
    (S.INFO_REQUESTED, A.LAPSE_REJECT): S.REJECTED,  # the service's outcome for an unanswered request
    (S.INFO_REQUESTED, A.LAPSE_WITHDRAW): S.WITHDRAWN,
    (S.PENDING_APPROVAL, A.APPROVE_LEVEL): S.PENDING_APPROVAL,
    (S.PENDING_APPROVAL, A.APPROVE): S.APPROVED,
    (S.PENDING_APPROVAL, A.REJECT): S.REJECTED,
    (S.PENDING_APPROVAL, A.RETURN): S.IN_REVIEW,
    (S.PENDING_APPROVAL, A.WITHDRAW): S.WITHDRAWN,
    # Fee after approval: approved → awaiting payment → paid → issued.
    (S.APPROVED, A.REQUEST_PAYMENT): S.AWAITING_PAYMENT,
    (S.APPROVED, A.ISSUE): S.ISSUED,
    (S.ISSUED, A.DELIVER): S.DELIVERED,
    (S.DELIVERED, A.CLOSE): S.CLOSED,
    (S.REJECTED, A.APPEAL): S.PENDING_APPROVAL,
    (S.REJECTED, A.CLOSE): S.CLOSED,
}

TERMINAL: frozenset[Status] = frozenset({S.CLOSED, S.WITHDRAWN})

ACTION_ROLES: dict[Action, frozenset[Role]] = {
    A.SUBMIT: frozenset({Role.APPLICANT}),
    A.RESUBMIT: frozenset({Role.APPLICANT}),
    A.WITHDRAW: frozenset({Role.APPLICANT}),
    A.APPEAL: frozenset({Role.APPLICANT}),
    A.START_REVIEW: frozenset({Role.OFFICER}),
    A.REQUEST_INFO: frozenset({Role.OFFICER}),
    A.FORWARD: frozenset({Role.OFFICER}),
    A.APPROVE_LEVEL: frozenset({Role.APPROVER}),
    A.APPROVE: frozenset({Role.APPROVER}),
    A.REJECT: frozenset({Role.APPROVER}),
    A.RETURN: frozenset({Role.APPROVER}),
    # Steps the platform takes on its own when a fact arrives (payment settled, document delivered).
    A.REQUEST_PAYMENT: frozenset({Role.SYSTEM}),
    A.CONFIRM_PAYMENT: frozenset({Role.SYSTEM}),
    A.ISSUE: frozenset({Role.SYSTEM, Role.OFFICER}),
    A.DELIVER: frozenset({Role.SYSTEM}),
    A.CLOSE: frozenset({Role.SYSTEM, Role.OFFICER}),
    A.LAPSE_REJECT: frozenset({Role.SYSTEM}),
    A.LAPSE_WITHDRAW: frozenset({Role.SYSTEM}),
}

# Actions that must say why (stored on the event and shown to the applicant).
REASON_REQUIRED: frozenset[Action] = frozenset({A.REQUEST_INFO, A.REJECT, A.RETURN, A.APPEAL})


def next_status(status: Status | str, action: Action | str) -> Status | None:
    return TRANSITIONS.get((Status(status), Action(action)))


def actions_from(status: Status | str) -> list[Action]:
    return [action for (source, action) in TRANSITIONS if source == status]


def mermaid() -> str:
    """The lifecycle diagram for docs/workflows/application.md, generated from the table."""
    lines = ["stateDiagram-v2", "    [*] --> draft"]
    lines += [f"    {src} --> {dst}: {act}" for (src, act), dst in TRANSITIONS.items()]
    lines += [f"    {t} --> [*]" for t in sorted(TERMINAL)]
    return "\n".join(lines)


DIAGRAM_HEADER = (
    "# The application lifecycle\n\n"
    "Generated from `src/borikan/applications/workflow.py` (`TRANSITIONS`) by `make docs`; "
    "a test fails when it drifts.\n\n"
)


def diagram_document() -> str:
    return f"{DIAGRAM_HEADER}```mermaid\n{mermaid()}\n```\n"


def write_diagram() -> None:
    """docs/workflows/: the case's lifecycle and that of every record with a declared state table."""
    from pathlib import Path

    import django

    django.setup()
    from borikan.core.statemachine import tables

    folder = Path(__file__).resolve().parents[3] / "docs" / "workflows"
    (folder / "application.md").write_text(diagram_document(), encoding="utf-8")
    for table in tables().values():
        (folder / f"{table.slug()}.md").write_text(table.document(), encoding="utf-8")
