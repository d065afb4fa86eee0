"""The notification signature check on its own: pure function, fixed clock."""

import json

import pytest

from borikan.payments.gateway import NotificationRejected, verify_notification

from .gatewaykit import sign

SECRET = "test-secret-for-signature-checks"
NOW = 1_790_000_000
BODY = json.dumps(
    {
        "event_id": "evt_1",
        "charge_id": "ch_1",
        "ref1": "BK2569000001",
        "ref2": "DOPA7",
        "amount_satang": 25_000,
        "paid_at": "2026-09-21T10:00:00+00:00",
        "txn_id": "txn_1",
    }
).encode()


def verify(body: bytes, header: str, *, now: int = NOW):
    return verify_notification(body=body, signature_header=header, secret=SECRET, tolerance_seconds=300, now=now)


def rejection_code(body: bytes, header: str, *, now: int = NOW) -> str:
    with pytest.raises(NotificationRejected) as caught:
        verify(body, header, now=now)
    return caught.value.code


def test_a_good_signature_yields_the_typed_notification():
    notification = verify(BODY, sign(BODY, secret=SECRET, timestamp=NOW))
    assert (notification.event_id, notification.charge_id, notification.txn_id) == ("evt_1", "ch_1", "txn_1")
    assert (notification.ref1, notification.ref2, notification.amount_satang) == (
        "BK2569000001",
        "DOPA7",
        25_000,
    )
    assert notification.paid_at.isoformat() == "2026-09-21T10:00:00+00:00"


def test_any_of_several_v1_signatures_may_match_during_secret_rotation():
    good = sign(BODY, secret=SECRET, timestamp=NOW).split(",")[1]
    assert verify(BODY, f"t={NOW},v1={'0' * 64},{good}").event_id == "evt_1"


def test_signature_with_another_secret_is_rejected():
    assert rejection_code(BODY, sign(BODY, secret="other", timestamp=NOW)) == "bad_signature"


def test_changed_body_is_rejected():
    header = sign(BODY, secret=SECRET, timestamp=NOW)
    assert rejection_code(BODY.replace(b"25000", b"2500"), header) == "bad_signature"


def test_changed_timestamp_is_rejected():
    signature = sign(BODY, secret=SECRET, timestamp=NOW).split(",")[1]
    assert rejection_code(BODY, f"t={NOW + 1},{signature}") == "bad_signature"


@pytest.mark.parametrize("header", ["", "t=123", "v1=abc", "garbage", f"t=x,v1={'0' * 64}"])
def test_missing_or_malformed_header_is_rejected(header):
    assert rejection_code(BODY, header) == "bad_signature"


@pytest.mark.parametrize("age", [301, -301])
def test_timestamp_outside_the_tolerance_is_stale(age):
    assert rejection_code(BODY, sign(BODY, secret=SECRET, timestamp=NOW - age)) == "stale_webhook"


def test_timestamp_at_the_edge_of_the_tolerance_is_accepted():
    assert verify(BODY, sign(BODY, secret=SECRET, timestamp=NOW - 300)).event_id == "evt_1"


@pytest.mark.parametrize(
    "body",
    [
        b"not json",
        b"[1, 2]",
        json.dumps({**json.loads(BODY), "amount_satang": "25000"}).encode(),
        json.dumps({**json.loads(BODY), "amount_satang": 0}).encode(),
        json.dumps({**json.loads(BODY), "txn_id": ""}).encode(),
        json.dumps({**json.loads(BODY), "paid_at": "2026-09-21T10:00:00"}).encode(),
        json.dumps({k: v for k, v in json.loads(BODY).items() if k != "event_id"}).encode(),
    ],
)
def test_signed_but_malformed_body_is_rejected(body):
    assert rejection_code(body, sign(body, secret=SECRET, timestamp=NOW)) == "malformed_webhook"
