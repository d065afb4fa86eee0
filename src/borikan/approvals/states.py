"""The declared state table of a case's approval round (core/statemachine.py)."""

from borikan.core.statemachine import StateTable, declare

from .models import CaseStatus

C = CaseStatus

CASE_APPROVAL = declare(
    StateTable(
        name="approval round",
        statuses=CaseStatus,
        moves={
            (C.PENDING, "approve"): C.APPROVED,
            (C.PENDING, "reject"): C.REJECTED,
            (C.REJECTED, "appeal"): C.PENDING,
        },
        labels_th={C.PENDING: "รอพิจารณา", C.APPROVED: "อนุมัติ", C.REJECTED: "ไม่อนุมัติ"},
    )
)
