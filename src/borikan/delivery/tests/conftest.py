"""Fixtures for delivery: a real SMTP server (aiosmtpd) on a free local port, one that refuses, one that never
answers, the SMS sandbox as its own process, and recorded events."""

from __future__ import annotations

import secrets
import socket
from collections.abc import Iterator
from dataclasses import dataclass, field
from email import message_from_bytes, policy
from email.message import EmailMessage
from typing import Any

import httpx
import pytest
from aiosmtpd.controller import Controller

from borikan.core import events

# The documents fixtures: storage in a temporary folder (autouse) and one issued document.
from borikan.documents.tests.conftest import document, private_storage  # noqa: F401
from borikan.sandboxes import sms_gateway


@dataclass
class MailSink:
    """An aiosmtpd handler that keeps every message it accepts."""

    messages: list[tuple[list[str], EmailMessage]] = field(default_factory=list)

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        message = message_from_bytes(envelope.content, policy=policy.default)
        self.messages.append((list(envelope.rcpt_tos), message))
        return "250 Message accepted"


@dataclass
class RefusingSink:
    """An SMTP server that refuses every message (a full mailbox, a blocklist)."""

    refused: int = 0

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        self.refused += 1
        return "554 5.7.1 Message refused"


@dataclass
class SmtpServer:
    controller: Controller
    sink: MailSink
    port: int

    def stop(self) -> None:
        self.controller.stop()


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _use_smtp(settings: Any, port: int, timeout: float = 5) -> None:
    settings.MAILERS = {
        "default": {
            "BACKEND": "django.core.mail.backends.smtp.EmailBackend",
            "OPTIONS": {"host": "127.0.0.1", "port": port, "use_tls": False, "timeout": timeout},
        }
    }


@pytest.fixture
def smtp_server(settings: Any) -> Iterator[SmtpServer]:
    """A real SMTP server on 127.0.0.1, with Django's SMTP backend pointed at it."""
    sink = MailSink()
    port = _free_port()
    controller = Controller(sink, hostname="127.0.0.1", port=port)
    controller.start()
    _use_smtp(settings, port)
    server = SmtpServer(controller=controller, sink=sink, port=port)
    yield server
    if controller._thread is not None:
        controller.stop()


@pytest.fixture
def stopped_smtp_server(settings: Any) -> int:
    """Django's SMTP backend pointed at a port whose SMTP server has been stopped."""
    port = _free_port()
    controller = Controller(MailSink(), hostname="127.0.0.1", port=port)
    controller.start()
    controller.stop()
    _use_smtp(settings, port)
    return port


@pytest.fixture(autouse=True)
def isolated_event_handlers() -> Iterator[None]:
    """Delivery tests see only the handlers they subscribe; the project's handlers are restored afterwards."""
    with events.isolated_handlers():
        yield


@pytest.fixture
def delivered_events() -> list[events.DocumentDelivered]:
    received: list[events.DocumentDelivered] = []
    events.subscribe(events.DocumentDelivered, received.append)
    return received


@pytest.fixture
def refusing_smtp_server(settings: Any) -> Iterator[RefusingSink]:
    """A real SMTP server that answers 554 to every message."""
    sink = RefusingSink()
    port = _free_port()
    controller = Controller(sink, hostname="127.0.0.1", port=port)
    controller.start()
    _use_smtp(settings, port)
    yield sink
    controller.stop()


@pytest.fixture
def silent_smtp_server(settings: Any) -> Iterator[int]:
    """A port that accepts TCP connections and never says a word: the SMTP client times out (after 0.5 s)."""
    listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    listener.bind(("127.0.0.1", 0))
    listener.listen(16)
    port = listener.getsockname()[1]
    _use_smtp(settings, port, timeout=0.5)
    yield port
    listener.close()


@dataclass
class SmsSandbox:
    url: str
    api_key: str

    def call(self, method: str, path: str, **kwargs: Any) -> httpx.Response:
        headers = {"Authorization": f"Bearer {self.api_key}"}
        return httpx.request(method, self.url + path, headers=headers, timeout=5, **kwargs)

    def messages_to(self, number: str) -> list[dict]:
        response = self.call("GET", "/v1/messages", params={"to": number})
        assert response.status_code == 200, response.text
        return response.json()

    def fail_next(self, count: int, status: int = 503) -> None:
        response = self.call("POST", "/v1/faults", json={"fail_next": count, "status": status})
        assert response.status_code == 200, response.text


@pytest.fixture(scope="session")
def sms_sandbox_process() -> Iterator[SmsSandbox]:
    """The sandbox SMS provider as its own process (one per test run)."""
    key = secrets.token_urlsafe(16)
    process, url = sms_gateway.spawn(api_key=key)
    yield SmsSandbox(url=url, api_key=key)
    sms_gateway.stop(process)


@pytest.fixture
def sms_sandbox(sms_sandbox_process: SmsSandbox, settings: Any) -> Iterator[SmsSandbox]:
    settings.BORIKAN_SMS_URL = sms_sandbox_process.url
    settings.BORIKAN_SMS_API_KEY = sms_sandbox_process.api_key
    yield sms_sandbox_process
    sms_sandbox_process.fail_next(0)
