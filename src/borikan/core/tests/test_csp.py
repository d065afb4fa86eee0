"""The Content-Security-Policy header, its report endpoint, and assets served from the project."""

import json
import logging

import pytest
from django.core.cache import cache
from django.test import Client

from borikan.core import csp

pytestmark = pytest.mark.django_db


def _policy(response) -> dict[str, list[str]]:
    header = response["Content-Security-Policy"]
    return {part.split()[0]: part.split()[1:] for part in header.split(";") if part.strip()}


def test_pages_carry_a_strict_policy_with_reporting():
    response = Client().get("/")
    policy = _policy(response)
    assert policy["base-uri"] == ["'none'"] and policy["object-src"] == ["'none'"]
    assert policy["script-src"] == ["'self'"] and policy["frame-ancestors"] == ["'none'"]
    assert policy["form-action"] == ["'self'"]
    assert policy["report-uri"] == ["/csp-report/"] and policy["report-to"] == ["csp"]
    assert response["Reporting-Endpoints"] == 'csp="/csp-report/"'


def test_form_action_names_the_identity_providers(settings):
    settings.BORIKAN_OIDC_PROVIDERS = [
        {
            "slug": "idp",
            "name_th": "ทดสอบ",
            "name_en": "Test",
            "issuer": "https://idp.example.go.th/realms/citizens",
            "authorization_endpoint": "https://login.example.go.th/authorize",
            "client_id": "c",
            "client_secret": "s",
            "acr_map": {"urn:x": {"ial": "2.3", "aal": "2.2"}},
            "max_ial": "2.3",
            "max_aal": "2.2",
        }
    ]
    policy = _policy(Client().get("/account/login/"))
    assert policy["form-action"] == ["'self'", "https://idp.example.go.th", "https://login.example.go.th"]


def _report(body, content_type="application/csp-report", **headers):
    return Client().post("/csp-report/", data=body, content_type=content_type, **headers)


@pytest.fixture(autouse=True)
def _fresh_limits():
    cache.clear()


def test_a_report_uri_report_is_logged_without_its_query(caplog):
    body = {
        "csp-report": {
            "document-uri": "https://borikan.example/applications/1/?token=secret",
            "violated-directive": "img-src 'self' data:",
            "effective-directive": "img-src",
            "blocked-uri": "https://tracker.example/pixel.gif?who=me",
            "disposition": "enforce",
        }
    }
    with caplog.at_level(logging.WARNING, logger="borikan.csp"):
        response = _report(json.dumps(body))
    assert response.status_code == 204
    [record] = [r for r in caplog.records if r.name == "borikan.csp"]
    message = record.getMessage()
    assert "img-src blocked https://tracker.example/pixel.gif on https://borikan.example/applications/1/" in message
    assert "secret" not in message and "who=me" not in message


def test_a_reporting_api_report_is_logged(caplog):
    body = [
        {"type": "deprecation", "body": {}},
        {
            "type": "csp-violation",
            "url": "https://borikan.example/",
            "body": {
                "documentURL": "https://borikan.example/",
                "effectiveDirective": "script-src-elem",
                "blockedURL": "inline",
                "disposition": "enforce",
            },
        },
    ]
    with caplog.at_level(logging.WARNING, logger="borikan.csp"):
        response = _report(json.dumps(body), "application/reports+json")
    assert response.status_code == 204
    assert ["script-src-elem blocked inline" in r.getMessage() for r in caplog.records if r.name == "borikan.csp"] == [
        True
    ]


@pytest.mark.parametrize(
    ("body", "content_type", "status", "code"),
    [
        ("{not json", "application/csp-report", 400, "invalid_report"),
        (b"\xff\xfe", "application/csp-report", 400, "invalid_report"),
        ('{"csp-report": "x"}', "application/csp-report", 400, "invalid_report"),
        ("[]", "application/reports+json", 400, "invalid_report"),
        ('{"csp-report": {}}', "text/plain", 415, "unsupported_media_type"),
        (json.dumps({"csp-report": {"blocked-uri": "x" * 70_000}}), "application/csp-report", 413, "request_too_large"),
    ],
)
def test_a_bad_report_is_refused_with_a_code(body, content_type, status, code):
    response = _report(body, content_type)
    assert response.status_code == status
    problem = response.json()
    assert problem["code"] == code and problem["detail_th"] and problem["detail_en"]


def test_reports_are_limited_per_address(settings):
    body = json.dumps({"csp-report": {"violated-directive": "img-src", "blocked-uri": "data"}})
    statuses = [_report(body).status_code for _ in range(csp.REPORTS_PER_MINUTE + 2)]
    assert statuses[: csp.REPORTS_PER_MINUTE] == [204] * csp.REPORTS_PER_MINUTE
    assert statuses[-1] == 429


def test_only_post_is_accepted():
    assert Client().get("/csp-report/").status_code == 405


def test_swagger_ui_is_served_from_the_project():
    page = Client().get("/api/v1/docs").content.decode()
    assert "/static/ninja/swagger-ui-bundle.js" in page and "/static/ninja/swagger-ui-init.js" in page
    assert "cdn" not in page.lower() and "<script>" not in page  # nothing the CSP blocks
    from django.contrib.staticfiles import finders

    assert finders.find("ninja/swagger-ui-bundle.js") and finders.find("ninja/swagger-ui.css")
