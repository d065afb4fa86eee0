from django.conf import settings
from django.db import models

from borikan.core.models import TimeStampedModel


class Agency(TimeStampedModel):
    code = models.SlugField(max_length=20, unique=True, allow_unicode=False)
    name_th = models.CharField(max_length=255)
    name_en = models.CharField(max_length=255)
    # The official address for correspondence (a mandatory rule: governance checks it is set).
    email = models.EmailField(blank=True)
    ministry_th = models.CharField(max_length=255, blank=True)
    ministry_en = models.CharField(max_length=255, blank=True)
    # Where citizens complain about this agency's services; blank means the Government Complaint Center (1111).
    complaint_channel = models.CharField(max_length=500, blank=True)
    # Where and when a citizen can be proven in person (the assurance page lists every agency's counter).
    counter_address_th = models.CharField(max_length=500, blank=True)
    counter_address_en = models.CharField(max_length=500, blank=True)
    opening_hours_th = models.CharField(max_length=200, blank=True)
    opening_hours_en = models.CharField(max_length=200, blank=True)
    counter_phone = models.CharField(max_length=40, blank=True)

    class Meta:
        ordering = ["code"]
        verbose_name_plural = "agencies"

    def __str__(self) -> str:
        return self.code


class StaffRole(models.TextChoices):
    """The one set of roles a person holds in an agency. Approval chains name their deciding levels by these
    (approvals.LevelRole is a subset), so who may decide is read from the same memberships as everything else."""

    OFFICER = "officer", "officer"
    APPROVER = "approver", "approver"
    AGENCY_ADMIN = "agency_admin", "agency admin"
    DIRECTOR = "director", "director"


# Thai beside the English labels above, defined once (pages and the API show both).
STAFF_ROLE_LABELS_TH = {
    StaffRole.OFFICER: "เจ้าหน้าที่",
    StaffRole.APPROVER: "ผู้อนุมัติ",
    StaffRole.AGENCY_ADMIN: "ผู้ดูแลหน่วยงาน",
    StaffRole.DIRECTOR: "ผู้อำนวยการ",
}


def staff_role_labels(role: str) -> tuple[str, str]:
    """(Thai, English) label of a staff role; an unknown value is shown as itself."""
    english = dict(StaffRole.choices).get(str(role), str(role))
    return STAFF_ROLE_LABELS_TH.get(str(role), str(role)), str(english)


class StaffMembership(TimeStampedModel):
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="memberships")
    agency = models.ForeignKey(Agency, on_delete=models.CASCADE, related_name="memberships")
    role = models.CharField(max_length=20, choices=StaffRole.choices)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["user", "agency", "role"], name="unique_membership_role"),
            models.CheckConstraint(condition=models.Q(role__in=StaffRole.values), name="membership_role_valid"),
        ]

    def __str__(self) -> str:
        return f"{self.user_id}@{self.agency_id}:{self.role}"
