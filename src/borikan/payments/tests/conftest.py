"""Fixtures for payments: the sandbox bank gateway as a real process, people, invoices, recorded events."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from typing import Any

import pytest
from django.conf import settings as django_settings

from borikan.agencies.models import Agency
from borikan.core import events
from borikan.identity.models import User
from borikan.payments.services import invoice_create

from .gatewaykit import SandboxProcess, start_sandbox, stop_sandbox


@pytest.fixture(scope="session")
def sandbox_process() -> Iterator[SandboxProcess]:
    sandbox = start_sandbox(
        api_key=django_settings.BORIKAN_GATEWAY_API_KEY,
        webhook_secret=django_settings.BORIKAN_GATEWAY_WEBHOOK_SECRET,
        extra_args=("--max-attempts", "4", "--backoff", "0.2"),
    )
    yield sandbox
    stop_sandbox(sandbox)


@pytest.fixture
def bank_gateway(sandbox_process: SandboxProcess, settings: Any) -> SandboxProcess:
    """The running sandbox, with the portal's settings pointing at it."""
    settings.BORIKAN_GATEWAY_URL = sandbox_process.url
    return sandbox_process


@pytest.fixture(autouse=True)
def isolated_event_handlers() -> Iterator[None]:
    """Payments tests see only the handlers they subscribe; the project's handlers are restored afterwards."""
    with events.isolated_handlers():
        yield


@pytest.fixture
def settled_events() -> list[events.PaymentSettled]:
    received: list[events.PaymentSettled] = []
    events.subscribe(events.PaymentSettled, received.append)
    return received


# --- people (agency, other_agency, citizen, officer, foreign_officer come from borikan/conftest.py) ------


@pytest.fixture
def payer(citizen: User) -> User:
    return citizen


# --- invoices and webhooks ----------------------------------------------------------------------------


@pytest.fixture
def make_invoice(bank_gateway: SandboxProcess, agency: Agency, payer: User, officer: User) -> Any:
    def make(**overrides: Any) -> Any:
        arguments = {
            "actor": officer,
            "case_ref": str(uuid.uuid4()),
            "agency": agency,
            "payer": payer,
            "amount_satang": 25_000,
            "ref1": "BK2569000001",
            "description": "ค่าธรรมเนียมคำขอ",
        } | overrides
        return invoice_create(**arguments)

    return make
