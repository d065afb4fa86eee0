"""Adding an e-mail address to an account made with a mobile number (issue 12): a link goes to the address and it
counts only once opened with the account's password; an address another account holds is refused with a clear
message to its owner's mailbox, while the page answers as it does for any address (as sign-up does)."""

from __future__ import annotations

import re

import pytest
from django.test import Client
from django.utils import timezone

from borikan.audit.models import AuditEntry
from borikan.conftest import sign_in
from borikan.core.tests.pagetext import visible_text
from borikan.identity import throttle
from borikan.identity.models import User

PASSWORD = "long enough passphrase 2569"
JSON = "application/json"
ADDRESS = "somchai.new@example.com"

pytestmark = pytest.mark.django_db


@pytest.fixture
def phone_user() -> User:
    return User.objects.create_user(
        None, PASSWORD, full_name="สมชาย ใจดี", mobile="+66812345678", mobile_verified_at=timezone.now()
    )


def _link(message) -> str:
    return re.search(r"/account/verify-email/[^/\s]+/", message.body).group(0)


def _add(client: Client, email: str, capture):
    with capture(execute=True):
        return client.post("/account/security/email/", {"email": email})


def _token_login(email: str, password: str = PASSWORD):
    return Client().post("/api/v1/auth/token", {"email": email, "password": password}, content_type=JSON)


def test_the_security_page_offers_the_form_to_an_account_without_an_address(phone_user, citizen):
    client = sign_in(Client(), phone_user)
    client.cookies["django_language"] = "th"
    page = client.get("/account/security/").content.decode()
    assert 'id="email-add"' in page and 'action="/account/security/email/"' in page
    assert "govuk-input" in page and "ส่งลิงก์ยืนยัน" in page
    page = sign_in(Client(), citizen).get("/account/security/").content.decode()
    assert 'id="email-add"' not in page and citizen.email in page


def test_the_address_counts_only_once_the_link_is_opened_with_the_password(
    phone_user, mailoutbox, django_capture_on_commit_callbacks
):
    client = sign_in(Client(), phone_user)
    sent = _add(client, " Somchai.New@Example.com ", django_capture_on_commit_callbacks)
    assert (sent.status_code, sent["Location"]) == (302, "/account/security/")
    (mail,) = mailoutbox
    assert mail.to == [ADDRESS]
    link = _link(mail)
    phone_user.refresh_from_db()
    assert phone_user.email is None  # not yet
    assert _token_login(ADDRESS).status_code == 401

    page = client.get(link)
    assert page.status_code == 200 and ADDRESS in page.content.decode()
    wrong = client.post(link, {"password": "not the password 2569"})
    assert wrong.status_code == 400
    phone_user.refresh_from_db()
    assert phone_user.email is None

    confirmed = client.post(link, {"password": PASSWORD})
    assert (confirmed.status_code, confirmed["Location"]) == (302, "/account/security/")
    phone_user.refresh_from_db()
    assert phone_user.email == ADDRESS and phone_user.email_verified_at is not None
    assert AuditEntry.objects.filter(action="auth.email_added", object_id=str(phone_user.pk)).exists()
    assert client.get("/account/security/").context["user"].pk == phone_user.pk  # still signed in, as before
    assert _token_login(ADDRESS).status_code == 200  # the address signs in now
    assert client.post(link, {"password": PASSWORD}).status_code == 400  # the link is spent


def test_an_address_of_another_account_is_refused_without_telling_the_one_who_asks(
    phone_user, citizen, mailoutbox, django_capture_on_commit_callbacks
):
    client = sign_in(Client(), phone_user)
    client.cookies["django_language"] = "th"
    fresh = _add(client, ADDRESS, django_capture_on_commit_callbacks)
    fresh_page = client.get("/account/security/").content.decode()
    mailoutbox.clear()
    taken = _add(client, citizen.email.upper(), django_capture_on_commit_callbacks)
    taken_page = client.get("/account/security/").content.decode()
    assert (taken.status_code, taken["Location"]) == (fresh.status_code, fresh["Location"])
    assert visible_text(taken_page).replace(citizen.email, ADDRESS) == visible_text(fresh_page)  # the same answer
    assert ADDRESS in visible_text(fresh_page)
    (notice,) = mailoutbox
    assert notice.to == [citizen.email] and "verify-email" not in notice.body
    assert "ไม่ได้เพิ่ม" in notice.body and "not added" in notice.body  # the refusal, clear, to the owner
    phone_user.refresh_from_db()
    assert phone_user.email is None
    assert AuditEntry.objects.filter(action="auth.email_add_address_taken").count() == 1


def test_a_link_for_an_address_another_account_confirmed_meanwhile_is_refused_clearly(
    phone_user, mailoutbox, django_capture_on_commit_callbacks
):
    client = sign_in(Client(), phone_user)
    _add(client, ADDRESS, django_capture_on_commit_callbacks)
    link = _link(mailoutbox[-1])
    User.objects.create_user(ADDRESS, "someone else passphrase 1", full_name="ผู้อื่น")  # confirmed
    client.cookies["django_language"] = "th"
    refused = client.post(link, {"password": PASSWORD})
    assert refused.status_code == 400
    assert "อีเมลนี้เป็นของบัญชีอื่นแล้ว" in refused.content.decode()
    phone_user.refresh_from_db()
    assert phone_user.email is None


def test_an_unconfirmed_sign_up_holding_the_address_gives_way(
    phone_user, mailoutbox, django_capture_on_commit_callbacks
):
    squatter = User.objects.create_user(ADDRESS, "squatter passphrase 2569", email_verified_at=None)
    _add(sign_in(Client(), phone_user), ADDRESS, django_capture_on_commit_callbacks)
    (mail,) = mailoutbox  # a link, not a notice: an unconfirmed address belongs to nobody
    confirmed = Client().post(_link(mail), {"password": PASSWORD})  # opened in another browser: signs in
    assert (confirmed.status_code, confirmed["Location"]) == (302, "/account/security/")
    phone_user.refresh_from_db()
    assert phone_user.email == ADDRESS
    assert not User.objects.filter(pk=squatter.pk).exists()


def test_sending_links_is_throttled_and_an_account_with_an_address_is_refused(
    phone_user, citizen, mailoutbox, django_capture_on_commit_callbacks
):
    client = sign_in(Client(), phone_user)
    for n in range(throttle.ACCOUNT_EMAIL_ADDS.attempts):
        assert _add(client, f"try{n}@example.com", django_capture_on_commit_callbacks).status_code == 302
    mailoutbox.clear()
    refused = _add(client, "one.more@example.com", django_capture_on_commit_callbacks)
    assert refused.status_code == 429 and not mailoutbox
    already = _add(sign_in(Client(), citizen), "second@example.com", django_capture_on_commit_callbacks)
    assert already.status_code == 400 and not mailoutbox
    citizen.refresh_from_db()
    assert citizen.email == "citizen@example.com"
    bad = _add(sign_in(Client(), phone_user), "not an address", django_capture_on_commit_callbacks)
    assert bad.status_code in {400, 429}
