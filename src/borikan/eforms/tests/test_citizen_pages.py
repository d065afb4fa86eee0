"""The citizen's side: the form with sections and Thai field types, prefill, autosave, review, submit."""

from __future__ import annotations

import re

import pytest
from django.test import Client

from borikan.applications.models import Application
from borikan.conftest import sign_in
from borikan.eforms import services
from borikan.eforms.tests.helpers import CITIZEN_ID, rich_definition
from borikan.identity.models import CITIZEN_ID_PURPOSE
from borikan.identity.pii import encrypt, lookup_hash

pytestmark = pytest.mark.django_db

ENTRIES = {
    "full_name": "สมชาย ใจดี",
    "email": "somchai@example.com",
    "citizen_id": "1-1017-00230-70-8",
    "phone": "081-234-5678",
    "birth_date": "25/05/2533",
    "home.line": "99 ถนนพระรามที่ 6",
    "home.province": "กรุงเทพมหานคร",
    "home.district": "พญาไท",
    "home.subdistrict": "สามเสนใน",
    "home.postcode": "10400",
    "capital": "1,500,000.50",
    "kind": "other",
    "other_kind": "ร้านกาแฟ",
    "has_branches": "on",
    "branches.0.branch_name": "สาขาเชียงใหม่",
    "branches.0.branch_address.line": "1 ถนนนิมมานเหมินท์",
    "branches.0.branch_address.province": "เชียงใหม่",
    "branches.0.branch_address.district": "เมืองเชียงใหม่",
    "branches.0.branch_address.subdistrict": "สุเทพ",
    "branches.0.branch_address.postcode": "50200",
    "consent": "on",
}


@pytest.fixture
def rich_service(free_service, form_admin):
    services.form_draft_create(actor=form_admin, service=free_service)
    schema, ui = rich_definition()
    services.form_draft_update(actor=form_admin, service=free_service, schema=schema, ui=ui)
    services.form_publish(actor=form_admin, service=free_service)
    return free_service


def _start(client: Client, service) -> Application:
    client.post(f"/applications/start/{service.slug}/")
    return Application.objects.latest("created_at")


def test_the_form_page_has_sections_thai_fields_and_the_profile_prefilled(rich_service, citizen):
    citizen.citizen_id_encrypted = encrypt(CITIZEN_ID, purpose=CITIZEN_ID_PURPOSE)
    citizen.citizen_id_hash = lookup_hash(CITIZEN_ID, purpose=CITIZEN_ID_PURPOSE)
    citizen.mobile = "+66812345678"
    citizen.save()
    client = sign_in(Client(), citizen)
    app = _start(client, rich_service)
    page = client.get(f"/applications/{app.pk}/edit/")
    text = page.content.decode()
    assert page.status_code == 200
    assert re.search(r"<legend[^>]*>ผู้ยื่นคำขอ</legend>", text) and re.search(r"<legend[^>]*>กิจการ</legend>", text)
    assert 'name="home.province"' in text and "<option>กรุงเทพมหานคร</option>" in text
    # The date's format is a hint shown from the start, tied to the field (not a placeholder that goes away)
    assert "วัน/เดือน/ปี พ.ศ. เช่น 15/08/2535" in text and 'inputmode="decimal"' in text
    assert "placeholder=" not in text
    assert "eforms/eforms.css" in text and "eforms/form.js" in text and "<script>" not in text
    assert 'data-prefilled="1"' in text
    assert 'value="สมชาย ใจดี"' in text and 'value="citizen@example.com"' in text
    assert f'value="{CITIZEN_ID}"' in text and 'value="0812345678"' in text
    assert 'data-show-field="kind"' in text and 'data-show-values="[&quot;other&quot;]"' in text
    assert Application.objects.get(pk=app.pk).form_data == {}  # offered, not saved until the person saves


def test_review_then_submit(rich_service, citizen):
    client = sign_in(Client(), citizen)
    app = _start(client, rich_service)
    draft = client.post(f"/forms/applications/{app.pk}/save/", {"full_name": "สมชาย ใจดี"})
    assert draft.status_code == 302 and draft["Location"] == f"/applications/{app.pk}/edit/"
    saved = client.post(f"/forms/applications/{app.pk}/review/", ENTRIES)
    assert saved.status_code == 302 and saved["Location"] == f"/forms/applications/{app.pk}/review/"
    app.refresh_from_db()
    assert app.form_data["birth_date"] == "1990-05-25" and app.form_data["capital"] == 150000050
    assert app.form_data["citizen_id"] == CITIZEN_ID
    assert app.form_data["branches"][0]["branch_address"]["postcode"] == "50200"
    review = client.get(f"/forms/applications/{app.pk}/review/").content.decode()
    assert "25 พฤษภาคม 2533" in review and "1,500,000.50 บาท" in review
    assert "99 ถนนพระรามที่ 6 แขวงสามเสนใน เขตพญาไท กรุงเทพมหานคร 10400" in review
    assert "สาขาเชียงใหม่" in review and "ร้านกาแฟ" in review
    assert f'action="/forms/applications/{app.pk}/submit/"' in review
    done = client.post(f"/forms/applications/{app.pk}/submit/")
    assert done.status_code == 302 and done["Location"] == f"/applications/{app.pk}/"
    app.refresh_from_db()
    assert app.status == "submitted" and app.tracking_number


def test_the_review_page_lists_what_is_missing_and_offers_no_submit(rich_service, citizen):
    client = sign_in(Client(), citizen)
    app = _start(client, rich_service)
    client.post(f"/forms/applications/{app.pk}/review/", {"full_name": "สมชาย ใจดี"})
    review = client.get(f"/forms/applications/{app.pk}/review/").content.decode()
    assert "กรุณากรอกเลขประจำตัวประชาชน" in review
    assert "/submit/" not in review
    assert client.post(f"/forms/applications/{app.pk}/submit/").status_code == 302
    app.refresh_from_db()
    assert app.status == "draft"


def test_bad_entries_come_back_with_messages_and_nothing_is_saved(rich_service, citizen):
    client = sign_in(Client(), citizen)
    app = _start(client, rich_service)
    bad = client.post(
        f"/forms/applications/{app.pk}/review/",
        {**ENTRIES, "citizen_id": "1234567890123", "birth_date": "31/02/2533", "capital": "12.345"},
    )
    text = bad.content.decode()
    assert bad.status_code == 400
    assert "รูปแบบเลขประจำตัวประชาชนไม่ถูกต้อง" in text
    assert "วันเกิดต้องเป็นวันที่ที่มีอยู่จริง" in text and "ทุนจดทะเบียนต้องเป็นจำนวนเงินบาท" in text
    assert 'value="31/02/2533"' in text  # what the person typed is shown again
    app.refresh_from_db()
    assert app.form_data == {}


def test_errors_are_summarised_first_each_linking_to_its_field(rich_service, citizen):
    client = sign_in(Client(), citizen)
    app = _start(client, rich_service)
    bad = client.post(f"/forms/applications/{app.pk}/save/", {**ENTRIES, "birth_date": "31/02/2533"})
    text = bad.content.decode()
    assert bad.status_code == 400
    summary = text[text.index('class="govuk-error-summary"') : text.index("<h1")]
    assert 'data-module="govuk-error-summary"' in summary and 'role="alert"' in summary
    assert 'href="#f-birth_date"' in summary and "วันเกิดต้องเป็นวันที่ที่มีอยู่จริง" in summary
    assert 'href="#f-citizen_id"' not in summary  # only the fields with an error
    field = re.search(r'<input [^>]*id="f-birth_date"[^>]*>', text).group(0)
    assert 'aria-invalid="true"' in field and "e-birth_date" in field and "h-birth_date" in field
    assert 'id="e-birth_date"' in text and "govuk-form-group--error" in text
    # Required fields are announced to screen readers, not only marked with a star
    assert re.search(r'<input [^>]*id="f-citizen_id"[^>]*aria-required="true"', text)


def test_autosave_keeps_everything_valid_and_reports_the_rest(rich_service, citizen):
    client = sign_in(Client(), citizen)
    app = _start(client, rich_service)
    response = client.post(
        f"/forms/applications/{app.pk}/autosave/", {"full_name": "สมชาย ใจดี", "phone": "12", "capital": "500"}
    )
    body = response.json()
    assert response.status_code == 200 and body["saved"] is True
    assert set(body["errors"]) == {"phone"} and body["errors"]["phone"]["en"].startswith("Phone number must be")
    app.refresh_from_db()
    assert app.form_data == {"full_name": "สมชาย ใจดี", "capital": 50000}
    other_device = sign_in(Client(), citizen)
    page = other_device.get(f"/applications/{app.pk}/edit/").content.decode()
    assert 'value="สมชาย ใจดี"' in page and 'value="500.00"' in page


def test_only_the_applicant_uses_the_autosave_and_review(rich_service, citizen, other_citizen, officer):
    client = sign_in(Client(), citizen)
    app = _start(client, rich_service)
    for someone in (other_citizen, officer):
        other = sign_in(Client(), someone)
        assert other.post(f"/forms/applications/{app.pk}/autosave/", {"full_name": "x"}).status_code == 404
        assert other.get(f"/forms/applications/{app.pk}/review/").status_code == 404
        assert other.post(f"/forms/applications/{app.pk}/submit/").status_code == 404
    app.refresh_from_db()
    assert app.form_data == {}


def test_address_options_follow_the_data_file(citizen):
    client = sign_in(Client(), citizen)
    districts = client.get("/forms/address/", {"province": "กรุงเทพมหานคร"}).json()["district"]
    assert "พญาไท" in districts and len(districts) == 50
    subs = client.get("/forms/address/", {"province": "กรุงเทพมหานคร", "district": "พญาไท"}).json()
    assert "สามเสนใน" in subs["subdistrict"]
    codes = client.get(
        "/forms/address/", {"province": "กรุงเทพมหานคร", "district": "พญาไท", "subdistrict": "สามเสนใน"}
    ).json()
    assert codes == {"postcode": ["10400"]}


def test_the_file_field_takes_its_types_and_size(free_service, form_admin, citizen):
    from django.core.files.uploadedfile import SimpleUploadedFile

    from borikan.eforms import builder

    services.form_draft_create(actor=form_admin, service=free_service)
    schema, ui = rich_definition()
    schema, ui = builder.field_update(
        schema, ui, name="plan", values={"accept": ["application/pdf"], "max_size_mb": 1, "required": True}
    )
    services.form_draft_update(actor=form_admin, service=free_service, schema=schema, ui=ui)
    services.form_publish(actor=form_admin, service=free_service)
    client = sign_in(Client(), citizen)
    app = _start(client, free_service)
    url = f"/forms/applications/{app.pk}/review/"
    for page in (url, f"/forms/applications/{app.pk}/save/"):  # "review" and "save draft" alike
        big = SimpleUploadedFile("plan.pdf", b"%PDF-1.7\n" + b"0" * (1024 * 1024 + 10), content_type="application/pdf")
        refused = client.post(page, {**ENTRIES, "file": big})
        assert refused.status_code == 400 and "1 MB" in refused.content.decode()
    png = SimpleUploadedFile("plan.png", b"\x89PNG\r\n\x1a\n" + b"0" * 100, content_type="image/png")
    assert client.post(url, {**ENTRIES, "file": png}).status_code == 400  # the field takes PDF only
    assert not app.attachments.exists()
    review = client.get(url).content.decode()
    assert "/submit/" not in review  # the required plan is missing
    pdf = SimpleUploadedFile("plan.pdf", b"%PDF-1.7\n" + b"0" * 100, content_type="application/pdf")
    assert client.post(url, {**ENTRIES, "file": pdf}).status_code == 302
    assert app.attachments.get().field_name == "plan"
    assert client.post(f"/forms/applications/{app.pk}/submit/").status_code == 302
    app.refresh_from_db()
    assert app.status == "submitted"
