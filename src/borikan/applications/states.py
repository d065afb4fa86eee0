"""The declared state table of a case's durable effects (core/statemachine.py). The case itself moves through the
engine (engine.py, workflow.py)."""

from borikan.core.statemachine import StateTable, declare

from .models import EffectStatus

E = EffectStatus

CASE_EFFECT = declare(
    StateTable(
        name="case effect",
        statuses=EffectStatus,
        moves={
            (E.PENDING, "claim"): E.RUNNING,
            (E.RUNNING, "claim"): E.RUNNING,  # taken over after the lease of a crashed worker ran out
            (E.RUNNING, "done"): E.DONE,
            (E.RUNNING, "retry_later"): E.PENDING,
            (E.RUNNING, "give_up"): E.FAILED,
            (E.DONE, "redrive"): E.PENDING,
            (E.FAILED, "redrive"): E.PENDING,
        },
        labels_th={E.PENDING: "รอดำเนินการ", E.RUNNING: "กำลังดำเนินการ", E.DONE: "เสร็จแล้ว", E.FAILED: "ล้มเหลว"},
    )
)
