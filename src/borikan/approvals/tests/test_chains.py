"""Approval chains: versioned per service, edited by the agency's admins (pages and API), audited."""

from __future__ import annotations

import pytest

from borikan.agencies.models import StaffMembership, StaffRole
from borikan.approvals import services
from borikan.approvals.models import ChainLevel, ChainVersion
from borikan.audit.models import AuditEntry
from borikan.conftest import make_service, make_staff, sign_in
from borikan.core.errors import ApplicationError

from .helpers import admin_of, two_level_chain

pytestmark = pytest.mark.django_db

CHAIN = {
    "levels": [
        {"role": "approver", "may_reject": False, "name_th": "หัวหน้า", "name_en": "Head"},
        {"role": "director", "may_reject": True},
    ],
    "appeal_window_days": 30,
}


def test_each_edit_is_a_new_version_and_old_versions_stay(service):
    admin = admin_of(service.agency)
    first = two_level_chain(service, admin)
    second = services.chain_version_create(actor=admin, service=service, levels=[{"role": "agency_admin"}])
    assert (first.number, second.number) == (1, 2)
    assert [(lv.position, lv.role, lv.may_reject) for lv in first.levels.all()] == [
        (1, "approver", True),
        (2, "director", True),
    ]
    assert [lv.role for lv in second.levels.all()] == ["agency_admin"]
    assert AuditEntry.objects.filter(action="approval.chain_versioned", object_id=service.slug).count() == 2


def test_a_chain_without_a_level_that_may_reject_is_refused(service):
    with pytest.raises(ApplicationError) as caught:
        services.chain_version_create(
            actor=admin_of(service.agency), service=service, levels=[{"role": "approver", "may_reject": False}]
        )
    assert caught.value.code == "chain_cannot_reject"
    assert not ChainVersion.objects.exists()


@pytest.mark.parametrize(
    ("payload", "code", "field"),
    [
        ({"levels": []}, "chain_needs_levels", "levels"),
        ({"levels": [{"role": "janitor"}]}, "invalid_level_role", "levels[0].role"),
        ({"levels": [{"role": "approver"}] * 11}, "too_many_levels", "levels"),
        ({"levels": [{"role": "approver"}], "appeal_window_days": 0}, "invalid_appeal_window", "appeal_window_days"),
        ({"levels": [{"role": "approver"}], "appeal_level": 2}, "invalid_appeal_level", "appeal_level"),
    ],
)
def test_bad_chains_are_422_with_a_code_a_field_and_both_languages(service, api_as, payload, code, field):
    admin = admin_of(service.agency)
    response = api_as(admin).put(
        f"/api/v1/approvals/services/{service.slug}/chain", payload, content_type="application/json"
    )
    assert response.status_code == 422, response.content
    body = response.json()
    assert (body["code"], body["field"]) == (code, field)
    assert body["detail_th"] and body["detail_en"]
    assert not ChainVersion.objects.exists() and not ChainLevel.objects.exists()


def test_admin_sets_a_chain_over_the_api_and_everyone_in_the_agency_reads_it(service, api_as, officer):
    admin = admin_of(service.agency)
    response = api_as(admin).put(
        f"/api/v1/approvals/services/{service.slug}/chain", CHAIN, content_type="application/json"
    )
    assert response.status_code == 201, response.content
    assert response.json()["version"] == 1
    assert [lv["role"] for lv in response.json()["levels"]] == ["approver", "director"]
    read = api_as(officer).get(f"/api/v1/approvals/services/{service.slug}/chain")
    assert read.status_code == 200
    assert read.json()["appeal_window_days"] == 30
    history = api_as(officer).get(f"/api/v1/approvals/services/{service.slug}/chain/versions")
    assert [v["version"] for v in history.json()] == [1]


def test_a_save_over_a_newer_version_is_a_409(service, api_as):
    admin = admin_of(service.agency)
    two_level_chain(service, admin)
    response = api_as(admin).put(
        f"/api/v1/approvals/services/{service.slug}/chain",
        {**CHAIN, "expected_version": 0},
        content_type="application/json",
    )
    assert response.status_code == 409
    assert response.json()["code"] == "stale_version"
    assert ChainVersion.objects.count() == 1


def test_staff_who_are_not_admins_get_403_and_other_agencies_404(service, api_as, approver, foreign_officer):
    other_admin = make_staff("admin@dbd.go.th", foreign_officer.memberships.first().agency, StaffRole.AGENCY_ADMIN)
    url = f"/api/v1/approvals/services/{service.slug}/chain"
    assert api_as(approver).put(url, CHAIN, content_type="application/json").status_code == 403
    assert api_as(approver).put(url, CHAIN, content_type="application/json").json()["code"] == "agency_admin_required"
    assert api_as(other_admin).put(url, CHAIN, content_type="application/json").status_code == 404
    assert api_as(other_admin).get(url).status_code == 404
    assert not ChainVersion.objects.exists()


def test_chain_edits_need_staff_assurance(service, api_as):
    from borikan.identity.authn import Method

    admin = admin_of(service.agency)
    response = api_as(admin, Method.PASSWORD).put(
        f"/api/v1/approvals/services/{service.slug}/chain", CHAIN, content_type="application/json"
    )
    assert response.status_code == 403
    assert response.json()["code"] == "assurance_required"
    assert not ChainVersion.objects.exists()


def test_admin_edits_the_chain_on_the_page(client, service):
    admin = admin_of(service.agency)
    sign_in(client, admin)
    url = f"/approvals/services/{service.slug}/chain/"
    assert client.get(url).status_code == 200
    response = client.post(
        url,
        {
            "expected_version": "0",
            "role_1": "approver",
            "name_th_1": "หัวหน้า",
            "role_2": "director",
            "may_reject_2": "on",
            "appeal_window_days": "20",
        },
    )
    assert response.status_code == 302
    version = ChainVersion.objects.get(service=service)
    assert [(lv.role, lv.may_reject) for lv in version.levels.all()] == [("approver", False), ("director", True)]
    assert version.appeal_window_days == 20
    bad = client.post(url, {"expected_version": "1", "role_1": "nobody", "appeal_window_days": "20"})
    assert bad.status_code == 422
    assert ChainVersion.objects.count() == 1


def test_the_chain_page_refuses_non_admins_and_other_agencies(client, service, approver, foreign_officer):
    url = f"/approvals/services/{service.slug}/chain/"
    sign_in(client, approver)
    assert client.get(url).status_code == 200
    assert client.post(url, {"role_1": "approver", "appeal_window_days": "15"}).status_code == 403
    sign_in(client, foreign_officer)
    assert client.get(url).status_code == 404
    assert not ChainVersion.objects.exists()


def test_director_role_is_granted_by_admins_to_their_own_staff(service, api_as, officer, other_citizen):
    admin = admin_of(service.agency)
    url = f"/api/v1/approvals/agencies/{service.agency.code}/roles"
    ok = api_as(admin).post(url, {"user_email": officer.email, "role": "director"}, content_type="application/json")
    assert ok.status_code == 201
    assert services.roles_held(user=officer, agency_id=service.agency_id) == {"director"}
    outsider = api_as(admin).post(
        url, {"user_email": other_citizen.email, "role": "director"}, content_type="application/json"
    )
    assert (outsider.status_code, outsider.json()["code"]) == (422, "not_agency_staff")
    by_officer = api_as(officer).post(
        url, {"user_email": officer.email, "role": "director"}, content_type="application/json"
    )
    assert by_officer.status_code == 403


def test_a_granted_role_is_a_staff_membership_and_only_deciding_roles_are_granted_here(service, api_as, officer):
    admin = admin_of(service.agency)
    url = f"/api/v1/approvals/agencies/{service.agency.code}/roles"
    for role in ("director", "approver"):
        ok = api_as(admin).post(url, {"user_email": officer.email, "role": role}, content_type="application/json")
        assert ok.status_code == 201 and ok.json()["role"] == role
    held = set(StaffMembership.objects.filter(user=officer, agency=service.agency).values_list("role", flat=True))
    assert held == {"officer", "director", "approver"}
    granted = AuditEntry.objects.filter(action="staff.role_granted", subject_user_id=officer.pk)
    assert sorted(granted.values_list("data__role", flat=True)) == ["approver", "director"]
    again = api_as(admin).post(url, {"user_email": officer.email, "role": "director"}, content_type="application/json")
    assert again.status_code == 201 and granted.count() == 2  # held already: nothing new written
    for role in ("agency_admin", "officer", "chief"):
        refused = api_as(admin).post(url, {"user_email": officer.email, "role": role}, content_type="application/json")
        assert (refused.status_code, refused.json()["code"]) == (422, "invalid_role")
    assert not StaffMembership.objects.filter(user=officer, role="agency_admin").exists()


def test_services_of_different_agencies_have_separate_chains(agency, other_agency):
    here, there = make_service(agency), make_service(other_agency, slug="dbd-registration")
    services.chain_version_create(actor=None, service=here, levels=[{"role": "approver"}])
    assert services.chain_current_or_default(service=there).number == 1
    assert ChainVersion.objects.filter(service=here).count() == 1


@pytest.mark.parametrize(
    "levels", [None, "approver", {"role": "approver"}, [None], [{"role": "approver", "may_reject": "yes"}]]
)
def test_malformed_levels_are_refused_without_a_crash(service, levels):
    with pytest.raises(ApplicationError) as caught:
        services.chain_version_create(actor=admin_of(service.agency), service=service, levels=levels)
    assert caught.value.status == 422 and caught.value.field.startswith("levels")
    assert not ChainVersion.objects.exists()


def test_director_roles_are_listed_to_staff_and_revoked_by_admins(service, api_as, officer, approver, foreign_officer):
    admin = admin_of(service.agency)
    services.approval_role_grant(actor=admin, agency=service.agency, user=officer, role="director")
    base = f"/api/v1/approvals/agencies/{service.agency.code}/roles"
    listed = api_as(approver).get(base).json()  # every holder of a role a chain level can name
    assert {row["agency"] for row in listed} == {service.agency.code}
    assert [(row["user_id"], row["role"], row["label_th"], row["label_en"]) for row in listed] == [
        (admin.pk, "agency_admin", "ผู้ดูแลหน่วยงาน", "agency admin"),
        (approver.pk, "approver", "ผู้อนุมัติ", "approver"),
        (officer.pk, "director", "ผู้อำนวยการ", "director"),
    ]
    assert api_as(foreign_officer).get(base).status_code == 404
    assert api_as(approver).delete(f"{base}/director/{officer.pk}").status_code == 403
    assert api_as(admin).delete(f"{base}/director/{officer.pk}").status_code == 204
    assert services.roles_held(user=officer, agency_id=service.agency_id) == set()
    assert StaffMembership.objects.filter(user=officer, agency=service.agency, role="officer").exists()
    assert api_as(admin).delete(f"{base}/director/{officer.pk}").status_code == 404
    assert api_as(admin).delete(f"{base}/agency_admin/{admin.pk}").status_code == 404  # not managed here
    entry = AuditEntry.objects.get(action="staff.role_revoked")
    assert (entry.actor_id, entry.subject_user_id, entry.data["role"]) == (admin.pk, officer.pk, "director")
