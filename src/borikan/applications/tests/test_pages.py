"""The citizen and office pages, driven as a person would: search, read the manual, apply, review."""

import re

import pytest
from django.test import Client

from borikan.applications.models import Application
from borikan.conftest import VALID_FORM, sign_in

from .factories import make_application


@pytest.mark.django_db
def test_search_page_finds_service_by_thai_keyword(service):
    response = Client().get("/", {"q": "สุรา"})
    assert response.status_code == 200
    assert "ใบอนุญาตขายสุรา" in response.text
    assert "ค้นหาบริการภาครัฐ" in response.text  # the page itself is Thai first


@pytest.mark.django_db
def test_service_page_shows_citizen_manual_in_thai_and_english(service):
    thai = Client().get("/services/liquor-sale-licence/")
    assert "พระราชบัญญัติภาษีสรรพสามิต" in thai.text
    assert "การชำระค่าธรรมเนียม" in thai.text
    client = Client()
    client.post("/i18n/setlang/", {"language": "en", "next": "/"})
    english = client.get("/services/liquor-sale-licence/")
    assert "Liquor sale licence" in english.text
    assert "Fee payment" in english.text


@pytest.mark.django_db
def test_unknown_service_page_is_404(service):
    assert Client().get("/services/no-such-thing/").status_code == 404


@pytest.mark.django_db
def test_citizen_applies_through_the_pages(free_service, citizen):
    client = Client()
    sign_in(client, citizen)
    started = client.post(f"/applications/start/{free_service.slug}/")
    app = Application.objects.get()
    assert started["Location"] == f"/applications/{app.pk}/edit/"
    bad = client.post(f"/applications/{app.pk}/edit/", {**VALID_FORM, "citizen_id": "1234567890123", "submit": "1"})
    assert bad.status_code == 400
    assert "รูปแบบเลขประจำตัวประชาชนไม่ถูกต้อง" in bad.text
    app.refresh_from_db()
    assert app.status == "draft"
    good = client.post(f"/applications/{app.pk}/edit/", {**VALID_FORM, "submit": "1"})
    assert good.status_code == 302
    app.refresh_from_db()
    assert app.status == "submitted"
    detail = client.get(f"/applications/{app.pk}/")
    assert app.tracking_number in detail.text


@pytest.mark.django_db
def test_officer_queue_and_case_page(free_service, citizen, officer):
    app = make_application(service=free_service, applicant=citizen, status="submitted")
    client = Client()
    sign_in(client, officer)
    queue = client.get("/office/")
    assert app.tracking_number in queue.text
    client.post(f"/office/cases/{app.pk}/act/", {"action": "start_review"})
    app.refresh_from_db()
    assert app.status == "in_review"
    page = client.get(f"/office/cases/{app.pk}/")
    assert VALID_FORM["citizen_id"] in page.text
    assert "ขอข้อมูลเพิ่มเติม" in page.text


@pytest.mark.django_db
def test_citizen_has_no_officer_queue(citizen):
    client = Client()
    sign_in(client, citizen)
    assert client.get("/office/").status_code == 404


@pytest.mark.django_db
def test_foreign_officer_cannot_open_case_page(service, citizen, foreign_officer):
    app = make_application(service=service, applicant=citizen, status="submitted")
    client = Client()
    sign_in(client, foreign_officer)
    assert client.get(f"/office/cases/{app.pk}/").status_code == 404
    assert client.post(f"/office/cases/{app.pk}/act/", {"action": "start_review"}).status_code == 404
    app.refresh_from_db()
    assert app.status == "submitted"


@pytest.mark.django_db
def test_pages_are_thai_even_when_the_browser_asks_for_english(service):
    response = Client(headers={"Accept-Language": "en-US,en;q=0.9"}).get("/")
    assert response["Content-Language"] == "th"
    assert "ค้นหาบริการภาครัฐ" in response.text


@pytest.mark.django_db
def test_service_page_embeds_government_service_json_ld(service):
    import json
    import re

    page = Client().get("/services/liquor-sale-licence/").text
    block = re.search(r'<script type="application/ld\+json">(.*?)</script>', page, re.S)
    data = json.loads(block.group(1))
    assert data["@type"] == "GovernmentService"
    assert data["provider"]["identifier"] == "EXCISE"
    assert data["offers"] == {"@type": "Offer", "price": "1650.00", "priceCurrency": "THB"}
    from django.utils import timezone

    assert f" {timezone.localdate().year + 543} " in page  # the manual's last update, in the Buddhist Era


@pytest.mark.django_db
def test_queue_flags_overdue_and_soon_due_cases(free_service, citizen, officer):
    import datetime as dt

    from django.utils import timezone

    today = timezone.localdate()
    make_application(service=free_service, applicant=citizen, status="submitted", due_date=today - dt.timedelta(days=1))
    make_application(service=free_service, applicant=citizen, status="submitted", due_date=today + dt.timedelta(days=1))
    client = Client()
    sign_in(client, officer)
    page = client.get("/office/").text
    assert page.count('class="overdue"') == 1
    assert page.count('class="due-soon"') == 1


@pytest.mark.django_db
def test_staff_type_dates_in_the_buddhist_era(free_service, citizen, officer):
    """A native date input showed mm/dd/yyyy (Gregorian) on Thai pages: staff dates are day/month/B.E. text."""
    import datetime as dt

    early = make_application(
        service=free_service, applicant=citizen, status="submitted", due_date=dt.date(2026, 12, 10)
    )
    late = make_application(service=free_service, applicant=citizen, status="submitted", due_date=dt.date(2027, 1, 20))
    client = sign_in(Client(), officer)
    page = client.get("/office/", {"due_from": "01/01/2570"}).text
    assert late.tracking_number in page and early.tracking_number not in page
    assert 'type="date"' not in page and "15/08/2569" in page  # the hint
    case = client.get(f"/office/cases/{early.pk}/").text
    assert 'type="date"' not in case
    client.post(f"/office/cases/{early.pk}/delay/", {"reason": "รอผลตรวจสถานที่", "expected_date": "15/01/2570"})
    early.refresh_from_db()
    assert early.expected_date == dt.date(2027, 1, 15)
    assert 'value="15/01/2570"' in client.get(f"/office/cases/{early.pk}/").text


@pytest.mark.django_db
def test_a_second_tap_on_apply_resumes_the_draft_instead_of_starting_another(free_service, citizen):
    """Issue 12: every tap on ยื่นคำขอออนไลน์ started another draft."""
    from borikan.applications.models import Application

    client = sign_in(Client(), citizen)
    first = client.post(f"/applications/start/{free_service.slug}/")
    second = client.post(f"/applications/start/{free_service.slug}/")
    assert Application.objects.filter(applicant=citizen).count() == 1
    assert first["Location"] == second["Location"]


@pytest.mark.django_db
def test_apply_online_while_signed_out_comes_back_to_the_service_after_signing_in(free_service, citizen):
    """Found by the browser journey: "apply online" signed out went to sign-in, which came back to the start
    address with a GET, and that answered 405."""
    client = Client()
    to_login = client.post(f"/applications/start/{free_service.slug}/")
    assert to_login.status_code == 302 and "/account/login/" in to_login["Location"]
    back = client.post(
        to_login["Location"], {"email": citizen.email, "password": "correct-horse-battery-staple"}, follow=True
    )
    assert back.status_code == 200 and back.redirect_chain[-1][0] == f"/services/{free_service.slug}/"
    assert not Application.objects.filter(applicant=citizen).exists()  # nothing started behind the person's back


@pytest.mark.django_db
def test_withdrawing_asks_again_before_it_withdraws(free_service, citizen, officer):
    """Issue 12: one tap on the confirmation page's main button withdrew a submitted application."""
    app = make_application(service=free_service, applicant=citizen, status="submitted")
    client = sign_in(Client(), citizen)
    detail = client.get(f"/applications/{app.pk}/").content.decode()
    assert f'action="/applications/{app.pk}/withdraw/"' not in detail  # a link to the question, not a button
    asked = client.get(f"/applications/{app.pk}/withdraw/")
    assert asked.status_code == 200 and 'name="confirm" value="yes"' in asked.content.decode()
    client.post(f"/applications/{app.pk}/withdraw/", {"reason": "เปลี่ยนใจ"})  # the old one-tap form
    app.refresh_from_db()
    assert app.status == "submitted"
    done = client.post(f"/applications/{app.pk}/withdraw/", {"confirm": "yes", "reason": "เปลี่ยนใจ"})
    assert done.status_code == 302
    app.refresh_from_db()
    assert app.status == "withdrawn"
    # Staff may open the case but never see the applicant's withdraw question.
    other = make_application(service=free_service, applicant=citizen, status="submitted")
    staff = sign_in(Client(), officer)
    assert staff.get(f"/applications/{other.pk}/withdraw/").status_code == 302
    other.refresh_from_db()
    assert other.status == "submitted"


@pytest.mark.django_db
def test_a_rejection_from_the_case_page_asks_again(free_service, citizen, approver):
    """Issue 12: reject had no confirmation."""
    app = make_application(service=free_service, applicant=citizen, status="pending_approval")
    client = sign_in(Client(), approver)
    asked = client.post(f"/office/cases/{app.pk}/act/", {"action": "reject", "reason": "เอกสารไม่ครบถ้วน"})
    assert asked.status_code == 200 and 'name="confirm" value="yes"' in asked.text
    assert "เอกสารไม่ครบถ้วน" in asked.text  # the reason carried over to the question
    app.refresh_from_db()
    assert app.status == "pending_approval"
    done = client.post(
        f"/office/cases/{app.pk}/act/", {"action": "reject", "reason": "เอกสารไม่ครบถ้วน", "confirm": "yes"}, follow=True
    )
    app.refresh_from_db()
    assert app.status == "rejected", done.text[:3000]


@pytest.mark.django_db
def test_a_chosen_file_is_kept_when_another_field_is_wrong_and_listed_on_the_form(service, citizen, settings, tmp_path):
    """Issue 12: a validation error dropped the chosen file, and the form never listed files already stored."""
    from django.core.files.uploadedfile import SimpleUploadedFile

    settings.STORAGES = {
        **settings.STORAGES,
        "default": {"BACKEND": "django.core.files.storage.FileSystemStorage", "OPTIONS": {"location": str(tmp_path)}},
    }
    app = make_application(service=service, applicant=citizen)
    client = sign_in(Client(), citizen)
    plan = SimpleUploadedFile("แผนผังร้าน.pdf", b"%PDF-1.7\n" + b"0" * 64, content_type="application/pdf")
    wrong = client.post(f"/applications/{app.pk}/edit/", VALID_FORM | {"citizen_id": "12345", "file": plan})
    assert wrong.status_code == 400
    assert app.attachments.count() == 1
    page = client.get(f"/applications/{app.pk}/edit/").content.decode()
    assert "แผนผังร้าน.pdf" in page
    assert f"/applications/{app.pk}/attachments/" in page  # each stored file can be opened


@pytest.mark.django_db
def test_a_phone_number_typed_with_dashes_is_accepted(free_service, citizen):
    """Issue 12: a citizen ID with dashes was accepted, a phone number with dashes refused."""
    app = make_application(service=free_service, applicant=citizen)
    client = sign_in(Client(), citizen)
    saved = client.post(f"/applications/{app.pk}/edit/", VALID_FORM | {"phone": "081-234-5678"})
    assert saved.status_code == 302, saved.content.decode()[:500]
    app.refresh_from_db()
    assert app.form_data["phone"] == "0812345678"


@pytest.mark.django_db
def test_the_accounts_phone_is_offered_in_a_new_draft(free_service, citizen):
    """Issue 12: the account's phone was not prefilled (the default form's phone field was plain text)."""
    citizen.phone = "0898765432"
    citizen.save(update_fields=["phone"])
    app = Application.objects.create(service=free_service, agency=free_service.agency, applicant=citizen)
    page = sign_in(Client(), citizen).get(f"/applications/{app.pk}/edit/").content.decode()
    assert 'value="0898765432"' in page


@pytest.mark.django_db
def test_the_request_form_names_the_file_by_its_label_not_its_stored_name(free_service, citizen, officer):
    """Issue 12: the officer's request form showed the file as `supporting_document`."""
    app = make_application(service=free_service, applicant=citizen, status="in_review")
    page = sign_in(Client(), officer).get(f"/office/cases/{app.pk}/").content.decode()
    assert 'value="attachment:supporting_document"' in page  # the stored name stays the form's value
    text = re.sub(r"<[^>]+>", " ", page)
    assert "เอกสารประกอบคำขอ" in text and "supporting_document" not in text
