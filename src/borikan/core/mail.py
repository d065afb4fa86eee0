"""E-mail sent at once, outside the delivery outbox (core: identity's recovery mail uses it, below delivery)."""

from __future__ import annotations

import uuid

from django.conf import settings
from django.core.mail import EmailMessage
from django.core.mail.utils import DNS_NAME


def email_send_now(*, to: str, subject: str, body: str, reference: str) -> str:
    """Send a plain e-mail at once, outside the outbox; returns the Message-ID. Failures raise.

    For callers already running in a background task after their change committed. Other code writes to the
    delivery outbox (`delivery.services.notification_enqueue`) instead, which retries and never loses the message.
    """
    message_id = f"<borikan.n-{uuid.uuid4().hex}@{DNS_NAME}>"
    message = EmailMessage(
        subject=subject,
        body=body,
        from_email=settings.DEFAULT_FROM_EMAIL,
        to=[to],
        headers={"Message-ID": message_id, "X-Borikan-Reference": reference},
    )
    message.send()
    return message_id
