"""The agency admin's pages: versions, a draft from the current version, the builder, preview, publish."""

from __future__ import annotations

import pytest
from django.test import Client

from borikan.conftest import sign_in
from borikan.eforms.models import FormVersion

pytestmark = pytest.mark.django_db


def _client(user) -> Client:
    return sign_in(Client(), user)


def _draft(service) -> FormVersion:
    return FormVersion.objects.get(service=service, status="draft")


def test_an_admin_builds_and_publishes_a_version_through_the_pages(free_service, form_admin):
    client = _client(form_admin)
    base = f"/forms/admin/{free_service.slug}/"
    page = client.get(base)
    assert page.status_code == 200 and "1" in page.text
    assert client.get("/forms/admin/").status_code == 200
    assert client.post(base + "draft/new/")["Location"] == base + "draft/"
    draft = _draft(free_service)
    assert draft.number == 2

    def change(**post):
        response = client.post(base + "draft/", {"revision": _draft(free_service).revision, **post})
        assert response.status_code == 302, response.content.decode()[:2000]

    change(op="section", key="business", title_th="กิจการ", title_en="Business")
    change(op="add", name="kind", type="choice", label_th="ประเภท", label_en="Kind", section="business", required="1")
    change(
        op="update",
        name="kind",
        label_th="ประเภทกิจการ",
        label_en="Kind of business",
        help_th="เลือกหนึ่งข้อ",
        help_en="Choose one",
        section="business",
        required="1",
        choices="shop | ร้านค้า | Shop\nother | อื่น ๆ | Other",
        show_if_field="",
    )
    change(op="add", name="other_kind", type="text", label_th="ระบุ", label_en="Specify", section="business")
    change(op="update", name="other_kind", show_if_field="kind", show_if_value="other", section="business")
    change(op="add", name="capital", type="money", label_th="ทุน", label_en="Capital", section="business")
    change(op="add", name="shop_address", type="thai_address", label_th="ที่ตั้ง", label_en="Site", section="business")
    change(op="add", name="branches", type="group", label_th="สาขา", label_en="Branches", section="business")
    change(op="add", name="branch_name", type="text", label_th="ชื่อสาขา", label_en="Branch", group="branches")
    change(op="up", name="capital")
    change(op="remove", name="shop_address")
    change(
        op="update",
        name="supporting_document",
        label_th="เอกสาร",
        label_en="Document",
        accept=["application/pdf"],
        max_size_mb="2",
        max_count="1",
    )
    draft = _draft(free_service)
    business = next(s for s in draft.ui["sections"] if s["key"] == "business")
    assert business["fields"] == ["kind", "capital", "other_kind", "branches"]
    assert draft.ui["fields"]["kind"]["choices"][1] == {"value": "other", "label_th": "อื่น ๆ", "label_en": "Other"}
    assert draft.ui["fields"]["other_kind"]["show_if"] == {"field": "kind", "in": ["other"]}
    assert draft.schema["properties"]["capital"] == {"x-field": "money", "type": "integer", "minimum": 0}
    assert "shop_address" not in draft.schema["properties"]
    assert draft.schema["properties"]["branches"]["items"]["properties"]["branch_name"]["x-field"] == "text"
    assert draft.ui["fields"]["supporting_document"]["accept"] == ["application/pdf"]
    assert draft.ui["fields"]["supporting_document"]["max_size_mb"] == 2
    builder_page = client.get(base + "draft/")
    assert builder_page.status_code == 200 and "ประเภทกิจการ" in builder_page.text
    preview = client.get(base + f"versions/{draft.number}/preview/")
    assert preview.status_code == 200
    assert 'name="kind"' in preview.text and "ร้านค้า" in preview.text and 'data-show-field="kind"' in preview.text
    published = client.post(base + "draft/publish/", {"revision": draft.revision})
    assert published.status_code == 302
    assert FormVersion.objects.get(service=free_service, status="published").number == 2


def test_a_stale_builder_form_is_refused(free_service, form_admin):
    client = _client(form_admin)
    base = f"/forms/admin/{free_service.slug}/"
    client.post(base + "draft/new/")
    revision = _draft(free_service).revision
    client.post(base + "draft/", {"revision": revision, "op": "remove", "name": "phone"})
    stale = client.post(base + "draft/", {"revision": revision, "op": "remove", "name": "address"})
    assert stale.status_code == 400
    assert "address" in _draft(free_service).schema["properties"]


def test_a_draft_with_problems_is_not_published(free_service, form_admin):
    client = _client(form_admin)
    base = f"/forms/admin/{free_service.slug}/"
    client.post(base + "draft/new/")
    client.post(
        base + "draft/",
        {"revision": _draft(free_service).revision, "op": "update", "name": "phone", "label_en": ""},
    )
    page = client.get(base + "draft/")
    assert "Field phone has no English label" in page.text or "ช่อง phone ไม่มีชื่อภาษาอังกฤษ" in page.text
    client.post(base + "draft/publish/", {"revision": _draft(free_service).revision})
    assert FormVersion.objects.get(service=free_service, status="published").number == 1


def test_access_control_on_the_admin_pages(free_service, officer, foreign_admin, citizen):
    base = f"/forms/admin/{free_service.slug}/"
    assert _client(officer).get(base).status_code == 403
    assert _client(officer).post(base + "draft/new/").status_code == 403
    for outsider in (foreign_admin, citizen):
        client = _client(outsider)
        assert client.get(base).status_code == 404
        assert client.post(base + "draft/new/").status_code == 404
        assert client.post(base + "draft/publish/").status_code == 404
    assert _client(citizen).get("/forms/admin/").status_code == 404
    assert Client().get(base)["Location"].startswith("/account/login")
    assert not FormVersion.objects.filter(status="draft").exists()


def test_an_admin_signed_in_with_a_password_only_must_step_up(free_service, form_admin):
    client = sign_in(Client(), form_admin, "password")
    response = client.post(f"/forms/admin/{free_service.slug}/draft/new/")
    assert response.status_code == 302 and "/draft/" not in response["Location"]  # sent to add a second factor
    assert not FormVersion.objects.filter(status="draft").exists()
