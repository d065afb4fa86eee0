"""A small typed callback interface between the common services and the case lifecycle.

Common services (payments, delivery, ...) never import `applications`. They hold an opaque case
reference and report facts through these events; `applications` subscribes at start-up.
Handlers run synchronously inside the caller's transaction, so a failure rolls back both sides.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class PaymentSettled:
    case_ref: str
    invoice_number: str
    amount_satang: int


@dataclass(frozen=True)
class DocumentDelivered:
    case_ref: str
    document_number: str
    channel: str


_handlers: dict[type, list[Callable[[Any], None]]] = defaultdict(list)


def subscribe(event_type: type, handler: Callable[[Any], None]) -> None:
    if handler not in _handlers[event_type]:
        _handlers[event_type].append(handler)


def publish(event: object) -> None:
    for handler in _handlers[type(event)]:
        handler(event)


@contextmanager
def isolated_handlers() -> Iterator[None]:
    """Run with no handlers subscribed, then put the table back: for testing one common service on its own."""
    saved = {event_type: list(handlers) for event_type, handlers in _handlers.items()}
    _handlers.clear()
    try:
        yield
    finally:
        _handlers.clear()
        _handlers.update(saved)
