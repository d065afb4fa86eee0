"""Writing, sealing and verifying the audit chain.

`audit_record` inserts an entry inside the caller's transaction: it commits or rolls back with the change,
and takes no shared lock, so concurrent requests do not queue on each other. After the transaction commits,
the `seal_audit_chain` task runs `audit_seal`, which chains every committed unsealed entry (a short transaction
under one row lock): in-process with the default task backend, on a worker with a broker. See ADR 0004.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import threading
import time
import uuid
from dataclasses import dataclass
from datetime import UTC
from typing import Any

from django.db import transaction
from django.utils import timezone

from .models import AuditChainHead, AuditEntry

GENESIS_HASH = "0" * 64
SEAL_BATCH = 500


def _entry_hash(entry: AuditEntry, *, seq: int, prev_hash: str) -> str:
    body = json.dumps(
        [
            entry.pk,
            seq,
            entry.created_at.astimezone(UTC).isoformat(timespec="microseconds"),
            entry.actor_id,
            entry.actor_label,
            entry.action,
            entry.object_type,
            entry.object_id,
            entry.subject_user_id,
            entry.data,
            prev_hash,
        ],
        sort_keys=True,
        ensure_ascii=False,
        separators=(",", ":"),
    )
    return hashlib.sha256(body.encode()).hexdigest()


def audit_record(
    *,
    actor: Any | None,
    action: str,
    object_type: str,
    object_id: str | int | uuid.UUID,
    subject_user_id: int | None = None,
    data: dict[str, Any] | None = None,
) -> AuditEntry:
    """Append one entry to the log, in the caller's transaction; it is sealed into the chain after commit."""
    entry = AuditEntry.objects.create(
        created_at=timezone.now(),
        actor_id=getattr(actor, "pk", None),
        actor_label=str(actor) if actor is not None else "system",
        action=action,
        object_type=object_type,
        object_id=str(object_id)[:64],
        subject_user_id=subject_user_id,
        data=data or {},
    )
    pending = transaction.get_connection().run_on_commit
    if not any(callback is _seal_soon for _, callback, _ in pending):
        transaction.on_commit(_seal_soon)  # once per transaction, however many entries it writes
    return entry


SEAL_COALESCE_SECONDS = 0.2
_seal_lock = threading.Lock()
_seal_scheduled_until = 0.0


def _seal_soon() -> None:
    """Sealing is a background job: in-process right after the commit by default, by a worker on a broker.

    With a backend that can defer, one process schedules at most one seal per SEAL_COALESCE_SECONDS, to run
    when that window ends: it covers every entry the process committed in the window, and busy web workers
    do not queue a seal per request.
    """
    global _seal_scheduled_until
    from .tasks import seal_audit_chain

    if not seal_audit_chain.get_backend().supports_defer:
        seal_audit_chain.enqueue()
        return
    now = time.monotonic()
    with _seal_lock:
        if now < _seal_scheduled_until:
            return
        _seal_scheduled_until = now + SEAL_COALESCE_SECONDS
    run_after = timezone.now() + dt.timedelta(seconds=SEAL_COALESCE_SECONDS)
    seal_audit_chain.using(run_after=run_after).enqueue()


def audit_seal() -> int:
    """Chain every committed, unsealed entry, oldest first. Returns how many were sealed.

    Sealers queue on the chain head row, so each entry gets exactly one place in the chain; an entry that
    commits while another sealer runs is picked up by its own transaction's sealer, which waits its turn.
    """
    sealed = 0
    while True:
        with transaction.atomic():
            head = AuditChainHead.objects.select_for_update().filter(id=1).first()
            if head is None:  # first use of this database; get_or_create copes with a concurrent first sealer
                AuditChainHead.objects.get_or_create(id=1)
                head = AuditChainHead.objects.select_for_update().get(id=1)
            batch = list(AuditEntry.objects.filter(seq__isnull=True).order_by("id")[:SEAL_BATCH])
            if not batch:
                return sealed
            seq, prev = head.last_seq, head.last_hash
            for entry in batch:
                seq += 1
                entry.seq, entry.prev_hash = seq, prev
                entry.hash = prev = _entry_hash(entry, seq=seq, prev_hash=prev)
            AuditEntry.objects.bulk_update(batch, ["seq", "prev_hash", "hash"])
            head.last_seq, head.last_hash = seq, prev
            head.save(update_fields=["last_seq", "last_hash"])
            sealed += len(batch)
        if len(batch) < SEAL_BATCH:
            return sealed


@dataclass(frozen=True)
class ChainReport:
    checked: int
    first_broken_seq: int | None = None
    problem: str = ""

    @property
    def ok(self) -> bool:
        return self.first_broken_seq is None


def audit_verify_chain(*, batch_size: int = 2000) -> ChainReport:
    """Seal what is pending, then recompute every hash in order and name the first entry that does not match."""
    audit_seal()
    expected_prev = GENESIS_HASH
    expected_seq = 1
    checked = 0
    for entry in AuditEntry.objects.filter(seq__isnull=False).order_by("seq").iterator(chunk_size=batch_size):
        if entry.seq != expected_seq:
            return ChainReport(checked, expected_seq, f"entry #{expected_seq} is missing")
        if entry.prev_hash != expected_prev:
            return ChainReport(checked, entry.seq, "link to the previous entry does not match")
        if _entry_hash(entry, seq=entry.seq, prev_hash=entry.prev_hash) != entry.hash:
            return ChainReport(checked, entry.seq, "content does not match its hash")
        expected_prev = entry.hash
        expected_seq += 1
        checked += 1
    head = AuditChainHead.objects.filter(id=1).first()
    if head and (head.last_seq != checked or head.last_hash != expected_prev):
        return ChainReport(checked, checked + 1, f"the chain head says {head.last_seq} entries, found {checked}")
    return ChainReport(checked)
