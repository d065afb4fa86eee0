"""Delegation: an approver away names a colleague of the same agency for a period; the rules that refuse it."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from borikan.agencies.models import StaffRole
from borikan.approvals import services
from borikan.approvals.models import Delegation
from borikan.audit.models import AuditEntry
from borikan.conftest import make_staff, sign_in
from borikan.core.errors import ApplicationError
from borikan.core.thaidate import typed_be

from .helpers import admin_of

pytestmark = pytest.mark.django_db


def _days(n: int) -> dt.date:
    return timezone.localdate() + dt.timedelta(days=n)


@pytest.fixture
def colleague(agency):
    return make_staff("colleague@excise.go.th", agency, StaffRole.OFFICER)


@pytest.fixture
def third(agency):
    return make_staff("third@excise.go.th", agency, StaffRole.APPROVER)


def _delegate(actor, agency, delegator, delegate, start: int = 0, end: int = 5, **extra):
    return services.delegation_create(
        actor=actor, agency=agency, delegator=delegator, delegate=delegate, starts_on=_days(start), ends_on=_days(end),
        **extra,
    )  # fmt: skip


def _refused(code: str, *args, **kwargs) -> None:
    before = Delegation.objects.count()
    with pytest.raises(ApplicationError) as caught:
        _delegate(*args, **kwargs)
    assert caught.value.code == code
    assert caught.value.message_th and caught.value.message_en
    assert Delegation.objects.count() == before


def test_an_approver_delegates_to_a_colleague_and_it_is_audited(agency, approver, colleague):
    delegation = _delegate(approver, agency, approver, colleague, reason="ลาพักร้อน")
    assert services.delegations_active_to(delegate=colleague, agency_id=agency.pk) == [delegation]
    entry = AuditEntry.objects.get(action="approval.delegation_created")
    assert entry.subject_user_id == approver.pk and entry.data["delegate_id"] == colleague.pk


def test_self_delegation_is_refused(agency, approver):
    _refused("self_delegation", approver, agency, approver, approver)


def test_a_delegate_outside_the_agency_is_refused(agency, approver, foreign_officer, citizen):
    _refused("delegate_outside_agency", approver, agency, approver, foreign_officer)
    _refused("delegate_outside_agency", approver, agency, approver, citizen)


def test_past_reversed_and_too_long_periods_are_refused(agency, approver, colleague):
    _refused("period_in_past", approver, agency, approver, colleague, start=-1, end=3)
    _refused("period_reversed", approver, agency, approver, colleague, start=3, end=2)
    _refused("period_too_long", approver, agency, approver, colleague, start=0, end=400)


def test_an_overlapping_period_is_refused_but_a_later_one_is_fine(agency, approver, colleague, third):
    _delegate(approver, agency, approver, colleague, 0, 5)
    _refused("delegation_overlaps", approver, agency, approver, third, start=5, end=8)
    assert _delegate(approver, agency, approver, third, 6, 8).delegate == third


def test_delegations_do_not_chain(agency, approver, colleague, third):
    # A → B, then B → C in the same period: refused (B passes on authority they hold only by delegation).
    _delegate(approver, agency, approver, third, 0, 5)
    _refused("delegation_chain", third, agency, third, colleague, start=2, end=3)
    # X → A where A has delegated to B in the same period: refused too.
    other = make_staff("other-approver@excise.go.th", agency, StaffRole.APPROVER)
    _refused("delegation_chain", other, agency, other, approver, start=1, end=2)


def test_only_holders_of_an_approving_role_delegate(agency, colleague, third):
    _refused("delegator_not_approver", colleague, agency, colleague, third)


def test_someone_else_authority_only_by_an_admin(agency, approver, colleague, third):
    with pytest.raises(ApplicationError) as caught:
        _delegate(third, agency, approver, colleague)
    assert caught.value.code == "not_your_authority"
    admin = admin_of(agency)
    assert _delegate(admin, agency, approver, colleague).created_by == admin


def test_revoking_ends_the_delegation_and_twice_is_refused(agency, approver, colleague, third):
    delegation = _delegate(approver, agency, approver, colleague)
    with pytest.raises(ApplicationError) as caught:
        services.delegation_revoke(actor=third, delegation_id=delegation.pk)
    assert caught.value.code == "forbidden"
    services.delegation_revoke(actor=colleague, delegation_id=delegation.pk)  # the delegate declines it
    assert services.delegations_active_to(delegate=colleague, agency_id=agency.pk) == []
    with pytest.raises(ApplicationError) as again:
        services.delegation_revoke(actor=approver, delegation_id=delegation.pk)
    assert again.value.code == "delegation_revoked"
    # A revoked period no longer blocks a new one.
    assert _delegate(approver, agency, approver, third, 0, 3)


def test_api_create_list_revoke_and_errors(agency, api_as, approver, colleague, foreign_officer, other_agency):
    body = {
        "agency": agency.code,
        "delegate_email": colleague.email,
        "starts_on": _days(0).isoformat(),
        "ends_on": _days(3).isoformat(),
        "reason": "อบรม",
    }
    created = api_as(approver).post("/api/v1/approvals/delegations", body, content_type="application/json")
    assert created.status_code == 201, created.content
    assert created.json()["active_today"] is True
    mine = api_as(colleague).get("/api/v1/approvals/delegations").json()
    assert [d["id"] for d in mine] == [created.json()["id"]]
    assert api_as(foreign_officer).get("/api/v1/approvals/delegations").json() == []
    again = api_as(approver).post("/api/v1/approvals/delegations", body, content_type="application/json")
    assert (again.status_code, again.json()["code"]) == (409, "delegation_overlaps")
    outside = api_as(approver).post(
        "/api/v1/approvals/delegations",
        {
            **body,
            "delegate_email": foreign_officer.email,
            "starts_on": _days(10).isoformat(),
            "ends_on": _days(11).isoformat(),
        },
        content_type="application/json",
    )
    assert (outside.status_code, outside.json()["code"]) == (422, "delegate_outside_agency")
    unknown = api_as(approver).post(
        "/api/v1/approvals/delegations",
        {**body, "delegate_email": "nobody@example.com"},
        content_type="application/json",
    )
    assert unknown.status_code == 422 and unknown.json()["detail_th"]
    malformed = api_as(approver).post(
        "/api/v1/approvals/delegations", {**body, "starts_on": "tomorrow"}, content_type="application/json"
    )
    assert (malformed.status_code, malformed.json()["code"]) == (422, "invalid_request")
    other = api_as(foreign_officer).post(
        "/api/v1/approvals/delegations", {**body, "delegate_email": approver.email}, content_type="application/json"
    )
    assert other.status_code == 404
    foreign_revoke = api_as(foreign_officer).post(f"/api/v1/approvals/delegations/{created.json()['id']}/revoke")
    assert foreign_revoke.status_code == 404
    revoked = api_as(approver).post(f"/api/v1/approvals/delegations/{created.json()['id']}/revoke")
    assert revoked.status_code == 200 and revoked.json()["revoked_at"]
    assert Delegation.objects.count() == 1


def test_delegations_page(client, agency, approver, colleague, foreign_officer, citizen):
    sign_in(client, approver)
    assert client.get("/approvals/delegations/").status_code == 200
    response = client.post(
        "/approvals/delegations/",
        {
            "agency": agency.code,
            "delegate": colleague.pk,
            # typed as a Thai page asks: day/month/Buddhist-Era year
            "starts_on": typed_be(_days(1)),
            "ends_on": typed_be(_days(2)),
        },
    )
    assert response.status_code == 302
    delegation = Delegation.objects.get()
    assert (delegation.starts_on, delegation.ends_on) == (_days(1), _days(2))
    page = client.get("/approvals/delegations/").content.decode()
    assert 'type="date"' not in page and "15/08/2569" in page
    bad = client.post(
        "/approvals/delegations/",
        {
            "agency": agency.code,
            "delegate": approver.pk,
            "starts_on": _days(4).isoformat(),
            "ends_on": _days(5).isoformat(),
        },
    )
    assert bad.status_code == 422
    assert Delegation.objects.count() == 1
    sign_in(client, foreign_officer)
    assert client.post(f"/approvals/delegations/{delegation.pk}/revoke/").status_code == 404
    sign_in(client, citizen)
    assert client.get("/approvals/delegations/").status_code == 404
    sign_in(client, approver)
    assert client.post(f"/approvals/delegations/{delegation.pk}/revoke/").status_code == 302
    delegation.refresh_from_db()
    assert delegation.revoked_at is not None


@pytest.mark.parametrize("delegate", ["abc", "99999999999999999999999", "-1", "๑๒"])
def test_a_delegate_that_is_not_an_id_is_a_4xx_not_a_server_error(client, agency, approver, delegate):
    sign_in(client, approver)
    response = client.post(
        "/approvals/delegations/",
        {
            "agency": agency.code,
            "delegate": delegate,
            "starts_on": _days(1).isoformat(),
            "ends_on": _days(2).isoformat(),
        },
    )
    assert 400 <= response.status_code < 500
    assert not Delegation.objects.exists()
