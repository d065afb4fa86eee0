"""Renewal: a document close to or past expiry gives the service and a prefilled form; the document page and its
agency's status actions."""

from __future__ import annotations

import datetime as dt
import uuid

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from borikan.agencies.models import Agency
from borikan.catalog.models import Service
from borikan.conftest import sign_in
from borikan.core.errors import ApplicationError
from borikan.documents.models import DocumentStatus, IssuedDocument
from borikan.documents.renewal import document_renewal_prefill
from borikan.documents.services import document_issue, document_revoke, document_suspend
from borikan.identity.models import User

pytestmark = pytest.mark.django_db

ANSWERS = {
    "citizen_id": "1101700230708",
    "full_name": "สมชาย ใจดี",
    "address": "99 ถนนพหลโยธิน แขวงจตุจักร เขตจตุจักร กรุงเทพมหานคร 10900",
    "phone": "0812345678",
    "supporting_document": "uploads/abc.pdf",
    "not_in_the_form": "x",
}


def _issue(agency: Agency, holder: User, service: Service | None, *, valid_days: int | None = 30, **extra):
    return document_issue(
        actor=None,
        case_ref=str(uuid.uuid4()),
        agency=agency,
        holder=holder,
        title_th="ใบอนุญาตขายสุรา",
        title_en="Liquor sale licence",
        fields={"ประเภท": "ขายปลีก"},
        valid_days=valid_days,
        service=service,
        **extra,
    )


def _age(document: IssuedDocument, days: int) -> IssuedDocument:
    """Move the document's validity `days` into the past."""
    IssuedDocument.objects.filter(pk=document.pk).update(
        valid_from=document.valid_from - dt.timedelta(days=days),
        valid_until=document.valid_until - dt.timedelta(days=days),
    )
    document.refresh_from_db()
    return document


def test_prefill_carries_the_forms_answers_but_never_the_citizen_id_or_files(
    agency: Agency, citizen: User, service: Service
):
    document = _issue(agency, citizen, service, renewal_data=ANSWERS)

    assert "citizen_id" not in document.renewal_data and "supporting_document" not in document.renewal_data
    assert document_renewal_prefill(document) == {
        "service_slug": "liquor-sale-licence",
        "form_data": {
            "full_name": "สมชาย ใจดี",
            "address": ANSWERS["address"],
            "phone": "0812345678",
        },
    }


def test_without_carried_answers_the_name_as_printed_is_prefilled(agency: Agency, citizen: User, service: Service):
    document = _age(_issue(agency, citizen, service), 60)  # expired a month ago

    assert document.current_status == "expired"
    assert document_renewal_prefill(document) == {
        "service_slug": "liquor-sale-licence",
        "form_data": {"full_name": "สมชาย ใจดี"},
    }


def test_renewal_opens_90_days_before_expiry(agency: Agency, citizen: User, service: Service, settings):
    document = _issue(agency, citizen, service, valid_days=365)

    with pytest.raises(ApplicationError) as refused:
        document_renewal_prefill(document)
    opens_on = document.valid_until - dt.timedelta(days=90)
    assert (refused.value.code, refused.value.status) == ("renewal_not_open_yet", 409)
    assert refused.value.details == {"opens_on": opens_on.isoformat()}
    assert document_renewal_prefill(document, today=opens_on)["service_slug"] == service.slug

    settings.BORIKAN_RENEWAL_WINDOW_DAYS = 400
    assert document_renewal_prefill(document)["service_slug"] == service.slug


def test_revoked_suspended_and_open_ended_documents_are_not_renewable(
    agency: Agency, citizen: User, service: Service, approver: User
):
    revoked = document_revoke(actor=approver, document=_issue(agency, citizen, service), reason="ปลอม")
    suspended = document_suspend(actor=approver, document=_issue(agency, citizen, service), reason="ตรวจสอบ")
    open_ended = _issue(agency, citizen, service, valid_days=None)
    no_service = _issue(agency, citizen, None)

    for document, code in [
        (revoked, "document_revoked"),
        (suspended, "document_suspended"),
        (open_ended, "document_not_renewable"),
        (no_service, "document_not_renewable"),
    ]:
        with pytest.raises(ApplicationError) as refused:
            document_renewal_prefill(document)
        assert (refused.value.code, refused.value.status) == (code, 409)


def test_the_renewal_api_is_for_the_holder_only(
    agency: Agency, citizen: User, other_citizen: User, approver: User, service: Service, api_as
):
    document = _issue(agency, citizen, service, renewal_data=ANSWERS)
    path = f"/api/v1/documents/{document.pk}/renewal"

    answer = api_as(citizen).get(path)

    assert answer.status_code == 200
    assert answer.json()["service_slug"] == service.slug
    assert answer.json()["form_data"]["phone"] == "0812345678"
    assert answer.json()["start_url"].endswith(f"/applications/start/{service.slug}/")
    assert api_as(approver).get(path).status_code == 404
    assert api_as(other_citizen).get(path).status_code == 404
    not_yet = api_as(citizen).get(f"/api/v1/documents/{_issue(agency, citizen, service, valid_days=365).pk}/renewal")
    assert not_yet.status_code == 409 and not_yet.json()["code"] == "renewal_not_open_yet"


def test_the_document_page_offers_renew_which_starts_an_application(agency: Agency, citizen: User, service: Service):
    document = _issue(agency, citizen, service)
    client = sign_in(Client(), citizen)

    page = client.get(reverse("documents:detail", args=[document.pk]))

    body = page.content.decode()
    start = reverse("applications:start", args=[service.slug])
    assert page.status_code == 200
    assert f'action="{start}"' in body and 'id="renew"' in body
    assert "Change the status" not in body and "เปลี่ยนสถานะ" not in body
    started = client.post(start)
    assert started.status_code == 302 and "/applications/" in started["Location"]


def test_the_document_page_tells_when_renewal_opens(agency: Agency, citizen: User, service: Service):
    document = _issue(agency, citizen, service, valid_days=365)

    body = sign_in(Client(), citizen).get(reverse("documents:detail", args=[document.pk])).content.decode()

    assert 'id="renew"' not in body


def test_staff_suspend_and_reinstate_from_the_document_page(
    agency: Agency, citizen: User, service: Service, approver: User, officer: User, other_citizen: User
):
    document = _issue(agency, citizen, service)
    client = sign_in(Client(), approver)
    url = reverse("documents:change_status", args=[document.pk])

    page = client.get(reverse("documents:detail", args=[document.pk])).content.decode()
    assert 'name="action" value="suspend"' in page  # the Suspend button
    no_reason = client.post(url, {"action": "suspend", "reason": " "})
    assert no_reason.status_code == 422 and 'id="status-error"' in no_reason.content.decode()
    assert client.post(url, {"action": "suspend", "reason": "ตรวจสอบ"}).status_code == 302
    document.refresh_from_db()
    assert document.status == DocumentStatus.SUSPENDED
    assert client.post(url, {"action": "suspend", "reason": "อีก"}).status_code == 409
    assert client.post(url, {"action": "reinstate", "reason": "เรียบร้อย"}).status_code == 302
    document.refresh_from_db()
    assert document.status == DocumentStatus.VALID

    assert sign_in(Client(), officer).post(url, {"action": "suspend", "reason": "x"}).status_code == 403
    assert sign_in(Client(), other_citizen).post(url, {"action": "suspend", "reason": "x"}).status_code == 404
    assert timezone.localdate() == document.valid_from


def test_the_renew_button_starts_an_application_prefilled_from_the_document(
    agency: Agency, citizen: User, other_citizen: User, service: Service
):
    from borikan.applications.models import Application

    document = _issue(agency, citizen, service, renewal_data=ANSWERS)
    start = reverse("applications:start", args=[service.slug])
    refused = sign_in(Client(), other_citizen).post(start, {"renew_from": document.pk})
    assert refused.status_code == 302 and not Application.objects.exists()  # not their document: nothing started
    response = sign_in(Client(), citizen).post(start, {"renew_from": document.pk})
    assert response.status_code == 302
    app = Application.objects.get(applicant=citizen)
    assert app.form_data == {"full_name": "สมชาย ใจดี", "address": ANSWERS["address"], "phone": "0812345678"}
