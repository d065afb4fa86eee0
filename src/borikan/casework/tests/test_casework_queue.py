"""The officer queue (§3): filters, claim and assignment, internal notes, and the per-service review checklist."""

from __future__ import annotations

import datetime as dt

import pytest

from borikan.agencies.models import StaffRole
from borikan.applications.models import Application, ApplicationEvent
from borikan.applications.tests.factories import make_application
from borikan.audit.models import AuditEntry
from borikan.casework import sla
from borikan.casework.models import CaseworkSettings, ChecklistTick, ReviewChecklist
from borikan.conftest import make_service, make_staff, sign_in

D = dt.date
TODAY = D(2026, 11, 25)  # a Wednesday; 2026-12-07 and 2026-12-10 are holidays

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def fixed_day(monkeypatch):
    monkeypatch.setattr(sla, "today", lambda: TODAY)
    return TODAY


@pytest.fixture
def admin(agency):
    return make_staff("admin@excise.go.th", agency, StaffRole.AGENCY_ADMIN)


@pytest.fixture
def officer2(agency):
    return make_staff("officer2@excise.go.th", agency, StaffRole.OFFICER)


def _case(service, citizen, status="in_review", due=TODAY + dt.timedelta(days=10), **extra) -> Application:
    return make_application(service=service, applicant=citizen, status=status, due_date=due, **extra)


def _ids(response) -> list[str]:
    assert response.status_code == 200, response.content
    return [row["tracking_number"] for row in response.json()]


# --- filters -----------------------------------------------------------------------------------------------------


def test_queue_filters_by_due_date_assignee_status_and_service(free_service, service, citizen, officer, api_as):
    overdue = _case(free_service, citizen, due=D(2026, 11, 20))
    paused = _case(free_service, citizen, status="info_requested", due=D(2026, 11, 19), sla_paused_on=D(2026, 11, 18))
    soon = _case(service, citizen, status="pending_approval", due=D(2026, 11, 27))  # 2 working days on
    later = _case(service, citizen, due=D(2026, 12, 11), assigned_to=officer)
    api = api_as(officer)
    q = "/api/v1/applications/queue"

    assert _ids(api.get(q)) == [paused.tracking_number, overdue.tracking_number, soon.tracking_number,
                                later.tracking_number]  # fmt: skip
    # overdue: the clock runs and the day passed; a case waiting for the citizen is not overdue
    assert _ids(api.get(q, {"due": "overdue"})) == [overdue.tracking_number]
    assert _ids(api.get(q, {"due": "soon"})) == [soon.tracking_number]
    # within 8 working days of Wed 25 Nov: up to Mon 7 Dec is a holiday, so Tue 8 Dec; 11 Dec is out
    assert _ids(api.get(q, {"due_within": 8})) == [soon.tracking_number]
    assert _ids(api.get(q, {"due_within": 12})) == [soon.tracking_number, later.tracking_number]
    assert _ids(api.get(q, {"due_from": "2026-11-20", "due_to": "2026-11-30"})) == [
        overdue.tracking_number,
        soon.tracking_number,
    ]
    assert _ids(api.get(q, {"assignee": "me"})) == [later.tracking_number]
    assert _ids(api.get(q, {"mine": "true"})) == [later.tracking_number]
    assert _ids(api.get(q, {"assignee": str(officer.pk)})) == [later.tracking_number]
    assert later.tracking_number not in _ids(api.get(q, {"assignee": "none"}))
    assert _ids(api.get(q, {"status": "pending_approval"})) == [soon.tracking_number]
    assert _ids(api.get(q, {"service": service.slug, "due": "soon"})) == [soon.tracking_number]

    flags = {row["tracking_number"]: (row["overdue"], row["due_soon"]) for row in api.get(q).json()}
    assert flags[overdue.tracking_number] == (True, False)
    assert flags[soon.tracking_number] == (False, True)
    assert flags[paused.tracking_number] == (False, False)
    assert api.get(q, {"assignee": "me"}).json()[0]["assigned_to"]["id"] == officer.pk


@pytest.mark.parametrize(
    "params",
    [
        {"due": "yesterday"},
        {"assignee": "somebody"},
        {"status": "nonsense"},
        {"due_within": -1},
        {"due_from": "2026-12-01", "due_to": "2026-11-01"},
        {"due_from": "not-a-date"},
    ],
)
def test_bad_queue_filters_are_422(params, officer, api_as):
    response = api_as(officer).get("/api/v1/applications/queue", params)
    assert response.status_code == 422
    assert response.json()["code"] in ("invalid_queue_filter", "invalid_request", "validation_error")


def test_queue_page_filters_and_flags(free_service, citizen, officer, client):
    overdue = _case(free_service, citizen, due=D(2026, 11, 20))
    far = _case(free_service, citizen, due=D(2026, 12, 20))
    sign_in(client, officer)
    page = client.get("/office/", {"due": "overdue"})
    assert page.status_code == 200
    assert overdue.tracking_number in page.text and far.tracking_number not in page.text
    assert 'class="overdue"' in page.text


# --- claim and assignment ------------------------------------------------------------------------------------------


def test_claim_then_reassign_is_audited(free_service, citizen, officer, officer2, api_as):
    case = _case(free_service, citizen)
    claimed = api_as(officer).post(f"/api/v1/applications/{case.pk}/assign", {}, content_type="application/json")
    assert claimed.status_code == 200, claimed.content
    assert claimed.json()["assigned_to"]["id"] == officer.pk
    version = claimed.json()["version"]

    taken = api_as(officer2).post(f"/api/v1/applications/{case.pk}/assign", {}, content_type="application/json")
    assert taken.status_code == 409 and taken.json()["code"] == "already_assigned"

    moved = api_as(officer).post(
        f"/api/v1/applications/{case.pk}/assign",
        {"assignee_id": officer2.pk, "version": version},
        content_type="application/json",
    )
    assert moved.status_code == 200 and moved.json()["assigned_to"]["id"] == officer2.pk
    audits = AuditEntry.objects.filter(action="application.assigned", object_id=str(case.pk)).order_by("id")
    assert [(a.data["from"], a.data["to"]) for a in audits] == [(None, officer.pk), (officer.pk, officer2.pk)]


def test_assignment_refusals_store_nothing(free_service, citizen, officer, officer2, approver, foreign_officer, api_as):
    case = _case(free_service, citizen)
    url = f"/api/v1/applications/{case.pk}/assign"
    to_approver = api_as(officer).post(url, {"assignee_id": approver.pk}, content_type="application/json")
    assert to_approver.status_code == 422 and to_approver.json()["code"] == "not_an_officer"
    to_foreigner = api_as(officer).post(url, {"assignee_id": foreign_officer.pk}, content_type="application/json")
    assert to_foreigner.status_code == 422
    stale = api_as(officer).post(url, {"version": case.version - 1}, content_type="application/json")
    assert stale.status_code == 409 and stale.json()["code"] == "stale_version"
    assert api_as(foreign_officer).post(url, {}, content_type="application/json").status_code == 404
    assert api_as(citizen).post(url, {}, content_type="application/json").status_code == 404
    case.refresh_from_db()
    assert case.assigned_to_id is None and case.version == 1
    assert not AuditEntry.objects.filter(action="application.assigned").exists()


def test_claim_and_assign_from_the_case_page(free_service, citizen, officer, officer2, client):
    case = _case(free_service, citizen)
    sign_in(client, officer)
    client.post(f"/office/cases/{case.pk}/assign/", {"version": case.version})
    case.refresh_from_db()
    assert case.assigned_to_id == officer.pk
    client.post(f"/office/cases/{case.pk}/assign/", {"assignee_id": officer2.pk, "version": case.version})
    case.refresh_from_db()
    assert case.assigned_to_id == officer2.pk
    page = client.get(f"/office/cases/{case.pk}/")
    assert officer2.full_name in page.text


# --- internal notes -----------------------------------------------------------------------------------------------


def test_internal_notes_are_staff_only_and_audited_without_their_text(
    free_service, citizen, officer, foreign_officer, api_as, client
):
    case = _case(free_service, citizen)
    secret = "ผู้ยื่นเคยถูกปฏิเสธที่สาขาอื่น internal-only-remark"
    added = api_as(officer).post(
        f"/api/v1/applications/{case.pk}/notes", {"body": secret}, content_type="application/json"
    )
    assert added.status_code == 201
    work = api_as(officer).get(f"/api/v1/applications/{case.pk}/casework")
    assert work.status_code == 200 and [n["body"] for n in work.json()["notes"]] == [secret]

    entry = AuditEntry.objects.get(action="application.note_added")
    assert secret not in str(entry.data) and entry.data["note_id"] == added.json()["id"]

    # the applicant: not in their view of the case, no casework endpoint, nothing on their page
    assert secret not in api_as(citizen).get(f"/api/v1/applications/{case.pk}").text
    assert api_as(citizen).get(f"/api/v1/applications/{case.pk}/casework").status_code == 404
    assert (
        api_as(citizen)
        .post(f"/api/v1/applications/{case.pk}/notes", {"body": "x"}, content_type="application/json")
        .status_code
        == 404
    )
    sign_in(client, citizen)
    assert secret not in client.get(f"/applications/{case.pk}/").text
    # another agency's officer: the case does not exist
    assert api_as(foreign_officer).get(f"/api/v1/applications/{case.pk}/casework").status_code == 404
    # the agency's officer sees it on the case page
    sign_in(client, officer)
    assert secret in client.get(f"/office/cases/{case.pk}/").text


def test_empty_note_is_422_and_page_adds_notes(free_service, citizen, officer, api_as, client):
    case = _case(free_service, citizen)
    empty = api_as(officer).post(
        f"/api/v1/applications/{case.pk}/notes", {"body": "  "}, content_type="application/json"
    )
    assert empty.status_code == 422 and empty.json()["code"] == "invalid_note"
    sign_in(client, officer)
    client.post(f"/office/cases/{case.pk}/notes/", {"body": "โทรหาผู้ยื่นแล้ว"})
    assert list(case.notes.values_list("body", flat=True)) == ["โทรหาผู้ยื่นแล้ว"]


# --- review checklist ---------------------------------------------------------------------------------------------

ITEMS = [
    {"code": "premises", "label_th": "ตรวจสถานที่แล้ว", "label_en": "Premises inspected"},
    {"code": "school-distance", "label_th": "ห่างจากสถานศึกษาเกิน 100 เมตร", "label_en": "Over 100 m from a school"},
]


def _define(api, slug, items):
    return api.put(f"/api/v1/applications/service-checklists/{slug}", {"items": items}, content_type="application/json")


def test_only_the_agency_admin_defines_the_checklist(free_service, admin, officer, foreign_officer, api_as):
    assert _define(api_as(officer), free_service.slug, ITEMS).status_code == 403
    assert _define(api_as(foreign_officer), free_service.slug, ITEMS).status_code == 404
    duplicate = _define(api_as(admin), free_service.slug, [ITEMS[0], ITEMS[0]])
    assert duplicate.status_code == 422 and duplicate.json()["code"] == "invalid_checklist"
    assert _define(api_as(admin), free_service.slug, []).status_code == 422
    created = _define(api_as(admin), free_service.slug, ITEMS)
    assert created.status_code == 201 and created.json()["version"] == 1
    assert api_as(officer).get(f"/api/v1/applications/service-checklists/{free_service.slug}").json()["items"] == ITEMS
    assert AuditEntry.objects.filter(action="service.review_checklist_defined").count() == 1


def test_forward_needs_every_checklist_item_ticked(free_service, citizen, admin, officer, api_as):
    _define(api_as(admin), free_service.slug, ITEMS)
    case = _case(free_service, citizen, status="submitted")
    api = api_as(officer)
    act = f"/api/v1/applications/{case.pk}/actions"
    assert api.post(f"{act}/start_review", {}, content_type="application/json").status_code == 200
    tick = f"/api/v1/applications/{case.pk}/checklist"
    assert api.post(tick, {"item": "premises"}, content_type="application/json").json()["missing"] == [
        "school-distance"
    ]
    before = Application.objects.get(pk=case.pk)

    refused = api.post(f"{act}/forward", {}, content_type="application/json")
    assert refused.status_code == 409
    body = refused.json()
    assert body["code"] == "checklist_incomplete"
    assert [m["code"] for m in body["errors"]["missing"]] == ["school-distance"]
    assert "Over 100 m from a school" in body["detail_en"] and "ห่างจากสถานศึกษา" in body["detail_th"]
    after = Application.objects.get(pk=case.pk)
    assert (after.status, after.version) == (before.status, before.version)
    assert not ApplicationEvent.objects.filter(application=case, action="forward").exists()

    done = api.post(tick, {"item": "school-distance"}, content_type="application/json").json()
    assert done["complete"] and all(item["done"] for item in done["items"])
    assert api.post(f"{act}/forward", {}, content_type="application/json").json()["status"] == "pending_approval"
    assert AuditEntry.objects.filter(action="application.checklist_ticked", object_id=str(case.pk)).count() == 2


def test_a_new_checklist_version_does_not_change_a_case_in_review(free_service, citizen, admin, officer, api_as):
    _define(api_as(admin), free_service.slug, ITEMS[:1])
    first = _case(free_service, citizen, status="submitted")
    api = api_as(officer)
    api.post(f"/api/v1/applications/{first.pk}/actions/start_review", {}, content_type="application/json")
    _define(api_as(admin), free_service.slug, ITEMS)  # v2 adds an item
    second = _case(free_service, citizen, status="submitted")
    api.post(f"/api/v1/applications/{second.pk}/actions/start_review", {}, content_type="application/json")

    work = api.get(f"/api/v1/applications/{first.pk}/casework").json()["checklist"]
    assert (work["version"], [i["code"] for i in work["items"]]) == (1, ["premises"])
    assert api.get(f"/api/v1/applications/{second.pk}/casework").json()["checklist"]["version"] == 2
    unknown = api.post(
        f"/api/v1/applications/{first.pk}/checklist", {"item": "school-distance"}, content_type="application/json"
    )
    assert unknown.status_code == 422 and unknown.json()["code"] == "unknown_checklist_item"
    assert not ChecklistTick.objects.exists()


def test_checklist_is_staff_only(free_service, citizen, admin, officer, foreign_officer, api_as, client):
    _define(api_as(admin), free_service.slug, ITEMS)
    case = _case(free_service, citizen)
    tick = f"/api/v1/applications/{case.pk}/checklist"
    assert api_as(citizen).post(tick, {"item": "premises"}, content_type="application/json").status_code == 404
    assert api_as(foreign_officer).post(tick, {"item": "premises"}, content_type="application/json").status_code == 404
    assert "checklist" not in api_as(citizen).get(f"/api/v1/applications/{case.pk}").json()
    sign_in(client, citizen)
    assert "ตรวจสถานที่แล้ว" not in client.get(f"/applications/{case.pk}/").text
    sign_in(client, officer)
    page = client.get(f"/office/cases/{case.pk}/")
    assert "ตรวจสถานที่แล้ว" in page.text
    client.post(f"/office/cases/{case.pk}/checklist/", {"item": "premises", "done": "1"})
    assert ChecklistTick.objects.filter(application=case, item_code="premises").exists()


def test_ticking_outside_review_is_409(free_service, citizen, admin, officer, api_as):
    _define(api_as(admin), free_service.slug, ITEMS)
    case = _case(free_service, citizen, status="submitted")
    response = api_as(officer).post(
        f"/api/v1/applications/{case.pk}/checklist", {"item": "premises"}, content_type="application/json"
    )
    assert response.status_code == 409 and response.json()["code"] == "not_in_review"


def test_services_without_a_checklist_forward_as_before(service, citizen, officer, api_as):
    case = _case(make_service(service.agency, slug="no-checklist", fee_satang=None), citizen)
    response = api_as(officer).post(
        f"/api/v1/applications/{case.pk}/actions/forward", {}, content_type="application/json"
    )
    assert response.status_code == 200 and response.json()["status"] == "pending_approval"


def test_allowed_actions_leave_out_forward_until_the_checklist_is_complete(
    free_service, citizen, admin, officer, api_as
):
    _define(api_as(admin), free_service.slug, ITEMS[:1])
    case = _case(free_service, citizen)
    api = api_as(officer)
    assert "forward" not in api.get(f"/api/v1/applications/{case.pk}").json()["allowed_actions"]
    api.post(f"/api/v1/applications/{case.pk}/checklist", {"item": "premises"}, content_type="application/json")
    assert "forward" in api.get(f"/api/v1/applications/{case.pk}").json()["allowed_actions"]


def test_agency_admin_defines_the_checklist_and_settings_through_the_page(free_service, admin, officer, client):
    sign_in(client, officer)
    assert client.get(f"/office/services/{free_service.slug}/casework/").status_code == 200  # staff may read
    assert (
        client.post(
            f"/office/services/{free_service.slug}/casework/", {"form": "checklist", "items": "a | ก"}
        ).status_code
        == 400
    )  # but not change
    sign_in(client, admin)
    assert f"/office/services/{free_service.slug}/casework/" in client.get("/office/").text
    text = "premises | ตรวจสถานที่แล้ว | Premises inspected\nfee | ตรวจค่าธรรมเนียม"
    saved = client.post(f"/office/services/{free_service.slug}/casework/", {"form": "checklist", "items": text})
    assert saved.status_code == 302
    checklist = ReviewChecklist.objects.get(service=free_service)
    assert checklist.items == [
        {"code": "premises", "label_th": "ตรวจสถานที่แล้ว", "label_en": "Premises inspected"},
        {"code": "fee", "label_th": "ตรวจค่าธรรมเนียม", "label_en": "ตรวจค่าธรรมเนียม"},
    ]
    bad = client.post(f"/office/services/{free_service.slug}/casework/", {"form": "checklist", "items": "Bad Code | x"})
    assert bad.status_code == 400 and ReviewChecklist.objects.count() == 1
    client.post(
        f"/office/services/{free_service.slug}/casework/",
        {
            "form": "settings",
            "info_request_expiry": "reject",
            "info_request_days": "5",
            "late_notice_interval_days": "7",
        },
    )
    assert CaseworkSettings.objects.get(service=free_service).info_request_expiry == "reject"


def test_the_settings_page_is_404_for_other_agencies(free_service, foreign_officer, citizen, client):
    for person in (foreign_officer, citizen):
        sign_in(client, person)
        assert client.get(f"/office/services/{free_service.slug}/casework/").status_code == 404


def test_the_queue_api_reads_a_page_in_a_fixed_number_of_queries(free_service, citizen, officer, api_as):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    api = api_as(officer)

    def count() -> int:
        with CaptureQueriesContext(connection) as queries:
            assert api.get("/api/v1/applications/queue", {"due": "soon"}).status_code == 200
        return len(queries)

    for _ in range(3):
        _case(free_service, citizen, due=D(2026, 11, 26))
    few = count()
    for _ in range(12):
        _case(free_service, citizen, due=D(2026, 11, 26))
    assert count() == few


def test_the_queue_page_names_each_applicant_in_a_fixed_number_of_queries(free_service, citizen, officer, client):
    """Each row shows who applied (the company, for a juristic application) without a query per row."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from borikan.identity.models import JuristicPerson, User

    company = JuristicPerson.objects.create(registration_number="0105558000011", name_th="บริษัท ตัวอย่าง จำกัด")
    _case(free_service, citizen, on_behalf_of=company)
    sign_in(client, officer)

    def count() -> int:
        with CaptureQueriesContext(connection) as queries:
            page = client.get("/office/")
            assert page.status_code == 200
        return len(queries)

    few = count()
    for index in range(8):
        other = User.objects.create_user(email=f"applicant{index}@example.com", password="x", full_name=f"ผู้ยื่น {index}")
        _case(free_service, other)
    assert count() == few
    page = client.get("/office/").text
    assert "บริษัท ตัวอย่าง จำกัด" in page and citizen.full_name in page
    assert all(f"ผู้ยื่น {index}" in page for index in range(8))
