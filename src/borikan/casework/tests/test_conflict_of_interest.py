"""No one works their own case (issue 11): an officer who applies to their own agency cannot review, forward,
request information on, note or read as casework their own application, and it is not in their queue."""

from __future__ import annotations

import pytest

from borikan.agencies.models import StaffRole
from borikan.applications import services as s
from borikan.applications.tests.factories import make_application
from borikan.applications.workflow import Status
from borikan.casework import services as casework
from borikan.conftest import api_client_for, make_staff, sign_in
from borikan.core.errors import ApplicationError


@pytest.fixture
def officer_applicant(agency):
    return make_staff("officer.applies@excise.go.th", agency, StaffRole.OFFICER, StaffRole.APPROVER)


@pytest.mark.django_db
def test_an_officer_cannot_review_or_forward_their_own_application(service, officer_applicant, officer):
    own = make_application(service=service, applicant=officer_applicant, status=Status.SUBMITTED)
    with pytest.raises(ApplicationError) as refused:
        s.application_start_review(actor=officer_applicant, application_id=own.pk)
    assert refused.value.code == "conflict_of_interest" and refused.value.status == 403
    own.refresh_from_db()
    assert own.status == Status.SUBMITTED
    # A colleague can.
    assert s.application_start_review(actor=officer, application_id=own.pk).status == Status.IN_REVIEW
    with pytest.raises(ApplicationError) as forward:
        s.application_forward(actor=officer_applicant, application_id=own.pk)
    assert forward.value.code == "conflict_of_interest"


@pytest.mark.django_db
def test_their_own_case_is_no_casework_of_theirs(service, officer_applicant, client):
    own = make_application(service=service, applicant=officer_applicant, status=Status.IN_REVIEW)
    with pytest.raises(ApplicationError) as note:
        casework.case_note_add(actor=officer_applicant, application_id=own.pk, body="looks fine to me")
    assert note.value.status == 404
    with pytest.raises(ApplicationError):
        casework.staff_casework(user=officer_applicant, app=own)
    api = api_client_for(officer_applicant)
    queue = api.get("/api/v1/applications/queue")
    assert queue.status_code == 200 and str(own.pk) not in queue.content.decode()
    answer = api.post(f"/api/v1/applications/{own.pk}/actions/forward", {"reason": ""}, content_type="application/json")
    assert answer.status_code == 403 and answer.json()["code"] == "conflict_of_interest", answer.content
    # The staff case page sends them to their own applicant page, without the internal notes.
    page = sign_in(client, officer_applicant).get(f"/office/cases/{own.pk}/")
    assert page.status_code == 302 and f"/applications/{own.pk}/" in page["Location"]


@pytest.mark.django_db
def test_a_citizen_applicant_is_unaffected(service, citizen, officer):
    app = make_application(service=service, applicant=citizen, status=Status.SUBMITTED)
    assert s.application_start_review(actor=officer, application_id=app.pk).status == Status.IN_REVIEW
