"""Fee payment: invoices, the charges that try to collect them (one per attempt, per channel: Thai QR through the
bank gateway, or cash/card at the agency's counter), payments posted once, receipts, refunds and what was held.

Money is integer satang. A case is referred to by an opaque `case_ref`; this app never imports `applications`.
"""

from django.conf import settings
from django.db import models
from django.db.models import Q

from borikan.agencies.models import Agency
from borikan.core.models import TimeStampedModel

# --- fee schedules and exemptions (ADR 12) ------------------------------------------------------------


class FeeKind(models.TextChoices):
    FIXED = "fixed", "fixed"
    PER_UNIT = "per_unit", "base + per unit"
    TIERED = "tiered", "tiered by quantity"


class FeeSchedule(TimeStampedModel):
    """How a service's fee is computed from the application. Without one, the service's flat `fee_satang` applies.

    fixed: `base_satang`. per_unit: `base_satang + unit_satang × quantity`. tiered: `base_satang` + the amount of
    the first tier whose `up_to` is at least the quantity (`up_to` null: no upper bound). The quantity is read
    from the application's form field `quantity_field`. `tiers` is validated by `fees.TIERS_SCHEMA`.
    """

    service = models.OneToOneField("catalog.Service", on_delete=models.CASCADE, related_name="fee_schedule")
    kind = models.CharField(max_length=20, choices=FeeKind.choices, default=FeeKind.FIXED)
    base_satang = models.BigIntegerField(default=0)
    unit_satang = models.BigIntegerField(default=0)
    quantity_field = models.CharField(max_length=64, blank=True)
    unit_name_th = models.CharField(max_length=60, blank=True)
    unit_name_en = models.CharField(max_length=60, blank=True)
    max_quantity = models.PositiveIntegerField(default=10_000)
    tiers = models.JSONField(default=list, blank=True)
    legal_basis_th = models.TextField()

    class Meta:
        constraints = [
            models.CheckConstraint(condition=Q(kind__in=FeeKind.values), name="fee_schedule_kind_valid"),
            models.CheckConstraint(
                condition=Q(base_satang__gte=0) & Q(unit_satang__gte=0), name="fee_schedule_amounts_non_negative"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.service_id}:{self.kind}"


class ExemptionCategory(models.TextChoices):
    ELDERLY = "elderly", "elderly person"
    DISABLED = "disabled", "holder of a disabled-person card"
    GOVERNMENT_AGENCY = "government_agency", "government agency"
    OTHER = "other", "other"


class FeeExemption(models.Model):
    """A category of person exempted from (part of) a service's fee, with the rule that grants it."""

    schedule = models.ForeignKey(FeeSchedule, on_delete=models.CASCADE, related_name="exemptions")
    code = models.SlugField(max_length=40)
    category = models.CharField(max_length=30, choices=ExemptionCategory.choices)
    name_th = models.CharField(max_length=200)
    name_en = models.CharField(max_length=200)
    percent = models.PositiveSmallIntegerField(default=100)  # share of the fee waived
    legal_basis_th = models.TextField()
    evidence_th = models.CharField(max_length=300, blank=True)  # what the officer checks, e.g. the card

    class Meta:
        ordering = ["code"]
        constraints = [
            models.UniqueConstraint(fields=["schedule", "code"], name="unique_exemption_code_per_schedule"),
            models.CheckConstraint(condition=Q(percent__gte=1) & Q(percent__lte=100), name="exemption_percent_1_100"),
            models.CheckConstraint(condition=Q(category__in=ExemptionCategory.values), name="exemption_category_valid"),
        ]

    def __str__(self) -> str:
        return self.code


class ClaimStatus(models.TextChoices):
    CLAIMED = "claimed", "claimed"
    ACCEPTED = "accepted", "accepted"
    REJECTED = "rejected", "rejected"


class ExemptionClaim(models.Model):
    """An applicant's claim to an exemption for one case; an officer may accept or reject it before invoicing."""

    case_ref = models.CharField(max_length=64, db_index=True)
    exemption = models.ForeignKey(FeeExemption, on_delete=models.PROTECT, related_name="claims")
    claimant = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    note = models.CharField(max_length=500, blank=True)
    status = models.CharField(max_length=20, choices=ClaimStatus.choices, default=ClaimStatus.CLAIMED)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    decided_at = models.DateTimeField(null=True, blank=True)
    decision_reason = models.CharField(max_length=500, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["created_at", "id"]
        constraints = [
            models.UniqueConstraint(fields=["case_ref", "exemption"], name="one_claim_per_exemption_per_case"),
            models.CheckConstraint(condition=Q(status__in=ClaimStatus.values), name="claim_status_valid"),
        ]

    def __str__(self) -> str:
        return f"{self.case_ref}:{self.exemption_id}:{self.status}"


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
    # The service the fee is for: its risk assessment sets the assurance needed to pay (None: not recorded).
    service = models.ForeignKey(
        "catalog.Service", on_delete=models.PROTECT, null=True, blank=True, related_name="invoices"
    )
    payer = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="invoices")
    description = models.CharField(max_length=255)
    amount_satang = models.BigIntegerField()
    # Bill-payment references printed in the QR and reported back by the bank.
    ref1 = models.CharField(max_length=20)  # the case's tracking number
    ref2 = models.CharField(max_length=20)  # agency code + check digit (see services.ref2_for)
    due_date = models.DateField()
    status = models.CharField(max_length=20, choices=InvoiceStatus.choices, default=InvoiceStatus.OPEN)
    qr_payload = models.CharField(max_length=512, blank=True)  # empty: paid at the counter, no QR
    # The gateway's id of the invoice's Thai QR charge, as written when the invoice was issued. Payments reads the
    # invoice's `Charge` rows instead (ADR 0018); the column stays for readers outside this app until they move.
    gateway_charge_id = models.CharField(max_length=64, unique=True, null=True, blank=True)  # None: counter only
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


# --- charges: one per attempt to collect an invoice, on one channel (ADR 0018) ------------------------------------


class PaymentChannel(models.TextChoices):
    THAI_QR = "thai_qr", "Thai QR through the bank gateway"
    COUNTER = "counter", "at the agency's counter"


class ChargeStatus(models.TextChoices):
    PENDING = "pending", "awaiting payment"
    PAID = "paid", "paid"
    CLOSED = "closed", "closed unpaid (invoice cancelled or paid another way)"


class CounterMethod(models.TextChoices):
    CASH = "cash", "cash"
    CARD = "card", "card"


class Charge(TimeStampedModel):
    """One attempt to collect an invoice on one channel. A Thai QR charge is opened at the gateway when the invoice
    is issued (`reference` is the gateway's charge id); a counter charge is opened by the officer who takes the
    money at the counter and is paid in the same transaction (`reference` is ours). At most one charge of an
    invoice is paid; when one is, the others are closed."""

    invoice = models.ForeignKey(Invoice, on_delete=models.PROTECT, related_name="charges")
    channel = models.CharField(max_length=20, choices=PaymentChannel.choices)
    reference = models.CharField(max_length=64)  # the channel's id of the charge
    status = models.CharField(max_length=20, choices=ChargeStatus.choices, default=ChargeStatus.PENDING)
    amount_satang = models.BigIntegerField()
    paid_at = models.DateTimeField(null=True, blank=True)
    closed_at = models.DateTimeField(null=True, blank=True)
    # At the counter: how the money was taken and who took it.
    method = models.CharField(max_length=20, choices=CounterMethod.choices, blank=True)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    note = models.CharField(max_length=500, blank=True)

    class Meta:
        ordering = ["created_at", "id"]
        constraints = [
            models.UniqueConstraint(fields=["channel", "reference"], name="unique_charge_reference_per_channel"),
            models.UniqueConstraint(
                fields=["invoice"], condition=Q(status=ChargeStatus.PAID), name="one_paid_charge_per_invoice"
            ),
            models.CheckConstraint(condition=Q(channel__in=PaymentChannel.values), name="charge_channel_valid"),
            models.CheckConstraint(condition=Q(status__in=ChargeStatus.values), name="charge_status_valid"),
            models.CheckConstraint(condition=Q(amount_satang__gt=0), name="charge_amount_positive"),
            models.CheckConstraint(
                condition=~Q(status=ChargeStatus.PAID) | Q(paid_at__isnull=False), name="charge_paid_has_paid_at"
            ),
            models.CheckConstraint(
                condition=Q(channel=PaymentChannel.COUNTER) | (Q(method="") & Q(recorded_by__isnull=True)),
                name="charge_counter_fields_only_at_counter",
            ),
            models.CheckConstraint(
                condition=~Q(channel=PaymentChannel.COUNTER)
                | (Q(method__in=CounterMethod.values) & Q(recorded_by__isnull=False)),
                name="charge_counter_has_method_and_officer",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.channel}:{self.reference}"


class LineKind(models.TextChoices):
    FEE = "fee", "fee"
    EXEMPTION = "exemption", "exemption"


class InvoiceLine(models.Model):
    """One computed line of an invoice: a fee (positive) or an exemption applied (negative). They sum to the total."""

    invoice = models.ForeignKey(Invoice, on_delete=models.CASCADE, related_name="lines")
    position = models.PositiveSmallIntegerField()
    kind = models.CharField(max_length=20, choices=LineKind.choices, default=LineKind.FEE)
    label_th = models.CharField(max_length=255)
    label_en = models.CharField(max_length=255, blank=True)
    quantity = models.PositiveIntegerField(default=1)
    unit_satang = models.BigIntegerField()
    amount_satang = models.BigIntegerField()
    legal_basis_th = models.TextField(blank=True)

    class Meta:
        ordering = ["invoice", "position"]
        constraints = [
            models.UniqueConstraint(fields=["invoice", "position"], name="unique_invoice_line_position"),
            models.CheckConstraint(condition=Q(kind__in=LineKind.values), name="invoice_line_kind_valid"),
        ]

    def __str__(self) -> str:
        return f"{self.invoice_id}#{self.position}"


class Payment(models.Model):
    """Money received for an invoice, posted once: from a verified gateway notification, or recorded by an officer
    at the counter. `gateway_txn_id` is the channel's transaction id (the bank's, or the counter charge's
    reference). `charge` is the charge it paid (empty only on rows written outside the posting path)."""

    invoice = models.ForeignKey(Invoice, on_delete=models.PROTECT, related_name="payments")
    charge = models.OneToOneField(Charge, on_delete=models.PROTECT, null=True, blank=True, related_name="payment")
    channel = models.CharField(max_length=20, choices=PaymentChannel.choices, default=PaymentChannel.THAI_QR)
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
            models.CheckConstraint(condition=Q(channel__in=PaymentChannel.values), name="payment_channel_valid"),
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
    LATE_PAYMENT = "late_payment", "paid after the due date"


class HoldResolution(models.TextChoices):
    ACCEPTED = "accepted", "accepted and posted"
    CLOSED = "closed", "closed with a note"


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
    # An officer's decision: accepted (posted to the invoice after all) or closed with a note (e.g. returned).
    resolution = models.CharField(max_length=20, choices=HoldResolution.choices, blank=True)
    resolved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    resolved_at = models.DateTimeField(null=True, blank=True)
    resolution_note = models.CharField(max_length=500, blank=True)

    class Meta:
        ordering = ["-held_at"]
        constraints = [
            models.CheckConstraint(condition=Q(reason__in=HoldReason.values), name="held_payment_reason_valid"),
        ]

    def __str__(self) -> str:
        return f"{self.gateway_txn_id}:{self.reason}"


# --- receipts ----------------------------------------------------------------------------------------


class ReceiptCounter(models.Model):
    """The last receipt number per agency and Thai fiscal year (October-September, named in B.E. by the year it
    ends in). Locked (SELECT ... FOR UPDATE) in the transaction that posts the payment, so numbers have no gaps."""

    agency = models.ForeignKey(Agency, on_delete=models.PROTECT, related_name="+")
    fiscal_year = models.PositiveIntegerField()
    last_seq = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["agency", "fiscal_year"], name="unique_receipt_counter"),
        ]

    def __str__(self) -> str:
        return f"{self.agency_id}/{self.fiscal_year}:{self.last_seq}"


class Receipt(models.Model):
    """The electronic receipt for a posted payment: <AGENCY>-<B.E. fiscal year>-<6-digit seq>."""

    number = models.CharField(max_length=40, unique=True)
    agency = models.ForeignKey(Agency, on_delete=models.PROTECT, related_name="receipts")
    fiscal_year = models.PositiveIntegerField()
    seq = models.PositiveIntegerField()
    invoice = models.OneToOneField(Invoice, on_delete=models.PROTECT, related_name="receipt")
    payment = models.OneToOneField(Payment, on_delete=models.PROTECT, related_name="receipt")
    payer = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="receipts")
    amount_satang = models.BigIntegerField()
    paid_at = models.DateTimeField()
    issued_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-issued_at", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["agency", "fiscal_year", "seq"], name="unique_receipt_seq"),
            models.CheckConstraint(condition=Q(amount_satang__gt=0), name="receipt_amount_positive"),
        ]

    def __str__(self) -> str:
        return self.number


# --- refunds ----------------------------------------------------------------------------------------------


class RefundStatus(models.TextChoices):
    REQUESTED = "requested", "requested (awaiting approval)"
    REJECTED = "rejected", "rejected by the approver"
    APPROVED = "approved", "approved (to be sent to the bank, or paid out at the counter)"
    PENDING = "pending", "sent to the bank"
    SUCCEEDED = "succeeded", "refunded"
    FAILED = "failed", "failed at the bank"


# Refunds that hold part of a payment: what is left to refund is the payment minus these.
REFUND_HOLDING_STATUSES = (RefundStatus.REQUESTED, RefundStatus.APPROVED, RefundStatus.PENDING, RefundStatus.SUCCEEDED)


class Refund(TimeStampedModel):
    """Money given back from a posted payment: requested by staff, approved by another approver, then paid back on
    the payment's channel. Thai QR: sent to the bank with an idempotency key and completed exactly once by the
    bank's signed notification. Counter: paid out at the counter and recorded there by an officer."""

    payment = models.ForeignKey(Payment, on_delete=models.PROTECT, related_name="refunds")
    invoice = models.ForeignKey(Invoice, on_delete=models.PROTECT, related_name="refunds")
    agency = models.ForeignKey(Agency, on_delete=models.PROTECT, related_name="refunds")
    amount_satang = models.BigIntegerField()
    reason = models.CharField(max_length=500)
    status = models.CharField(max_length=20, choices=RefundStatus.choices, default=RefundStatus.REQUESTED)
    # Ours, sent as the gateway's Idempotency-Key and echoed back as `reference` in its notification.
    reference = models.CharField(max_length=64, unique=True)
    gateway_refund_id = models.CharField(max_length=64, unique=True, null=True, blank=True)
    # None: asked by the platform itself (a case closed by a lapsed request for information); an approver decides.
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    decided_at = models.DateTimeField(null=True, blank=True)
    decision_reason = models.CharField(max_length=500, blank=True)
    completed_at = models.DateTimeField(null=True, blank=True)
    failure_reason = models.CharField(max_length=500, blank=True)
    # A counter refund: the officer who handed the money back, and what they noted (e.g. the payer's signature).
    paid_out_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    payout_note = models.CharField(max_length=500, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.CheckConstraint(condition=Q(amount_satang__gt=0), name="refund_amount_positive"),
            models.CheckConstraint(condition=Q(status__in=RefundStatus.values), name="refund_status_valid"),
            # Four eyes: whoever decides is not who asked.
            models.CheckConstraint(
                condition=Q(decided_by__isnull=True) | ~Q(decided_by=models.F("requested_by")),
                name="refund_decided_by_another_person",
            ),
            models.CheckConstraint(
                condition=~Q(status=RefundStatus.SUCCEEDED) | Q(completed_at__isnull=False),
                name="refund_succeeded_has_completed_at",
            ),
        ]

    def __str__(self) -> str:
        return self.reference


# --- reconciliation -----------------------------------------------------------------------------------------


class ReconciliationSource(models.TextChoices):
    GATEWAY = "gateway", "fetched from the gateway"
    FILE = "file", "uploaded file"


class ReconciliationRun(models.Model):
    """One comparison of the bank's settlement statement for a day with the payments and refunds recorded here."""

    settlement_date = models.DateField(db_index=True)
    source = models.CharField(max_length=20, choices=ReconciliationSource.choices)
    file_name = models.CharField(max_length=255, blank=True)
    file_sha256 = models.CharField(max_length=64)
    started_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    counts = models.JSONField(default=dict)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(source__in=ReconciliationSource.values), name="reconciliation_source_valid"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.settlement_date}#{self.pk}"


class LineStatus(models.TextChoices):
    MATCHED = "matched", "matched"
    MISSING_HERE = "missing_here", "at the bank, missing on our side"
    MISSING_AT_BANK = "missing_at_bank", "recorded here, missing at the bank"
    AMOUNT_MISMATCH = "amount_mismatch", "amounts differ"
    HELD_HERE = "held_here", "at the bank, held here for an officer"
    INVALID_ROW = "invalid_row", "unreadable row in the statement"


class ReconciliationLine(models.Model):
    run = models.ForeignKey(ReconciliationRun, on_delete=models.CASCADE, related_name="lines")
    status = models.CharField(max_length=20, choices=LineStatus.choices)
    record_type = models.CharField(max_length=20, blank=True)  # payment / refund
    txn_id = models.CharField(max_length=64, blank=True)  # the bank's transaction or refund id
    charge_id = models.CharField(max_length=64, blank=True)
    agency = models.ForeignKey(Agency, on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    invoice = models.ForeignKey(Invoice, on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    bank_amount_satang = models.BigIntegerField(null=True, blank=True)
    our_amount_satang = models.BigIntegerField(null=True, blank=True)
    row_number = models.PositiveIntegerField(null=True, blank=True)  # line in the statement file
    detail = models.CharField(max_length=500, blank=True)

    class Meta:
        ordering = ["run", "id"]
        constraints = [
            models.CheckConstraint(condition=Q(status__in=LineStatus.values), name="reconciliation_line_status_valid"),
        ]

    def __str__(self) -> str:
        return f"{self.run_id}:{self.txn_id}:{self.status}"
