"""What delivery declares around a case's moves (registered with the case engine in `DeliveryConfig.ready`)."""

from __future__ import annotations

from borikan.core import caseflow
from borikan.core.caseflow import TransitionContext
from borikan.documents.models import IssuedDocument

from .services import delivery_send


def _deliver_document(ctx: TransitionContext) -> None:
    """An issued document goes to the holder's wallet at once and by e-mail (an outbox row) when they have an
    address, in the move's own transaction; the wallet delivery reports the case delivered."""
    document = IssuedDocument.objects.select_related("holder", "agency").get(case_ref=ctx.case_ref)
    channels = ["wallet", "email"] if document.holder.email else ["wallet"]
    delivery_send(actor=ctx.actor, document=document, channels=channels)


def register() -> None:
    caseflow.on_record(_deliver_document, targets=["issued"])
