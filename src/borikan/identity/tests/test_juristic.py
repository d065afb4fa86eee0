"""Juristic persons act through representatives an officer recorded after checking the company's documents."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

import pytest
from django.db import IntegrityError, transaction
from django.test import Client
from django.utils import timezone

from borikan.audit.models import AuditEntry
from borikan.conftest import sign_in
from borikan.core.errors import ApplicationError
from borikan.core.thaidate import typed_be
from borikan.identity import authn, juristic
from borikan.identity.enforcement import AssuranceRequired
from borikan.identity.models import JuristicPerson, Representation, User

COMPANY = "0105556012341"  # check digit valid; invented
OTHER_COMPANY = "0105545000011"


def _record(actor: User, user: User, agency: Any, **overrides: Any) -> Representation:
    arguments = {
        "registration_number": COMPANY,
        "name_th": "บริษัท ตัวอย่าง จำกัด",
        "name_en": "Example Co., Ltd.",
        "role": "director",
        "certificate_issued_on": timezone.localdate() - dt.timedelta(days=30),
    } | overrides
    return juristic.representation_record(actor=actor, user=user, agency=agency, **arguments)


def _refused(reason: str) -> int:
    return AuditEntry.objects.filter(action="identity.representation_refused", data__reason=reason).count()


def test_company_numbers_used_here_are_valid():
    from borikan.core.thaiid import is_valid_thai_id

    assert is_valid_thai_id(COMPANY) and is_valid_thai_id(OTHER_COMPANY)


@pytest.mark.django_db
def test_officer_records_a_director_who_may_then_act(officer, agency, citizen):
    assert juristic.may_act_for(citizen, COMPANY) is None
    representation = _record(officer, citizen, agency)

    company = JuristicPerson.objects.get(registration_number=COMPANY)
    assert company.name_th == "บริษัท ตัวอย่าง จำกัด"
    assert representation.verified_by == officer and representation.agency == agency
    assert representation.evidence["company_certificate"]["checked"] is True
    assert representation.evidence["representative_ial"] == "1.1"
    assert juristic.representation_active(citizen, company) == representation
    assert juristic.may_act_for(citizen, "0-1055-56012-34-1") == company
    assert juristic.may_act_for(citizen, OTHER_COMPANY) is None
    assert juristic.may_act_for(citizen, "0105556012346") is None  # wrong check digit
    entry = AuditEntry.objects.get(action="identity.representation_recorded")
    assert entry.actor_id == officer.pk and entry.subject_user_id == citizen.pk


@pytest.mark.django_db
def test_authorised_representative_needs_a_power_of_attorney(officer, agency, citizen):
    with pytest.raises(ApplicationError) as refused:
        _record(officer, citizen, agency, role="authorised_representative")
    assert refused.value.code == "power_of_attorney_required"
    assert not Representation.objects.exists()
    assert _refused("power_of_attorney_required") == 1
    done = _record(officer, citizen, agency, role="authorised_representative", power_of_attorney_checked=True)
    assert done.evidence["power_of_attorney_checked"] is True


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("overrides", "code"),
    [
        ({"registration_number": "0105556012346"}, "invalid_registration_number"),
        ({"registration_number": "12345"}, "invalid_registration_number"),
        ({"role": "owner"}, "invalid_role"),
        ({"certificate_issued_on": timezone.localdate() - dt.timedelta(days=200)}, "certificate_too_old"),
        ({"certificate_issued_on": timezone.localdate() + dt.timedelta(days=1)}, "invalid_certificate_date"),
        ({"name_th": ""}, "name_required"),
        ({"valid_until": timezone.now() - dt.timedelta(days=1)}, "invalid_valid_until"),
    ],
)
def test_bad_input_is_refused_and_nothing_written(officer, agency, citizen, overrides, code):
    with pytest.raises(ApplicationError) as refused:
        _record(officer, citizen, agency, **overrides)
    assert refused.value.code == code and refused.value.status == 422
    assert not Representation.objects.exists() and not JuristicPerson.objects.exists()
    assert _refused(code) == 1


@pytest.mark.django_db
def test_only_staff_of_the_agency_at_aal2_record(officer, agency, citizen, other_citizen, foreign_officer):
    for actor in (other_citizen, foreign_officer):
        with pytest.raises(ApplicationError) as refused:
            _record(actor, citizen, agency)
        assert refused.value.code == "not_agency_staff" and refused.value.status == 403
    authn.attach(officer, aal=authn.AAL1, methods=("password",))
    with pytest.raises(AssuranceRequired) as weak:
        _record(officer, citizen, agency)
    assert weak.value.code == "assurance_required"
    with pytest.raises(ApplicationError) as own:
        _record(authn_strong(officer), officer, agency)
    assert own.value.code == "self_recording"
    assert not Representation.objects.exists()


def authn_strong(user: User) -> User:
    authn.attach(user, aal=Decimal("2.2"), methods=("password", "totp"))
    return user


@pytest.mark.django_db
def test_one_standing_representation_per_person_and_company(officer, agency, citizen, other_citizen):
    first = _record(officer, citizen, agency)
    with pytest.raises(ApplicationError) as refused:
        _record(officer, citizen, agency, role="authorised_representative", power_of_attorney_checked=True)
    assert refused.value.code == "representation_exists" and refused.value.status == 409
    _record(officer, other_citizen, agency)  # another person may represent the same company
    with pytest.raises(IntegrityError), transaction.atomic():  # and the database holds to it too
        Representation.objects.create(
            juristic_person=first.juristic_person, user=citizen, role="director", verified_by=officer
        )


@pytest.mark.django_db
def test_expired_representation_stops_and_can_be_renewed(officer, agency, citizen):
    until = timezone.now() + dt.timedelta(days=30)
    first = _record(officer, citizen, agency, valid_until=until)
    company = first.juristic_person
    assert juristic.may_act_for(citizen, COMPANY) == company
    Representation.objects.filter(pk=first.pk).update(
        valid_from=timezone.now() - dt.timedelta(days=60), valid_until=timezone.now() - dt.timedelta(seconds=1)
    )
    assert juristic.may_act_for(citizen, COMPANY) is None
    assert juristic.representation_active(citizen, company) is None
    renewed = _record(officer, citizen, agency)
    first.refresh_from_db()
    assert first.revoked_at is not None and first.revoked_reason == "expired; renewed"
    assert juristic.representation_active(citizen, company) == renewed


@pytest.mark.django_db
def test_revocation_by_staff_or_by_the_representative(officer, agency, citizen, other_citizen, foreign_officer):
    representation = _record(officer, citizen, agency)
    with pytest.raises(ApplicationError) as stranger:
        juristic.representation_revoke(actor=other_citizen, representation=representation, reason="no")
    assert stranger.value.code == "not_agency_staff"
    # Staff of another agency cannot end it (issue 11: any agency could revoke any company's representation).
    with pytest.raises(ApplicationError) as foreign:
        juristic.representation_revoke(actor=foreign_officer, representation=representation, reason="no")
    assert foreign.value.code == "not_found" and foreign.value.status == 404
    assert juristic.may_act_for(citizen, COMPANY) is not None
    juristic.representation_revoke(actor=officer, representation=representation, reason="director resigned")
    assert juristic.may_act_for(citizen, COMPANY) is None
    with pytest.raises(ApplicationError) as again:
        juristic.representation_revoke(actor=officer, representation=representation, reason="again")
    assert again.value.code == "already_revoked"

    second = _record(officer, citizen, agency)
    juristic.representation_revoke(actor=citizen, representation=second, reason="stepping down")
    entry = AuditEntry.objects.filter(action="identity.representation_revoked").last()
    assert entry.data == {"reason": "stepping down", "by_representative": True}
    assert juristic.may_act_for(citizen, COMPANY) is None


def test_model_validates_the_registration_number():
    from django.core.exceptions import ValidationError

    with pytest.raises(ValidationError):
        JuristicPerson(registration_number="0105556012346", name_th="x").full_clean()
    JuristicPerson(registration_number=COMPANY, name_th="x").full_clean(validate_unique=False)


# --- API and pages ------------------------------------------------------------------------------------------

URL = "/api/v1/auth/juristic/representations"


@pytest.mark.django_db
def test_api_record_list_and_revoke(officer, agency, citizen, other_citizen, foreign_officer, api_as):
    body = {
        "email": citizen.email,
        "registration_number": COMPANY,
        "name_th": "บริษัท ตัวอย่าง จำกัด",
        "role": "authorised_representative",
        "power_of_attorney_checked": True,
        "agency": agency.code,
        "certificate_issued_on": (timezone.localdate() - dt.timedelta(days=3)).isoformat(),
    }
    assert api_as(citizen).post(URL, body, content_type="application/json").status_code == 403
    weak = api_as(officer, "password").post(URL, body, content_type="application/json")
    assert weak.status_code == 403 and weak.json()["code"] == "assurance_required"
    created = api_as(officer).post(URL, body, content_type="application/json")
    assert created.status_code == 201, created.content
    assert created.json()["status"] == "active" and created.json()["registration_number"] == COMPANY
    duplicate = api_as(officer).post(URL, body, content_type="application/json")
    assert duplicate.status_code == 409

    mine = api_as(citizen).get(URL).json()
    assert [(item["registration_number"], item["role"]) for item in mine] == [(COMPANY, "authorised_representative")]
    assert api_as(other_citizen).get(URL).json() == []

    revoke = f"{URL}/{created.json()['id']}/revoke"
    assert api_as(other_citizen).post(revoke, {"reason": "x"}, content_type="application/json").status_code == 404
    assert api_as(foreign_officer).post(revoke, {"reason": "x"}, content_type="application/json").status_code == 404
    done = api_as(citizen).post(revoke, {"reason": "stepping down"}, content_type="application/json")
    assert done.status_code == 200 and done.json()["status"] == "revoked"


@pytest.mark.django_db
def test_officer_page_records_a_representation(officer, agency, citizen):
    client = sign_in(Client(), officer)
    assert client.get("/account/juristic-representation/").status_code == 200
    form = {
        "email": citizen.email,
        "registration_number": COMPANY,
        "name_th": "บริษัท ตัวอย่าง จำกัด",
        "role": "director",
        # typed as the page asks: day/month/Buddhist-Era year
        "certificate_issued_on": typed_be(timezone.localdate() - dt.timedelta(days=3)),
        "agency": agency.pk,
    }
    assert 'type="date"' not in client.get("/account/juristic-representation/").content.decode()
    assert client.post("/account/juristic-representation/", form).status_code == 200
    assert juristic.may_act_for(citizen, COMPANY) is not None
    too_old = form | {"certificate_issued_on": "2020-01-01", "registration_number": OTHER_COMPANY}
    assert client.post("/account/juristic-representation/", too_old).status_code == 422
    gregorian = form | {"certificate_issued_on": "01/12/2026", "registration_number": OTHER_COMPANY}
    assert "15/08/2569" in client.post("/account/juristic-representation/", gregorian).content.decode()
    assert sign_in(Client(), citizen).get("/account/juristic-representation/").status_code == 403
    page = sign_in(Client(), citizen).get("/account/assurance/").content.decode()
    assert COMPANY in page and "บริษัท ตัวอย่าง จำกัด" in page
