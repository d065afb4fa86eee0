"""The declared state tables of issued documents and their templates (core/statemachine.py)."""

from borikan.core.statemachine import StateTable, declare

from .models import DocumentStatus, TemplateStatus

D, T = DocumentStatus, TemplateStatus

DOCUMENT = declare(
    StateTable(
        name="document",
        statuses=DocumentStatus,
        moves={
            (D.VALID, "suspend"): D.SUSPENDED,
            (D.SUSPENDED, "reinstate"): D.VALID,
            (D.VALID, "revoke"): D.REVOKED,
            (D.SUSPENDED, "revoke"): D.REVOKED,
        },
        labels_th={D.VALID: "ใช้ได้", D.SUSPENDED: "พักใช้", D.REVOKED: "เพิกถอนแล้ว"},
    )
)

TEMPLATE = declare(
    StateTable(
        name="document template",
        statuses=TemplateStatus,
        moves={(T.DRAFT, "publish"): T.PUBLISHED},
        labels_th={T.DRAFT: "ฉบับร่าง", T.PUBLISHED: "เผยแพร่แล้ว"},
    )
)
