"""The citizen ID at rest: validated by its check digit, matched by a keyed hash, unreadable in a dump."""

from decimal import Decimal

import pytest
from cryptography.exceptions import InvalidTag
from django.db import connection
from django.test import Client

from borikan.audit.models import AuditEntry
from borikan.core.errors import ApplicationError
from borikan.identity.models import User
from borikan.identity.pii import decrypt, encrypt, new_key_ring_entry
from borikan.identity.selectors import current_ial
from borikan.identity.services import user_find_by_citizen_id, user_set_citizen_id, user_sign_up

GOOD_ID = "1101700230708"


def _raw_row(user: User) -> str:
    with connection.cursor() as cursor:
        cursor.execute("SELECT * FROM identity_user WHERE id = %s", [user.pk])
        return " ".join(str(value) for value in cursor.fetchone())


@pytest.mark.django_db
def test_citizen_id_is_not_readable_in_the_database_but_can_be_found(citizen):
    user_set_citizen_id(actor=citizen, user=citizen, citizen_id="1-1017-00230-70-8")
    assert GOOD_ID not in _raw_row(citizen)
    assert user_find_by_citizen_id(citizen_id=GOOD_ID) == citizen
    assert User.objects.get(pk=citizen.pk).citizen_id == GOOD_ID


@pytest.mark.django_db
def test_audit_entry_records_the_change_but_not_the_number(citizen):
    user_set_citizen_id(actor=citizen, user=citizen, citizen_id=GOOD_ID)
    entry = AuditEntry.objects.get(action="identity.citizen_id_set")
    assert GOOD_ID not in str(entry.data)
    assert entry.subject_user_id == citizen.pk


@pytest.mark.django_db
def test_bad_check_digit_is_refused_and_nothing_is_stored(citizen):
    with pytest.raises(ApplicationError) as caught:
        user_set_citizen_id(actor=citizen, user=citizen, citizen_id="1101700230709")
    assert caught.value.code == "invalid_citizen_id"
    citizen.refresh_from_db()
    assert (citizen.citizen_id_hash, citizen.citizen_id_encrypted) == (None, "")


@pytest.mark.django_db
def test_the_same_id_cannot_belong_to_two_accounts(citizen, other_citizen):
    user_set_citizen_id(actor=citizen, user=citizen, citizen_id=GOOD_ID)
    with pytest.raises(ApplicationError) as caught:
        user_set_citizen_id(actor=other_citizen, user=other_citizen, citizen_id=GOOD_ID)
    assert caught.value.code == "citizen_id_taken"
    other_citizen.refresh_from_db()
    assert other_citizen.citizen_id_hash is None


@pytest.mark.django_db
def test_sign_up_with_a_bad_citizen_id_creates_no_account():
    response = Client().post(
        "/api/v1/auth/signup",
        {"email": "a@example.com", "password": "long enough passphrase 2569", "full_name": "ก ข", "citizen_id": "123"},
        content_type="application/json",
    )
    assert response.status_code == 422
    assert response.json()["code"] == "invalid_citizen_id"
    assert not User.objects.exists()


def test_encryption_is_bound_to_its_purpose_and_survives_key_rotation(settings):
    token = encrypt(GOOD_ID, purpose="citizen_id")
    with pytest.raises(InvalidTag):
        decrypt(token, purpose="tax_id")
    settings.BORIKAN_PII_KEYS = f"{new_key_ring_entry('next')},{settings.BORIKAN_PII_KEYS}"
    assert decrypt(token, purpose="citizen_id") == GOOD_ID  # old data still reads with the old key
    assert encrypt(GOOD_ID, purpose="citizen_id").startswith("next:")  # new data uses the new key


@pytest.mark.django_db
def test_sign_up_with_a_bad_check_digit_is_refused_audited_and_creates_nothing():
    response = Client().post(
        "/api/v1/auth/signup",
        {"email": "new@example.com", "password": "long-enough-pass", "full_name": "ก ข", "citizen_id": "1101700230709"},
        content_type="application/json",
    )
    assert response.status_code == 422 and response.json()["code"] == "invalid_citizen_id"
    assert not User.objects.filter(email="new@example.com").exists()
    assert AuditEntry.objects.filter(action="auth.sign_up_refused", data__code="invalid_citizen_id").exists()


@pytest.mark.django_db
def test_a_new_account_starts_with_a_self_asserted_record_at_ial_1_1():
    user = user_sign_up(email="fresh@example.com", password="long-enough-pass", full_name="ก ข")
    record = user.proofing_records.get()
    assert (record.method, record.ial) == ("self_asserted", Decimal("1.1"))
    assert current_ial(user=user) == Decimal("1.1")
