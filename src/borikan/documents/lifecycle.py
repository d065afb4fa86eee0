"""What documents declares around a case's moves (registered with the case engine in `DocumentsConfig.ready`)."""

from __future__ import annotations

from borikan.core import caseflow
from borikan.core.caseflow import TransitionContext
from borikan.core.errors import ApplicationError

from .models import IssuedDocument


def _document_exists(ctx: TransitionContext) -> None:
    """A case is issued only once its document is: whoever asks for the move, the document comes first."""
    if not IssuedDocument.objects.filter(case_ref=ctx.case_ref).exists():
        raise ApplicationError(
            "document_not_ready",
            "ยังไม่ได้ออกเอกสารของคำขอนี้ ระบบจะออกให้โดยอัตโนมัติ",
            "The document of this case has not been issued yet; the platform issues it on its own",
            status=409,
        )


def register() -> None:
    caseflow.on_check(_document_exists, actions=["issue"])
