"""Reads for the wallet and the officers' delivery pages."""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet

from borikan.agencies.selectors import staff_agency_ids
from borikan.core.errors import NotFound
from borikan.identity.enforcement import require_staff
from borikan.payments.models import Receipt

from .models import Delivery, DeliveryChannel, DeliveryStatus, ShareLink


def receipts_for_payer(*, user: Any) -> QuerySet[Receipt]:
    """The person's own electronic receipts, newest first (each opens through payments' own access check)."""
    return Receipt.objects.filter(payer=user).select_related("agency", "invoice").order_by("-issued_at", "-id")


def share_links_for_holder(*, user: Any) -> QuerySet[ShareLink]:
    """The holder's share links that still work (neither withdrawn nor expired)."""
    from django.utils import timezone

    return (
        ShareLink.objects.filter(holder=user, withdrawn_at__isnull=True, expires_at__gt=timezone.now())
        .select_related("document")
        .order_by("expires_at", "id")
    )


def deliveries_for_holder(*, user: Any) -> QuerySet[Delivery]:
    """How each of the person's documents was delivered: channel, status, when, tracking number."""
    return (
        Delivery.objects.filter(user=user, kind="document")
        .select_related("document")
        .order_by("-document__issued_at", "channel")
    )


def _staff_agencies(user: Any) -> set[int]:
    agencies = staff_agency_ids(user=user)
    if not agencies:
        raise NotFound("deliveries", "รายการจัดส่ง")
    require_staff(user)
    return agencies


def staff_delivery_queues(*, user: Any) -> dict[str, list[Delivery]]:
    """What an officer acts on: failed deliveries (the dead letter) and documents waiting for the post."""
    agencies = _staff_agencies(user)
    rows = Delivery.objects.filter(agency_id__in=agencies).select_related("document", "agency", "user")
    return {
        "dead": list(
            rows.filter(status=DeliveryStatus.DEAD).prefetch_related("attempt_log").order_by("updated_at", "id")
        ),
        "post_pending": list(
            rows.filter(channel=DeliveryChannel.POST, status=DeliveryStatus.PENDING).order_by("created_at", "id")
        ),
        "post_handed_over": list(
            rows.filter(channel=DeliveryChannel.POST, status=DeliveryStatus.HANDED_OVER).order_by("handed_over_at")
        ),
    }
