"""After submitting (issue 12): the case's page confirms it with the reference number, says what happens next (the
fee where the service charges one), when to expect the decision (working days, skipping the holiday calendar) in
the Buddhist Era, and shows exactly what was sent: the answers and the attached files."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.utils import timezone

from borikan.applications import selectors
from borikan.applications.models import Application
from borikan.casework.models import PublicHoliday
from borikan.conftest import VALID_FORM, sign_in
from borikan.core.tests.pagetext import GREGORIAN_YEAR, SENTENCE, SNAKE, visible_text
from borikan.core.thaidate import thai_date

from .factories import make_application

pytestmark = pytest.mark.django_db


@pytest.fixture
def storage(settings, tmp_path):
    settings.STORAGES = {
        **settings.STORAGES,
        "default": {"BACKEND": "django.core.files.storage.FileSystemStorage", "OPTIONS": {"location": str(tmp_path)}},
    }


def _third_working_day(start: dt.date, closed: set[dt.date]) -> dt.date:
    day, counted = start, 0
    while True:
        if day.weekday() < 5 and day not in closed:
            counted += 1
            if counted == 3:
                return day
        day += dt.timedelta(days=1)


def _submit(client: Client, service) -> Application:
    client.post(f"/applications/start/{service.slug}/")
    app = Application.objects.get(service=service)
    plan = SimpleUploadedFile("แผนผังร้าน.pdf", b"%PDF-1.7\n" + b"0" * 64, content_type="application/pdf")
    done = client.post(f"/applications/{app.pk}/edit/", VALID_FORM | {"file": plan, "submit": "1"})
    assert done.status_code == 302 and done["Location"] == f"/applications/{app.pk}/", done.content.decode()[:800]
    app.refresh_from_db()
    assert app.status == "submitted"
    return app


def _thai(client: Client, url: str) -> str:
    client.cookies["django_language"] = "th"
    response = client.get(url)
    assert response.status_code == 200
    return response.content.decode()


def test_the_page_after_submitting_confirms_and_says_what_happens_next(service, citizen, storage):
    today = timezone.localdate()
    holiday = next(today + dt.timedelta(days=n) for n in range(1, 8) if (today + dt.timedelta(days=n)).weekday() < 5)
    PublicHoliday.objects.create(date=holiday, name_th="วันหยุดทดสอบ")
    client = sign_in(Client(), citizen)
    app = _submit(client, service)
    closed = set(PublicHoliday.objects.values_list("date", flat=True))  # the calendar's, and the one added here
    assert app.due_date == _third_working_day(today, closed)  # the service's 3 working days, holidays skipped

    html = _thai(client, f"/applications/{app.pk}/")
    panel = html[html.index("govuk-panel--confirmation") :].split("</div>\n</div>", 1)[0]
    assert "ส่งคำขอแล้ว" in panel and app.tracking_number in panel
    steps = html[html.index('id="what-happens-next"') : html.index('id="expected-decision"')]
    for step in ("พิจารณาคำขอ", "ขอข้อมูลเพิ่มเติม", "อนุมัติ", "ชำระค่าธรรมเนียม", "1,650.00", "ออกเอกสาร"):
        assert step in steps, step
    assert steps.index("อนุมัติ") < steps.index("ชำระค่าธรรมเนียม")  # this service's fee comes after approval
    assert f"<strong>{thai_date(app.due_date)}</strong>" in html  # Buddhist Era
    sent = html[html.index('id="what-you-sent"') :]
    assert " open>" in sent.split("\n", 1)[0]  # opened, right after submitting
    for value in (VALID_FORM["full_name"], VALID_FORM["address"], VALID_FORM["citizen_id"]):
        assert value in sent
    attachment = app.attachments.get()
    assert f'href="/applications/{app.pk}/attachments/{attachment.pk}/"' in sent and "แผนผังร้าน.pdf" in sent

    text = visible_text(html)
    assert not SNAKE.findall(text) and not SENTENCE.findall(text), (SNAKE.findall(text), SENTENCE.findall(text))
    assert not GREGORIAN_YEAR.findall(text)


def test_the_panel_is_for_the_submission_the_answers_stay(service, citizen, storage):
    client = sign_in(Client(), citizen)
    app = _submit(client, service)
    client.get(f"/applications/{app.pk}/")
    Application.objects.filter(pk=app.pk).update(status="in_review")
    html = _thai(client, f"/applications/{app.pk}/")
    assert "govuk-panel--confirmation" not in html  # shown once, after submitting
    assert 'id="what-you-sent"' in html and VALID_FORM["address"] in html
    assert 'id="expected-decision"' in html  # still waiting for the decision


def test_a_free_service_has_no_fee_step_and_a_decided_case_no_expected_date(free_service, citizen):
    app = make_application(service=free_service, applicant=citizen, status="submitted")
    client = sign_in(Client(), citizen)
    html = _thai(client, f"/applications/{app.pk}/")
    assert "govuk-panel--confirmation" in html  # not yet taken up by the agency
    steps = html[html.index('id="what-happens-next"') : html.index('id="what-you-sent"')]
    assert "ชำระค่าธรรมเนียม" not in steps
    Application.objects.filter(pk=app.pk).update(status="approved", decided_at=timezone.now())
    html = _thai(client, f"/applications/{app.pk}/")
    assert 'id="what-happens-next"' not in html and 'id="what-you-sent"' in html


def test_a_fee_before_review_comes_first(agency, citizen):
    from borikan.catalog.models import PaymentTiming
    from borikan.conftest import make_service

    service = make_service(agency, slug="pay-first", payment_timing=PaymentTiming.BEFORE_REVIEW)
    app = make_application(service=service, applicant=citizen, status="submitted")
    html = _thai(sign_in(Client(), citizen), f"/applications/{app.pk}/")
    steps = html[html.index('id="what-happens-next"') : html.index('id="expected-decision"')]
    assert steps.index("ชำระค่าธรรมเนียม") < steps.index("พิจารณาคำขอ")


def test_expected_decision_date_counts_working_days_when_the_case_has_none(free_service, citizen):
    monday = dt.date(2026, 11, 16)
    PublicHoliday.objects.filter(date__range=(monday, monday + dt.timedelta(days=7))).delete()
    PublicHoliday.objects.create(date=dt.date(2026, 11, 17), name_th="วันหยุดทดสอบ")
    submitted_at = dt.datetime(2026, 11, 16, 3, 0, tzinfo=dt.UTC)  # 10:00 in Bangkok
    app = make_application(service=free_service, applicant=citizen, status="submitted", submitted_at=submitted_at)
    assert selectors.expected_decision_date(app) == dt.date(2026, 11, 19)  # Mon, (Tue off), Wed, Thu
    app.due_date = monday
    assert selectors.expected_decision_date(app) == monday
    app.status = "rejected"
    assert selectors.expected_decision_date(app) is None
    assert selectors.submission_summary(app=make_application(service=free_service, applicant=citizen)) is None
