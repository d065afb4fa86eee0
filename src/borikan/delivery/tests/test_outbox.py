"""The outbox: written with the change that causes it, claimed once, resumed after a crash with the same key."""

from __future__ import annotations

import datetime as dt
import threading

import pytest
from django.core.management import call_command
from django.db import connection, transaction
from django.utils import timezone

from borikan.core.errors import ValidationFailed
from borikan.delivery import outbox
from borikan.delivery.models import Delivery, DeliveryStatus
from borikan.delivery.services import notification_enqueue

from .conftest import SmtpServer

pytestmark = pytest.mark.django_db


def _notice(n: int = 1, **overrides) -> Delivery:
    fields = {
        "channel": "email",
        "to": f"person{n}@example.com",
        "subject": f"แจ้งเตือน / Notice {n}",
        "body": f"ข้อความ / Message {n}",
        "reference": f"REF-{n}",
    }
    return notification_enqueue(**{**fields, **overrides})


def test_a_notification_is_sent_after_the_change_commits(smtp_server: SmtpServer, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        delivery = _notice()

    delivery.refresh_from_db()
    assert delivery.status == DeliveryStatus.SENT
    [(recipients, message)] = smtp_server.sink.messages
    assert recipients == ["person1@example.com"]
    assert message["Message-ID"] == delivery.email_message_id == delivery.provider_message_id
    assert message["X-Borikan-Reference"] == "REF-1"
    assert message.get_body(preferencelist=("plain",)).get_content().strip() == "ข้อความ / Message 1"


def test_a_notification_of_a_change_that_rolls_back_is_never_written_or_sent(
    smtp_server: SmtpServer, django_capture_on_commit_callbacks
):
    class Boom(Exception):
        pass

    with django_capture_on_commit_callbacks(execute=True) as callbacks, pytest.raises(Boom), transaction.atomic():
        _notice()
        raise Boom

    assert callbacks == []
    assert Delivery.objects.count() == 0
    assert smtp_server.sink.messages == []


def test_the_same_idempotency_key_writes_one_message(smtp_server: SmtpServer, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        first = _notice(idempotency_key="ack-EX-2569-000001")
        second = _notice(idempotency_key="ack-EX-2569-000001")

    assert first.pk == second.pk
    assert len(smtp_server.sink.messages) == 1


@pytest.mark.parametrize(
    ("overrides", "code"),
    [
        ({"to": "not-an-address"}, "invalid_email"),
        ({"subject": " "}, "subject_required"),
        ({"body": ""}, "body_required"),
        ({"channel": "sms", "to": "12345"}, "invalid_phone"),
        ({"channel": "fax"}, "unknown_channel"),
        ({"idempotency_key": "has spaces/and slashes"}, "invalid_idempotency_key"),
    ],
)
def test_bad_notifications_are_refused_and_nothing_is_written(overrides, code):
    with pytest.raises(ValidationFailed) as raised:
        _notice(**overrides)

    assert raised.value.code == code
    assert raised.value.message_th and raised.value.message_en
    assert Delivery.objects.count() == 0


def test_a_message_claimed_by_a_worker_that_died_is_resumed_with_the_same_message_id(
    smtp_server: SmtpServer, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=False):
        delivery = _notice()
    claim = outbox.claim_next(worker="worker-that-dies")
    assert claim is not None and claim.delivery.pk == delivery.pk
    # The worker dies here. While its lease runs, nobody else takes the message.
    assert outbox.outbox_dispatch(worker="second") == 0
    Delivery.objects.filter(pk=delivery.pk).update(claimed_until=timezone.now() - dt.timedelta(seconds=1))

    assert outbox.outbox_dispatch(worker="second") == 1

    delivery.refresh_from_db()
    assert (delivery.status, delivery.attempts, delivery.claimed_by) == (DeliveryStatus.SENT, 2, "")
    first, second = delivery.attempt_log.all()
    assert (first.worker, first.outcome, first.after_crash) == ("worker-that-dies", "sending", False)
    assert (second.worker, second.outcome, second.after_crash) == ("second", "sent", True)
    [(_, message)] = smtp_server.sink.messages
    assert message["Message-ID"] == delivery.email_message_id


def test_a_sent_message_is_never_claimed_again(smtp_server: SmtpServer, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        _notice()

    assert outbox.outbox_dispatch() == 0
    assert outbox.claim_next(worker="w") is None
    assert len(smtp_server.sink.messages) == 1


def test_the_dispatch_outbox_command_sends_what_is_due(smtp_server: SmtpServer, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=False):
        _notice(1)
        _notice(2)

    call_command("dispatch_outbox", verbosity=0)

    assert Delivery.objects.filter(status=DeliveryStatus.SENT).count() == 2
    assert len(smtp_server.sink.messages) == 2


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_a_row_locked_by_one_worker_is_skipped_by_another(settings):
    if connection.vendor != "postgresql":
        pytest.skip("SKIP LOCKED needs PostgreSQL")
    settings.TASKS = {"default": {"BACKEND": "django.tasks.backends.dummy.DummyBackend"}}  # no worker runs
    first, second = _notice(1), _notice(2)
    locked = threading.Event()
    release = threading.Event()

    def hold_first() -> None:
        with transaction.atomic():
            Delivery.objects.select_for_update().get(pk=first.pk)
            locked.set()
            release.wait(10)
        connection.close()

    holder = threading.Thread(target=hold_first)
    holder.start()
    try:
        assert locked.wait(10)
        claim = outbox.claim_next(worker="other")
    finally:
        release.set()
        holder.join(10)

    assert claim is not None and claim.delivery.pk == second.pk
