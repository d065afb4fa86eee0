"""Deliveries (process 8). The deliveries table is also the transactional outbox (ADR 0016).

A `Delivery` is one message to one person on one channel: an issued document (kind "document", one row per
document and channel) or a notification (kind "notification": an acknowledgement, a notice). It is written in
the same transaction as the change that causes it; workers claim due rows (SELECT ... FOR UPDATE SKIP LOCKED,
then a lease), send them, and mark them sent once. Every try is a `DeliveryAttempt` with the provider's answer.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models

from borikan.core.models import TimeStampedModel


class DeliveryKind(models.TextChoices):
    DOCUMENT = "document", "document"
    NOTIFICATION = "notification", "notification"


class DeliveryChannel(models.TextChoices):
    WALLET = "wallet", "wallet"
    EMAIL = "email", "email"
    SMS = "sms", "SMS"
    POST = "post", "post"


# Channels a background worker sends through a provider (the others are done by the request or an officer).
OUTBOX_CHANNELS = (DeliveryChannel.EMAIL, DeliveryChannel.SMS)


class DeliveryStatus(models.TextChoices):
    PENDING = "pending", "pending"  # waiting for its (next) attempt, or for an officer (post)
    SENDING = "sending", "sending"  # claimed by a worker until claimed_until
    SENT = "sent", "sent"  # handed to the provider (e-mail, SMS) or put in the wallet
    HANDED_OVER = "handed_over", "handed over to the post"
    DELIVERED = "delivered", "delivered by the post"
    DEAD = "dead", "failed: waiting for an officer"  # the dead letter
    GIVEN_UP = "given_up", "given up by an officer"


class Delivery(TimeStampedModel):
    kind = models.CharField(max_length=12, choices=DeliveryKind.choices, default=DeliveryKind.DOCUMENT)
    # The case the message is about (opaque to this app), repeated for reporting back; may be empty for a notice.
    case_ref = models.CharField(max_length=64, db_index=True, blank=True)
    document = models.ForeignKey(
        "documents.IssuedDocument", on_delete=models.PROTECT, related_name="deliveries", null=True, blank=True
    )
    # The agency whose officers see the delivery when it fails; the person it is for (the audit's data subject).
    agency = models.ForeignKey("agencies.Agency", on_delete=models.PROTECT, related_name="+", null=True, blank=True)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", null=True, blank=True
    )
    channel = models.CharField(max_length=10, choices=DeliveryChannel.choices)
    # The e-mail address or E.164 mobile number, fixed when the delivery is requested; empty for wallet and post.
    recipient = models.CharField(max_length=254, blank=True)
    subject = models.CharField(max_length=255, blank=True)
    body = models.TextField(blank=True)
    reference = models.CharField(max_length=100, blank=True)  # e.g. the tracking number, shown in the message
    # Idempotency key of the message: the e-mail's Message-ID is made from it and the SMS carries it as the
    # client reference, so a resend after a crash is recognisable as the same message.
    idempotency_key = models.CharField(max_length=64, unique=True)
    status = models.CharField(max_length=12, choices=DeliveryStatus.choices, default=DeliveryStatus.PENDING)
    attempts = models.PositiveIntegerField(default=0)
    max_attempts = models.PositiveIntegerField(default=1)
    next_attempt_at = models.DateTimeField(null=True, blank=True, db_index=True)
    claimed_until = models.DateTimeField(null=True, blank=True)
    claimed_by = models.CharField(max_length=100, blank=True)
    last_error = models.TextField(blank=True)
    sent_at = models.DateTimeField(null=True, blank=True)
    provider_message_id = models.CharField(max_length=255, blank=True)
    provider_receipt = models.JSONField(default=dict, blank=True)
    # Post: recorded by the officer who hands the document to the post.
    postal_address = models.TextField(blank=True)
    tracking_number = models.CharField(max_length=13, blank=True)
    handed_over_at = models.DateTimeField(null=True, blank=True)
    delivered_at = models.DateTimeField(null=True, blank=True)
    given_up_note = models.TextField(blank=True)

    class Meta:
        verbose_name_plural = "deliveries"
        indexes = [models.Index(fields=["status", "next_attempt_at"], name="delivery_due")]
        constraints = [
            models.UniqueConstraint(
                fields=["document", "channel"],
                condition=models.Q(kind="document"),
                name="unique_delivery_per_channel",
            ),
            models.CheckConstraint(condition=models.Q(kind__in=DeliveryKind.values), name="delivery_kind_valid"),
            models.CheckConstraint(
                condition=models.Q(channel__in=DeliveryChannel.values), name="delivery_channel_valid"
            ),
            models.CheckConstraint(condition=models.Q(status__in=DeliveryStatus.values), name="delivery_status_valid"),
            models.CheckConstraint(
                condition=~models.Q(kind="document") | models.Q(document__isnull=False),
                name="delivery_document_has_document",
            ),
            models.CheckConstraint(
                condition=~models.Q(channel__in=["email", "sms"]) | ~models.Q(recipient=""),
                name="delivery_email_has_recipient",
            ),
            models.CheckConstraint(
                condition=~models.Q(status="sent") | models.Q(sent_at__isnull=False),
                name="delivery_sent_has_time",
            ),
            models.CheckConstraint(
                condition=~models.Q(status__in=["handed_over", "delivered"])
                | (models.Q(channel="post") & ~models.Q(tracking_number="") & ~models.Q(postal_address="")),
                name="delivery_post_has_tracking",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.idempotency_key}:{self.status}"

    @property
    def email_message_id(self) -> str:
        """The Message-ID every send of this e-mail carries (RFC 5322: the same message, however often sent)."""
        from django.core.mail.utils import DNS_NAME

        return f"<borikan.{self.idempotency_key}@{DNS_NAME}>"


class AttemptOutcome(models.TextChoices):
    SENDING = "sending", "sending"  # still running, or the worker died (then the next attempt resumes it)
    SENT = "sent", "sent"
    FAILED = "failed", "failed"


class DeliveryAttempt(models.Model):
    """One try at handing a delivery to its provider, with the provider's answer (its receipt)."""

    delivery = models.ForeignKey(Delivery, on_delete=models.CASCADE, related_name="attempt_log")
    number = models.PositiveIntegerField()
    worker = models.CharField(max_length=100, blank=True)
    started_at = models.DateTimeField()
    finished_at = models.DateTimeField(null=True, blank=True)
    outcome = models.CharField(max_length=10, choices=AttemptOutcome.choices, default=AttemptOutcome.SENDING)
    # The previous attempt's worker died after claiming: the message may already have gone out.
    after_crash = models.BooleanField(default=False)
    # The provider recognised the idempotency key and did not send the message a second time.
    duplicate_detected = models.BooleanField(default=False)
    error = models.TextField(blank=True)
    provider_message_id = models.CharField(max_length=255, blank=True)
    provider_receipt = models.JSONField(default=dict, blank=True)

    class Meta:
        ordering = ["delivery_id", "number"]
        constraints = [
            models.UniqueConstraint(fields=["delivery", "number"], name="unique_delivery_attempt_number"),
        ]

    def __str__(self) -> str:
        return f"{self.delivery_id}#{self.number}:{self.outcome}"


class ShareLink(models.Model):
    """A time-limited link to one document, made and withdrawable by its holder. Only a hash of the token is kept."""

    document = models.ForeignKey("documents.IssuedDocument", on_delete=models.PROTECT, related_name="+")
    holder = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    token_hash = models.CharField(max_length=64, unique=True)
    created_at = models.DateTimeField(auto_now_add=True)
    expires_at = models.DateTimeField()
    withdrawn_at = models.DateTimeField(null=True, blank=True)
    open_count = models.PositiveIntegerField(default=0)
    last_opened_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"share {self.pk} of {self.document_id}"
