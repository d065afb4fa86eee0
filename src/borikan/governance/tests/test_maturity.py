"""Maturity levels from the per-process configuration, level by level."""

from __future__ import annotations

from dataclasses import dataclass, field

import pytest
from django.test import Client

from borikan.conftest import make_service
from borikan.governance.maturity import service_maturity

ON, CNT, NA = "online", "counter", "not_applicable"


@dataclass
class FakeService:
    is_published: bool = True
    required_documents: list = field(default_factory=lambda: [{"name_th": "บัตรประชาชน"}])
    mode_search: str = ON
    mode_identity: str = ON
    mode_application: str = ON
    mode_review: str = ON
    mode_approval: str = ON
    mode_payment: str = ON
    mode_issuance: str = ON
    mode_delivery: str = ON


@pytest.mark.parametrize(
    ("changes", "level", "first_gap"),
    [
        ({"is_published": False}, 0, "not_published"),
        ({"mode_identity": CNT, "mode_application": CNT}, 1, "identity_not_online"),
        ({"mode_application": CNT}, 1, "application_not_online"),
        ({"mode_approval": CNT}, 2, "approval_not_online"),
        ({"mode_payment": CNT}, 3, "payment_not_online"),
        ({"mode_delivery": CNT}, 3, "delivery_not_online"),
        ({}, 4, "paper_documents_required"),
        ({"mode_payment": NA}, 4, "paper_documents_required"),  # no fee: payment "where applicable"
        ({"required_documents": []}, 4, "no_data_links"),
    ],
)
def test_level_and_next_step(changes, level, first_gap):
    maturity = service_maturity(FakeService(**changes))
    assert maturity.level == level
    assert maturity.next_level == level + 1
    assert maturity.next_steps[0].code == first_gap


def test_connected_service_reaches_level_five():
    maturity = service_maturity(FakeService(required_documents=[]), prefilled_from_other_agencies=True)
    assert (maturity.level, maturity.next_level, maturity.next_steps) == (5, None, [])


def test_a_later_step_online_does_not_skip_an_earlier_one_at_the_counter():
    # Payment, issuance and delivery online do not make up for a review at the counter.
    assert service_maturity(FakeService(mode_review=CNT)).level == 2


def test_every_missing_process_of_the_next_level_is_listed():
    gaps = service_maturity(FakeService(mode_identity=CNT, mode_application=CNT)).next_steps
    assert [g.code for g in gaps] == ["identity_not_online", "application_not_online"]
    assert gaps[0].message_th == "เปิดให้การยืนยันตัวตนทำได้ออนไลน์"


@pytest.mark.django_db
def test_agency_api_gives_the_distribution_by_level(agency):
    make_service(agency, slug="online-one")
    make_service(agency, slug="counter-one", online=False)
    hidden = make_service(agency, slug="withdrawn-one")
    hidden.is_published = False
    hidden.save(update_fields=["is_published"])
    body = Client().get(f"/api/v1/governance/agencies/{agency.code}").json()
    assert body["distribution"] == {"0": 0, "1": 1, "2": 0, "3": 0, "4": 1, "5": 0}
    assert sorted(s["slug"] for s in body["services"]) == ["counter-one", "online-one"]


@pytest.mark.django_db
def test_service_api_and_agency_page(agency):
    make_service(agency, slug="online-one")
    body = Client().get("/api/v1/governance/services/online-one").json()
    assert body["level"] == 4
    assert body["level_name_en"] == "End to end online"
    page = Client().get(f"/agencies/{agency.code}/")
    assert page.status_code == 200
    assert "ออนไลน์ครบวงจร" in page.text


@pytest.mark.django_db
def test_unknown_agency_is_404(agency):
    response = Client().get("/api/v1/governance/agencies/NOPE")
    assert response.status_code == 404
    assert response.json()["code"] == "not_found"
