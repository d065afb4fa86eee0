"""Escalation and legal notices (§5): supervisors hear of overdue and soon-due cases once per case per day; the
applicant of a late case gets the Licensing Facilitation Act notice (late, why, new expected date) every 7 days."""

from __future__ import annotations

import datetime as dt
import secrets
from collections.abc import Iterator

import httpx
import pytest
from django.core.management import call_command

from borikan.agencies.models import StaffRole
from borikan.applications.tests.factories import make_application
from borikan.audit.models import AuditEntry
from borikan.casework import sla
from borikan.casework.models import CaseEscalation, CaseworkSettings, LateNotice
from borikan.casework.services import escalate_overdue_cases
from borikan.conftest import make_staff, make_user, sign_in
from borikan.identity.models import User
from borikan.sandboxes import sms_gateway

D = dt.date
WED = D(2026, 11, 25)

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def fixed_day(monkeypatch):
    monkeypatch.setattr(sla, "today", lambda: WED)


@pytest.fixture
def escalate(django_capture_on_commit_callbacks):
    """Run the daily job as on `day`, then what commits after it (the delivery outbox sends the messages)."""

    def run(day: dt.date) -> dict:
        with django_capture_on_commit_callbacks(execute=True):
            return escalate_overdue_cases(on=day)

    return run


@pytest.fixture
def supervisor(agency):
    return make_staff("head@excise.go.th", agency, StaffRole.AGENCY_ADMIN)


@pytest.fixture
def cases(free_service, citizen, officer):
    return {
        "overdue": make_application(
            service=free_service, applicant=citizen, status="in_review", due_date=D(2026, 11, 20), assigned_to=officer
        ),
        "soon": make_application(service=free_service, applicant=citizen, status="submitted", due_date=D(2026, 11, 27)),
        "later": make_application(
            service=free_service, applicant=citizen, status="in_review", due_date=D(2026, 12, 20)
        ),
        "decided": make_application(
            service=free_service, applicant=citizen, status="approved", due_date=D(2026, 11, 2)
        ),
        "paused": make_application(
            service=free_service,
            applicant=citizen,
            status="info_requested",
            due_date=D(2026, 11, 2),
            sla_paused_on=D(2026, 11, 1),
        ),
    }


def _supervisor_mail(mailoutbox, to):
    return [m for m in mailoutbox if to in m.to and "overdue" in m.subject]


def test_supervisors_hear_of_overdue_and_soon_due_cases_once_per_day(
    cases, supervisor, mailoutbox, escalate, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        call_command("escalate_overdue_cases", "--date", "2026-11-25")
    mails = _supervisor_mail(mailoutbox, supervisor.email)
    assert len(mails) == 1
    body = mails[0].body
    assert cases["overdue"].tracking_number in body and cases["soon"].tracking_number in body
    assert f"http://localhost:8000/office/cases/{cases['overdue'].pk}/" in body  # each case's page for staff
    for quiet in ("later", "decided", "paused"):
        assert cases[quiet].tracking_number not in body
    assert {(e.application_id, e.kind) for e in CaseEscalation.objects.all()} == {
        (cases["overdue"].pk, "overdue"),
        (cases["soon"].pk, "due_soon"),
    }
    assert AuditEntry.objects.filter(action="application.escalated").count() == 2

    with django_capture_on_commit_callbacks(execute=True):
        call_command("escalate_overdue_cases", "--date", "2026-11-25")  # again the same day: nothing new
    assert len(_supervisor_mail(mailoutbox, supervisor.email)) == 1
    assert CaseEscalation.objects.count() == 2

    escalate(D(2026, 11, 26))  # the next day: told again
    assert len(_supervisor_mail(mailoutbox, supervisor.email)) == 2
    assert CaseEscalation.objects.count() == 4


def test_without_an_agency_admin_the_agencys_official_address_is_told(cases, agency, mailoutbox, escalate):
    escalate(WED)
    assert len(_supervisor_mail(mailoutbox, agency.email)) == 1


def _late_mail(mailoutbox):
    return [m for m in mailoutbox if "late" in m.subject]


def test_the_applicant_of_a_late_case_gets_the_legal_notice_every_seven_days(
    cases, citizen, officer, api_as, mailoutbox, escalate
):
    late = cases["overdue"]
    explained = api_as(officer).post(
        f"/api/v1/applications/{late.pk}/delay",
        {"reason": "รอผลตรวจสถานที่จากสรรพสามิตพื้นที่", "expected_date": "2026-12-03"},
        content_type="application/json",
    )
    assert explained.status_code == 200
    escalate(WED)
    mails = _late_mail(mailoutbox)
    assert len(mails) == 1  # only the overdue case; the soon-due one is not late yet
    notice = mails[0]
    assert notice.to == ["somchai@example.com"]  # the address on the form
    assert late.tracking_number in notice.subject
    assert "รอผลตรวจสถานที่จากสรรพสามิตพื้นที่" in notice.body  # why
    assert "3 ธันวาคม 2569" in notice.body or "2026-12-03" in notice.body  # the new expected date
    assert "2026-11-20" in notice.body  # the date it was due
    assert f"http://localhost:8000/applications/{late.pk}/" in notice.body  # the applicant's case page
    stored = LateNotice.objects.get()
    assert (stored.channel, stored.expected_date, stored.due_date) == ("email", D(2026, 12, 3), D(2026, 11, 20))
    entry = AuditEntry.objects.get(action="application.late_notice_sent")
    assert entry.data["reason_known"] is True and entry.subject_user_id == citizen.pk

    def notices_of_late() -> int:
        return sum(1 for m in _late_mail(mailoutbox) if late.tracking_number in m.subject)

    for day in (D(2026, 11, 26), D(2026, 12, 1)):  # within the interval: no new notice
        escalate(day)
    assert notices_of_late() == 1
    escalate(D(2026, 12, 2))  # seven days on, still not decided
    assert notices_of_late() == 2
    assert LateNotice.objects.filter(application=late).count() == 2


def test_without_a_known_reason_the_notice_says_so_and_gives_the_next_date(free_service, citizen, mailoutbox, escalate):
    make_application(service=free_service, applicant=citizen, status="pending_approval", due_date=D(2026, 11, 24))
    escalate(WED)
    notice = LateNotice.objects.get()
    # no estimate from the officer: the day of the next notice (Wed 2 Dec, a working day)
    assert notice.expected_date == D(2026, 12, 2) and notice.reason == ""
    assert "still under consideration" in _late_mail(mailoutbox)[0].body


def test_a_decided_case_gets_no_more_notices(cases, mailoutbox, escalate):
    escalate(WED)
    type(cases["overdue"]).objects.filter(pk=cases["overdue"].pk).update(
        status="approved", decided_at="2026-11-26T10:00Z"
    )
    escalate(D(2026, 12, 3))
    assert LateNotice.objects.filter(application=cases["overdue"]).count() == 1


def test_the_interval_is_a_service_setting(cases, free_service, mailoutbox, escalate):
    CaseworkSettings.objects.create(service=free_service, late_notice_interval_days=3)
    escalate(WED)
    escalate(D(2026, 11, 28))
    assert LateNotice.objects.filter(application=cases["overdue"]).count() == 2


def test_delay_explanation_refuses_a_past_date_and_strangers(cases, officer, foreign_officer, citizen, api_as):
    url = f"/api/v1/applications/{cases['overdue'].pk}/delay"
    past = api_as(officer).post(url, {"reason": "x", "expected_date": "2026-11-01"}, content_type="application/json")
    assert past.status_code == 422 and past.json()["code"] == "date_in_past"
    assert api_as(foreign_officer).post(url, {"reason": "x"}, content_type="application/json").status_code == 404
    assert api_as(citizen).post(url, {"reason": "x"}, content_type="application/json").status_code == 404
    cases["overdue"].refresh_from_db()
    assert cases["overdue"].delay_reason == ""


def test_the_case_page_shows_the_flags_and_the_escalation_state(
    cases, supervisor, officer, client, mailoutbox, escalate
):
    escalate(WED)
    sign_in(client, officer)
    page = client.get(f"/office/cases/{cases['overdue'].pk}/").text
    assert 'class="overdue"' in page
    assert "25 พฤศจิกายน 2569" in page  # escalated on, and the late notice sent on, that day
    assert "email" in page
    soon = client.get(f"/office/cases/{cases['soon'].pk}/").text
    assert 'class="due-soon"' in soon


def test_the_escalation_task_runs(cases, supervisor, mailoutbox, django_capture_on_commit_callbacks):
    from borikan.applications.tasks import escalate_overdue_cases as task

    with django_capture_on_commit_callbacks(execute=True):
        result = task.enqueue()
    assert result.return_value == {"escalated": 2, "late_notices": 1}


# --- by SMS when the applicant has no e-mail ----------------------------------------------------------------------


@pytest.fixture(scope="module")
def sms_process() -> Iterator[tuple[str, str]]:
    key = secrets.token_urlsafe(16)
    process, url = sms_gateway.spawn(api_key=key)
    yield url, key
    sms_gateway.stop(process)


@pytest.mark.slow
def test_an_applicant_without_e_mail_gets_the_notice_by_sms(sms_process, settings, free_service, mailoutbox, escalate):
    url, key = sms_process
    settings.BORIKAN_SMS_URL, settings.BORIKAN_SMS_API_KEY = url, key
    person = User.objects.create_user(None, "a-long-enough-passphrase", full_name="มานี มีนา", mobile="+66812345670")
    form = {"full_name": "มานี มีนา", "citizen_id": "1101700230708", "address": "1 ถนนสุขุมวิท", "phone": "0812345670"}
    app = make_application(service=free_service, applicant=person, status="in_review", due_date=D(2026, 11, 20))
    type(app).objects.filter(pk=app.pk).update(form_data=form)
    escalate(WED)
    inbox = httpx.get(f"{url}/v1/messages", params={"to": "+66812345670"}, headers={"Authorization": f"Bearer {key}"})
    texts = [m["text"] for m in inbox.json()]
    assert len(texts) == 1 and app.tracking_number in texts[0] and "ล่าช้า" in texts[0]
    notice = LateNotice.objects.get()
    assert notice.channel == "sms" and notice.message_id
    assert not _late_mail(mailoutbox)


def test_the_account_address_is_used_when_the_form_gives_none(free_service, mailoutbox, escalate):
    person = make_user("account@example.com")
    app = make_application(service=free_service, applicant=person, status="in_review", due_date=D(2026, 11, 20))
    type(app).objects.filter(pk=app.pk).update(form_data={"full_name": "x"})
    escalate(WED)
    assert _late_mail(mailoutbox)[0].to == ["account@example.com"]
