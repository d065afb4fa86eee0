"""Share links: a holder lets someone open one document, without signing in, for 1 to 30 days.

The token is shown once, to the holder; only its SHA-256 is stored. Opening a link is audited with the holder
as the data subject, so the holder can see who-opened-when in their own audit trail.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import secrets
from typing import Any

from django.conf import settings
from django.db import transaction
from django.db.models import F
from django.urls import reverse
from django.utils import timezone

from borikan.audit.services import audit_record
from borikan.core.errors import ApplicationError, NotFound, ValidationFailed
from borikan.documents.models import IssuedDocument
from borikan.documents.selectors import access_document_for_user

from .models import ShareLink

MIN_DAYS, MAX_DAYS = 1, 30


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def share_url(token: str) -> str:
    return settings.BORIKAN_PUBLIC_BASE_URL.rstrip("/") + reverse("delivery:shared", args=[token])


def share_create(*, actor: Any, document_id: Any, days: Any) -> tuple[ShareLink, str]:
    """The holder makes a link to one of their documents; returns it and the token (shown once)."""
    try:
        days = int(days)
    except (TypeError, ValueError):
        days = 0
    if not MIN_DAYS <= days <= MAX_DAYS:
        raise ValidationFailed(
            "invalid_share_days",
            "ระยะเวลาของลิงก์ต้องอยู่ระหว่าง 1 ถึง 30 วัน",
            "A share link lasts between 1 and 30 days",
            field="days",
        )
    try:
        document_id = int(document_id)
    except (TypeError, ValueError):
        raise NotFound("document", "เอกสาร") from None
    # Sharing discloses the document: it needs the same assurance as opening it (the service's AAL).
    document = access_document_for_user(user=actor, document_id=document_id)
    if document.holder_id != actor.pk:
        raise NotFound("document", "เอกสาร")  # staff may open a document, but only its holder may share it
    token = secrets.token_urlsafe(24)
    with transaction.atomic():
        link = ShareLink.objects.create(
            document=document,
            holder=actor,
            token_hash=_hash(token),
            expires_at=timezone.now() + dt.timedelta(days=days),
        )
        audit_record(
            actor=actor,
            action="document.share_created",
            object_type="share_link",
            object_id=link.pk,
            subject_user_id=actor.pk,
            data={"document": document.number, "days": days},
        )
    return link, token


def share_withdraw(*, actor: Any, share_id: Any) -> ShareLink:
    """The holder withdraws a link; it stops working at once. Withdrawing twice is harmless."""
    try:
        share_id = int(share_id)
    except (TypeError, ValueError):
        raise NotFound("share link", "ลิงก์แบ่งปัน") from None
    with transaction.atomic():
        link = (
            ShareLink.objects.select_for_update()
            .filter(pk=share_id, holder_id=getattr(actor, "pk", None))
            .select_related("document")
            .first()
        )
        if link is None:
            raise NotFound("share link", "ลิงก์แบ่งปัน")
        if link.withdrawn_at is None:
            link.withdrawn_at = timezone.now()
            link.save(update_fields=["withdrawn_at"])
            audit_record(
                actor=actor,
                action="document.share_withdrawn",
                object_type="share_link",
                object_id=link.pk,
                subject_user_id=actor.pk,
                data={"document": link.document.number},
            )
    return link


def share_open(*, token: str, what: str = "page") -> IssuedDocument:
    """The document behind a working link, for anyone holding it; each opening is audited for the holder."""
    if not isinstance(token, str) or not 16 <= len(token) <= 64:
        raise NotFound("share link", "ลิงก์แบ่งปัน")
    with transaction.atomic():
        link = ShareLink.objects.select_related("document__agency").filter(token_hash=_hash(token)).first()
        if link is None:
            raise NotFound("share link", "ลิงก์แบ่งปัน")
        if link.withdrawn_at is not None:
            raise ApplicationError(
                "share_withdrawn",
                "เจ้าของเอกสารยกเลิกลิงก์นี้แล้ว",
                "The holder has withdrawn this link",
                status=410,
            )
        if link.expires_at <= timezone.now():
            raise ApplicationError("share_expired", "ลิงก์นี้หมดอายุแล้ว", "This link has expired", status=410)
        ShareLink.objects.filter(pk=link.pk).update(open_count=F("open_count") + 1, last_opened_at=timezone.now())
        audit_record(
            actor=None,
            action="document.share_opened",
            object_type="share_link",
            object_id=link.pk,
            subject_user_id=link.holder_id,
            data={"document": link.document.number, "what": what},
        )
    return link.document
