"""The whole eight-step journey through the API, against a live test server, the sandbox bank as its own
process and a real SMTP server: the same code `make demo` runs."""

from __future__ import annotations

from decimal import Decimal
from email import message_from_bytes
from email import policy as email_policy
from email.message import Message
from typing import Any

import pytest
from aiosmtpd.controller import Controller

from borikan.applications.models import Application, ApplicationEvent
from borikan.audit.services import audit_verify_chain
from borikan.catalog.loading import DEFAULT_CATALOGUE, load_catalogue, read_catalogue_file
from borikan.demo.journey import Portal, _free_port, run_journey
from borikan.identity.demo_accounts import seed_demo_accounts
from borikan.identity.demo_credentials import DEMO_PASSWORD
from borikan.identity.tests.registrykit import start_registry, stop_registry, use_registry
from borikan.payments.tests.gatewaykit import start_sandbox, stop_sandbox

pytestmark = pytest.mark.slow


@pytest.fixture
def smtp_inbox() -> Any:
    received: list[Message] = []

    class Inbox:
        async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
            received.append(message_from_bytes(envelope.content, policy=email_policy.default))
            return "250 OK"

    controller = Controller(Inbox(), hostname="127.0.0.1", port=_free_port())
    controller.start()
    yield controller, received
    controller.stop()


@pytest.mark.django_db(transaction=True)
def test_citizen_goes_from_search_to_delivered_verifiable_licence(live_server, settings, smtp_inbox):
    controller, received = smtp_inbox
    sandbox = start_sandbox(
        api_key=settings.BORIKAN_GATEWAY_API_KEY, webhook_secret=settings.BORIKAN_GATEWAY_WEBHOOK_SECRET
    )
    registry = start_registry()
    try:
        use_registry(settings, registry)
        settings.BORIKAN_GATEWAY_URL = sandbox.url
        settings.BORIKAN_PUBLIC_BASE_URL = live_server.url
        settings.MAILERS = {
            "default": {
                "BACKEND": "django.core.mail.backends.smtp.EmailBackend",
                "OPTIONS": {"host": "127.0.0.1", "port": controller.port, "timeout": 5},
            }
        }
        assert load_catalogue(data=read_catalogue_file(DEFAULT_CATALOGUE)).ok
        seed_demo_accounts()
        steps: list[str] = []
        facts = run_journey(Portal(live_server.url, sandbox.url, settings.BORIKAN_GATEWAY_API_KEY, DEMO_PASSWORD,
                                   lambda: list(received), say=steps.append))  # fmt: skip
    finally:
        stop_sandbox(sandbox)
        stop_registry(registry)

    assert [s[:2] for s in steps if s[0].isdigit()] == ["1.", "2.", "3.", "4.", "5.", "6.", "7.", "8."]
    assert facts["status"] == "delivered"
    assert facts["verification"] == "valid"
    assert facts["qr_payload"].startswith("000201010212")  # dynamic Thai QR
    case = Application.objects.get(tracking_number=facts["tracking_number"])
    assert list(ApplicationEvent.objects.filter(application=case).values_list("to_status", flat=True)) == [
        "submitted", "in_review", "info_requested", "in_review", "pending_approval", "approved",
        "awaiting_payment", "paid", "issued", "delivered",
    ]  # fmt: skip
    assert any("submitting is refused" in s for s in steps)  # the step-up is shown, then the submission works
    assert case.applicant.proofing_records.get(method="counter").ial == Decimal("2.3")
    report = audit_verify_chain()
    assert report.ok
    assert report.checked > 20
