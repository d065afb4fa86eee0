"""Fee payment: invoices with a Thai QR, payments posted from gateway notifications, and what was held.

Money is integer satang. A case is referred to by an opaque `case_ref`; this app never imports `applications`.
"""

from django.conf import settings
from django.db import models
from django.db.models import Q

from borikan.agencies.models import Agency
from borikan.core.models import TimeStampedModel


class InvoiceStatus(models.TextChoices):
    OPEN = "open", "open"
    PAID = "paid", "paid"
    CANCELLED = "cancelled", "cancelled"


class InvoiceCounter(models.Model):
    """The last invoice sequence number per agency and Buddhist-Era year; locked while numbering."""

    agency = models.ForeignKey(Agency, on_delete=models.PROTECT, related_name="+")
    be_year = models.PositiveIntegerField()
    last_seq = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["agency", "be_year"], name="unique_invoice_counter"),
        ]

    def __str__(self) -> str:
        return f"{self.agency_id}/{self.be_year}:{self.last_seq}"


class Invoice(TimeStampedModel):
    # INV-<AGENCY>-<BE year>-<seq>, e.g. INV-DOPA-2569-000042.
    number = models.CharField(max_length=40, unique=True)
    case_ref = models.CharField(max_length=64, db_index=True)
    agency = models.ForeignKey(Agency, on_delete=models.PROTECT, related_name="invoices")
    payer = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="invoices")
    description = models.CharField(max_length=255)
    amount_satang = models.BigIntegerField()
    # Bill-payment references printed in the QR and reported back by the bank.
    ref1 = models.CharField(max_length=20)  # the case's tracking number
    ref2 = models.CharField(max_length=20)  # agency code + check digit (see services.ref2_for)
    due_date = models.DateField()
    status = models.CharField(max_length=20, choices=InvoiceStatus.choices, default=InvoiceStatus.OPEN)
    qr_payload = models.CharField(max_length=512)
    gateway_charge_id = models.CharField(max_length=64, unique=True)
    paid_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        constraints = [
            models.CheckConstraint(condition=Q(amount_satang__gt=0), name="invoice_amount_positive"),
            models.CheckConstraint(condition=Q(status__in=InvoiceStatus.values), name="invoice_status_valid"),
            models.CheckConstraint(
                condition=~Q(status=InvoiceStatus.PAID) | Q(paid_at__isnull=False),
                name="invoice_paid_has_paid_at",
            ),
            # Reconciliation on (ref1, ref2) must be unambiguous among invoices that can still be paid.
            models.UniqueConstraint(
                fields=["ref1", "ref2"],
                condition=Q(status=InvoiceStatus.OPEN),
                name="one_open_invoice_per_refs",
            ),
        ]

    def __str__(self) -> str:
        return self.number


class Payment(models.Model):
    """Money received for an invoice, posted once from a verified gateway notification."""

    invoice = models.ForeignKey(Invoice, on_delete=models.PROTECT, related_name="payments")
    gateway_txn_id = models.CharField(max_length=64, unique=True)
    amount_satang = models.BigIntegerField()
    paid_at = models.DateTimeField()
    raw_notification = models.JSONField()
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.CheckConstraint(condition=Q(amount_satang__gt=0), name="payment_amount_positive"),
            # A second transaction for the same invoice is held, never posted.
            models.UniqueConstraint(fields=["invoice"], name="one_payment_per_invoice"),
        ]

    def __str__(self) -> str:
        return self.gateway_txn_id


class WebhookOutcome(models.TextChoices):
    POSTED = "posted", "posted"
    DUPLICATE = "duplicate", "duplicate"
    HELD = "held", "held"


class WebhookReceipt(models.Model):
    """One row per distinct gateway event id: a redelivered event is recognised and not processed again."""

    event_id = models.CharField(max_length=64, unique=True)
    gateway_txn_id = models.CharField(max_length=64, db_index=True)
    charge_id = models.CharField(max_length=64)
    received_at = models.DateTimeField(auto_now_add=True)
    outcome = models.CharField(max_length=20, choices=WebhookOutcome.choices)

    class Meta:
        constraints = [
            models.CheckConstraint(condition=Q(outcome__in=WebhookOutcome.values), name="webhook_outcome_valid"),
        ]

    def __str__(self) -> str:
        return f"{self.event_id}:{self.outcome}"


class HoldReason(models.TextChoices):
    UNKNOWN_CHARGE = "unknown_charge", "unknown charge"
    REFERENCE_MISMATCH = "reference_mismatch", "reference mismatch"
    AMOUNT_MISMATCH = "amount_mismatch", "amount mismatch"
    INVOICE_CANCELLED = "invoice_cancelled", "invoice cancelled"
    INVOICE_ALREADY_PAID = "invoice_already_paid", "invoice already paid"


class HeldPayment(models.Model):
    """Money the gateway says was paid but that cannot be posted to an invoice; an officer settles it."""

    invoice = models.ForeignKey(Invoice, on_delete=models.PROTECT, null=True, blank=True, related_name="held_payments")
    gateway_txn_id = models.CharField(max_length=64, unique=True)
    charge_id = models.CharField(max_length=64)
    reason = models.CharField(max_length=30, choices=HoldReason.choices)
    amount_satang = models.BigIntegerField()
    paid_at = models.DateTimeField()
    raw_notification = models.JSONField()
    held_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-held_at"]
        constraints = [
            models.CheckConstraint(condition=Q(reason__in=HoldReason.values), name="held_payment_reason_valid"),
        ]

    def __str__(self) -> str:
        return f"{self.gateway_txn_id}:{self.reason}"
