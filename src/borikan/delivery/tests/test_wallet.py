"""The wallet: documents and receipts, downloads at the service's AAL, and share links that expire or are withdrawn."""

from __future__ import annotations

import datetime as dt
import re
import uuid

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from borikan.agencies.models import Agency, StaffRole
from borikan.audit.models import AuditEntry
from borikan.catalog.models import Service
from borikan.catalog.services import risk_assessment_record
from borikan.conftest import make_staff, sign_in
from borikan.delivery.models import ShareLink
from borikan.documents.models import IssuedDocument
from borikan.documents.services import document_issue
from borikan.identity.models import User
from borikan.payments.models import Invoice, Payment
from borikan.payments.services import receipt_issue

pytestmark = pytest.mark.django_db

NO_IMPACT = dict.fromkeys(
    ("inconvenience", "financial", "programs", "sensitive_information", "personal_safety", "civil_criminal"), "none"
)
SHARE_URL = re.compile(r'value="(https?://[^"]+/wallet/shared/([^/"]+)/)"')


def _receipt(agency: Agency, payer: User, n: int = 1):
    invoice = Invoice.objects.create(
        number=f"INV-EXCISE-2569-{n:06d}",
        case_ref=str(uuid.uuid4()),
        agency=agency,
        payer=payer,
        description="ค่าธรรมเนียมใบอนุญาต",
        amount_satang=50000,
        ref1=f"BK256900{n:04d}",
        ref2="EXCISE1",
        due_date=timezone.localdate() + dt.timedelta(days=7),
        status="paid",
        qr_payload="000201",
        gateway_charge_id=f"ch_{uuid.uuid4().hex}",
        paid_at=timezone.now(),
    )
    payment = Payment.objects.create(
        invoice=invoice,
        gateway_txn_id=f"txn_{uuid.uuid4().hex}",
        amount_satang=50000,
        paid_at=timezone.now(),
        raw_notification={},
    )
    return receipt_issue(payment=payment)


def test_the_wallet_lists_documents_and_receipts(
    document: IssuedDocument, agency: Agency, citizen: User, other_citizen: User
):
    mine = _receipt(agency, citizen, 1)
    theirs = _receipt(agency, other_citizen, 2)
    client = sign_in(Client(), citizen)

    body = client.get(reverse("delivery:wallet")).content.decode()

    assert document.number in body
    assert reverse("documents:download", args=[document.pk]) in body
    assert mine.number in body
    assert reverse("payments:receipt_pdf", args=[mine.number]) in body
    assert theirs.number not in body
    # The receipt link opens for its payer.
    assert client.get(reverse("payments:receipt_pdf", args=[mine.number])).status_code == 200


def test_a_document_downloads_at_the_aal_its_service_requires(agency: Agency, service: Service, citizen: User):
    admin = make_staff("admin@excise.go.th", agency, StaffRole.AGENCY_ADMIN)
    risk_assessment_record(
        actor=admin,
        service=service,
        ratings=NO_IMPACT,
        justification="ข้อมูลส่วนบุคคล",
        aal="2.2",
        override_reason="เอกสารมีข้อมูลส่วนบุคคล",
    )
    document = document_issue(
        actor=None,
        case_ref=str(uuid.uuid4()),
        agency=agency,
        holder=citizen,
        title_th="ใบอนุญาต",
        title_en="Licence",
        fields={"a": "b"},
        valid_days=365,
        service=service,
    )
    url = reverse("documents:download", args=[document.pk])

    password_only = sign_in(Client(), citizen, "password")
    refused = password_only.get(url)
    assert refused.status_code == 302
    assert refused["Location"].startswith(reverse("identity:step_up"))

    two_factors = sign_in(Client(), citizen, "password", "totp")
    response = two_factors.get(url)
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"


def _share(client: Client, document: IssuedDocument, days: int | str = 7):
    return client.post(reverse("delivery:share_create", args=[document.pk]), {"days": days})


def test_a_share_link_opens_the_document_without_sign_in_and_is_audited_for_the_holder(
    document: IssuedDocument, citizen: User
):
    holder = sign_in(Client(), citizen)
    created = _share(holder, document, 3)
    assert created.status_code == 201
    url, token = SHARE_URL.search(created.content.decode()).groups()
    link = ShareLink.objects.get()
    assert link.token_hash != token and token not in link.token_hash  # only a hash is kept
    assert abs((link.expires_at - timezone.now()) - dt.timedelta(days=3)) < dt.timedelta(minutes=1)

    page = Client().get(reverse("delivery:shared", args=[token]))
    assert page.status_code == 200
    body = page.content.decode()
    assert document.number in body
    assert page["Cache-Control"] == "no-store"
    pdf = Client().get(reverse("delivery:shared_pdf", args=[token]))
    assert pdf.status_code == 200
    assert pdf.content == document.pdf.open("rb").read()

    opened = AuditEntry.objects.filter(action="document.share_opened")
    assert [(e.subject_user_id, e.actor_id, e.data["what"]) for e in opened.order_by("id")] == [
        (citizen.pk, None, "page"),
        (citizen.pk, None, "pdf"),
    ]
    link.refresh_from_db()
    assert link.open_count == 2
    assert url.endswith(reverse("delivery:shared", args=[token]))


def test_a_withdrawn_link_stops_working(document: IssuedDocument, citizen: User):
    holder = sign_in(Client(), citizen)
    token = SHARE_URL.search(_share(holder, document).content.decode()).group(2)
    link = ShareLink.objects.get()
    assert document.number in holder.get(reverse("delivery:wallet")).content.decode()

    assert holder.post(reverse("delivery:share_withdraw", args=[link.pk])).status_code == 302

    for name in ("delivery:shared", "delivery:shared_pdf"):
        gone = Client().get(reverse(name, args=[token]))
        assert gone.status_code == 410
        assert 'data-code="share_withdrawn"' in gone.content.decode()
    assert AuditEntry.objects.filter(action="document.share_withdrawn", subject_user_id=citizen.pk).count() == 1
    assert not AuditEntry.objects.filter(action="document.share_opened").exists()


def test_an_expired_link_stops_working(document: IssuedDocument, citizen: User):
    token = SHARE_URL.search(_share(sign_in(Client(), citizen), document, 1).content.decode()).group(2)
    ShareLink.objects.update(expires_at=timezone.now() - dt.timedelta(seconds=1))

    gone = Client().get(reverse("delivery:shared", args=[token]))

    assert gone.status_code == 410
    assert 'data-code="share_expired"' in gone.content.decode()


def test_an_unknown_token_is_not_found():
    assert Client().get(reverse("delivery:shared", args=["x" * 32])).status_code == 404
    assert Client().get(reverse("delivery:shared_pdf", args=["short"])).status_code == 404


@pytest.mark.parametrize("days", [0, 31, -1, "seven", ""])
def test_share_days_outside_1_to_30_are_refused(document: IssuedDocument, citizen: User, days):
    response = _share(sign_in(Client(), citizen), document, days)

    assert response.status_code == 422
    body = response.content.decode()
    assert 'data-code="invalid_share_days"' in body
    assert "1 ถึง 30 วัน" in body and "between 1 and 30 days" in body
    assert ShareLink.objects.count() == 0


def test_only_the_holder_may_share_or_withdraw(
    document: IssuedDocument, citizen: User, other_citizen: User, approver: User
):
    assert _share(sign_in(Client(), other_citizen), document).status_code == 404
    assert _share(sign_in(Client(), approver), document).status_code == 404  # staff may open it, not share it
    assert ShareLink.objects.count() == 0

    _share(sign_in(Client(), citizen), document)
    link = ShareLink.objects.get()
    assert sign_in(Client(), other_citizen).post(reverse("delivery:share_withdraw", args=[link.pk])).status_code == 404
    link.refresh_from_db()
    assert link.withdrawn_at is None


def test_the_wallet_shows_how_each_document_was_delivered(
    document: IssuedDocument, approver: User, officer: User, citizen: User
):
    from borikan.delivery.services import delivery_post_hand_over, delivery_send

    _, post = delivery_send(actor=approver, document=document, channels=["wallet", "post"])
    delivery_post_hand_over(
        actor=officer, delivery_id=post.pk, postal_address="99 ถนนพหลโยธิน", tracking_number="EF123456785TH"
    )

    body = sign_in(Client(), citizen).get(reverse("delivery:wallet")).content.decode()

    assert 'class="delivery-sent"' in body
    assert 'class="delivery-handed_over"' in body
    assert "EF123456785TH" in body
