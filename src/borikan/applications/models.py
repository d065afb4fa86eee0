import uuid

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


class PublicHoliday(models.Model):
    """A day government offices are closed; deadlines in working days skip it (loaded from data, see
    data/thai-public-holidays.json and `manage.py load_holidays`)."""

    date = models.DateField(unique=True)
    name_th = models.CharField(max_length=300)
    name_en = models.CharField(max_length=300, blank=True)

    class Meta:
        ordering = ["date"]

    def __str__(self) -> str:
        return f"{self.date} {self.name_th}"
