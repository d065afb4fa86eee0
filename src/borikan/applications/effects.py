"""The worker side of durable case effects (ADR 0017): claim, run, record; retry with backoff; sweep.

An effect row is written in the transaction of the move that calls for it (`engine._record_effects`). After that
commit a task is enqueued as a hint; if the broker is down or the process dies first, the sweeper
(`manage.py run_case_effects --sweep`, or the `sweep_case_effects` task) finds the row anyway. Claiming is a short
transaction (SKIP LOCKED, then a lease until `claimed_until`); the handler runs outside any transaction of ours; a
second short transaction records the outcome. A worker killed while running leaves the lease to expire, and the
next worker runs the effect again with the same key: handlers are idempotent (the bank charge carries the key as
its idempotency key; issuance returns the document already made for the case).
"""

from __future__ import annotations

import datetime as dt
import logging
import os
import socket
from collections.abc import Iterable

from django.conf import settings
from django.db import transaction
from django.db.models import CharField, Exists, OuterRef, Q
from django.db.models.functions import Cast
from django.utils import timezone

from borikan.audit.services import audit_record
from borikan.catalog.models import PaymentTiming
from borikan.core import caseflow
from borikan.core.caseflow import EffectJob

from .models import Application, CaseEffect, EffectStatus
from .states import CASE_EFFECT
from .workflow import Action, Status

logger = logging.getLogger(__name__)
MAX_ERROR_LENGTH = 1000


def worker_name() -> str:
    return f"{socket.gethostname()}:{os.getpid()}"[:100]


def lease() -> dt.timedelta:
    return dt.timedelta(seconds=settings.BORIKAN_EFFECT_LEASE_SECONDS)


def backoff(attempts: int) -> dt.timedelta:
    base = float(settings.BORIKAN_EFFECT_RETRY_BASE_SECONDS)
    ceiling = float(settings.BORIKAN_EFFECT_RETRY_MAX_SECONDS)
    return dt.timedelta(seconds=min(base * 2 ** max(attempts - 1, 0), ceiling))


def schedule(keys: Iterable[str], at: dt.datetime | None = None) -> None:
    """Ask a worker to run these effects once this transaction commits. Only a hint: the rows are already safe."""
    from django.tasks import default_task_backend

    from .tasks import run_case_effect

    keys = list(keys)

    def enqueue() -> None:
        for key in keys:
            task = run_case_effect
            if at is not None:
                if not default_task_backend.supports_defer:
                    return  # in-process tasks cannot wait: the sweeper picks the retry up when it is due
                task = task.using(run_after=at)
            task.enqueue(key)

    transaction.on_commit(enqueue, robust=True)


def _due(now: dt.datetime) -> Q:
    waiting = Q(status=EffectStatus.PENDING, next_attempt_at__lte=now)
    abandoned = Q(status=EffectStatus.RUNNING, claimed_until__lt=now)
    return waiting | abandoned


def claim(*, worker: str, key: str | None = None) -> CaseEffect | None:
    """Lease one due effect (the named one, or the oldest due) to `worker`; None when nothing is due."""
    now = timezone.now()
    with transaction.atomic():
        rows = CaseEffect.objects.select_for_update(skip_locked=True).filter(_due(now))
        if key is not None:
            rows = rows.filter(key=key)
        effect = rows.order_by("next_attempt_at", "id").first()
        if effect is None:
            return None
        # Compare-and-set as well as the row lock: on SQLite (no SKIP LOCKED) two workers never both win.
        won = CASE_EFFECT.update(
            CaseEffect.objects.filter(pk=effect.pk, status=effect.status, attempts=effect.attempts),
            "claim",
            attempts=effect.attempts + 1,
            claimed_until=now + lease(),
            claimed_by=worker,
        )
        if not won:
            return None
        effect.refresh_from_db()
    return effect


def _finish(effect: CaseEffect, *, error: str, obsolete: bool = False) -> CaseEffect:
    now = timezone.now()
    with transaction.atomic():
        locked = CaseEffect.objects.select_for_update().get(pk=effect.pk)
        if locked.status != EffectStatus.RUNNING or locked.claimed_by != effect.claimed_by:
            return locked  # our lease ran out and another worker took it over
        locked.claimed_until = None
        if not error:
            CASE_EFFECT.move(locked, "done")
            locked.done_at = now
            locked.last_error = "obsolete: the case moved on" if obsolete else ""
            locked.save()
            return locked
        locked.last_error = error[:MAX_ERROR_LENGTH]
        if locked.attempts >= locked.max_attempts:
            CASE_EFFECT.move(locked, "give_up")
            locked.save()
            audit_record(
                actor=None,
                action="case_effect.failed",
                object_type="application",
                object_id=locked.application_id,
                data={"effect": locked.name, "key": locked.key, "attempts": locked.attempts, "error": error[:200]},
            )
            return locked
        CASE_EFFECT.move(locked, "retry_later")
        locked.next_attempt_at = now + backoff(locked.attempts)
        locked.save()
        schedule([locked.key], at=locked.next_attempt_at)
    return locked


def run(effect: CaseEffect) -> CaseEffect:
    """Carry out a claimed effect and record the outcome. A failure is recorded and retried, never raised."""
    from .lifecycle import EffectObsolete

    declared = caseflow.effect_named(effect.name)
    if declared is None:
        return _finish(effect, error=f"no handler registered for {effect.name}")
    job = EffectJob(
        name=effect.name,
        key=effect.key,
        case_ref=str(effect.application_id),
        payload=effect.payload,
        attempt=effect.attempts,
    )
    try:
        declared.handler(job)
    except EffectObsolete:
        return _finish(effect, error="", obsolete=True)
    except Exception as failure:  # any failure of the handler is retried; the worker itself goes on
        logger.warning("case effect %s attempt %s failed: %s", effect.key, effect.attempts, failure)
        return _finish(effect, error=f"{type(failure).__name__}: {failure}")
    return _finish(effect, error="")


def run_due(*, limit: int = 100, worker: str | None = None, key: str | None = None) -> int:
    """Run up to `limit` due effects (only the one named by `key`, if given); returns how many ran."""
    worker = worker or worker_name()
    ran = 0
    while ran < limit:
        effect = claim(worker=worker, key=key)
        if effect is None:
            break
        run(effect)
        ran += 1
    return ran


# --- the sweeper ----------------------------------------------------------------------------------------------------


def _live(name: str) -> Exists:
    return Exists(
        CaseEffect.objects.filter(
            application=OuterRef("pk"), name=name, status__in=[EffectStatus.PENDING, EffectStatus.RUNNING]
        )
    )


def _missing_effects() -> list[tuple[Application, str]]:
    """Cases whose expected effect never completed and is not on its way: approved (no fee to pay) or paid after
    approval with no document; awaiting payment with no invoice."""
    from borikan.documents.models import IssuedDocument
    from borikan.payments.models import Invoice

    case_ref = Cast(OuterRef("pk"), CharField())  # the common services hold the case's UUID as text
    has_document = Exists(IssuedDocument.objects.filter(case_ref=case_ref))
    has_invoice = Exists(Invoice.objects.filter(case_ref=case_ref, status__in=["open", "paid"]))
    to_issue = (
        Application.objects.filter(
            Q(status=Status.APPROVED) | Q(status=Status.PAID, service__payment_timing=PaymentTiming.AFTER_APPROVAL)
        )
        .filter(~has_document, ~_live("documents.issue"))
        .select_related("service")
    )
    to_invoice = Application.objects.filter(status=Status.AWAITING_PAYMENT).filter(
        ~has_invoice, ~_live("payments.invoice")
    )
    from . import engine

    found = [(app, "payments.invoice") for app in to_invoice]
    found += [(app, "documents.issue") for app in to_issue if engine.guard(app, Action.ISSUE, "").ok]
    return found


def sweep(*, limit: int = 500) -> dict[str, int]:
    """Re-drive what never completed: due and abandoned effect rows are run, and cases missing an expected effect
    get one (a case from before effects were durable, or one whose effect was given up and then mended)."""
    now = timezone.now()
    created = 0
    for app, name in _missing_effects()[:limit]:
        with transaction.atomic():
            row, made = CaseEffect.objects.get_or_create(
                key=f"{name}:{app.pk}:sweep:{app.version}",
                defaults={"application": app, "name": name, "next_attempt_at": now},
            )
            if not made and row.status in (EffectStatus.DONE, EffectStatus.FAILED):
                CASE_EFFECT.move(row, "redrive")
                row.attempts, row.next_attempt_at = 0, now
                row.save(update_fields=["status", "attempts", "next_attempt_at"])
            created += 1
            audit_record(
                actor=None,
                action="case_effect.redriven",
                object_type="application",
                object_id=app.pk,
                subject_user_id=app.applicant_id,
                data={"effect": name},
            )
    ran = run_due(limit=limit)
    return {"created": created, "ran": ran}
