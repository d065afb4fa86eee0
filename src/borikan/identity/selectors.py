"""Reads about people: their proven IAL and their authenticators."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django.db.models import Max, Q, QuerySet
from django.utils import timezone

from .models import ProofingRecord

# Everyone who signs up has asserted who they are; nothing more is proven.
SELF_ASSERTED_IAL = Decimal("1.1")


def proofing_records_valid(*, user: Any) -> QuerySet[ProofingRecord]:
    now = timezone.now()
    return ProofingRecord.objects.filter(user=user, revoked_at__isnull=True).filter(
        Q(expires_at__isnull=True) | Q(expires_at__gt=now)
    )


def current_ial(*, user: Any) -> Decimal:
    """The highest IAL among the person's valid proofing records (IAL 1.1 when there is none)."""
    if user is None or not getattr(user, "pk", None):
        return Decimal("0")
    best = proofing_records_valid(user=user).aggregate(best=Max("ial"))["best"]
    # SQLite hands an aggregate back as a float-like Decimal (1.30000000000000): levels have one decimal place.
    return max(Decimal(best).quantize(Decimal("0.1")) if best is not None else SELF_ASSERTED_IAL, SELF_ASSERTED_IAL)


# What a counter proofing reaches with each further check (proofing.counter_level): the registry match alone,
# then the officer's face comparison, then the chip read.
COUNTER_CHECKS = (("registry", Decimal("1.3")), ("face", Decimal("2.1")), ("chip", Decimal("2.3")))


def identity_readiness(*, user: Any, ial: Decimal, aal: Decimal) -> dict[str, Any]:
    """What a service's identity level asks of a person, in the terms of the ways this platform proves identity,
    and whether this person (None: not signed in) already has it.

    - `counter`: the checks an officer makes at a counter to reach `ial` ("registry", "face", "chip"); empty when
      nothing needs checking (IAL 1.1, any account) and None when no counter check reaches it (IAL 3);
    - `providers`: the identity providers whose highest level reaches `ial`;
    - `second_factor`: whether signing in needs a second factor (AAL 2 and up);
    - for a signed-in person: `current_ial`, `has_ial`, `has_second_factor` and `ready` (both needs met)."""
    from .federation import providers
    from .mfa import has_second_factor

    counter: list[str] | None = [] if ial <= SELF_ASSERTED_IAL else None
    for index, (_name, level) in enumerate(COUNTER_CHECKS):
        if counter is None and level >= ial:
            counter = [name for name, _level in COUNTER_CHECKS[: index + 1]]
    found = {
        "ial": ial,
        "aal": aal,
        "counter": counter,
        "providers": [p for p in providers() if ial > SELF_ASSERTED_IAL and p.max_ial >= ial],
        "second_factor": aal >= Decimal("2"),
        "signed_in": bool(user is not None and getattr(user, "is_authenticated", False)),
    }
    if found["signed_in"]:
        level = current_ial(user=user)
        found["current_ial"] = level
        found["has_ial"] = level >= ial
        found["has_second_factor"] = has_second_factor(user)
        found["ready"] = found["has_ial"] and (found["has_second_factor"] or not found["second_factor"])
    return found
