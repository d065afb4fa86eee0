import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection

from borikan.audit.models import AuditEntry
from borikan.audit.services import GENESIS_HASH, audit_record, audit_seal, audit_verify_chain


def _three_entries() -> list[AuditEntry]:
    """Three entries, sealed (in tests the surrounding transaction never commits, so seal explicitly)."""
    entries = [
        audit_record(actor=None, action=f"test.{n}", object_type="thing", object_id=n, data={"n": n}) for n in range(3)
    ]
    audit_seal()
    return list(AuditEntry.objects.filter(pk__in=[e.pk for e in entries]).order_by("seq"))


@pytest.mark.django_db
def test_entry_is_unsealed_until_sealed_after_commit():
    entry = audit_record(actor=None, action="test", object_type="thing", object_id=1)
    assert entry.seq is None
    assert entry.hash is None
    assert audit_seal() == 1
    entry.refresh_from_db()
    assert entry.seq == 1
    assert entry.prev_hash == GENESIS_HASH
    assert audit_seal() == 0


@pytest.mark.django_db(transaction=True)
def test_committed_transaction_seals_its_entries():
    from django.db import transaction

    with transaction.atomic():
        audit_record(actor=None, action="test.a", object_type="thing", object_id=1)
        audit_record(actor=None, action="test.b", object_type="thing", object_id=2)
    assert list(AuditEntry.objects.order_by("seq").values_list("seq", "action")) == [
        (1, "test.a"),
        (2, "test.b"),
    ]


@pytest.mark.django_db(transaction=True)
def test_rolled_back_transaction_leaves_no_entry():
    from django.db import transaction

    with pytest.raises(ValueError), transaction.atomic():
        audit_record(actor=None, action="test.a", object_type="thing", object_id=1)
        raise ValueError
    assert not AuditEntry.objects.exists()


@pytest.mark.django_db
def test_each_entry_links_to_the_previous_hash():
    first, second, third = _three_entries()
    assert first.prev_hash == GENESIS_HASH
    assert second.prev_hash == first.hash
    assert third.prev_hash == second.hash
    assert [e.seq for e in (first, second, third)] == [1, 2, 3]


@pytest.mark.django_db
def test_intact_chain_verifies():
    _three_entries()
    report = audit_verify_chain()
    assert report.ok
    assert report.checked == 3


def _tamper(sql: str, params: list) -> None:
    """Change a stored row behind the application's back, as an attacker with database access would."""
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("ALTER TABLE audit_auditentry DISABLE TRIGGER audit_entry_append_only")
        cursor.execute(sql, params)
        if connection.vendor == "postgresql":
            cursor.execute("ALTER TABLE audit_auditentry ENABLE TRIGGER audit_entry_append_only")


@pytest.mark.django_db
def test_tampered_content_is_detected_at_that_entry():
    _three_entries()
    _tamper("UPDATE audit_auditentry SET action = %s WHERE seq = %s", ["test.forged", 2])
    report = audit_verify_chain()
    assert not report.ok
    assert report.first_broken_seq == 2
    assert report.checked == 1


@pytest.mark.django_db
def test_deleted_entry_is_detected():
    _three_entries()
    _tamper("DELETE FROM audit_auditentry WHERE seq = %s", [2])
    report = audit_verify_chain()
    assert report.first_broken_seq == 2


@pytest.mark.django_db
def test_truncated_tail_is_detected():
    _three_entries()
    _tamper("DELETE FROM audit_auditentry WHERE seq = %s", [3])
    report = audit_verify_chain()
    assert report.first_broken_seq == 3


@pytest.mark.django_db
def test_verify_command_names_first_broken_entry():
    _three_entries()
    _tamper("UPDATE audit_auditentry SET data = %s WHERE seq = %s", ['{"n": 99}', 3])
    with pytest.raises(CommandError, match="entry #3"):
        call_command("audit_verify")


@pytest.mark.django_db
def test_model_refuses_update_and_delete():
    entry = audit_record(actor=None, action="test", object_type="thing", object_id=1)
    entry.action = "changed"
    with pytest.raises(RuntimeError):
        entry.save()
    with pytest.raises(RuntimeError):
        entry.delete()


@pytest.mark.django_db
@pytest.mark.skipif(connection.vendor != "postgresql", reason="the append-only trigger exists on PostgreSQL only")
def test_database_trigger_refuses_update():
    from django.db import DatabaseError, transaction

    audit_record(actor=None, action="test", object_type="thing", object_id=1)
    audit_seal()
    with pytest.raises(DatabaseError, match="append-only"), transaction.atomic():
        AuditEntry.objects.filter(seq=1).update(action="changed")
    with pytest.raises(DatabaseError, match="append-only"), transaction.atomic():
        AuditEntry.objects.filter(seq=1).delete()


@pytest.mark.django_db
@pytest.mark.skipif(connection.vendor != "postgresql", reason="the append-only trigger exists on PostgreSQL only")
def test_database_trigger_refuses_changing_content_of_unsealed_entry():
    from django.db import DatabaseError, transaction

    audit_record(actor=None, action="test", object_type="thing", object_id=1)
    with pytest.raises(DatabaseError, match="append-only"), transaction.atomic():
        AuditEntry.objects.filter(action="test").update(action="changed", hash="f" * 64)


@pytest.mark.django_db(transaction=True)
def test_with_a_deferring_backend_one_seal_is_scheduled_per_window(settings, monkeypatch):
    from django.db import transaction
    from django.tasks import default_task_backend

    from borikan.audit import services

    settings.TASKS = {"default": {"BACKEND": "django.tasks.backends.dummy.DummyBackend"}}
    monkeypatch.setattr(services, "_seal_scheduled_until", 0.0)
    for n in range(3):
        with transaction.atomic():
            audit_record(actor=None, action=f"test.{n}", object_type="thing", object_id=n)
    scheduled = default_task_backend.results
    assert len(scheduled) == 1  # three commits in one window: one seal, run when the window ends
    assert scheduled[0].task.run_after is not None
    assert AuditEntry.objects.filter(seq__isnull=True).count() == 3  # until that seal runs
