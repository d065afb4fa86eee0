"""Fixtures for delivery: a real SMTP server (aiosmtpd) on a free local port, and recorded events."""

from __future__ import annotations

import socket
from collections.abc import Iterator
from dataclasses import dataclass, field
from email import message_from_bytes, policy
from email.message import EmailMessage
from typing import Any

import pytest
from aiosmtpd.controller import Controller

from borikan.core import events

# The documents fixtures: storage in a temporary folder (autouse) and one issued document.
from borikan.documents.tests.conftest import document, private_storage  # noqa: F401


@dataclass
class MailSink:
    """An aiosmtpd handler that keeps every message it accepts."""

    messages: list[tuple[list[str], EmailMessage]] = field(default_factory=list)

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        message = message_from_bytes(envelope.content, policy=policy.default)
        self.messages.append((list(envelope.rcpt_tos), message))
        return "250 Message accepted"


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


def _use_smtp(settings: Any, port: int) -> None:
    settings.MAILERS = {
        "default": {
            "BACKEND": "django.core.mail.backends.smtp.EmailBackend",
            "OPTIONS": {"host": "127.0.0.1", "port": port, "use_tls": False, "timeout": 5},
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
