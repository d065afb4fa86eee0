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
