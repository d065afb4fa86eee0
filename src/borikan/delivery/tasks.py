"""Background jobs of delivery (Django's Tasks API). Tasks take IDs, re-fetch, and call one service."""

from __future__ import annotations

from django.tasks import task

from . import outbox


@task
def delivery_outbox_dispatch(limit: int = 100) -> int:
    """Send the outbox's due deliveries (safe to run any number of times, on any number of workers)."""
    return outbox.outbox_dispatch(limit=limit)
