"""Casework's records: the holiday calendar of the SLA clock, settings per service, review checklists and their
ticks, internal notes, requests for information and their defects, escalations and late notices.

They moved here from `applications` (ADR 0017) with their data: each keeps its table (`db_table`), and the move is
a state-only migration. A case is referred to by its foreign key to `applications.Application`, by name.
"""

from django.conf import settings
from django.db import models

from borikan.catalog.models import Service
from borikan.core.models import TimeStampedModel


class PublicHoliday(models.Model):
    """A day government offices are closed; deadlines in working days skip it (loaded from data, see
    data/thai-public-holidays.json and `manage.py load_holidays`)."""

    date = models.DateField(unique=True)
    name_th = models.CharField(max_length=300)
    name_en = models.CharField(max_length=300, blank=True)

    class Meta:
        db_table = "applications_publicholiday"
        ordering = ["date"]

    def __str__(self) -> str:
        return f"{self.date} {self.name_th}"


# --- casework: checklist, notes, requests for information, escalation ------------------------------------------


class ExpiryOutcome(models.TextChoices):
    REJECT = "reject", "reject"
    WITHDRAW = "withdraw", "close as withdrawn"


class CaseworkSettings(TimeStampedModel):
    """How one service's cases are worked (set by the agency admin). A service without a row takes the defaults."""

    service = models.OneToOneField(Service, on_delete=models.CASCADE, related_name="casework_settings")
    # What an unanswered request for information turns into when its deadline passes.
    info_request_expiry = models.CharField(max_length=10, choices=ExpiryOutcome.choices, default=ExpiryOutcome.WITHDRAW)
    # The deadline an officer's request gets when the officer names none (working days).
    info_request_days = models.PositiveSmallIntegerField(default=15)
    # Late notices to the applicant repeat at this interval (calendar days) while the case stays late.
    late_notice_interval_days = models.PositiveSmallIntegerField(default=7)

    class Meta:
        db_table = "applications_caseworksettings"
        constraints = [
            models.CheckConstraint(
                condition=models.Q(info_request_expiry__in=ExpiryOutcome.values), name="casework_expiry_valid"
            ),
            models.CheckConstraint(condition=models.Q(info_request_days__gte=1), name="casework_request_days_min"),
            models.CheckConstraint(condition=models.Q(late_notice_interval_days__gte=1), name="casework_notice_min"),
        ]

    def __str__(self) -> str:
        return f"casework settings of {self.service_id}"


class ReviewChecklist(models.Model):
    """One version of a service's review checklist. A new definition is a new version; a case keeps the version
    it was reviewed against, so later edits never change a case already in review."""

    service = models.ForeignKey(Service, on_delete=models.CASCADE, related_name="review_checklists")
    version = models.PositiveIntegerField()
    # [{"code": "premises", "label_th": "...", "label_en": "..."}, ...]
    items = models.JSONField(default=list)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        db_table = "applications_reviewchecklist"
        ordering = ["service", "-version"]
        constraints = [
            models.UniqueConstraint(fields=["service", "version"], name="one_checklist_per_service_version"),
        ]

    def __str__(self) -> str:
        return f"checklist {self.service_id} v{self.version}"

    @property
    def codes(self) -> list[str]:
        return [item["code"] for item in self.items]


class ChecklistTick(models.Model):
    """An officer's tick against one item of the case's checklist version."""

    application = models.ForeignKey(
        "applications.Application", on_delete=models.CASCADE, related_name="checklist_ticks"
    )
    checklist = models.ForeignKey(ReviewChecklist, on_delete=models.PROTECT, related_name="ticks")
    item_code = models.CharField(max_length=60)
    ticked_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    ticked_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        db_table = "applications_checklisttick"
        ordering = ["ticked_at", "id"]
        constraints = [
            models.UniqueConstraint(fields=["application", "checklist", "item_code"], name="one_tick_per_item"),
        ]

    def __str__(self) -> str:
        return f"{self.application_id}: {self.item_code}"


class CaseNote(models.Model):
    """An internal note on a case: staff of the agency only, never shown to the applicant."""

    application = models.ForeignKey("applications.Application", on_delete=models.CASCADE, related_name="notes")
    author = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    body = models.TextField()
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        db_table = "applications_casenote"
        ordering = ["created_at", "id"]

    def __str__(self) -> str:
        return f"note {self.pk} on {self.application_id}"


class DefectReason(models.TextChoices):
    MISSING = "missing", "missing"
    ILLEGIBLE = "illegible", "illegible"
    INCONSISTENT = "inconsistent", "inconsistent"
    INVALID = "invalid", "invalid"
    EXPIRED = "expired", "expired"
    OTHER = "other", "other"


class InfoRequestStatus(models.TextChoices):
    OPEN = "open", "open"
    ANSWERED = "answered", "answered"
    EXPIRED = "expired", "expired"
    CLOSED = "closed", "closed"  # the applicant withdrew while it was open


class InformationRequest(models.Model):
    """The officer's one request for more information on a case: the defects field by field, and a deadline."""

    application = models.ForeignKey(
        "applications.Application", on_delete=models.CASCADE, related_name="information_requests"
    )
    requested_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, related_name="+")
    requested_at = models.DateTimeField(auto_now_add=True)
    message = models.TextField(blank=True)
    # The last day the applicant may answer; the day after, `expire_information_requests` applies the outcome.
    deadline = models.DateField()
    status = models.CharField(max_length=10, choices=InfoRequestStatus.choices, default=InfoRequestStatus.OPEN)
    closed_at = models.DateTimeField(null=True, blank=True)
    # Working days the SLA clock stood still while the case waited for the applicant (set on resubmission).
    paused_working_days = models.PositiveIntegerField(default=0)

    class Meta:
        db_table = "applications_informationrequest"
        ordering = ["requested_at", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["application"], condition=models.Q(status="open"), name="one_open_request_per_case"
            ),
            models.CheckConstraint(condition=models.Q(status__in=InfoRequestStatus.values), name="info_request_valid"),
        ]
        indexes = [
            models.Index(fields=["deadline"], name="app_open_request_deadline_idx", condition=models.Q(status="open"))
        ]

    def __str__(self) -> str:
        return f"request {self.pk} on {self.application_id} ({self.status})"


class DefectKind(models.TextChoices):
    FIELD = "field", "form field"
    ATTACHMENT = "attachment", "attachment"


class Defect(models.Model):
    """One defect the officer marked: a form field or an attachment, a coded reason, and the value before and after
    the applicant's answer (so the officer sees exactly what changed)."""

    request = models.ForeignKey(InformationRequest, on_delete=models.CASCADE, related_name="defects")
    kind = models.CharField(max_length=10, choices=DefectKind.choices)
    name = models.CharField(max_length=60)
    reason = models.CharField(max_length=20, choices=DefectReason.choices)
    note = models.TextField(blank=True)
    before = models.JSONField(null=True, blank=True)
    after = models.JSONField(null=True, blank=True)
    changed = models.BooleanField(default=False)

    class Meta:
        db_table = "applications_defect"
        ordering = ["id"]
        constraints = [
            models.UniqueConstraint(fields=["request", "kind", "name"], name="one_defect_per_target"),
            models.CheckConstraint(condition=models.Q(reason__in=DefectReason.values), name="defect_reason_valid"),
            models.CheckConstraint(condition=models.Q(kind__in=DefectKind.values), name="defect_kind_valid"),
        ]

    def __str__(self) -> str:
        return f"{self.kind} {self.name}: {self.reason}"


class EscalationKind(models.TextChoices):
    OVERDUE = "overdue", "overdue"
    DUE_SOON = "due_soon", "due soon"


class CaseEscalation(models.Model):
    """The agency's supervisors were told about this case on this day (at most once per case per day)."""

    application = models.ForeignKey("applications.Application", on_delete=models.CASCADE, related_name="escalations")
    day = models.DateField()
    kind = models.CharField(max_length=10, choices=EscalationKind.choices)
    due_date = models.DateField()
    recipients = models.JSONField(default=list)  # user ids of the supervisors e-mailed
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        db_table = "applications_caseescalation"
        ordering = ["-day", "-id"]
        constraints = [models.UniqueConstraint(fields=["application", "day"], name="one_escalation_per_case_day")]

    def __str__(self) -> str:
        return f"{self.application_id} {self.kind} {self.day}"


class LateNotice(models.Model):
    """A notice to the applicant that their case passed its processing time (Licensing Facilitation Act B.E. 2558:
    repeated every interval until decided), with the reason if known and the new expected date."""

    application = models.ForeignKey("applications.Application", on_delete=models.CASCADE, related_name="late_notices")
    sent_on = models.DateField()
    channel = models.CharField(max_length=10)  # email | sms
    message_id = models.CharField(max_length=255)
    due_date = models.DateField()
    expected_date = models.DateField()
    reason = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        db_table = "applications_latenotice"
        ordering = ["-sent_on", "-id"]
        indexes = [models.Index(fields=["application", "-sent_on"], name="app_late_notice_idx")]

    def __str__(self) -> str:
        return f"{self.application_id} late notice {self.sent_on}"
