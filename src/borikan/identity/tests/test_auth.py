import re

import pytest
from django.test import Client

from borikan.audit.models import AuditEntry
from borikan.conftest import sign_in
from borikan.identity.models import ApiToken, User

PASSWORD = "long enough passphrase 2569"
JSON = "application/json"


def _signup(client: Client, **overrides):
    payload = {"email": "Somchai@Example.com", "password": PASSWORD, "full_name": "สมชาย ใจดี"}
    return client.post("/api/v1/auth/signup", payload | overrides, content_type=JSON)


def _token_login(email: str = "somchai@example.com", password: str = PASSWORD):
    return Client().post("/api/v1/auth/token", {"email": email, "password": password}, content_type=JSON)


def _link_token(message) -> str:
    return re.search(r"/account/verify-email/([^/\s]+)/", message.body).group(1)


@pytest.fixture
def signed_up(mailoutbox, django_capture_on_commit_callbacks):
    """Sign up over the API and confirm the address from the e-mailed link; returns the token-login answer."""
    with django_capture_on_commit_callbacks(execute=True):
        assert _signup(Client()).status_code == 202
    token = _link_token(mailoutbox[-1])
    confirmed = Client().post("/api/v1/auth/verify-email", {"token": token, "password": PASSWORD}, content_type=JSON)
    assert confirmed.status_code == 200, confirmed.content
    return confirmed


@pytest.mark.django_db
def test_sign_up_confirm_the_address_then_token_login(mailoutbox, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        response = _signup(Client())
    assert response.status_code == 202
    assert response.json()["status"] == "verification_sent"
    assert User.objects.get().email_verified_at is None
    unconfirmed = _token_login()
    assert (unconfirmed.status_code, unconfirmed.json()["code"]) == (403, "email_not_verified")
    (mail,) = mailoutbox
    assert mail.to == ["somchai@example.com"]
    token = _link_token(mail)
    wrong = Client().post("/api/v1/auth/verify-email", {"token": token, "password": "guess"}, content_type=JSON)
    assert wrong.status_code == 401 and User.objects.get().email_verified_at is None
    confirmed = Client().post("/api/v1/auth/verify-email", {"token": token, "password": PASSWORD}, content_type=JSON)
    assert confirmed.json()["email"] == "somchai@example.com"
    token = _token_login().json()["token"]
    me = Client(headers={"Authorization": f"Bearer {token}"}).get("/api/v1/auth/me")
    assert me.json()["full_name"] == "สมชาย ใจดี"
    assert not ApiToken.objects.filter(key_hash=token).exists()  # only the hash is stored
    assert User.objects.get().password.startswith("md5$") or User.objects.get().password.startswith("argon2")


@pytest.mark.django_db
def test_common_password_is_refused_and_no_account_made():
    response = _signup(Client(), password="password123")
    assert response.status_code == 422
    assert response.json()["code"] == "weak_password"
    assert response.json()["field"] == "password"
    assert not User.objects.exists()


@pytest.mark.django_db
def test_a_registered_address_gets_the_same_answer_and_its_owner_a_notice(
    signed_up, mailoutbox, django_capture_on_commit_callbacks
):
    new = _signup(Client(), email="someone.new@example.com")
    mailoutbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        taken = _signup(Client(), email="SOMCHAI@example.com", password="another long passphrase 1")
    assert (taken.status_code, taken.json()) == (new.status_code, new.json())
    assert User.objects.filter(email="somchai@example.com").count() == 1
    (notice,) = mailoutbox
    assert notice.to == ["somchai@example.com"] and "verify-email" not in notice.body
    assert _token_login(password="another long passphrase 1").status_code == 401  # nothing changed
    assert _token_login().status_code == 200


@pytest.mark.django_db
def test_a_pre_registered_address_does_not_belong_to_the_one_who_registered_it(
    mailoutbox, django_capture_on_commit_callbacks
):
    """An attacker signs up with the victim's address; the victim signs up later, and only the victim's link and
    password confirm it. The attacker's link, opened by the victim, does not hand the address to the attacker."""
    with django_capture_on_commit_callbacks(execute=True):
        _signup(Client(), password="attacker passphrase 2569")
    attackers_link = _link_token(mailoutbox[-1])
    with django_capture_on_commit_callbacks(execute=True):
        assert _signup(Client()).status_code == 202  # the victim
    victims_link = _link_token(mailoutbox[-1])
    assert User.objects.count() == 1
    stale = Client().post(
        "/api/v1/auth/verify-email",
        {"token": attackers_link, "password": "attacker passphrase 2569"},
        content_type=JSON,
    )
    assert (stale.status_code, stale.json()["code"]) == (400, "verification_link_invalid")
    confirmed = Client().post(
        "/api/v1/auth/verify-email", {"token": victims_link, "password": PASSWORD}, content_type=JSON
    )
    assert confirmed.status_code == 200
    assert _token_login(password="attacker passphrase 2569").status_code == 401


@pytest.mark.django_db
def test_bad_email_is_refused():
    response = _signup(Client(), email="not-an-email")
    assert response.status_code == 422
    assert response.json()["code"] == "invalid_email"


@pytest.mark.django_db
def test_wrong_password_is_401_and_audited(signed_up):
    response = Client().post(
        "/api/v1/auth/token",
        {"email": "somchai@example.com", "password": "wrong"},
        content_type="application/json",
    )
    assert response.status_code == 401
    assert response.json()["code"] == "invalid_credentials"
    assert AuditEntry.objects.filter(action="auth.login_failed").count() == 1
    assert not ApiToken.objects.exists()


@pytest.mark.django_db
def test_forged_bearer_token_is_401():
    response = Client(headers={"Authorization": "Bearer forged"}).get("/api/v1/auth/me")
    assert response.status_code == 401


@pytest.mark.django_db
def test_password_login_page_rotates_session_and_redirects(signed_up):
    client = Client()
    client.get("/account/login/")
    before = client.session.session_key
    response = client.post(
        "/account/login/", {"email": "somchai@example.com", "password": "long enough passphrase 2569"}
    )
    assert response.status_code == 302
    assert client.session.session_key != before
    assert client.get("/applications/").status_code == 200


@pytest.mark.django_db
def test_session_api_call_without_csrf_token_is_refused(citizen):
    client = Client(enforce_csrf_checks=True)
    sign_in(client, citizen)
    response = client.post("/api/v1/applications", {"service": "x"}, content_type="application/json")
    assert response.status_code in (401, 403)


@pytest.mark.django_db
def test_sign_out_everywhere_ends_other_sessions_and_tokens(citizen):
    from borikan.identity.services import api_token_issue

    phone, laptop = Client(), Client()
    for client in (phone, laptop):
        client.post("/account/login/", {"email": citizen.email, "password": "correct-horse-battery-staple"})
        assert client.get("/applications/").status_code == 200
    key, _ = api_token_issue(user=citizen)
    api = Client(headers={"Authorization": f"Bearer {key}"})
    assert api.post("/api/v1/auth/logout-everywhere").status_code == 204
    assert laptop.get("/applications/").status_code == 302  # back to sign-in
    assert phone.get("/applications/").status_code == 302
    assert api.get("/api/v1/auth/me").status_code == 401
    assert AuditEntry.objects.filter(action="auth.logout_everywhere", subject_user_id=citizen.pk).count() == 1


@pytest.mark.django_db
def test_the_sign_up_page_answers_alike_and_the_link_page_confirms_with_the_password(
    signed_up, mailoutbox, django_capture_on_commit_callbacks
):
    form = {"email": "somchai@example.com", "password": "another long passphrase 1", "full_name": "ก ข"}
    with django_capture_on_commit_callbacks(execute=True):
        taken = Client().post("/account/signup/", form)
        fresh = Client().post("/account/signup/", form | {"email": "fresh@example.com"})
    assert taken.status_code == fresh.status_code == 202
    main = [
        re.search(rb"<main.*</main>", page.content, re.S).group(0).replace(address, b"X")
        for page, address in ((taken, b"somchai@example.com"), (fresh, b"fresh@example.com"))
    ]
    assert main[0] == main[1]
    link = re.search(r"(/account/verify-email/[^/\s]+/)", mailoutbox[-1].body).group(1)
    browser = Client()
    assert browser.get(link).status_code == 200
    assert browser.post(link, {"password": "wrong one"}).status_code == 400
    assert browser.post(link, {"password": "another long passphrase 1"}).status_code == 302
    assert User.objects.get(email="fresh@example.com").email_verified_at is not None
    assert browser.get("/applications/").status_code == 200


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("roles", "landing"),
    [
        ((), "/applications/"),
        (("officer",), "/office/"),
        (("approver",), "/approvals/"),
        (("officer", "director"), "/approvals/"),
        (("agency_admin",), "/agency-admin/"),
    ],
)
def test_signing_in_lands_each_role_on_its_own_starting_point(agency, roles, landing):
    """Issue 12: staff landed on the citizen's "my applications"; approvers had no inbox to land on."""
    from borikan.conftest import make_staff, make_user, sign_in

    user = make_staff("someone@excise.go.th", agency, *roles) if roles else make_user("someone@example.com")
    response = sign_in(Client(), user).get("/account/home/")
    assert response.status_code == 302 and response["Location"] == landing


@pytest.mark.django_db
def test_an_officer_signing_in_with_a_password_reaches_the_queue(agency):
    from borikan.conftest import make_staff

    make_staff("desk@excise.go.th", agency, "officer")
    client = Client()
    response = client.post(
        "/account/login/", {"email": "desk@excise.go.th", "password": "correct-horse-battery-staple"}
    )
    assert response.status_code == 302
    # Staff always work at AAL 2: first the second factor, then the person's own home.
    assert "/account/home/" in response["Location"]
