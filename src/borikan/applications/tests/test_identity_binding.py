"""The licence names the proven person (issue 11, finding "the licence's holder is not the proven person").

A citizen proven at IAL 2.3 as one person must not be able to apply with another person's name and citizen ID,
and whatever a form holds, the document names only the proven holder (or the company its representative acts
for)."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.utils import timezone

from borikan.applications import effects
from borikan.applications import services as s
from borikan.applications.workflow import Status
from borikan.conftest import api_client_for, make_service
from borikan.documents.models import IssuedDocument
from borikan.identity.models import ProofingMethod, ProofingRecord
from borikan.identity.proven import holder_name, proven_identity
from borikan.identity.services import user_set_citizen_id

from .factories import make_application

PROVEN_ID = "1101700230708"  # VALID_FORM's citizen ID: the citizen fixture is that person
OTHER_ID = "3100600123450"
OTHER = {"full_name": "สมหญิง รักดี", "citizen_id": OTHER_ID}


def _prove(user, *, name_th="สมชาย ใจดี", ial="2.3"):
    if not user.citizen_id_hash:
        user_set_citizen_id(actor=user, user=user, citizen_id=PROVEN_ID)
    return ProofingRecord.objects.create(
        user=user,
        method=ProofingMethod.COUNTER,
        ial=Decimal(ial),
        name_th=name_th,
        verified_at=timezone.now(),
        expires_at=timezone.now() + timezone.timedelta(days=365),
    )


@pytest.fixture
def free(agency):
    return make_service(agency, slug="free-licence", fee_satang=None)


@pytest.mark.django_db
def test_a_proven_citizen_cannot_submit_in_another_persons_name(free, citizen):
    from borikan.core.thaiid import is_valid_thai_id

    assert is_valid_thai_id(OTHER_ID)
    _prove(citizen)
    app = make_application(service=free, applicant=citizen)
    app.form_data = {**app.form_data, **OTHER}
    app.save(update_fields=["form_data"])
    answer = api_client_for(citizen).post(f"/api/v1/applications/{app.pk}/submit", {}, content_type="application/json")
    assert answer.status_code == 422, answer.content
    body = answer.json()
    assert body["code"] == "identity_mismatch"
    assert set(body["errors"]["fields"]) == {"full_name", "citizen_id"}
    app.refresh_from_db()
    assert app.status == Status.DRAFT and app.tracking_number is None


@pytest.mark.django_db
def test_the_proven_persons_own_details_submit_however_they_are_spaced(free, citizen):
    _prove(citizen)
    app = make_application(service=free, applicant=citizen)
    app.form_data = {**app.form_data, "full_name": "  สมชาย   ใจดี ", "citizen_id": "1-1017-00230-70-8"}
    app.save(update_fields=["form_data"])
    submitted = s.application_submit(actor=citizen, application_id=app.pk)
    assert submitted.status != Status.DRAFT


@pytest.mark.django_db
def test_the_document_names_the_proven_holder_not_the_form(free, citizen, approver, django_capture_on_commit_callbacks):
    # A case decided before the binding existed (or a form whose name field has another name): the licence
    # still names the person the card proved.
    _prove(citizen)
    citizen.full_name = "ชื่อที่ตั้งเอง"  # a self-chosen account name does not reach the document either
    citizen.save(update_fields=["full_name"])
    app = make_application(service=free, applicant=citizen, status=Status.PENDING_APPROVAL)
    app.form_data = {**app.form_data, **OTHER}
    app.save(update_fields=["form_data"])
    with django_capture_on_commit_callbacks(execute=False):
        s.application_approve(actor=approver, application_id=app.pk)
    effects.run_due()
    document = IssuedDocument.objects.get(case_ref=app.case_ref)
    assert document.holder_name == "สมชาย ใจดี"
    assert document.holder_id == citizen.pk
    printed = str(document.body_fields)
    assert "สมชาย ใจดี" in printed and "สมหญิง" not in printed and "ชื่อที่ตั้งเอง" not in printed


@pytest.mark.django_db
def test_an_unproven_account_is_named_by_its_account_name(citizen):
    assert proven_identity(citizen) is None
    assert holder_name(citizen) == citizen.full_name


@pytest.mark.django_db
def test_a_revoked_proofing_no_longer_binds(free, citizen):
    record = _prove(citizen)
    record.revoked_at = timezone.now()
    record.save(update_fields=["revoked_at"])
    assert proven_identity(citizen) is None


@pytest.mark.django_db
def test_the_officer_sees_the_proven_identity_beside_what_was_typed(free, citizen, officer, client):
    from borikan.conftest import sign_in

    _prove(citizen)
    app = make_application(service=free, applicant=citizen, status=Status.IN_REVIEW)
    app.form_data = {**app.form_data, "full_name": "สมหญิง รักดี"}
    app.save(update_fields=["form_data"])
    page = sign_in(client, officer).get(f"/office/cases/{app.pk}/")
    assert page.status_code == 200
    html = page.content.decode()
    assert 'id="proven-identity"' in html and "IAL 2.3" in html and "full_name" in html


@pytest.mark.django_db
def test_the_form_page_fills_in_and_locks_what_the_proofing_settled(free, citizen, client):
    import re

    from borikan.conftest import sign_in

    _prove(citizen)
    app = make_application(service=free, applicant=citizen)
    app.form_data = {**app.form_data, **OTHER}  # typed earlier, before the proofing
    app.save(update_fields=["form_data"])
    html = sign_in(client, citizen).get(f"/applications/{app.pk}/edit/").content.decode()
    name_input = re.search(r'<input [^>]*id="f-full_name"[^>]*>', html).group(0)
    id_input = re.search(r'<input [^>]*id="f-citizen_id"[^>]*>', html).group(0)
    assert "readonly" in name_input and 'value="สมชาย ใจดี"' in name_input
    assert "readonly" in id_input and PROVEN_ID in id_input
    assert 'id="locked-full_name"' in html
    phone_input = re.search(r'<input [^>]*id="f-phone"[^>]*>', html).group(0)
    assert "readonly" not in phone_input


@pytest.mark.django_db
def test_an_agencys_own_field_marked_x_bound_is_held_to_the_proven_identity(citizen):
    """A form an agency wrote names its fields as it likes: `x-bound` says which proven fact a field asks for."""
    from borikan.identity.proven import identity_mismatches

    _prove(citizen)
    schema = {
        "type": "object",
        "properties": {
            "applicant_name": {"type": "string", "x-bound": "name_th"},
            "shop_name": {"type": "string"},
        },
    }
    assert identity_mismatches(schema, {"applicant_name": "สมชาย ใจดี", "shop_name": "ร้านดี"}, citizen) == []
    assert identity_mismatches(schema, {"applicant_name": "สมหญิง รักดี", "shop_name": "x"}, citizen) == ["applicant_name"]
