"""The declared state table of information requests (core/statemachine.py)."""

from borikan.core.statemachine import StateTable, declare

from .models import InfoRequestStatus

R = InfoRequestStatus

INFORMATION_REQUEST = declare(
    StateTable(
        name="information request",
        statuses=InfoRequestStatus,
        moves={(R.OPEN, "answer"): R.ANSWERED, (R.OPEN, "expire"): R.EXPIRED, (R.OPEN, "close"): R.CLOSED},
        labels_th={R.OPEN: "รอคำตอบ", R.ANSWERED: "ตอบแล้ว", R.EXPIRED: "เลยกำหนด", R.CLOSED: "ปิดแล้ว"},
    )
)
