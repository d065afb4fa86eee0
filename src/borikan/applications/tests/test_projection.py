"""One read path for case data: `case_view_for(actor, purpose)` narrows what each actor sees, field by field,
for pages and the API alike, audits the fields shown, and cannot be written through."""

from __future__ import annotations

import pytest

from borikan.applications.projection import case_view_for
from borikan.audit.models import AuditEntry
from borikan.conftest import api_client_for, sign_in
from borikan.core import caseflow
from borikan.core.errors import NotFound

from .factories import make_application


@pytest.fixture
def no_citizen_id_for_staff():
    """A field policy as the privacy work will register: staff do not see the citizen ID when reviewing."""

    def policy(actor, case, purpose):
        return {"citizen_id"} if actor.pk != case.applicant_id else set()

    caseflow.on_view(policy)
    yield policy
    caseflow._field_policies.remove(policy)


@pytest.mark.django_db
def test_the_owning_agency_sees_every_field_until_a_policy_narrows_it(
    service, citizen, officer, no_citizen_id_for_staff
):
    app = make_application(service=service, applicant=citizen, status="in_review")
    mine = case_view_for(actor=citizen, application_id=app.pk, purpose="view")
    theirs = case_view_for(actor=officer, application_id=app.pk, purpose="review")
    assert "citizen_id" in mine.form_data
    assert "citizen_id" not in theirs.form_data and theirs.form_data["full_name"] == app.form_data["full_name"]
    audit = AuditEntry.objects.filter(action="application.personal_data_read", actor_id=officer.pk).last()
    assert audit.data["purpose"] == "review" and "citizen_id" not in audit.data["fields"]
    # The narrowed view is never written back over the case.
    with pytest.raises(TypeError):
        theirs.save()
    app.refresh_from_db()
    assert app.form_data["citizen_id"]


@pytest.mark.django_db
def test_the_api_and_the_page_read_through_the_same_projection(
    service, citizen, officer, no_citizen_id_for_staff, client
):
    app = make_application(service=service, applicant=citizen, status="in_review")
    cid = app.form_data["citizen_id"]
    answer = api_client_for(officer).get(f"/api/v1/applications/{app.pk}")
    assert answer.status_code == 200 and "citizen_id" not in answer.json()["form_data"]
    page = sign_in(client, officer).get(f"/office/cases/{app.pk}/")
    assert page.status_code == 200 and cid not in page.content.decode()
    own = api_client_for(citizen).get(f"/api/v1/applications/{app.pk}")
    assert own.json()["form_data"]["citizen_id"] == cid


@pytest.mark.django_db
def test_anyone_else_gets_not_found(service, citizen, other_citizen, foreign_officer):
    app = make_application(service=service, applicant=citizen, status="in_review")
    for stranger in (other_citizen, foreign_officer):
        with pytest.raises(NotFound):
            case_view_for(actor=stranger, application_id=app.pk)
    with pytest.raises(NotFound):
        case_view_for(actor=citizen, application_id="not-a-uuid")


@pytest.mark.django_db
def test_without_a_policy_the_officer_page_shows_the_field(service, citizen, officer, client):
    """The page test above could not pass by accident: the same page shows the field when no policy hides it."""
    app = make_application(service=service, applicant=citizen, status="in_review")
    page = sign_in(client, officer).get(f"/office/cases/{app.pk}/")
    assert app.form_data["citizen_id"] in page.content.decode()


@pytest.mark.django_db
def test_notices_read_the_case_through_the_same_policies(service, citizen, django_capture_on_commit_callbacks):
    """A policy hiding the form's e-mail from notices sends the acknowledgement to the account's address instead."""
    from borikan.applications import services as s
    from borikan.delivery.models import Delivery

    def policy(actor, case, purpose):
        return {"email"} if purpose == "notice" else set()

    caseflow.on_view(policy)
    try:
        app = make_application(service=service, applicant=citizen)
        app.form_data = app.form_data | {"email": "someone-else@example.com"}
        app.save(update_fields=["form_data"])
        with django_capture_on_commit_callbacks(execute=False):
            s.application_submit(actor=citizen, application_id=app.pk)
    finally:
        caseflow._field_policies.remove(policy)
    assert Delivery.objects.get(idempotency_key=f"ack-{app.pk}").recipient == citizen.email
