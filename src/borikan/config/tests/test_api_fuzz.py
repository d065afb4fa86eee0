"""Schemathesis against the OpenAPI document: every operation, with generated inputs, as a citizen and as an
officer. The bar: no server error, and every answer (status, content type, body) is what the document says.

Bounded for CI: `BORIKAN_FUZZ_EXAMPLES` inputs per operation and actor (default 10); set it higher for a longer
run on a workstation. Each operation runs in its own test, with a fresh database and fresh tokens."""

from __future__ import annotations

import os
import time

import pytest
import schemathesis
from django.core.signals import request_finished, request_started
from django.core.wsgi import get_wsgi_application
from django.db import close_old_connections
from hypothesis import HealthCheck, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from borikan.agencies.models import StaffRole
from borikan.conftest import TWO_FACTORS, make_agency, make_service, make_staff, make_user
from borikan.identity.services import api_token_issue

pytestmark = pytest.mark.slow

EXAMPLES = int(os.environ.get("BORIKAN_FUZZ_EXAMPLES", "10"))
CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
]

schema = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", get_wsgi_application())


def _bearer(user) -> str:
    key, token = api_token_issue(user=user)
    token.auth_methods = [{"method": method, "at": int(time.time())} for method in TWO_FACTORS]
    token.save(update_fields=["auth_methods"])
    return f"Bearer {key}"


@pytest.fixture(autouse=True)
def _keep_the_test_database_open():
    """Called as a WSGI app, Django closes the connection after each request (the test client stops that too)."""
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    yield
    request_started.connect(close_old_connections)
    request_finished.connect(close_old_connections)


@pytest.fixture(params=["citizen", "officer"])
def bearer(request, db) -> str:
    agency = make_agency("EXCISE")
    make_service(agency)
    if request.param == "citizen":
        user = make_user("fuzz-citizen@example.com", "สมชาย ใจดี", methods=TWO_FACTORS)
    else:
        user = make_staff("fuzz-officer@excise.go.th", agency, StaffRole.OFFICER)
    return _bearer(user)


@schema.parametrize()
@settings(
    max_examples=EXAMPLES,
    deadline=None,
    derandomize=True,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow, HealthCheck.filter_too_much],
)
def test_the_api_answers_as_documented(case, bearer):
    case.call_and_validate(headers={"Authorization": bearer}, checks=CHECKS)
