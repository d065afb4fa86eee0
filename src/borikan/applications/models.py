import uuid
from typing import Any

from django.conf import settings
from django.db import models

from borikan.agencies.models import Agency
from borikan.catalog.models import Service
from borikan.core.models import TimeStampedModel

from .workflow import Action, Role, Status

# Cases an agency still has to act on (the officer queue's default view).
OPEN_STATUSES = (
    Status.SUBMITTED,
    Status.PAID,
    Status.IN_REVIEW,
    Status.INFO_REQUESTED,
    Status.PENDING_APPROVAL,
    Status.AWAITING_PAYMENT,
    Status.APPROVED,
)
OPEN_CASES = models.Q(status__in=[s.value for s in OPEN_STATUSES])


KNOWN_ABSENT = "_known_absent"


def known_absent(app: "Application", *relations: str) -> "Application":
    """Mark what a write knows this case does not have (``events``, ``attachments``, ``invoice``, ``document``,
    ``information_request``), so the response built from it says so without reading it back (issue 13)."""
    setattr(app, KNOWN_ABSENT, frozenset(getattr(app, KNOWN_ABSENT, frozenset())) | frozenset(relations))
    return app


def is_known_absent(app: Any, relation: str) -> bool:
    return relation in getattr(app, KNOWN_ABSENT, ())


class Application(TimeStampedModel):
    """One citizen's application for one service: a case moving through the lifecycle in workflow.py."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    service = models.ForeignKey(Service, on_delete=models.PROTECT, related_name="applications")
    # Copied from the service at creation: every staff query filters on it (agency isolation).
    agency = models.ForeignKey(Agency, on_delete=models.PROTECT, related_name="applications")
    applicant = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="applications")
    # A company applying through the applicant, its authorised representative (identity.juristic).
    on_behalf_of = models.ForeignKey(
        "identity.JuristicPerson", on_delete=models.PROTECT, null=True, blank=True, related_name="applications"
    )
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.DRAFT)
    tracking_number = models.CharField(max_length=40, unique=True, null=True, blank=True)
    form_data = models.JSONField(default=dict, blank=True)
    # Bumped on every change; a write that names an older version is refused (optimistic concurrency).
    version = models.PositiveIntegerField(default=1)
    submitted_at = models.DateTimeField(null=True, blank=True)
    # Set when the fee computed for this case came to nothing (a full exemption): no payment step follows.
    fee_waived = models.BooleanField(default=False)
    # The last working day to decide by: the service's processing time counted in working days from submission.
    due_date = models.DateField(null=True, blank=True)
    decided_at = models.DateTimeField(null=True, blank=True)
    assigned_to = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="assigned_cases",
    )
    # The SLA clock: stopped on this day by a request for information, running again at resubmission, when
    # `due_date` moves by the working days the case waited for the citizen (added up in `sla_paused_days`).
    sla_paused_on = models.DateField(null=True, blank=True)
    sla_paused_days = models.PositiveIntegerField(default=0)
    # Why a late case is late and when the officer now expects to decide (told to the applicant in late notices).
    delay_reason = models.TextField(blank=True)
    expected_date = models.DateField(null=True, blank=True)
    # The review checklist this case is checked against: the service's version current when review started.
    review_checklist = models.ForeignKey(
        "casework.ReviewChecklist", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )

    class Meta:
        ordering = ["-created_at"]
        constraints = [
            models.CheckConstraint(condition=models.Q(status__in=Status.values), name="application_status_valid"),
        ]
        indexes = [
            models.Index(fields=["agency", "status", "due_date", "submitted_at"], name="app_queue_status_idx"),
            models.Index(fields=["applicant", "-created_at"], name="app_applicant_idx"),
            # The officer queue reads open cases nearest deadline first; these partial indexes serve its filters
            # in that order without sorting the agency's whole history (make bench ONLY=queue).
            models.Index(fields=["agency", "due_date", "submitted_at"], name="app_open_due_idx", condition=OPEN_CASES),
            models.Index(
                fields=["service", "due_date", "submitted_at"], name="app_open_service_due_idx", condition=OPEN_CASES
            ),
            models.Index(
                fields=["assigned_to", "due_date", "submitted_at"],
                name="app_open_assignee_due_idx",
                condition=OPEN_CASES,
            ),
        ]

    def __str__(self) -> str:
        return self.tracking_number or f"draft {self.pk}"

    @property
    def case_ref(self) -> str:
        """The opaque reference the common services (payments, documents, delivery) hold."""
        return str(self.pk)


class ApplicationEvent(models.Model):
    """One row per transition: who, when, from, to, why. Written in the same transaction as the status."""

    application = models.ForeignKey(Application, on_delete=models.CASCADE, related_name="events")
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True)
    actor_role = models.CharField(max_length=20, choices=Role.choices)
    action = models.CharField(max_length=20, choices=Action.choices)
    from_status = models.CharField(max_length=20, choices=Status.choices)
    to_status = models.CharField(max_length=20, choices=Status.choices)
    reason = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["created_at", "id"]

    def __str__(self) -> str:
        return f"{self.from_status} -{self.action}-> {self.to_status}"


class Attachment(models.Model):
    application = models.ForeignKey(Application, on_delete=models.CASCADE, related_name="attachments")
    field_name = models.CharField(max_length=60)
    # Stored under a random name through the default storage; only streamed after an access check.
    file = models.FileField(upload_to="attachments/%Y/%m/")
    original_name = models.CharField(max_length=255)
    content_type = models.CharField(max_length=100)
    size = models.PositiveIntegerField()
    sha256 = models.CharField(max_length=64)
    uploaded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT)
    uploaded_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["application", "field_name"], name="one_attachment_per_field"),
        ]

    def __str__(self) -> str:
        return f"{self.field_name}: {self.original_name}"


class TrackingCounter(models.Model):
    """Sequence of tracking numbers per agency per Buddhist-Era year, locked while incremented."""

    agency = models.ForeignKey(Agency, on_delete=models.CASCADE)
    year_be = models.PositiveIntegerField()
    last = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["agency", "year_be"], name="one_counter_per_agency_year")]

    def __str__(self) -> str:
        return f"{self.agency_id}/{self.year_be}: {self.last}"


class EffectStatus(models.TextChoices):
    PENDING = "pending", "pending"
    RUNNING = "running", "running"
    DONE = "done", "done"
    # Given up after its attempts: shown to operators (`manage.py case_effects --failed`), re-driven by hand.
    FAILED = "failed", "failed"


class CaseEffect(models.Model):
    """A durable effect of a transition (ADR 0017): written in the move's transaction, carried out after commit by
    a worker at least once, with the same `key` on every attempt so the handler can be idempotent."""

    application = models.ForeignKey(Application, on_delete=models.CASCADE, related_name="effects")
    name = models.CharField(max_length=60)
    key = models.CharField(max_length=120, unique=True)
    payload = models.JSONField(default=dict, blank=True)
    status = models.CharField(max_length=10, choices=EffectStatus.choices, default=EffectStatus.PENDING)
    attempts = models.PositiveIntegerField(default=0)
    max_attempts = models.PositiveIntegerField(default=12)
    next_attempt_at = models.DateTimeField()
    claimed_until = models.DateTimeField(null=True, blank=True)
    claimed_by = models.CharField(max_length=100, blank=True)
    last_error = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    done_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["id"]
        constraints = [
            models.CheckConstraint(condition=models.Q(status__in=EffectStatus.values), name="case_effect_status_valid"),
        ]
        indexes = [
            # The worker's and sweeper's scan: effects not yet done, soonest first.
            models.Index(
                fields=["next_attempt_at", "id"],
                name="case_effect_due_idx",
                condition=models.Q(status__in=["pending", "running"]),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.name} {self.key} ({self.status})"


class CaseView(Application):
    """What one actor may see of one case for one purpose: the case (a proxy of `Application`, so it can be used
    wherever the case is, in queries too) with `form_data` narrowed to the fields shown. It cannot be saved."""

    purpose: str
    hidden_fields: frozenset[str]

    class Meta:
        proxy = True

    def save(self, *args: Any, **kwargs: Any) -> None:
        raise TypeError("a case view is read-only; change a case through its services")

    def delete(self, *args: Any, **kwargs: Any) -> tuple[int, dict[str, int]]:
        raise TypeError("a case view is read-only; change a case through its services")
