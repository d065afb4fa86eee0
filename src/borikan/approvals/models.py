"""Approval chains, delegations, pinned versions and decisions. A case is referred to by its opaque `case_ref`
(the applications app's `Application.case_ref`); this app never imports `applications`.

Rows here are records: a chain version, a pin and a decision are never changed after they are written. The
one mutable row per case is `CaseApproval`, which the decision path locks (SELECT ... FOR UPDATE).
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import F, Q

from borikan.agencies.models import StaffRole

DEFAULT_APPEAL_WINDOW_DAYS = 15


class LevelRole(models.TextChoices):
    """The staff roles (agencies.StaffRole) a chain level may name as its decider. There is no role system here:
    who holds a role is read from agencies' StaffMembership."""

    APPROVER = StaffRole.APPROVER.value, StaffRole.APPROVER.label
    AGENCY_ADMIN = StaffRole.AGENCY_ADMIN.value, StaffRole.AGENCY_ADMIN.label
    DIRECTOR = StaffRole.DIRECTOR.value, StaffRole.DIRECTOR.label


class ChainVersion(models.Model):
    """One version of a service's approval chain. Editing a chain writes a new version; old ones stay as they were
    (cases pinned to them are decided by them). The current version is the highest number."""

    service = models.ForeignKey("catalog.Service", on_delete=models.PROTECT, related_name="approval_chain_versions")
    number = models.PositiveIntegerField()
    appeal_window_days = models.PositiveSmallIntegerField(default=DEFAULT_APPEAL_WINDOW_DAYS)
    # The level an appeal reopens at; null: the level after the one that rejected (the last level if none follows).
    appeal_level = models.PositiveSmallIntegerField(null=True, blank=True)
    note = models.CharField(max_length=500, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["service_id", "-number"]
        constraints = [
            models.UniqueConstraint(fields=["service", "number"], name="unique_chain_version_number"),
            models.CheckConstraint(condition=Q(number__gte=1), name="chain_version_number_positive"),
            models.CheckConstraint(
                condition=Q(appeal_window_days__gte=1) & Q(appeal_window_days__lte=365),
                name="chain_appeal_window_1_365",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.service_id} chain v{self.number}"


class ChainLevel(models.Model):
    version = models.ForeignKey(ChainVersion, on_delete=models.CASCADE, related_name="levels")
    position = models.PositiveSmallIntegerField()  # 1, 2, ... in the order decided
    role = models.CharField(max_length=20, choices=LevelRole.choices)
    may_reject = models.BooleanField(default=True)  # False: this level approves (forwards) or returns only
    name_th = models.CharField(max_length=200, blank=True)
    name_en = models.CharField(max_length=200, blank=True)

    class Meta:
        ordering = ["version_id", "position"]
        constraints = [
            models.UniqueConstraint(fields=["version", "position"], name="unique_chain_level_position"),
            models.CheckConstraint(condition=Q(position__gte=1), name="chain_level_position_positive"),
            models.CheckConstraint(condition=Q(role__in=LevelRole.values), name="chain_level_role_valid"),
        ]

    def __str__(self) -> str:
        return f"{self.version_id}#{self.position}:{self.role}"


class Delegation(models.Model):
    """An approver away from `starts_on` to `ends_on` (inclusive) lets a colleague of the same agency decide in
    their place. Never edited; ended early by revoking."""

    agency = models.ForeignKey("agencies.Agency", on_delete=models.PROTECT, related_name="delegations")
    delegator = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="delegations_given")
    delegate = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="delegations_received"
    )
    starts_on = models.DateField()
    ends_on = models.DateField()
    reason = models.CharField(max_length=500, blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    revoked_at = models.DateTimeField(null=True, blank=True)
    revoked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )

    class Meta:
        ordering = ["-starts_on", "-id"]
        indexes = [models.Index(fields=["agency", "delegate", "starts_on"], name="delegation_delegate_idx")]
        constraints = [
            models.CheckConstraint(condition=Q(ends_on__gte=F("starts_on")), name="delegation_period_ordered"),
            models.CheckConstraint(condition=~Q(delegator=F("delegate")), name="delegation_not_to_self"),
        ]

    def __str__(self) -> str:
        return f"{self.delegator_id}→{self.delegate_id} {self.starts_on}..{self.ends_on}"


class CasePin(models.Model):
    """What a case was submitted (and so is decided) under, frozen at submission: copies, not references,
    except the chain version, which is itself immutable."""

    case_ref = models.CharField(max_length=64, unique=True)
    service = models.ForeignKey("catalog.Service", on_delete=models.PROTECT, related_name="+")
    form_version = models.CharField(max_length=64, blank=True)  # from eforms; blank: none given
    fee_rule = models.JSONField()
    fee_rule_sha256 = models.CharField(max_length=64)
    manual = models.JSONField()  # citizen-manual text, legal basis, fee, documents, processing time
    manual_sha256 = models.CharField(max_length=64)
    chain_version = models.ForeignKey(ChainVersion, on_delete=models.PROTECT, related_name="pins")
    checklist_version = models.CharField(max_length=64, blank=True)
    pinned_at = models.DateTimeField(auto_now_add=True)

    def __str__(self) -> str:
        return f"pin {self.case_ref}"


class CaseStatus(models.TextChoices):
    PENDING = "pending", "pending"  # a level is to decide (or the case is back in review after a return)
    APPROVED = "approved", "approved"
    REJECTED = "rejected", "rejected"


class CaseApproval(models.Model):
    """Where a case stands in its chain. The decision path locks this row, so two deciders queue and the second
    sees the first's decision."""

    case_ref = models.CharField(max_length=64, unique=True)
    pin = models.OneToOneField(CasePin, on_delete=models.PROTECT, related_name="approval")
    agency = models.ForeignKey("agencies.Agency", on_delete=models.PROTECT, related_name="+")
    applicant = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    status = models.CharField(max_length=20, choices=CaseStatus.choices, default=CaseStatus.PENDING)
    round = models.PositiveIntegerField(default=1)  # +1 on every return and on the appeal
    start_level = models.PositiveSmallIntegerField(default=1)  # where this round's decisions start
    current_level = models.PositiveSmallIntegerField(default=1)
    rejected_at = models.DateTimeField(null=True, blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [
            models.CheckConstraint(condition=Q(status__in=CaseStatus.values), name="case_approval_status_valid"),
        ]

    def __str__(self) -> str:
        return f"{self.case_ref}: {self.status} r{self.round} L{self.current_level}"


class Outcome(models.TextChoices):
    APPROVE = "approve", "approve"
    REJECT = "reject", "reject"
    RETURN = "return", "return"


class Decision(models.Model):
    """One level's decision on a case: who, when, on whose behalf, on what data, under which pinned versions."""

    case = models.ForeignKey(CaseApproval, on_delete=models.PROTECT, related_name="decisions")
    case_ref = models.CharField(max_length=64, db_index=True)
    round = models.PositiveIntegerField()
    level = models.PositiveSmallIntegerField()
    level_role = models.CharField(max_length=20, choices=LevelRole.choices)
    outcome = models.CharField(max_length=10, choices=Outcome.choices)
    reason = models.TextField(blank=True)
    decided_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    on_behalf_of = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    delegation = models.ForeignKey(Delegation, on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    decided_at = models.DateTimeField(auto_now_add=True)
    form_data_sha256 = models.CharField(max_length=64)
    pin = models.ForeignKey(CasePin, on_delete=models.PROTECT, related_name="decisions")
    chain_complete = models.BooleanField(default=False)  # this decision ended the chain (approved or rejected)

    class Meta:
        ordering = ["case_id", "round", "level"]
        constraints = [
            # The last line against two deciders of one level: the row lock on CaseApproval comes first.
            models.UniqueConstraint(fields=["case", "round", "level"], name="one_decision_per_level_per_round"),
            models.CheckConstraint(condition=Q(outcome__in=Outcome.values), name="decision_outcome_valid"),
            models.CheckConstraint(
                condition=Q(outcome="approve") | ~Q(reason=""), name="decision_reason_for_reject_return"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.case_ref} r{self.round} L{self.level}: {self.outcome}"


class Appeal(models.Model):
    """The applicant's one appeal against a rejection. One per case (the OneToOne makes a second impossible)."""

    case = models.OneToOneField(CaseApproval, on_delete=models.PROTECT, related_name="appeal")
    rejection = models.OneToOneField(Decision, on_delete=models.PROTECT, related_name="appeal")
    reason = models.TextField()
    lodged_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    lodged_at = models.DateTimeField(auto_now_add=True)
    reopened_round = models.PositiveIntegerField()
    reopened_level = models.PositiveSmallIntegerField()

    def __str__(self) -> str:
        return f"appeal {self.case_id}"
