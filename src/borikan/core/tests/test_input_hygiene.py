"""No input gives a server error: the hygiene layer and the bounded schema types answer 4xx with a code."""

import json

import pytest
from django.test import Client

from borikan.agencies.models import StaffRole
from borikan.applications.models import Application
from borikan.conftest import make_staff
from borikan.identity.models import User
from borikan.payments.models import FeeSchedule
from borikan.payments.tests.gatewaykit import post_webhook, sign

pytestmark = pytest.mark.django_db
JSON = "application/json"


def _problem(response, status: int, code: str) -> dict:
    assert response.status_code == status, response.content
    assert response["Content-Type"].startswith("application/problem+json")
    body = response.json()
    assert body["code"] == code
    assert body["detail_th"] and body["detail_en"]
    return body


def test_a_nul_byte_in_the_token_e_mail_is_a_400_for_an_anonymous_caller():
    body = {"email": "a\x00@example.com", "password": "x"}
    _problem(Client().post("/api/v1/auth/token", body, content_type=JSON), 400, "invalid_characters")


@pytest.mark.parametrize("path", ["/api/v1/services/abc%00", "/api/v1/payments/invoices/INV%00/refunds"])
def test_a_nul_byte_in_a_path_is_a_400(path, citizen, api_as):
    _problem(api_as(citizen).get(path), 400, "invalid_characters")


def test_pages_refuse_control_characters_in_the_path_query_and_form(citizen):
    page = Client().get("/services/?q=%00abc")
    assert page.status_code == 400
    assert b'data-code="invalid_characters"' in page.content
    assert Client().get("/services/liquor%00/").status_code == 400
    login = Client().post("/account/login/", {"username": "a@b.th\x01", "password": "x"})
    assert login.status_code == 400


@pytest.mark.parametrize("override", ["\u202e", "\u2066", "\u202a"])
def test_a_direction_override_in_a_name_is_refused_and_no_account_is_made(override):
    body = {"email": "new@example.com", "password": "a long enough passphrase 1", "full_name": f"สมชาย{override}ใจดี"}
    _problem(Client().post("/api/v1/auth/signup", body, content_type=JSON), 400, "invalid_characters")
    assert not User.objects.filter(email="new@example.com").exists()


def test_zero_width_characters_are_removed_from_a_name_before_it_is_stored():
    body = {"email": "zw@example.com", "password": "a long enough passphrase 1", "full_name": "สม\u200bชาย  \u200dใจดี"}
    response = Client().post("/api/v1/auth/signup", body, content_type=JSON)
    assert response.status_code in (201, 202), response.content
    assert User.objects.get(email="zw@example.com").full_name == "สมชาย ใจดี"


def test_the_api_takes_json_only_with_a_json_content_type(citizen, api_as):
    body = json.dumps({"service": "x"})
    _problem(
        api_as(citizen).post("/api/v1/applications", body, content_type="text/plain"), 415, "unsupported_media_type"
    )
    form = api_as(citizen).post(
        "/api/v1/auth/token", "email=a&password=b", content_type="application/x-www-form-urlencoded"
    )
    _problem(form, 415, "unsupported_media_type")


def test_the_webhook_takes_json_only_with_a_json_content_type():
    body = b'{"event_id": "e"}'
    response = Client().post(
        "/api/v1/payments/webhooks/gateway",
        body,
        content_type="text/plain",
        headers={"X-Gateway-Signature": sign(body)},
    )
    _problem(response, 415, "unsupported_media_type")


@pytest.mark.parametrize(
    "body, code",
    [
        ('{"a": NaN}', "invalid_json"),
        ('{"a": 1', "invalid_json"),
        ("[" * 40 + "]" * 40, "too_deep"),
    ],
)
def test_json_that_no_schema_should_see_is_a_400(body, code, citizen, api_as):
    _problem(api_as(citizen).post("/api/v1/applications", body, content_type=JSON), 400, code)


def test_webhook_faults_are_4xx_and_post_nothing():
    huge = json.dumps({"event_id": "evt_1", "charge_id": "c", "txn_id": "t", "amount_satang": 10**20}).encode()
    _problem(post_webhook(Client(), huge, sign(huge)), 422, "number_out_of_range")
    nul = json.dumps({"event_id": "evt_2", "charge_id": "c", "txn_id": "t\x00", "amount_satang": 100}).encode()
    _problem(post_webhook(Client(), nul, sign(nul)), 400, "invalid_characters")


@pytest.fixture
def draft(citizen, service, api_as):
    response = api_as(citizen).post("/api/v1/applications", {"service": service.slug}, content_type=JSON)
    assert response.status_code == 201, response.content
    return Application.objects.get(pk=response.json()["id"])


@pytest.mark.parametrize("version", [True, "1", 2**40, -1])
def test_integers_are_strict_and_bounded(version, draft, citizen, api_as):
    response = api_as(citizen).put(
        f"/api/v1/applications/{draft.pk}/form", {"form_data": {}, "version": version}, content_type=JSON
    )
    body = _problem(response, 422, "invalid_request")
    assert "version" in body["errors"]


def test_a_million_character_reason_is_refused_and_the_case_is_unchanged(draft, citizen, api_as):
    response = api_as(citizen).post(
        f"/api/v1/applications/{draft.pk}/withdraw", {"reason": "ก" * 1_000_000}, content_type=JSON
    )
    assert response.status_code in (400, 422)
    assert response.json()["code"] in ("too_long", "invalid_request")
    draft.refresh_from_db()
    assert draft.status == "draft" and draft.version == 1


def test_an_id_beyond_the_database_range_is_a_422_not_a_500(citizen, api_as):
    response = api_as(citizen).get(f"/api/v1/documents/{2**70}/pdf")
    _problem(response, 422, "invalid_request")


@pytest.mark.parametrize(
    "amount, code",
    [
        (2**63, "number_out_of_range"),
        (10**13, "invalid_request"),
        (True, "invalid_request"),
        ("100", "invalid_request"),
    ],
)
def test_fee_amounts_are_range_checked_and_nothing_is_stored(amount, code, service, api_as):
    admin = make_staff("admin@excise.go.th", service.agency, StaffRole.AGENCY_ADMIN)
    body = {"kind": "flat", "legal_basis_th": "พ.ร.บ. ทดสอบ", "base_satang": amount}
    response = api_as(admin).put(f"/api/v1/payments/services/{service.slug}/fees", body, content_type=JSON)
    _problem(response, 422, code)
    assert not FeeSchedule.objects.filter(service=service).exists()


def test_invisible_characters_are_removed_from_form_answers_before_they_are_stored(draft, citizen, api_as):
    response = api_as(citizen).put(
        f"/api/v1/applications/{draft.pk}/form", {"form_data": {"phone": "081\u200b2345678"}}, content_type=JSON
    )
    assert response.status_code == 200, response.content
    draft.refresh_from_db()
    assert draft.form_data["phone"] == "0812345678"


@pytest.mark.django_db
def test_an_api_path_that_matches_no_route_answers_a_problem_document():
    """Found by schemathesis: /documents/null,null/pdf fails the int converter before any operation runs."""
    response = Client().get("/api/v1/documents/null,null/renewal")
    assert response.status_code == 404 and response["Content-Type"] == "application/problem+json"
    assert response.json()["code"] == "not_found" and response.json()["detail_th"]
    assert "text/html" in Client().get("/no-such-page/")["Content-Type"]
