"""A background job through a real broker: the task is put on Redis and run by a separate worker process
(`manage.py run_redis_tasks`) against the same database."""

from __future__ import annotations

import os
import secrets
import socket
import subprocess
import sys
from pathlib import Path

import pytest
from django.db import connection
from django.tasks import TaskResultStatus
from django.utils import timezone

from borikan.audit.models import AuditEntry
from borikan.audit.tasks import seal_audit_chain

ROOT = Path(__file__).resolve().parents[4]
pytestmark = pytest.mark.slow


def _redis_up() -> bool:
    try:
        socket.create_connection(("127.0.0.1", 6379), timeout=1).close()
    except OSError:
        return False
    return True


def _database_url() -> str:
    db = connection.settings_dict
    if connection.vendor == "postgresql":
        return f"postgres://{db['USER']}@{db['HOST']}:{db['PORT']}/{db['NAME']}"
    return f"sqlite:///{db['NAME']}"


def _run_worker_once(prefix: str) -> None:
    """One task through a separate worker process, on the same database as the test."""
    worker = subprocess.run(
        [sys.executable, "-m", "django", "run_redis_tasks", "--max-tasks", "1"],
        env={
            **os.environ,
            "DJANGO_SETTINGS_MODULE": "borikan.config.settings.local",
            "DATABASE_URL": _database_url(),
            "BORIKAN_TASKS": "redis",
            "BORIKAN_TASKS_KEY_PREFIX": prefix,
            "PYTHONPATH": str(ROOT / "src"),
        },
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert worker.returncode == 0, worker.stderr[-2000:]


@pytest.fixture
def redis_prefix():
    """A key prefix of this test's own on the shared Redis, removed afterwards."""
    import redis

    prefix = f"borikan-test-{secrets.token_hex(4)}"
    yield prefix
    client = redis.Redis.from_url("redis://127.0.0.1:6379/0")
    for key in client.scan_iter(f"{prefix}:*"):
        client.delete(key)


@pytest.mark.skipif(not _redis_up(), reason="needs Redis on 127.0.0.1:6379")
@pytest.mark.django_db(transaction=True)
def test_task_enqueued_on_redis_is_run_by_a_separate_worker(settings, redis_prefix):
    prefix = redis_prefix
    settings.TASKS = {
        "default": {
            "BACKEND": "django_tasks_redis.RedisTaskBackend",
            "QUEUES": [],
            "OPTIONS": {"REDIS_URL": "redis://127.0.0.1:6379/0", "REDIS_KEY_PREFIX": prefix},
        }
    }
    # An entry whose post-commit sealing never ran.
    entry = AuditEntry.objects.create(created_at=timezone.now(), action="test.orphan", object_type="t", object_id="1")
    result = seal_audit_chain.enqueue()
    assert result.status == TaskResultStatus.READY

    _run_worker_once(prefix)
    result.refresh()
    assert result.status == TaskResultStatus.SUCCESSFUL
    assert result.return_value == 1
    entry.refresh_from_db()
    assert entry.seq == 1


@pytest.mark.skipif(not _redis_up(), reason="needs Redis on 127.0.0.1:6379")
@pytest.mark.django_db(transaction=True)
def test_committed_entries_are_sealed_by_the_worker_after_the_coalescing_window(settings, redis_prefix, monkeypatch):
    import time

    from django.db import transaction

    from borikan.audit import services

    settings.TASKS = {
        "default": {
            "BACKEND": "django_tasks_redis.RedisTaskBackend",
            "QUEUES": [],
            "OPTIONS": {"REDIS_URL": "redis://127.0.0.1:6379/0", "REDIS_KEY_PREFIX": redis_prefix},
        }
    }
    monkeypatch.setattr(services, "_seal_scheduled_until", 0.0)
    with transaction.atomic():
        services.audit_record(actor=None, action="test.committed", object_type="t", object_id="1")
    assert AuditEntry.objects.get().seq is None
    time.sleep(services.SEAL_COALESCE_SECONDS + 0.1)
    _run_worker_once(redis_prefix)
    assert AuditEntry.objects.get().seq == 1
