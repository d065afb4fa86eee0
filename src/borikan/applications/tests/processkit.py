"""The platform as separate processes for fault tests: gunicorn web workers and Redis task workers on the test
database, beside the bank sandbox (payments/tests/gatewaykit.py). Each process is started with the test's own
secrets, so a webhook the sandbox signs is one the portal accepts."""

from __future__ import annotations

import contextlib
import os
import secrets
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
from django.conf import settings
from django.db import connection

ROOT = Path(__file__).resolve().parents[4]


def redis_up() -> bool:
    try:
        socket.create_connection(("127.0.0.1", 6379), timeout=1).close()
    except OSError:
        return False
    return True


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def database_url() -> str:
    db = connection.settings_dict
    return f"postgres://{db['USER']}@{db['HOST']}:{db['PORT']}/{db['NAME']}"


def wait_for(predicate: Callable[[], Any], *, timeout: float, what: str, interval: float = 0.1) -> Any:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(interval)
    raise AssertionError(f"timed out after {timeout} s waiting for {what}")


@dataclass
class Platform:
    """The web and worker processes of one test, all on the test database and one Redis key prefix."""

    env: dict[str, str]
    web_url: str = ""
    web: subprocess.Popen | None = None
    workers: list[subprocess.Popen] = field(default_factory=list)

    def start_web(self, workers: int = 2) -> None:
        port = int(self.env["BORIKAN_TEST_WEB_PORT"])
        self.web = subprocess.Popen(
            [sys.executable, "-m", "gunicorn", "borikan.config.wsgi:application", "--workers", str(workers),
             "--bind", f"127.0.0.1:{port}", "--log-level", "error", "--graceful-timeout", "1"],
            env=self.env, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        )  # fmt: skip
        self.web_url = f"http://127.0.0.1:{port}"
        wait_for(self._web_answers, timeout=30, what="gunicorn to answer")

    def _web_answers(self) -> bool:
        try:
            return httpx.get(f"{self.web_url}/api/v1/services?limit=1", timeout=2).status_code == 200
        except httpx.HTTPError:
            return False

    def web_worker_pids(self) -> list[int]:
        assert self.web is not None
        children = Path(f"/proc/{self.web.pid}/task/{self.web.pid}/children")
        return [int(pid) for pid in children.read_text().split()] if children.exists() else []

    def start_worker(self) -> subprocess.Popen:
        worker = subprocess.Popen(
            [sys.executable, "-m", "django", "run_redis_tasks", "--continuous", "--interval", "0.1"],
            env=self.env, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        )  # fmt: skip
        self.workers.append(worker)
        return worker

    def start_sweeper(self, every: float = 1.0) -> subprocess.Popen:
        """The scheduled job that re-drives due and abandoned effects (cron runs it in production)."""
        sweeper = subprocess.Popen(
            [sys.executable, "-m", "django", "run_case_effects", "--sweep", "--every", str(every)],
            env=self.env, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        )  # fmt: skip
        self.workers.append(sweeper)
        return sweeper

    def manage(self, *args: str) -> str:
        done = subprocess.run(
            [sys.executable, "-m", "django", *args], env=self.env, cwd=ROOT, capture_output=True, text=True, timeout=300
        )
        assert done.returncode == 0, done.stderr[-3000:]
        return done.stdout

    def stop(self) -> None:
        for process in self.workers:
            if process.poll() is None:
                process.send_signal(signal.SIGKILL)
                process.wait(timeout=10)
        if self.web is not None and self.web.poll() is None:
            children = self.web_worker_pids()
            self.web.send_signal(signal.SIGTERM)  # gunicorn stops its workers with it
            try:
                self.web.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.web.kill()
                self.web.wait(timeout=10)
            for pid in children:
                with contextlib.suppress(ProcessLookupError):
                    os.kill(pid, signal.SIGKILL)
        # Sessions of killed processes linger until PostgreSQL notices; end them so the test database can go.
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity"
                " WHERE datname = current_database() AND pid <> pg_backend_pid()"
            )


@contextmanager
def platform(*, gateway_url: str, **extra_env: str) -> Iterator[Platform]:
    """Web and worker processes configured like production (tasks on Redis), against the test database."""
    import redis

    prefix = f"borikan-test-{secrets.token_hex(4)}"
    port = free_port()
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "borikan.config.settings.local",
        "DATABASE_URL": database_url(),
        "DJANGO_DEBUG": "0",
        "PYTHONPATH": str(ROOT / "src"),
        "BORIKAN_TASKS": "redis",
        "BORIKAN_TASKS_KEY_PREFIX": prefix,
        "BORIKAN_GATEWAY_URL": gateway_url,
        "BORIKAN_GATEWAY_API_KEY": settings.BORIKAN_GATEWAY_API_KEY,
        "BORIKAN_GATEWAY_WEBHOOK_SECRET": settings.BORIKAN_GATEWAY_WEBHOOK_SECRET,
        "BORIKAN_PUBLIC_BASE_URL": f"http://127.0.0.1:{port}",
        "BORIKAN_SIGNING_DIR": str(settings.BORIKAN_SIGNING_DIR),
        "BORIKAN_TEST_WEB_PORT": str(port),
        "LOG_LEVEL": "ERROR",
        **extra_env,
    }
    running = Platform(env=env)
    try:
        yield running
    finally:
        running.stop()
        client = redis.Redis.from_url("redis://127.0.0.1:6379/0")
        for key in client.scan_iter(f"{prefix}:*"):
            client.delete(key)
