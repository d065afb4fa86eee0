"""The outbox on the real broker: real Redis, real worker processes (`run_redis_tasks`), a real SMTP server.

An outbox surviving a killed worker:

Thirty notifications are written in one transaction; their dispatch tasks go onto Redis. A worker process
(`manage.py run_redis_tasks`) starts sending them to an SMTP server that takes its time; while it is in the
middle of handing one message over, it is killed with SIGKILL. A second worker is started and finishes the
batch. Every message arrives exactly once. The one message that was in flight at the kill is taken over by the
second worker once its lease runs out, recorded as an attempt after a crash, and sent with the same Message-ID:
this server dropped the half-finished transaction (the client vanished before the server's answer), so it
arrives once; a server that had kept it would hold two copies under one Message-ID, which a mail store
recognises as one message (the test allows exactly that and nothing else).

Retries: a failed send is retried by the worker after its backoff, as a delayed task on Redis.
"""

from __future__ import annotations

import asyncio
import os
import secrets
import signal
import socket
import subprocess
import sys
import time
from collections import Counter
from dataclasses import dataclass, field
from email import message_from_bytes, policy
from pathlib import Path
from typing import Any

import pytest
from aiosmtpd.controller import Controller
from django.db import connection, transaction

from borikan.delivery.models import Delivery, DeliveryAttempt, DeliveryStatus
from borikan.delivery.services import notification_enqueue

from .conftest import _free_port

ROOT = Path(__file__).resolve().parents[4]
COUNT = 30
LEASE_SECONDS = 2

pytestmark = pytest.mark.slow


def _redis_up() -> bool:
    try:
        socket.create_connection(("127.0.0.1", 6379), timeout=1).close()
    except OSError:
        return False
    return True


@dataclass
class SlowMailbox:
    """Takes 0.2 s to accept each message, so a worker can be killed while it waits for the server's answer."""

    raw: list[str] = field(default_factory=list)  # Message-IDs in order of arrival, duplicates included
    in_flight: int = 0

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        self.in_flight += 1
        try:
            await asyncio.sleep(0.2)
        finally:
            self.in_flight -= 1  # also when the client goes away meanwhile: aiosmtpd then drops the message
        message = message_from_bytes(envelope.content, policy=policy.default)
        self.raw.append(message["Message-ID"])
        return "250 Message accepted"


def _database_url() -> str:
    db = connection.settings_dict
    if connection.vendor == "postgresql":
        return f"postgres://{db['USER']}@{db['HOST']}:{db['PORT']}/{db['NAME']}"
    return f"sqlite:///{db['NAME']}"


def _start_worker(prefix: str, smtp_port: int, **extra_env: str) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, "-m", "django", "run_redis_tasks", "--continuous", "--interval", "0.2"],
        env={
            **os.environ,
            "DJANGO_SETTINGS_MODULE": "borikan.config.settings.local",
            "DATABASE_URL": _database_url(),
            "BORIKAN_TASKS": "redis",
            "BORIKAN_TASKS_KEY_PREFIX": prefix,
            "BORIKAN_MAIL_BACKEND": "smtp",
            "SMTP_HOST": "127.0.0.1",
            "SMTP_PORT": str(smtp_port),
            "BORIKAN_OUTBOX_LEASE_SECONDS": str(LEASE_SECONDS),
            "PYTHONPATH": str(ROOT / "src"),
            **extra_env,
        },
        cwd=ROOT,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )


def _wait(predicate: Any, timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return
        time.sleep(0.02)
    pytest.fail(f"timed out waiting for {what}")


@pytest.fixture
def redis_prefix():
    import redis

    prefix = f"borikan-test-{secrets.token_hex(4)}"
    yield prefix
    client = redis.Redis.from_url("redis://127.0.0.1:6379/0")
    for key in client.scan_iter(f"{prefix}:*"):
        client.delete(key)


@pytest.mark.skipif(not _redis_up(), reason="needs Redis on 127.0.0.1:6379")
@pytest.mark.django_db(transaction=True)
def test_outbox_survives_a_worker_killed_mid_batch(settings, redis_prefix):
    settings.TASKS = {
        "default": {
            "BACKEND": "django_tasks_redis.RedisTaskBackend",
            "QUEUES": [],
            "OPTIONS": {"REDIS_URL": "redis://127.0.0.1:6379/0", "REDIS_KEY_PREFIX": redis_prefix},
        }
    }
    mailbox = SlowMailbox()
    smtp_port = _free_port()
    controller = Controller(mailbox, hostname="127.0.0.1", port=smtp_port)
    controller.start()
    workers: list[subprocess.Popen] = []
    try:
        with transaction.atomic():
            for n in range(COUNT):
                notification_enqueue(
                    channel="email",
                    to=f"person{n}@example.com",
                    subject=f"แจ้งเตือน {n} / Notice {n}",
                    body=f"ข้อความที่ {n} / Message {n}",
                    idempotency_key=f"killed-worker-{n}",
                )
        expected = {d.email_message_id for d in Delivery.objects.all()}
        assert len(expected) == COUNT

        first = _start_worker(redis_prefix, smtp_port)
        workers.append(first)
        # Kill the first worker while the SMTP server is in the middle of accepting a message from it.
        _wait(lambda: len(mailbox.raw) >= 8 and mailbox.in_flight == 1, 60, "the first worker to be mid-batch")
        first.send_signal(signal.SIGKILL)
        first.wait(timeout=10)
        assert first.returncode == -signal.SIGKILL

        sent_before = Delivery.objects.filter(status=DeliveryStatus.SENT).count()
        assert sent_before < COUNT, "the first worker finished before it was killed: nothing was tested"
        in_doubt = Delivery.objects.get(status=DeliveryStatus.SENDING)  # the message that was in flight
        time.sleep(LEASE_SECONDS + 0.5)  # its lease runs out, so the next worker may take it over

        second = _start_worker(redis_prefix, smtp_port)
        workers.append(second)
        _wait(lambda: Delivery.objects.filter(status=DeliveryStatus.SENT).count() == COUNT, 90, "every message sent")
        _wait(lambda: mailbox.in_flight == 0, 5, "the mailbox to settle")
    finally:
        for worker in workers:
            if worker.poll() is None:
                worker.kill()
                worker.wait(timeout=10)
            if worker.stderr:
                worker.stderr.close()
        controller.stop()

    arrivals = Counter(mailbox.raw)
    # Every message reached the mailbox, none that was not asked for, and each Message-ID is one message.
    assert set(arrivals) == expected
    deliveries = list(Delivery.objects.all())
    assert all(d.status == DeliveryStatus.SENT and d.provider_message_id == d.email_message_id for d in deliveries)
    # At most the message in flight at the kill could have gone twice, and then under its one Message-ID; the
    # second send is on record as a resend after a crash.
    assert {mid: n for mid, n in arrivals.items() if n > 1} in ({}, {in_doubt.email_message_id: 2})
    resends = DeliveryAttempt.objects.filter(after_crash=True)
    assert [(a.delivery_id, a.outcome) for a in resends] == [(in_doubt.pk, "sent")]
    assert in_doubt.attempt_log.count() == 2
    # Everything else went exactly once, in one attempt.
    assert all(d.attempts == 1 for d in deliveries if d.pk != in_doubt.pk)


@dataclass
class Mailbox:
    message_ids: list[str] = field(default_factory=list)

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        self.message_ids.append(message_from_bytes(envelope.content, policy=policy.default)["Message-ID"])
        return "250 Message accepted"


@pytest.mark.skipif(not _redis_up(), reason="needs Redis on 127.0.0.1:6379")
@pytest.mark.django_db(transaction=True)
def test_a_failed_send_is_retried_by_the_worker_after_the_backoff_through_redis(settings, redis_prefix):
    """The mail server is down for the first attempt; the worker schedules the retry as a delayed task on Redis
    (no cron, no test help) and sends the message once the server is back."""
    settings.TASKS = {
        "default": {
            "BACKEND": "django_tasks_redis.RedisTaskBackend",
            "QUEUES": [],
            "OPTIONS": {"REDIS_URL": "redis://127.0.0.1:6379/0", "REDIS_KEY_PREFIX": redis_prefix},
        }
    }
    smtp_port = _free_port()  # nothing listens there yet: the first attempt is refused
    worker = _start_worker(redis_prefix, smtp_port, BORIKAN_OUTBOX_RETRY_BASE_SECONDS="2")
    mailbox = Mailbox()
    controller = None
    try:
        delivery = notification_enqueue(
            channel="email", to="person@example.com", subject="แจ้งเตือน / Notice", body="ข้อความ / Message"
        )
        # Claimed (attempt 1, "sending"), then the refusal recorded: back to pending with the error.
        _wait(
            lambda: Delivery.objects.filter(pk=delivery.pk, attempts=1, status=DeliveryStatus.PENDING).exists(),
            30,
            "the first attempt to fail",
        )
        delivery.refresh_from_db()
        assert delivery.status == DeliveryStatus.PENDING
        assert "ConnectionRefusedError" in delivery.last_error
        controller = Controller(mailbox, hostname="127.0.0.1", port=smtp_port)
        controller.start()

        _wait(lambda: Delivery.objects.get(pk=delivery.pk).status == DeliveryStatus.SENT, 30, "the retry")
    finally:
        worker.kill()
        worker.wait(timeout=10)
        if worker.stderr:
            worker.stderr.close()
        if controller is not None:
            controller.stop()

    delivery.refresh_from_db()
    assert delivery.attempts == 2
    assert [a.outcome for a in delivery.attempt_log.all()] == ["failed", "sent"]
    gap = delivery.attempt_log.get(number=2).started_at - delivery.attempt_log.get(number=1).finished_at
    assert gap.total_seconds() >= 1.9  # not before the backoff
    assert mailbox.message_ids == [delivery.email_message_id]
