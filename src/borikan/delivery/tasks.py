"""Background jobs of delivery (Django's Tasks API). Tasks take IDs, re-fetch, and call one service."""

from __future__ import annotations

from django.tasks import task

from . import services


@task
def send_delivery_email(delivery_id: int) -> str:
    """Send an e-mail delivery; safe to run more than once. Returns the delivery's status."""
    delivery = services.delivery_email_send(delivery_id=delivery_id)
    return delivery.status if delivery is not None else "missing"
