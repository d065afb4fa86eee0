"""The declared state table of form versions (core/statemachine.py)."""

from borikan.core.statemachine import StateTable, declare

from .models import VersionStatus

V = VersionStatus

FORM_VERSION = declare(
    StateTable(
        name="form version",
        statuses=VersionStatus,
        moves={(V.DRAFT, "publish"): V.PUBLISHED, (V.PUBLISHED, "retire"): V.RETIRED},
        labels_th={V.DRAFT: "ฉบับร่าง", V.PUBLISHED: "ใช้งานอยู่", V.RETIRED: "เลิกใช้แล้ว"},
    )
)
