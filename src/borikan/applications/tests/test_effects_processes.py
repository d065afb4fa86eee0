"""Durable case effects against real processes: gunicorn web workers, Redis task workers, the bank sandbox.

- The bank down: a citizen submits while the bank hangs (its process stopped with SIGSTOP). The submission
  answers at once — the bank is called after commit, by a worker, never under the case's lock — and the invoice
  follows when the bank answers again, created by the worker's retry with the same idempotency key.
- Processes killed at random: approvals, payments and issuance run through the platform while a killer sends
  SIGKILL to the task worker (restarted each time) and to gunicorn's web workers (respawned by gunicorn). After
  recovery (`sync_payments` for notifications lost with a killed web worker, `run_case_effects --sweep` for
  effects abandoned with a killed task worker), every paid case has exactly one signed document and one wallet
  delivery, and the document numbers have no gaps and no repeats.
"""

from __future__ import annotations

import os
import random
import signal
import threading
import time
from decimal import Decimal

import httpx
import pytest
from django.conf import settings
from django.db import connection

from borikan.applications.models import Application, CaseEffect, EffectStatus
from borikan.catalog.models import PaymentTiming
from borikan.conftest import make_agency, make_service, make_staff, make_user
from borikan.delivery.models import Delivery
from borikan.documents.models import DocumentNumberReservation, IssuedDocument
from borikan.identity.models import ProofingRecord
from borikan.identity.services import api_token_issue
from borikan.payments.models import Invoice
from borikan.payments.tests.gatewaykit import start_sandbox, stop_sandbox

from .factories import make_application
from .processkit import platform, redis_up, wait_for

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(not redis_up(), reason="needs Redis on 127.0.0.1:6379"),
]


def _postgres() -> None:
    if connection.vendor != "postgresql":
        pytest.skip("separate processes share the database: needs PostgreSQL")


def _bearer(user, *methods: str) -> dict[str, str]:
    key, token = api_token_issue(user=user)
    now = int(time.time())
    token.auth_methods = [{"method": m, "at": now} for m in (methods or ("password",))]
    token.save(update_fields=["auth_methods"])
    return {"Authorization": f"Bearer {key}"}


def _sandbox(*extra: str):
    return start_sandbox(
        api_key=settings.BORIKAN_GATEWAY_API_KEY,
        webhook_secret=settings.BORIKAN_GATEWAY_WEBHOOK_SECRET,
        extra_args=extra,
    )


@pytest.mark.django_db(transaction=True)
def test_submission_succeeds_while_the_bank_hangs_and_the_invoice_follows():
    _postgres()
    agency = make_agency("EXCISE")
    service = make_service(agency, slug="police-check", payment_timing=PaymentTiming.BEFORE_REVIEW, fee_satang=10000)
    citizen = make_user("citizen@example.com", "สมชาย ใจดี")
    ProofingRecord.objects.create(user=citizen, method="counter", ial=Decimal("2.3"), evidence={})
    headers = _bearer(citizen, "password", "totp")
    bank = _sandbox()
    try:
        with platform(gateway_url=bank.url, BORIKAN_EFFECT_RETRY_BASE_SECONDS="1") as running:
            running.start_web(workers=2)
            running.start_worker()
            created = httpx.post(
                f"{running.web_url}/api/v1/applications", json={"service": service.slug,
                "form_data": make_application(service=service, applicant=citizen).form_data}, headers=headers,
            )  # fmt: skip
            assert created.status_code == 201, created.text
            case_id = created.json()["id"]

            bank.process.send_signal(signal.SIGSTOP)  # the bank hangs: connections open, no answer
            try:
                started = time.monotonic()
                submitted = httpx.post(
                    f"{running.web_url}/api/v1/applications/{case_id}/submit", json={}, headers=headers, timeout=30
                )
                took = time.monotonic() - started
                assert submitted.status_code == 200, submitted.text
                assert submitted.json()["status"] == "awaiting_payment"
                assert took < 2.0, f"submission waited {took:.1f} s on the bank"
                # The worker's first attempt times out at the bank and is put back for a retry.
                effect = wait_for(
                    lambda: (
                        CaseEffect.objects.filter(application_id=case_id, attempts__gte=1, status="pending")
                        .exclude(last_error="")
                        .first()
                    ),
                    timeout=30,
                    what="the invoice effect's first attempt to fail",
                )
                assert not Invoice.objects.filter(case_ref=case_id).exists()
                # Meanwhile the case is not locked: an officer's write to it does not wait for the bank.
                with connection.cursor() as cursor:
                    cursor.execute("SET lock_timeout = '500ms'")
                    cursor.execute("SELECT id FROM applications_application WHERE id = %s FOR UPDATE", [case_id])
            finally:
                bank.process.send_signal(signal.SIGCONT)
            invoice = wait_for(lambda: Invoice.objects.filter(case_ref=case_id).first(), timeout=60, what="the invoice")
            assert invoice.status == "open" and invoice.amount_satang == 10000
            effect.refresh_from_db()
            wait_for(lambda: CaseEffect.objects.get(pk=effect.pk).status == EffectStatus.DONE, timeout=20,
                     what="the effect to be done")  # fmt: skip
            assert CaseEffect.objects.get(pk=effect.pk).attempts >= 2
            assert Invoice.objects.filter(case_ref=case_id).count() == 1
    finally:
        stop_sandbox(bank)


CASES = 8


def _effects(cases: list[str]) -> list[tuple]:
    return list(CaseEffect.objects.filter(application_id__in=cases).values_list("name", "status", "attempts"))


def _delivered(cases: list[str]) -> int:
    return Application.objects.filter(pk__in=cases, status="delivered").count()


@pytest.mark.django_db(transaction=True)
def test_every_paid_case_has_one_document_after_processes_are_killed_at_random():
    _postgres()
    agency = make_agency("EXCISE")
    service = make_service(agency, slug="liquor", payment_timing=PaymentTiming.AFTER_APPROVAL, fee_satang=165000)
    approver = make_staff("approver@excise.go.th", agency, "approver")
    headers = _bearer(approver, "password", "totp")
    citizens = [make_user(f"c{n}@example.com", f"ผู้ยื่น คนที่{n}") for n in range(CASES)]
    cases = [str(make_application(service=service, applicant=c, status="pending_approval").pk) for c in citizens]
    bank = _sandbox("--max-attempts", "10", "--backoff", "0.2")
    stop = threading.Event()
    kills = {"worker": 0, "web": 0}
    rng = random.Random(20261202)  # noqa: S311 - chaos timing, not security
    try:
        with platform(
            gateway_url=bank.url, BORIKAN_EFFECT_LEASE_SECONDS="2", BORIKAN_EFFECT_RETRY_BASE_SECONDS="0.5"
        ) as running:
            running.start_web(workers=2)
            running.start_sweeper(every=1.0)
            worker = [running.start_worker()]

            def killer() -> None:
                while not stop.wait(rng.uniform(0.3, 1.2)):
                    if rng.random() < 0.6:
                        worker[0].send_signal(signal.SIGKILL)
                        worker[0].wait(timeout=10)
                        kills["worker"] += 1
                        worker[0] = running.start_worker()
                    else:
                        pids = running.web_worker_pids()
                        if pids:
                            os.kill(rng.choice(pids), signal.SIGKILL)
                            kills["web"] += 1

            chaos = threading.Thread(target=killer, daemon=True)
            chaos.start()

            def post(path: str) -> int:
                for _ in range(20):
                    try:
                        return httpx.post(f"{running.web_url}{path}", json={}, headers=headers, timeout=30).status_code
                    except httpx.HTTPError:
                        time.sleep(0.2)  # the web worker was killed under us: ask again
                return 0

            for case in cases:
                # 409: the earlier attempt went through before its answer was lost.
                assert post(f"/api/v1/applications/{case}/actions/approve") in (200, 409)
            invoices = wait_for(
                lambda: list(Invoice.objects.filter(case_ref__in=cases)) if Invoice.objects.filter(
                    case_ref__in=cases).count() == CASES else None,
                timeout=90, what=f"an invoice for every case; effects: {_effects(cases)}",
            )  # fmt: skip
            for invoice in invoices:
                bank.pay(invoice.gateway_charge_id)
            # Keep killing while the payments post and the documents are issued (or for 20 s at most).
            deadline = time.monotonic() + 20
            while time.monotonic() < deadline and _delivered(cases) < CASES:
                time.sleep(0.5)
            stop.set()
            chaos.join(timeout=10)

            # Recovery, as an operator's schedule runs it: notifications lost with a killed web worker are fetched
            # from the bank; the sweeper (still running) re-drives effects a killed task worker abandoned.
            running.manage("sync_payments")
            wait_for(lambda: _delivered(cases) == CASES, timeout=120, what="every case delivered", interval=0.5)
    finally:
        stop.set()
        stop_sandbox(bank)

    assert kills["worker"] + kills["web"] >= 3, kills
    documents = list(IssuedDocument.objects.filter(case_ref__in=cases))
    assert sorted(d.case_ref for d in documents) == sorted(cases)  # one each, none twice
    assert all(d.sha256 and d.pdf.name for d in documents)
    wallet = Delivery.objects.filter(case_ref__in=cases, channel="wallet")
    assert sorted(wallet.values_list("case_ref", flat=True)) == sorted(cases)
    numbers = sorted(
        int(n.rsplit("-", 1)[1]) for n in DocumentNumberReservation.objects.values_list("number", flat=True)
    )
    assert numbers == list(range(1, CASES + 1))  # no number skipped, none used twice
    assert not CaseEffect.objects.filter(application_id__in=cases, status=EffectStatus.FAILED).exists()
