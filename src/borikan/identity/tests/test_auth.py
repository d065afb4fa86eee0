import pytest
from django.test import Client

from borikan.audit.models import AuditEntry
from borikan.conftest import sign_in
from borikan.identity.models import ApiToken, User


def _signup(client: Client, **overrides):
    payload = {
        "email": "Somchai@Example.com",
        "password": "long enough passphrase 2569",
        "full_name": "สมชาย ใจดี",
    }
    return client.post("/api/v1/auth/signup", payload | overrides, content_type="application/json")


@pytest.mark.django_db
def test_sign_up_then_token_login():
    client = Client()
    response = _signup(client)
    assert response.status_code == 201
    assert response.json()["email"] == "somchai@example.com"
    token = client.post(
        "/api/v1/auth/token",
        {"email": "somchai@example.com", "password": "long enough passphrase 2569"},
        content_type="application/json",
    ).json()["token"]
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
def test_duplicate_email_is_refused():
    _signup(Client())
    response = _signup(Client(), email="SOMCHAI@example.com")
    assert response.status_code == 422
    assert response.json()["code"] == "email_taken"
    assert User.objects.count() == 1


@pytest.mark.django_db
def test_bad_email_is_refused():
    response = _signup(Client(), email="not-an-email")
    assert response.status_code == 422
    assert response.json()["code"] == "invalid_email"


@pytest.mark.django_db
def test_wrong_password_is_401_and_audited():
    _signup(Client())
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
def test_password_login_page_rotates_session_and_redirects():
    _signup(Client())
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
