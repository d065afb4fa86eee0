"""Risk assessments by agency admins, the levels they set, and the rules publication enforces."""

from __future__ import annotations

from decimal import Decimal

import pytest

from borikan.agencies.models import StaffRole
from borikan.catalog.assurance import CATEGORIES
from borikan.catalog.models import RiskAssessment
from borikan.catalog.services import risk_assessment_record, service_publish
from borikan.conftest import make_service, make_staff, sign_in
from borikan.core.errors import ApplicationError

LOW = dict.fromkeys(CATEGORIES, "low")
URL = "/api/v1/services/{slug}/risk-assessments"


@pytest.fixture
def admin(agency):
    return make_staff("admin@excise.go.th", agency, StaffRole.AGENCY_ADMIN)


@pytest.fixture
def draft_service(agency):
    service = make_service(agency, slug="new-permit")
    service.is_published = False
    service.steps = [{"name_th": "ยื่นคำขอ", "duration_days": 1}, {"name_th": "พิจารณา", "duration_days": 2}]
    service.required_documents = [{"name_th": "บัตรประจำตัวประชาชน"}]
    service.save()
    return service


@pytest.mark.django_db
def test_admin_records_an_assessment_and_the_levels_follow(draft_service, admin, api_as):
    response = api_as(admin).post(
        URL.format(slug=draft_service.slug),
        {"ratings": LOW | {"financial": "moderate"}, "justification": "ค่าปรับสูงหากออกผิด"},
        content_type="application/json",
    )
    assert response.status_code == 201
    body = response.json()
    assert (body["nist_level"], body["required_ial"], body["required_aal"]) == (2, "2.2", "2.2")
    assert body["derivation"][0][1] == "Highest rated impact: moderate → NIST level 2 (Table 6-1)"


@pytest.mark.django_db
def test_a_new_assessment_keeps_the_old_one_as_history(draft_service, admin):
    first = risk_assessment_record(actor=admin, service=draft_service, ratings=LOW, justification="ครั้งแรก")
    second = risk_assessment_record(actor=admin, service=draft_service, ratings=LOW, justification="ทบทวน")
    first.refresh_from_db()
    assert (first.is_current, second.is_current) == (False, True)
    assert RiskAssessment.objects.filter(service=draft_service).count() == 2


@pytest.mark.django_db
def test_raising_the_level_needs_a_reason_and_lowering_is_never_allowed(draft_service, admin):
    with pytest.raises(ApplicationError) as no_reason:
        risk_assessment_record(actor=admin, service=draft_service, ratings=LOW, justification="x", ial="2.3")
    assert no_reason.value.code == "override_reason_required"
    with pytest.raises(ApplicationError) as lower:
        risk_assessment_record(
            actor=admin, service=draft_service, ratings=LOW, justification="x", ial="1.2", override_reason="ง่ายกว่า"
        )
    assert lower.value.code == "override_below_derived"
    raised = risk_assessment_record(
        actor=admin, service=draft_service, ratings=LOW, justification="x", ial="2.3", override_reason="เคยถูกปลอม"
    )
    assert (raised.derived_ial, raised.required_ial) == (Decimal("2.1"), Decimal("2.3"))
    assert RiskAssessment.objects.filter(service=draft_service).count() == 1


@pytest.mark.django_db
def test_incomplete_or_unknown_ratings_are_refused(draft_service, admin, api_as):
    response = api_as(admin).post(
        URL.format(slug=draft_service.slug),
        {"ratings": {"financial": "huge"}, "justification": "x"},
        content_type="application/json",
    )
    assert response.status_code == 422
    body = response.json()
    assert body["code"] == "invalid_ratings"
    assert body["errors"]["invalid"] == ["financial"]
    assert "personal_safety" in body["errors"]["missing"]
    assert not RiskAssessment.objects.exists()


@pytest.mark.django_db
def test_officers_and_other_agencies_cannot_assess(draft_service, officer, foreign_officer, api_as):
    payload = {"ratings": LOW, "justification": "x"}
    url = URL.format(slug=draft_service.slug)
    assert api_as(officer).post(url, payload, content_type="application/json").status_code == 403
    assert api_as(foreign_officer).post(url, payload, content_type="application/json").status_code == 404
    assert not RiskAssessment.objects.exists()


@pytest.mark.django_db
def test_a_service_cannot_be_published_without_a_current_assessment(draft_service, admin, api_as):
    response = api_as(admin).post(f"/api/v1/services/{draft_service.slug}/publish")
    assert response.status_code == 409
    assert response.json()["errors"]["blockers"] == ["risk_assessment_required"]
    draft_service.refresh_from_db()
    assert draft_service.is_published is False


@pytest.mark.django_db
def test_a_service_with_an_incomplete_manual_cannot_be_published(draft_service, admin):
    risk_assessment_record(actor=admin, service=draft_service, ratings=LOW, justification="x")
    draft_service.legal_basis_th = ""
    draft_service.save()
    with pytest.raises(ApplicationError) as caught:
        service_publish(actor=admin, service=draft_service)
    assert caught.value.details["blockers"] == ["no_legal_basis"]


@pytest.mark.django_db
def test_assessed_complete_service_is_published_and_shows_its_levels(draft_service, admin, api_as):
    risk_assessment_record(actor=admin, service=draft_service, ratings=LOW, justification="x")
    response = api_as(admin).post(f"/api/v1/services/{draft_service.slug}/publish")
    assert response.json() == {"slug": "new-permit", "is_published": True}
    public = api_as(admin).get(f"/api/v1/services/{draft_service.slug}").json()
    assert (public["required_ial"], public["required_aal"]) == ("2.1", "2.1")


@pytest.mark.django_db
def test_loading_the_catalogue_gives_every_service_a_default_assessment():
    from borikan.catalog.loading import DEFAULT_CATALOGUE, load_catalogue, read_catalogue_file
    from borikan.catalog.models import Service

    assert load_catalogue(data=read_catalogue_file(DEFAULT_CATALOGUE)).ok
    current = RiskAssessment.objects.filter(is_current=True)
    assert current.count() == Service.objects.count() == 102
    assert all(a.is_default_profile for a in current)
    liquor = current.get(service__slug="liquor-sale-licence")
    assert (liquor.required_ial, liquor.required_aal) == (Decimal("2.3"), Decimal("2.2"))


@pytest.mark.django_db
def test_admin_records_and_publishes_through_the_page(draft_service, admin, officer):
    from django.test import Client

    client = Client()
    sign_in(client, admin)
    url = f"/office/services/{draft_service.slug}/risk/"
    form = dict.fromkeys(CATEGORIES, "low") | {"justification": "ประเมินแล้ว"}
    client.post(url, form)
    client.post(url, {"publish": "1"})
    draft_service.refresh_from_db()
    assert draft_service.is_published is True
    page = client.get(url)
    assert "IAL 2.1" in page.text
    viewer = Client()
    sign_in(viewer, officer)
    assert "IAL 2.1" in viewer.get(url).text
    viewer.post(url, {"withdraw": "1"})  # officers may look, not change
    draft_service.refresh_from_db()
    assert draft_service.is_published is True
