"""Account recovery never gives more assurance than the factors actually used; losing the second factor costs
the IAL above 1.3 until the person is proven again."""

from __future__ import annotations

import re
import time
from decimal import Decimal
from urllib.parse import urlsplit

import pyotp
import pytest
from django.core import mail
from django.test import Client
from django.urls import reverse

from borikan.audit.models import AuditEntry
from borikan.identity import mfa, recovery
from borikan.identity.models import ApiToken, ProofingRecord, TotpDevice
from borikan.identity.selectors import current_ial
from borikan.identity.services import api_token_issue

NEW_PASSWORD = "a-brand-new-long-passphrase"
LINK = re.compile(r"http://\S+/account/recover/\S+/")


def _request_link(client: Client, email: str, capture) -> str:
    with capture(execute=True):
        response = client.post(reverse("identity:recover"), {"email": email})
    assert response.status_code == 200
    assert response.context["sent"]
    return urlsplit(LINK.search(mail.outbox[-1].body).group(0)).path


def _with_totp(user) -> pyotp.TOTP:
    setup = mfa.totp_begin(user=user)
    totp = pyotp.TOTP(setup["secret"])
    mfa.totp_confirm(user=user, code=totp.now())
    return totp


@pytest.mark.django_db
def test_recovery_with_the_second_factor_keeps_it_and_the_ial_and_signs_nobody_in(
    citizen, django_capture_on_commit_callbacks
):
    totp = _with_totp(citizen)
    ProofingRecord.objects.create(user=citizen, method="counter", ial=Decimal("2.3"))
    _, token = api_token_issue(user=citizen)
    client = Client()
    path = _request_link(client, citizen.email, django_capture_on_commit_callbacks)
    assert client.get(path).status_code == 200
    with django_capture_on_commit_callbacks(execute=True):
        done = client.post(path, {"new_password": NEW_PASSWORD, "code": totp.at(time.time() + 30)})
    assert done.status_code == 200, done.content.decode()[:500]
    assert done.context["outcome"] == {"kept_second_factor": True, "proofings_revoked": 0}
    assert "_auth_user_id" not in client.session  # e-mail is not an authenticator: no session comes of it
    citizen.refresh_from_db()
    assert citizen.check_password(NEW_PASSWORD)
    assert current_ial(user=citizen) == Decimal("2.3")
    assert TotpDevice.objects.filter(user=citizen).exists()
    assert ApiToken.objects.get(pk=token.pk).revoked_at is not None
    assert "password was changed" in mail.outbox[-1].body
    assert client.get(path).status_code == 400  # the link died with the old password


@pytest.mark.django_db
def test_recovery_without_the_second_factor_removes_factors_and_lowers_the_ial(
    citizen, django_capture_on_commit_callbacks
):
    _with_totp(citizen)
    ProofingRecord.objects.create(user=citizen, method="counter", ial=Decimal("2.3"))
    ProofingRecord.objects.create(user=citizen, method="counter", ial=Decimal("1.3"))
    client = Client()
    path = _request_link(client, citizen.email, django_capture_on_commit_callbacks)
    missing = client.post(path, {"new_password": NEW_PASSWORD})
    assert missing.status_code == 400
    assert missing.context["form"].errors["code"]
    citizen.refresh_from_db()
    assert not citizen.check_password(NEW_PASSWORD)  # refused: nothing changed
    with django_capture_on_commit_callbacks(execute=True):
        done = client.post(path, {"new_password": NEW_PASSWORD, "lost_second_factor": "on"})
    assert done.context["outcome"] == {"kept_second_factor": False, "proofings_revoked": 1}
    assert current_ial(user=citizen) == Decimal("1.3")
    assert not mfa.has_second_factor(citizen)
    revoked = ProofingRecord.objects.get(user=citizen, ial=Decimal("2.3"))
    assert revoked.revoked_reason == recovery.LOST_SECOND_FACTOR
    assert AuditEntry.objects.filter(action="auth.recovered", data__with_second_factor=False).exists()
    assert "IAL" in mail.outbox[-1].body


@pytest.mark.django_db
def test_a_forged_link_is_refused_and_audited(citizen):
    response = Client().post(
        reverse("identity:recover_confirm", kwargs={"uidb64": "MQ", "token": "forged-token"}),
        {"new_password": NEW_PASSWORD},
    )
    assert response.status_code == 400
    citizen.refresh_from_db()
    assert not citizen.check_password(NEW_PASSWORD)
    assert AuditEntry.objects.filter(action="auth.recovery_link_invalid").exists()


@pytest.mark.django_db
def test_unknown_addresses_get_the_same_answer_and_no_mail(django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        response = Client().post(reverse("identity:recover"), {"email": "nobody@example.com"})
    assert response.status_code == 200 and response.context["sent"]
    assert mail.outbox == []


@pytest.mark.django_db
def test_recovery_requests_are_rate_limited_per_address(citizen, django_capture_on_commit_callbacks):
    client = Client()
    with django_capture_on_commit_callbacks(execute=True):
        for _ in range(recovery.ADDRESS_RECOVERIES.attempts):
            assert client.post(reverse("identity:recover"), {"email": "someone@example.com"}).status_code == 200
        blocked = client.post(reverse("identity:recover"), {"email": citizen.email})
    assert blocked.status_code == 400
    assert mail.outbox == []
    assert AuditEntry.objects.filter(action="auth.recovery_throttled").exists()
