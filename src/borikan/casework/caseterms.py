"""The case as casework sees it from below the engine (ADR 0017): the names of the case's statuses and actions it
refers to — declared in `applications/workflow.py`, which casework may not import; a test there checks these
names — and the engine's port (`core.caseflow.cases`) for the case model, the row lock and the locked move."""

from __future__ import annotations

from enum import StrEnum
from typing import Any

from borikan.core import caseflow

Case = Any  # an `applications.Application`, reached through the port


class Action(StrEnum):
    START_REVIEW = "start_review"
    REQUEST_INFO = "request_info"
    RESUBMIT = "resubmit"
    FORWARD = "forward"
    WITHDRAW = "withdraw"
    LAPSE_REJECT = "lapse_reject"
    LAPSE_WITHDRAW = "lapse_withdraw"


class Status(StrEnum):
    DRAFT = "draft"
    SUBMITTED = "submitted"
    PAID = "paid"
    IN_REVIEW = "in_review"
    INFO_REQUESTED = "info_requested"
    PENDING_APPROVAL = "pending_approval"
    REJECTED = "rejected"


def the_case_model() -> Any:
    return caseflow.cases().model


def open_statuses() -> frozenset[str]:
    return caseflow.cases().open_statuses


def lock_case(application_id: Any) -> Case:
    return caseflow.cases().lock(application_id)


def transition_locked(app: Case, **move: Any) -> Case:
    return caseflow.cases().move_locked(app, **move)
