"""Each protected step checks the service's required IAL/AAL in one place (identity/enforcement.py): refusals say
what is missing and link to the fix; nothing changes when a step is refused."""

from __future__ import annotations

import datetime as dt
import time
from decimal import Decimal

import pyotp
import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from borikan.agencies.models import StaffRole
from borikan.applications.models import Application
from borikan.applications.services import application_approve
from borikan.applications.tests.factories import make_application
from borikan.audit.models import AuditEntry
from borikan.catalog.services import risk_assessment_record
from borikan.conftest import VALID_FORM, api_client_for, make_staff, sign_in, signed_in
from borikan.identity import authn
from borikan.identity.authn import Method
from borikan.identity.enforcement import AssuranceRequired
from borikan.identity.models import ProofingRecord
from borikan.identity.selectors import current_ial

NONE = dict.fromkeys(
    ("inconvenience", "financial", "programs", "sensitive_information", "personal_safety", "civil_criminal"), "none"
)


def _require(service, agency, *, ial: str | None = None, aal: str | None = None, ratings: dict | None = None):
    admin = make_staff(f"admin{time.monotonic_ns()}@excise.go.th", agency, StaffRole.AGENCY_ADMIN)
    return risk_assessment_record(
        actor=admin,
        service=service,
        ratings=ratings or (NONE | {"programs": "moderate"}),  # NIST level 2, one moderate → IAL 2.2 / AAL 2.2
        justification="ทดสอบ",
        ial=ial,
        aal=aal,
        override_reason="ทดสอบระดับสูง" if (ial or aal) else "",
    )


def _draft(api: Client) -> str:
    response = api.post(
        "/api/v1/applications",
        {"service": "liquor-sale-licence", "form_data": VALID_FORM},
        content_type="application/json",
    )
    assert response.status_code == 201, response.content
    return response.json()["id"]


@pytest.mark.django_db
def test_ial1_aal1_person_is_refused_at_submission_then_accepted_after_proofing_and_step_up(service, agency, citizen):
    _require(service, agency)
    api = api_client_for(citizen)  # a password sign-in: AAL 1; nobody has proven who they are: IAL 1.1
    app_id = _draft(api)

    refused = api.post(f"/api/v1/applications/{app_id}/submit")
    assert refused.status_code == 403
    problem = refused.json()
    assert problem["code"] == "assurance_required"
    assert problem["errors"]["missing"] == ["aal", "ial"]
    assert problem["errors"]["required_ial"] == "2.2" and problem["errors"]["current_ial"] == "1.1"
    assert problem["errors"]["required_aal"] == "2.2" and problem["errors"]["current_aal"] == "1"
    assert problem["errors"]["fix"] == {"aal": "/account/step-up/?aal=2.2", "ial": reverse("identity:assurance")}
    assert "IAL 2.2" in problem["detail_th"] and "AAL 2.2" in problem["detail_en"]
    app = Application.objects.get(pk=app_id)
    assert app.status == "draft" and app.tracking_number is None  # nothing changed
    assert AuditEntry.objects.filter(action="auth.assurance_refused", subject_user_id=citizen.pk).exists()

    # Proven at a counter (the proofing flow itself is tested in test_proofing): the IAL is met, the AAL is not.
    ProofingRecord.objects.create(user=citizen, method="counter", ial=Decimal("2.3"), evidence={"test": True})
    assert current_ial(user=citizen) == Decimal("2.3")
    still = api.post(f"/api/v1/applications/{app_id}/submit")
    assert still.status_code == 403 and still.json()["errors"]["missing"] == ["aal"]

    # Step up with an authenticator app: the same token reaches AAL 2.2 and the submission goes through.
    secret = api.post("/api/v1/auth/totp/setup").json()["secret"]
    confirmed = api.post(
        "/api/v1/auth/totp/confirm", {"code": pyotp.TOTP(secret).now()}, content_type="application/json"
    )
    assert confirmed.json()["aal"] == "2.2"
    accepted = api.post(f"/api/v1/applications/{app_id}/submit")
    assert accepted.status_code == 200, accepted.content
    assert accepted.json()["tracking_number"]


@pytest.mark.django_db
def test_an_expired_or_revoked_proofing_no_longer_counts(citizen):
    record = ProofingRecord.objects.create(
        user=citizen, method="counter", ial=Decimal("2.1"), expires_at=timezone.now() + dt.timedelta(days=1)
    )
    assert current_ial(user=citizen) == Decimal("2.1")
    ProofingRecord.objects.filter(pk=record.pk).update(expires_at=timezone.now() - dt.timedelta(seconds=1))
    assert current_ial(user=citizen) == Decimal("1.1")
    record = ProofingRecord.objects.create(user=citizen, method="counter", ial=Decimal("2.3"))
    ProofingRecord.objects.filter(pk=record.pk).update(revoked_at=timezone.now())
    assert current_ial(user=citizen) == Decimal("1.1")


@pytest.mark.django_db
def test_the_submit_page_sends_a_person_without_aal2_to_step_up_and_back(service, agency, citizen):
    _require(service, agency)
    ProofingRecord.objects.create(user=citizen, method="counter", ial=Decimal("2.3"))
    app = make_application(service=service, applicant=citizen)
    client = sign_in(Client(), citizen)  # password only
    response = client.post(reverse("applications:edit", args=[app.pk]), VALID_FORM | {"submit": "1"})
    assert response.status_code == 302
    assert response["Location"].startswith("/account/step-up/?aal=2.2&next=")
    app.refresh_from_db()
    assert app.status == "draft"


@pytest.mark.django_db
def test_the_page_explains_a_missing_ial_and_links_to_how_to_raise_it(service, agency, citizen):
    _require(service, agency)
    app = make_application(service=service, applicant=citizen)
    client = sign_in(Client(), citizen, Method.PASSWORD, Method.TOTP)
    response = client.post(reverse("applications:edit", args=[app.pk]), VALID_FORM | {"submit": "1"})
    assert response.status_code == 403
    assert reverse("identity:assurance") in response.content.decode()


@pytest.mark.django_db
def test_staff_need_aal2_for_the_queue_and_for_every_case_action(service, agency, citizen):
    officer = make_staff("o2@excise.go.th", agency, StaffRole.OFFICER)
    app = make_application(service=service, applicant=citizen, status="submitted")
    weak = api_client_for(officer, Method.PASSWORD)
    queue = weak.get("/api/v1/applications/queue")
    assert queue.status_code == 403 and queue.json()["errors"]["required_aal"] == "2.1"
    assert weak.get(f"/api/v1/applications/{app.pk}").status_code == 403
    assert (
        weak.post(
            f"/api/v1/applications/{app.pk}/actions/start_review", {}, content_type="application/json"
        ).status_code
        == 403
    )
    app.refresh_from_db()
    assert app.status == "submitted"
    strong = api_client_for(officer, Method.PASSWORD, Method.TOTP)
    assert strong.get("/api/v1/applications/queue").status_code == 200
    assert (
        strong.post(
            f"/api/v1/applications/{app.pk}/actions/start_review", {}, content_type="application/json"
        ).status_code
        == 200
    )


@pytest.mark.django_db
def test_office_pages_send_staff_at_aal1_to_step_up(agency):
    officer = make_staff("o3@excise.go.th", agency, StaffRole.OFFICER)
    response = sign_in(Client(), officer, Method.PASSWORD).get(reverse("office:queue"))
    assert response.status_code == 302 and response["Location"].startswith("/account/step-up/")


@pytest.mark.django_db
def test_approving_for_a_service_that_requires_aal3_needs_aal3(free_service, agency, citizen):
    _require(free_service, agency, ial="3", aal="3", ratings=NONE | {"personal_safety": "moderate"})
    approver = make_staff("a3@excise.go.th", agency, StaffRole.APPROVER)
    app = make_application(service=free_service, applicant=citizen, status="pending_approval")
    with pytest.raises(AssuranceRequired) as refused:
        application_approve(actor=signed_in(approver, Method.PASSWORD, Method.TOTP), application_id=app.pk)
    assert refused.value.details["required_aal"] == "3"
    app.refresh_from_db()
    assert app.status == "pending_approval"
    del approver.assurance
    at_aal3 = approver
    authn.attach(at_aal3, aal=authn.AAL3, methods=(Method.FEDERATED,))
    assert application_approve(actor=at_aal3, application_id=app.pk).status in ("approved", "issued")


@pytest.mark.django_db
def test_after_step_up_a_refused_post_comes_back_to_the_page_its_form_was_on(service, agency, citizen):
    """Issue 12: the browser was sent back with GET to the POST-only submit address (a blank 405)."""
    from urllib.parse import parse_qs, urlsplit

    _require(service, agency)
    ProofingRecord.objects.create(user=citizen, method="counter", ial=Decimal("2.3"))
    app = make_application(service=service, applicant=citizen)
    client = sign_in(Client(), citizen)  # password only
    review = reverse("caseforms:review", args=[app.pk])
    submit = reverse("caseforms:submit", args=[app.pk])
    response = client.post(submit, {}, HTTP_REFERER=f"http://testserver{review}")
    assert response.status_code == 302
    [back] = parse_qs(urlsplit(response["Location"]).query)["next"]
    assert back == review
    sign_in(client, citizen, Method.PASSWORD, Method.TOTP)
    assert client.get(back).status_code == 200  # a page, not a 405
    # Without a same-site Referer the person comes back to the home page, never to another site.
    other = sign_in(Client(), citizen)
    response = other.post(submit, {}, HTTP_REFERER="https://evil.example/applications/")
    assert parse_qs(urlsplit(response["Location"]).query)["next"] == ["/"]
