"""Deliveries of issued documents (process 8): one row per document and channel, with its attempts."""

from __future__ import annotations

from django.db import models

from borikan.core.models import TimeStampedModel


class DeliveryChannel(models.TextChoices):
    WALLET = "wallet", "wallet"
    EMAIL = "email", "email"


class DeliveryStatus(models.TextChoices):
    PENDING = "pending", "pending"
    SENT = "sent", "sent"
    FAILED = "failed", "failed"


class Delivery(TimeStampedModel):
    # The case the document was issued for (opaque to this app), repeated for reporting back.
    case_ref = models.CharField(max_length=64, db_index=True)
    document = models.ForeignKey("documents.IssuedDocument", on_delete=models.PROTECT, related_name="deliveries")
    channel = models.CharField(max_length=10, choices=DeliveryChannel.choices)
    # The e-mail address for the email channel, fixed when the delivery is requested; empty for the wallet.
    recipient = models.CharField(max_length=254, blank=True)
    status = models.CharField(max_length=10, choices=DeliveryStatus.choices, default=DeliveryStatus.PENDING)
    attempts = models.PositiveIntegerField(default=0)
    last_error = models.TextField(blank=True)
    sent_at = models.DateTimeField(null=True, blank=True)
    provider_message_id = models.CharField(max_length=255, blank=True)

    class Meta:
        verbose_name_plural = "deliveries"
        constraints = [
            models.UniqueConstraint(fields=["document", "channel"], name="unique_delivery_per_channel"),
            models.CheckConstraint(
                condition=models.Q(channel__in=DeliveryChannel.values), name="delivery_channel_valid"
            ),
            models.CheckConstraint(condition=models.Q(status__in=DeliveryStatus.values), name="delivery_status_valid"),
            models.CheckConstraint(
                condition=~models.Q(channel=DeliveryChannel.EMAIL) | ~models.Q(recipient=""),
                name="delivery_email_has_recipient",
            ),
            models.CheckConstraint(
                condition=~models.Q(status=DeliveryStatus.SENT) | models.Q(sent_at__isnull=False),
                name="delivery_sent_has_time",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.document_id}:{self.channel}:{self.status}"
