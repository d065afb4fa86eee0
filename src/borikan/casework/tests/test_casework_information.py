"""Requests for more information field by field (§4): coded defects with a deadline, the applicant corrects only
what was marked, the officer sees what changed, and an unanswered request expires into the service's outcome."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.management import call_command

from borikan.agencies.models import StaffRole
from borikan.applications.models import Application, ApplicationEvent
from borikan.applications.tests.factories import make_application
from borikan.audit.models import AuditEntry
from borikan.casework import sla
from borikan.casework.models import CaseworkSettings, Defect, ExpiryOutcome, InformationRequest
from borikan.conftest import VALID_FORM, make_staff, sign_in

D = dt.date
TODAY = D(2026, 11, 25)  # Wednesday

pytestmark = pytest.mark.django_db

DEFECTS = [
    {"kind": "field", "name": "address", "reason": "illegible", "note": "เลขที่บ้านไม่ชัด"},
    {"kind": "field", "name": "phone", "reason": "invalid"},
]


@pytest.fixture
def day(monkeypatch):
    current = {"day": TODAY}
    monkeypatch.setattr(sla, "today", lambda: current["day"])
    return current


@pytest.fixture
def case(free_service, citizen, day) -> Application:
    return make_application(service=free_service, applicant=citizen, status="in_review", due_date=D(2026, 12, 2))


def _request(api, case, **body):
    payload = {"defects": DEFECTS, "deadline_days": 5, **body}
    return api.post(f"/api/v1/applications/{case.pk}/information-requests", payload, content_type="application/json")


def _nothing_stored(case: Application) -> None:
    fresh = Application.objects.get(pk=case.pk)
    assert (fresh.status, fresh.version, fresh.sla_paused_on) == ("in_review", case.version, None)
    assert not InformationRequest.objects.exists() and not Defect.objects.exists()
    assert not ApplicationEvent.objects.filter(application=case).exists()
    assert not AuditEntry.objects.filter(
        action__in=["application.request_info", "application.information_defects_marked"]
    ).exists()


def test_officer_marks_defects_and_the_applicant_sees_each_beside_its_field(case, officer, citizen, api_as, client):
    made = _request(api_as(officer), case, version=case.version)
    assert made.status_code == 201, made.content
    body = made.json()
    # five working days from Wed 25 Nov: Thu, Fri, Mon, Tue, Wed 2 Dec
    assert body["deadline"] == "2026-12-02"
    assert [(d["name"], d["reason"]) for d in body["defects"]] == [("address", "illegible"), ("phone", "invalid")]
    assert body["defects"][0]["reason_th"] and body["defects"][0]["reason_en"] == "illegible"
    case.refresh_from_db()
    assert case.status == "info_requested" and case.sla_paused_on == TODAY
    assert AuditEntry.objects.filter(action="application.information_defects_marked").count() == 1

    seen = api_as(citizen).get(f"/api/v1/applications/{case.pk}").json()["information_request"]
    assert seen["status"] == "open" and seen["deadline"] == "2026-12-02"
    assert {d["name"]: d["note"] for d in seen["defects"]} == {"address": "เลขที่บ้านไม่ชัด", "phone": ""}

    sign_in(client, citizen)
    page = client.get(f"/applications/{case.pk}/edit/")
    assert page.status_code == 200
    assert "เลขที่บ้านไม่ชัด" in page.text
    assert 'name="address"' in page.text and 'name="phone"' in page.text
    assert 'name="full_name"' not in page.text  # not marked: shown, not editable
    assert "เลขที่บ้านไม่ชัด" in client.get(f"/applications/{case.pk}/").text


def test_applicant_may_change_only_marked_fields_and_the_officer_sees_before_and_after(
    case, officer, citizen, api_as, day
):
    _request(api_as(officer), case)
    api = api_as(citizen)
    changed_name = {**VALID_FORM, "full_name": "คนอื่น", "phone": "0899999999"}
    refused = api.put(
        f"/api/v1/applications/{case.pk}/form", {"form_data": changed_name}, content_type="application/json"
    )
    assert refused.status_code == 422
    assert refused.json()["code"] == "field_not_requested" and set(refused.json()["errors"]) == {"full_name"}
    assert Application.objects.get(pk=case.pk).form_data == VALID_FORM  # nothing stored

    new_address = "100 ถนนพระราม 6 แขวงพญาไท เขตพญาไท กรุงเทพมหานคร 10400"
    day["day"] = D(2026, 11, 30)  # answered the next Monday
    done = api.post(
        f"/api/v1/applications/{case.pk}/resubmit",
        {"form_data": {**VALID_FORM, "address": new_address}},
        content_type="application/json",
    )
    assert done.status_code == 200, done.content
    assert done.json()["status"] == "in_review"

    work = api_as(officer).get(f"/api/v1/applications/{case.pk}/casework").json()
    request = work["information_request"]
    assert request["status"] == "answered"
    by_name = {d["name"]: d for d in request["defects"]}
    assert (by_name["address"]["before"], by_name["address"]["after"], by_name["address"]["changed"]) == (
        VALID_FORM["address"],
        new_address,
        True,
    )
    assert by_name["phone"]["changed"] is False
    # the clock stood still Wed 25, Thu 26, Fri 27 Nov: the due date moves three working days
    assert request["paused_working_days"] == 3
    assert work["due_date"] == "2026-12-08"  # Wed 2 Dec + Thu 3, Fri 4, (Mon 7 is a holiday) Tue 8


def test_the_case_page_highlights_the_changed_fields(case, officer, citizen, api_as, client):
    _request(api_as(officer), case)
    api_as(citizen).post(
        f"/api/v1/applications/{case.pk}/resubmit",
        {"form_data": {**VALID_FORM, "phone": "0811111111"}},
        content_type="application/json",
    )
    sign_in(client, officer)
    page = client.get(f"/office/cases/{case.pk}/").text
    assert 'class="changed"' in page and "0811111111" in page and VALID_FORM["phone"] in page


def test_the_applicant_answers_through_the_page(case, officer, citizen, api_as, client):
    _request(api_as(officer), case)
    sign_in(client, citizen)
    # the page posts every field, but only the marked ones are taken; a smuggled change to another is ignored
    posted = {**VALID_FORM, "full_name": "ชื่อใหม่", "phone": "0822222222", "submit": "1"}
    response = client.post(f"/applications/{case.pk}/edit/", posted)
    assert response.status_code == 302
    case.refresh_from_db()
    assert case.status == "in_review"
    assert case.form_data["phone"] == "0822222222" and case.form_data["full_name"] == VALID_FORM["full_name"]


@pytest.mark.parametrize(
    ("body", "code"),
    [
        ({"defects": [{"kind": "field", "name": "favourite_colour", "reason": "missing"}]}, "invalid_defects"),
        ({"defects": [{"kind": "attachment", "name": "x-ray", "reason": "missing"}]}, "invalid_defects"),
        ({"defects": [{"kind": "field", "name": "phone", "reason": "ugly"}]}, "invalid_defects"),
        ({"defects": [{"kind": "field", "name": "phone", "reason": "other"}]}, "invalid_defects"),
        ({"defects": [DEFECTS[1], DEFECTS[1]]}, "invalid_defects"),
        ({"defects": []}, "defects_required"),
        ({"deadline": "2026-11-24", "deadline_days": None}, "deadline_in_past"),
        ({"deadline_days": 0}, "invalid_deadline_days"),
        ({"deadline_days": 500}, "invalid_deadline_days"),
    ],
)
def test_bad_requests_are_422_and_store_nothing(case, officer, api_as, body, code):
    response = _request(api_as(officer), case, **body)
    assert response.status_code == 422, response.content
    problem = response.json()
    assert problem["code"] == code and problem["detail_th"] and problem["detail_en"]
    _nothing_stored(case)


def test_unknown_field_names_the_defect_in_error(case, officer, api_as):
    bad = [DEFECTS[0], {"kind": "field", "name": "favourite_colour", "reason": "missing"}]
    problem = _request(api_as(officer), case, defects=bad).json()
    assert list(problem["errors"]) == ["defects[1]"] and "favourite_colour" in problem["errors"]["defects[1]"]["en"]


def test_stale_version_is_409_and_stores_nothing(case, officer, api_as):
    response = _request(api_as(officer), case, version=case.version - 1)
    assert response.status_code == 409 and response.json()["code"] == "stale_version"
    _nothing_stored(case)


def test_who_may_request(case, citizen, approver, foreign_officer, api_as):
    assert _request(api_as(foreign_officer), case).status_code == 404
    assert _request(api_as(citizen), case).status_code == 404
    assert _request(api_as(approver), case).status_code == 403
    _nothing_stored(case)


def test_information_is_requested_only_once(case, officer, citizen, api_as):
    _request(api_as(officer), case)
    api_as(citizen).post(f"/api/v1/applications/{case.pk}/resubmit", {"form_data": VALID_FORM},
                         content_type="application/json")  # fmt: skip
    again = _request(api_as(officer), case)
    assert again.status_code == 409 and again.json()["code"] == "information_already_requested"
    plain = api_as(officer).post(
        f"/api/v1/applications/{case.pk}/actions/request_info", {"reason": "อีกครั้ง"}, content_type="application/json"
    )
    assert plain.status_code == 409
    assert InformationRequest.objects.count() == 1


def test_attachment_defect_allows_only_that_upload(free_service, citizen, officer, api_as, settings, tmp_path):
    settings.STORAGES = {**settings.STORAGES, "default": {"BACKEND": "django.core.files.storage.FileSystemStorage",
                                                          "OPTIONS": {"location": str(tmp_path)}}}  # fmt: skip
    app = make_application(service=free_service, applicant=citizen, status="draft")
    pdf = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
    from django.core.files.uploadedfile import SimpleUploadedFile

    api = api_as(citizen)
    api.post(
        f"/api/v1/applications/{app.pk}/attachments", {"file": SimpleUploadedFile("a.pdf", pdf, "application/pdf")}
    )
    Application.objects.filter(pk=app.pk).update(status="in_review", tracking_number="EXCISE-2569-000777")
    name = app.attachments.get().field_name
    made = _request(
        api_as(officer), app, defects=[{"kind": "attachment", "name": name, "reason": "expired", "note": ""}]
    )
    assert made.status_code == 201, made.content
    # the form fields were not marked: any change to them is refused
    changed = api.put(
        f"/api/v1/applications/{app.pk}/form",
        {"form_data": {**VALID_FORM, "phone": "0800000000"}},
        content_type="application/json",
    )
    assert changed.status_code == 422
    second = pdf.replace(b"1.4", b"1.5")
    uploaded = api.post(
        f"/api/v1/applications/{app.pk}/attachments", {"file": SimpleUploadedFile("b.pdf", second, "application/pdf")}
    )
    assert uploaded.status_code == 201
    api.post(f"/api/v1/applications/{app.pk}/resubmit", {"form_data": VALID_FORM}, content_type="application/json")
    defect = Defect.objects.get()
    assert defect.changed and defect.before["sha256"] != defect.after["sha256"] and defect.after["name"] == "b.pdf"


# --- expiry ------------------------------------------------------------------------------------------------------


def test_unanswered_request_expires_into_the_services_outcome(case, officer, api_as, day, free_service):
    _request(api_as(officer), case, deadline_days=2)  # Fri 27 Nov
    day["day"] = D(2026, 11, 27)
    call_command("expire_information_requests", "--date", "2026-11-27")
    assert Application.objects.get(pk=case.pk).status == "info_requested"  # the deadline day itself still counts

    call_command("expire_information_requests", "--date", "2026-11-28")
    case.refresh_from_db()
    assert case.status == "withdrawn"  # the default outcome: closed as withdrawn
    request = InformationRequest.objects.get()
    assert request.status == "expired"
    event = ApplicationEvent.objects.filter(application=case).last()
    assert (event.action, event.actor_id) == ("lapse_withdraw", None)
    assert AuditEntry.objects.filter(action="application.lapse_withdraw", object_id=str(case.pk)).exists()
    call_command("expire_information_requests", "--date", "2026-11-29")  # nothing left to do
    assert ApplicationEvent.objects.filter(application=case, action="lapse_withdraw").count() == 1


def test_a_service_may_reject_unanswered_requests(case, officer, api_as, free_service):
    CaseworkSettings.objects.create(service=free_service, info_request_expiry=ExpiryOutcome.REJECT)
    _request(api_as(officer), case, deadline="2026-11-26", deadline_days=None)
    call_command("expire_information_requests", "--date", "2026-11-27")
    case.refresh_from_db()
    assert case.status == "rejected" and case.decided_at is not None


def test_an_answered_request_does_not_expire(case, officer, citizen, api_as):
    _request(api_as(officer), case, deadline_days=1)
    api_as(citizen).post(f"/api/v1/applications/{case.pk}/resubmit", {"form_data": VALID_FORM},
                         content_type="application/json")  # fmt: skip
    call_command("expire_information_requests", "--date", "2027-01-10")
    assert Application.objects.get(pk=case.pk).status == "in_review"


def test_a_plain_request_gets_the_service_deadline_and_expires_too(case, officer, citizen, api_as, free_service):
    CaseworkSettings.objects.create(service=free_service, info_request_days=3)
    api_as(officer).post(
        f"/api/v1/applications/{case.pk}/actions/request_info",
        {"reason": "โปรดแนบผังร้าน"},
        content_type="application/json",
    )
    request = InformationRequest.objects.get()
    assert request.deadline == D(2026, 11, 30) and request.message == "โปรดแนบผังร้าน"
    # a request without marked fields lets the applicant correct any field
    changed = api_as(citizen).put(
        f"/api/v1/applications/{case.pk}/form",
        {"form_data": {**VALID_FORM, "full_name": "ชื่อที่แก้"}},
        content_type="application/json",
    )
    assert changed.status_code == 200
    call_command("expire_information_requests", "--date", "2026-12-01")
    assert Application.objects.get(pk=case.pk).status == "withdrawn"


def test_officer_requests_through_the_case_page(case, officer, client):
    sign_in(client, officer)
    page = client.get(f"/office/cases/{case.pk}/")
    assert 'name="mark"' in page.text
    # One way to ask: the request form, not also a bare "request information" button among the decisions.
    assert page.text.count(f'action="/office/cases/{case.pk}/request-information/"') == 1
    assert 'value="request_info"' not in page.text
    client.post(
        f"/office/cases/{case.pk}/request-information/",
        {
            "mark": ["field:phone", "field:address"],
            "reason:field:phone": "missing",
            "reason:field:address": "other",
            "note:field:address": "ระบุรหัสไปรษณีย์",
            "deadline_days": "3",
            "version": str(case.version),
        },
    )
    defects = {d.name: (d.reason, d.note) for d in Defect.objects.all()}
    assert defects == {"phone": ("missing", ""), "address": ("other", "ระบุรหัสไปรษณีย์")}


def test_withdrawing_closes_the_open_request(case, officer, citizen, api_as):
    _request(api_as(officer), case)
    api_as(citizen).post(f"/api/v1/applications/{case.pk}/withdraw", {"reason": ""}, content_type="application/json")
    assert InformationRequest.objects.get().status == "closed"
    assert Application.objects.get(pk=case.pk).sla_paused_on is None


def test_agency_admin_cannot_request(case, agency, api_as):
    admin = make_staff("admin@excise.go.th", agency, StaffRole.AGENCY_ADMIN)
    assert _request(api_as(admin), case).status_code == 403


# --- telling the applicant; the service's settings --------------------------------------------------------------


def test_the_applicant_is_told_what_to_correct_and_by_when(
    case, officer, api_as, mailoutbox, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        _request(api_as(officer), case)
    mail = next(m for m in mailoutbox if "More information needed" in m.subject)
    assert mail.to == [VALID_FORM["email"]] and case.tracking_number in mail.subject
    assert "เลขที่บ้านไม่ชัด" in mail.body and "2026-12-02" in mail.body
    assert "returned" in mail.body  # the default outcome of an unanswered request
    assert f"http://localhost:8000/applications/{case.pk}/" in mail.body  # where to correct it
    assert AuditEntry.objects.filter(action="application.information_request_notified").count() == 1


def test_a_refused_request_tells_nobody(case, officer, api_as, mailoutbox, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        _request(api_as(officer), case, deadline="2020-01-01", deadline_days=None)
    assert not mailoutbox


def test_allowed_actions_leave_out_a_second_request(case, officer, citizen, api_as):
    api = api_as(officer)
    assert "request_info" in api.get(f"/api/v1/applications/{case.pk}").json()["allowed_actions"]
    _request(api, case)
    api_as(citizen).post(f"/api/v1/applications/{case.pk}/resubmit", {"form_data": VALID_FORM},
                         content_type="application/json")  # fmt: skip
    allowed = api.get(f"/api/v1/applications/{case.pk}").json()["allowed_actions"]
    assert "request_info" not in allowed and "forward" in allowed


def test_agency_admin_sets_the_services_casework(free_service, agency, officer, foreign_officer, api_as):
    admin = make_staff("admin@excise.go.th", agency, StaffRole.AGENCY_ADMIN)
    url = f"/api/v1/applications/service-casework/{free_service.slug}"
    body = {"info_request_expiry": "reject", "info_request_days": 10, "late_notice_interval_days": 7}
    assert api_as(officer).put(url, body, content_type="application/json").status_code == 403
    assert api_as(foreign_officer).put(url, body, content_type="application/json").status_code == 404
    for bad in ({"info_request_expiry": "ignore"}, {"info_request_days": 0}, {"late_notice_interval_days": 8}):
        response = api_as(admin).put(url, {**body, **bad}, content_type="application/json")
        assert response.status_code == 422 and response.json()["field"] == next(iter(bad))
    assert not CaseworkSettings.objects.exists()
    assert api_as(admin).put(url, body, content_type="application/json").json()["info_request_expiry"] == "reject"
    assert api_as(officer).get(url).json()["info_request_days"] == 10
    assert AuditEntry.objects.filter(action="service.casework_settings_changed").count() == 1


def test_the_applicant_is_told_when_the_request_lapsed(
    case, officer, api_as, mailoutbox, django_capture_on_commit_callbacks
):
    _request(api_as(officer), case, deadline_days=1)
    with django_capture_on_commit_callbacks(execute=True):
        call_command("expire_information_requests", "--date", "2026-12-01")
    mail = next(m for m in mailoutbox if "closed as withdrawn" in m.subject)
    assert mail.to == [VALID_FORM["email"]] and case.tracking_number in mail.subject
    assert "2026-11-26" in mail.body  # the deadline that passed
    assert AuditEntry.objects.filter(action="application.information_request_expired_notified").count() == 1
