"""Query budgets of the two calls a citizen makes most (issue 13): start an application, submit it.

Measured through the API, in steady state (a first create + submit warms the per-process caches), counting every
round trip to the database, SAVEPOINT and RELEASE included. ADR 0025 says why the budgets are what they are."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from borikan.conftest import TWO_FACTORS, VALID_FORM, api_client_for, make_user
from borikan.identity.models import ProofingMethod, ProofingRecord

CREATE_BUDGET = 8
SUBMIT_BUDGET = 34  # the issue asked 15: ADR 0025 says what the rest is and what would bring it down


def _prove(user) -> None:
    ProofingRecord.objects.create(
        user=user,
        method=ProofingMethod.COUNTER,
        ial=Decimal("2.3"),
        name_th=user.full_name,
        verified_at=timezone.now(),
        expires_at=timezone.now() + dt.timedelta(days=365),
    )


def _create_and_submit(client, slug: str) -> tuple[CaptureQueriesContext, CaptureQueriesContext, dict]:
    with CaptureQueriesContext(connection) as created:
        response = client.post(
            "/api/v1/applications", {"service": slug, "form_data": dict(VALID_FORM)}, content_type="application/json"
        )
    assert response.status_code == 201, response.content
    case_id = response.json()["id"]
    with CaptureQueriesContext(connection) as submitted:
        response = client.post(f"/api/v1/applications/{case_id}/submit")
    assert response.status_code == 200, response.content
    return created, submitted, response.json()


def _listing(captured: CaptureQueriesContext) -> str:
    return "\n".join(f"{i + 1}. {q['sql'][:300]}" for i, q in enumerate(captured.captured_queries))


@pytest.mark.django_db
def test_create_and_submit_keep_to_their_query_budgets(service, settings):
    citizen = make_user("budget@example.com", "สมชาย ใจดี", methods=TWO_FACTORS)
    _prove(citizen)
    client = api_client_for(citizen, *TWO_FACTORS)
    _create_and_submit(client, service.slug)  # warm-up: the per-process caches fill here
    created, submitted, body = _create_and_submit(client, service.slug)
    assert body["status"] == "submitted"
    assert len(created) <= CREATE_BUDGET, _listing(created)
    assert len(submitted) <= SUBMIT_BUDGET, _listing(submitted)
