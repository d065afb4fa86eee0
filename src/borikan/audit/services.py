"""Writing and verifying the audit chain."""

from __future__ import annotations

import hashlib
import json
from datetime import UTC, datetime
from dataclasses import dataclass
from typing import Any

from django.db import transaction
from django.utils import timezone

from .models import AuditChainHead, AuditEntry

GENESIS_HASH = "0" * 64


def _entry_hash(
    *,
    seq: int,
    created_at: str,
    actor_id: int | None,
    actor_label: str,
    action: str,
    object_type: str,
    object_id: str,
    subject_user_id: int | None,
    data: dict[str, Any],
    prev_hash: str,
) -> str:
    body = json.dumps(
        [seq, created_at, actor_id, actor_label, action, object_type, object_id, subject_user_id, data, prev_hash],
        sort_keys=True,
        ensure_ascii=False,
        separators=(",", ":"),
    )
    return hashlib.sha256(body.encode()).hexdigest()


def _timestamp(value: datetime) -> str:
    return value.astimezone(UTC).isoformat(timespec="microseconds")


def audit_record(
    *,
    actor: Any | None,
    action: str,
    object_type: str,
    object_id: str | int,
    subject_user_id: int | None = None,
    data: dict[str, Any] | None = None,
) -> AuditEntry:
    """Append one entry. Joins the caller's transaction, so the entry commits or rolls back with the change."""
    actor_id = getattr(actor, "pk", None)
    actor_label = str(actor) if actor is not None else "system"
    data = data or {}
    with transaction.atomic():
        head, _ = AuditChainHead.objects.select_for_update().get_or_create(id=1)
        seq = head.last_seq + 1
        created_at = timezone.now()
        digest = _entry_hash(
            seq=seq,
            created_at=_timestamp(created_at),
            actor_id=actor_id,
            actor_label=actor_label,
            action=action,
            object_type=object_type,
            object_id=str(object_id),
            subject_user_id=subject_user_id,
            data=data,
            prev_hash=head.last_hash,
        )
        entry = AuditEntry.objects.create(
            seq=seq,
            created_at=created_at,
            actor_id=actor_id,
            actor_label=actor_label,
            action=action,
            object_type=object_type,
            object_id=str(object_id),
            subject_user_id=subject_user_id,
            data=data,
            prev_hash=head.last_hash,
            hash=digest,
        )
        head.last_seq, head.last_hash = seq, digest
        head.save(update_fields=["last_seq", "last_hash"])
    return entry


@dataclass(frozen=True)
class ChainReport:
    checked: int
    first_broken_seq: int | None = None
    problem: str = ""

    @property
    def ok(self) -> bool:
        return self.first_broken_seq is None


def audit_verify_chain(*, batch_size: int = 2000) -> ChainReport:
    """Recompute every hash in order; name the first entry whose content or link does not match."""
    expected_prev = GENESIS_HASH
    expected_seq = 1
    checked = 0
    for entry in AuditEntry.objects.order_by("seq").iterator(chunk_size=batch_size):
        if entry.seq != expected_seq:
            return ChainReport(checked, expected_seq, f"entry #{expected_seq} is missing")
        if entry.prev_hash != expected_prev:
            return ChainReport(checked, entry.seq, "link to the previous entry does not match")
        recomputed = _entry_hash(
            seq=entry.seq,
            created_at=_timestamp(entry.created_at),
            actor_id=entry.actor_id,
            actor_label=entry.actor_label,
            action=entry.action,
            object_type=entry.object_type,
            object_id=entry.object_id,
            subject_user_id=entry.subject_user_id,
            data=entry.data,
            prev_hash=entry.prev_hash,
        )
        if recomputed != entry.hash:
            return ChainReport(checked, entry.seq, "content does not match its hash")
        expected_prev = entry.hash
        expected_seq += 1
        checked += 1
    head = AuditChainHead.objects.filter(id=1).first()
    if head and head.last_seq != checked:
        return ChainReport(checked, checked + 1, f"the chain head says {head.last_seq} entries, found {checked}")
    return ChainReport(checked)
