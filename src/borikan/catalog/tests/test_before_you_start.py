"""The service page's "before you start" (issue 12): the identity the service needs in plain words, in terms of the
ways this platform proves identity (a counter check of the ID card, an identity provider), whether the signed-in
person has it already and how to get it; then the documents, the time and the fee — all before "apply online"."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.test import Client
from django.utils import timezone

from borikan.catalog.models import RiskAssessment
from borikan.conftest import sign_in
from borikan.core.tests.pagetext import SENTENCE, visible_text
from borikan.identity.models import ProofingMethod, ProofingRecord, TotpDevice
from borikan.identity.selectors import identity_readiness

pytestmark = pytest.mark.django_db


def _require(service, ial: str, aal: str) -> None:
    RiskAssessment.objects.create(
        service=service,
        ratings={},
        justification="ทดสอบ",
        personal_data_online=True,
        nist_level=2,
        derived_ial=Decimal(ial),
        derived_aal=Decimal(aal),
        required_ial=Decimal(ial),
        required_aal=Decimal(aal),
    )


def _page(client: Client, service) -> str:
    client.cookies["django_language"] = "th"
    response = client.get(f"/services/{service.slug}/")
    assert response.status_code == 200
    return response.content.decode()


def _before(html: str) -> str:
    return html[html.index('id="before-you-start"') : html.index("</section>", html.index('id="before-you-start"'))]


def test_the_identity_needed_is_said_in_plain_thai_before_apply_online(service, settings):
    settings.BORIKAN_OIDC_PROVIDERS = []
    service.required_documents = [{"name_th": "สำเนาทะเบียนบ้าน", "name_en": "House registration", "copies": 1}]
    service.save()
    _require(service, "2.3", "2.2")
    html = _page(Client(), service)
    assert html.index('id="before-you-start"') < html.index(f'action="/applications/start/{service.slug}/"')
    before = _before(html)
    assert "บัตรประจำตัวประชาชน" in before and "เคาน์เตอร์" in before
    assert "อ่านชิปบัตร" in before and "เทียบใบหน้า" in before  # what IAL 2.3 takes at a counter
    assert "แอปยืนยันตัวตนหรือพาสคีย์" in before  # AAL 2
    assert "เข้าสู่ระบบเพื่อดูว่าท่านมีแล้วหรือยัง" in before
    assert 'href="/account/assurance/"' in before
    assert "สำเนาทะเบียนบ้าน" in before and "3 วันทำการ" in before and "1,650.00" in before
    text = visible_text(html)
    assert "IAL" not in text and "AAL" not in text  # not the raw levels
    assert not SENTENCE.findall(text)


def test_a_signed_in_citizen_is_told_whether_they_have_it(service, citizen):
    _require(service, "2.1", "2.2")
    client = sign_in(Client(), citizen)
    before = _before(_page(client, service))
    assert 'id="identity-not-ready"' in before
    assert "ตัวตนของท่านยังไม่ได้ยืนยันถึงระดับนี้" in before
    assert "ยังไม่ได้ตั้งค่าขั้นตอนที่สอง" in before and 'href="/account/security/"' in before
    assert "เทียบใบหน้า" in before and "อ่านชิปบัตร" not in before  # 2.1: no chip read needed

    ProofingRecord.objects.create(
        user=citizen,
        method=ProofingMethod.COUNTER,
        ial=Decimal("2.3"),
        verified_at=timezone.now(),
        expires_at=timezone.now() + dt.timedelta(days=365),
    )
    TotpDevice.objects.create(user=citizen, secret_encrypted="x", confirmed_at=timezone.now())
    before = _before(_page(client, service))
    assert 'id="identity-ready"' in before and "ท่านมีครบแล้ว" in before
    assert 'id="identity-not-ready"' not in before


def test_a_service_without_an_identity_check_says_an_account_is_enough(free_service, citizen):
    before = _before(_page(sign_in(Client(), citizen), free_service))
    assert "มีบัญชีผู้ใช้ก็ยื่นได้" in before and "รหัสผ่านก็เพียงพอ" in before
    assert 'id="identity-ready"' in before and "ไม่มีค่าธรรมเนียม" in before
    assert 'href="/account/assurance/"' not in before  # nothing to get


def test_readiness_names_the_counter_checks_and_the_providers_that_reach_the_level(settings):
    settings.BORIKAN_OIDC_PROVIDERS = [
        {"slug": "thaid", "name_th": "ไทยดี", "name_en": "ThaiD", "issuer": "https://id.example", "client_id": "c",
         "client_secret": "s", "max_ial": "2.3", "max_aal": "2.2"},
        {"slug": "weak", "name_th": "อ่อน", "name_en": "Weak", "issuer": "https://weak.example", "client_id": "c",
         "client_secret": "s", "max_ial": "1.3"},
    ]  # fmt: skip
    levels = {
        "1.1": [],
        "1.2": ["registry"],
        "1.3": ["registry"],
        "2.1": ["registry", "face"],
        "2.2": ["registry", "face", "chip"],
        "2.3": ["registry", "face", "chip"],
        "3": None,
    }
    for ial, counter in levels.items():
        found = identity_readiness(user=None, ial=Decimal(ial), aal=Decimal("1"))
        assert found["counter"] == counter, ial
        assert not found["second_factor"] and not found["signed_in"] and "ready" not in found
    assert [p.slug for p in identity_readiness(user=None, ial=Decimal("2.1"), aal=Decimal("2.1"))["providers"]] == [
        "thaid"
    ]
    assert {p.slug for p in identity_readiness(user=None, ial=Decimal("1.3"), aal=Decimal("1"))["providers"]} == {
        "thaid",
        "weak",
    }
    assert identity_readiness(user=None, ial=Decimal("1.1"), aal=Decimal("2.1"))["second_factor"]
