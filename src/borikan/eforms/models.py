"""Versioned form definitions per service, and the version each application was started with."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.db import models

from borikan.core.models import TimeStampedModel

from .definition import combine


class VersionStatus(models.TextChoices):
    DRAFT = "draft", "draft"
    PUBLISHED = "published", "published"
    RETIRED = "retired", "retired"


class FormVersion(TimeStampedModel):
    """One version of a service's form. Draft → published (the one new applications get) → retired (when a
    newer one is published; the applications pinned to it keep it). At most one draft and one published."""

    service = models.ForeignKey("catalog.Service", on_delete=models.CASCADE, related_name="form_versions")
    number = models.PositiveIntegerField()
    status = models.CharField(max_length=10, choices=VersionStatus.choices, default=VersionStatus.DRAFT)
    schema = models.JSONField(default=dict)
    ui = models.JSONField(default=dict)
    # Bumped on every edit of a draft: a builder page or API client with an older number is refused.
    revision = models.PositiveIntegerField(default=1)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    published_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    published_at = models.DateTimeField(null=True, blank=True)
    retired_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["service_id", "-number"]
        constraints = [
            models.UniqueConstraint(fields=["service", "number"], name="eforms_version_number_unique"),
            models.UniqueConstraint(
                fields=["service"], condition=models.Q(status="draft"), name="eforms_one_draft_per_service"
            ),
            models.UniqueConstraint(
                fields=["service"], condition=models.Q(status="published"), name="eforms_one_published_per_service"
            ),
            models.CheckConstraint(
                condition=models.Q(status__in=["draft", "published", "retired"]), name="eforms_version_status_valid"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.service_id} v{self.number} ({self.status})"

    @property
    def definition(self) -> dict[str, Any]:
        """Schema and UI as the one dict validation and pages read."""
        return combine(self.schema, self.ui)


class ApplicationForm(models.Model):
    """The form version an application was started with, keyed by the application's case_ref (str of its id)."""

    case_ref = models.CharField(max_length=64, unique=True)
    form_version = models.ForeignKey(FormVersion, on_delete=models.PROTECT, related_name="applications")
    created_at = models.DateTimeField(auto_now_add=True)

    def __str__(self) -> str:
        return f"{self.case_ref} → {self.form_version}"
