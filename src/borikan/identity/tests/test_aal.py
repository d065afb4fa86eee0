"""The session's AAL from the methods used in it, and the re-authentication limits (NIST SP 800-63B)."""

from decimal import Decimal

import pytest

from borikan.identity.authn import AAL0, AAL1, AAL2_1, AAL2_2, Method, MethodUse, aal_of

NOW = 1_800_000_000
MIN = 60
HOUR = 3600


def uses(*items: tuple[str, int] | tuple[str, int, str]) -> list[MethodUse]:
    return [MethodUse(method=i[0], at=NOW - i[1], aal=Decimal(i[2]) if len(i) > 2 else None) for i in items]


@pytest.mark.parametrize(
    ("methods", "expected"),
    [
        ([], AAL0),
        ([(Method.PASSWORD, 0)], AAL1),
        ([(Method.TOTP, 0)], AAL1),
        ([(Method.PASSWORD, 0), (Method.RECOVERY_CODE, 0)], AAL2_1),
        ([(Method.PASSWORD, 0), (Method.TOTP, 0)], AAL2_2),
        ([(Method.PASSKEY, 0)], AAL2_2),
        ([(Method.FEDERATED, 0, "2.1")], AAL2_1),
        ([(Method.FEDERATED, 0, "3")], Decimal("3")),
        ([(Method.FEDERATED, 0, "1")], AAL1),
    ],
)
def test_methods_give_their_level(methods, expected):
    assert aal_of(uses(*methods), last_activity=NOW, now=NOW) == expected


def test_aal2_ends_after_30_idle_minutes_and_falls_back_to_aal1():
    session = uses((Method.PASSWORD, 40 * MIN), (Method.TOTP, 40 * MIN))
    assert aal_of(session, last_activity=NOW - 29 * MIN, now=NOW) == AAL2_2
    assert aal_of(session, last_activity=NOW - 31 * MIN, now=NOW) == AAL1


def test_aal2_ends_12_hours_after_the_factors_were_used_even_when_active():
    session = uses((Method.PASSWORD, 12 * HOUR + MIN), (Method.TOTP, 12 * HOUR + MIN))
    assert aal_of(session, last_activity=NOW - MIN, now=NOW) == AAL1
    stepped_up_again = [*session, *uses((Method.TOTP, 0))]
    # The password is older than 12 hours: a fresh second factor alone is one factor, AAL 1.
    assert aal_of(stepped_up_again, last_activity=NOW, now=NOW) == AAL1


def test_aal3_needs_activity_within_15_minutes_then_counts_as_aal2():
    session = uses((Method.FEDERATED, HOUR, "3"))
    assert aal_of(session, last_activity=NOW - 14 * MIN, now=NOW) == Decimal("3")
    assert aal_of(session, last_activity=NOW - 16 * MIN, now=NOW) == AAL2_2
    assert aal_of(session, last_activity=NOW - 31 * MIN, now=NOW) == AAL1


def test_aal1_lasts_30_days():
    assert aal_of(uses((Method.PASSWORD, 29 * 24 * HOUR)), last_activity=NOW - 20 * 24 * HOUR, now=NOW) == AAL1
    assert aal_of(uses((Method.PASSWORD, 31 * 24 * HOUR)), last_activity=NOW, now=NOW) == AAL0
