"""Issued licences and documents (process 7): one PDF per case, numbered per agency per Buddhist-Era year."""

from __future__ import annotations

import datetime as dt
import secrets

from django.conf import settings
from django.db import models
from django.utils import timezone

from borikan.core.models import TimeStampedModel


class DocumentStatus(models.TextChoices):
    VALID = "valid", "valid"
    # Not in force for now (pending an inquiry, say): reinstated to valid, or revoked for good.
    SUSPENDED = "suspended", "suspended"
    REVOKED = "revoked", "revoked"


class VerificationStatus(models.TextChoices):
    """What a verifier is told. `expired` is derived from valid_until, never stored."""

    VALID = "valid", "valid"
    SUSPENDED = "suspended", "suspended"
    REVOKED = "revoked", "revoked"
    EXPIRED = "expired", "expired"
    UNKNOWN = "unknown", "unknown"


def new_verification_code() -> str:
    """256 random bits, URL-safe (43 characters). Printed in the QR code; unguessable, so not enumerable."""
    return secrets.token_urlsafe(32)


class DocumentNumberCounter(models.Model):
    """The last sequence number used by an agency in a Buddhist-Era year. Locked while issuing."""

    agency = models.ForeignKey("agencies.Agency", on_delete=models.PROTECT, related_name="+")
    be_year = models.PositiveIntegerField()
    last_seq = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["agency", "be_year"], name="unique_document_counter_per_year"),
        ]

    def __str__(self) -> str:
        return f"{self.agency_id}/{self.be_year}: {self.last_seq}"


class DocumentNumberReservation(models.Model):
    """The number a case's document will carry, taken in a short transaction of its own before the document is
    rendered and signed (so the agency's counter is held only for the number, never while signing). A retry after a
    crash takes the case's reservation again: no number is used twice and none is skipped while the case goes on."""

    case_ref = models.CharField(max_length=64, unique=True)
    agency = models.ForeignKey("agencies.Agency", on_delete=models.PROTECT, related_name="+")
    number = models.CharField(max_length=40, unique=True)
    reserved_at = models.DateTimeField(auto_now_add=True)

    def __str__(self) -> str:
        return f"{self.number} for {self.case_ref}"


class IssuedDocument(TimeStampedModel):
    number = models.CharField(max_length=40, unique=True)
    # The case this document was issued for (the application's UUID as text); opaque to this app.
    case_ref = models.CharField(max_length=64, unique=True)
    agency = models.ForeignKey("agencies.Agency", on_delete=models.PROTECT, related_name="issued_documents")
    holder = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="issued_documents")
    # The service it was issued under: its risk assessment decides the assurance needed to open the document.
    service = models.ForeignKey("catalog.Service", null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    # The name as printed on the document, kept even if the account's name changes later.
    holder_name = models.CharField(max_length=200)
    title_th = models.CharField(max_length=255)
    title_en = models.CharField(max_length=255)
    # What the document certifies, as printed: [{"label": ..., "value": ...}, ...] in the caller's order.
    body_fields = models.JSONField(default=list, blank=True)
    issued_at = models.DateTimeField()
    valid_from = models.DateField()
    valid_until = models.DateField(null=True, blank=True)
    status = models.CharField(max_length=10, choices=DocumentStatus.choices, default=DocumentStatus.VALID)
    revoked_at = models.DateTimeField(null=True, blank=True)
    revoked_reason = models.TextField(blank=True)
    suspended_at = models.DateTimeField(null=True, blank=True)
    suspended_reason = models.TextField(blank=True)
    # Stored through the default storage, which is private: the PDF is only streamed after an access check.
    pdf = models.FileField(upload_to="documents/", max_length=200)
    sha256 = models.CharField(max_length=64, unique=True)
    verification_code = models.CharField(max_length=64, unique=True, default=new_verification_code)
    # The compact credential printed in the QR code (a JWS signed with the agency's key) and that key's id.
    credential = models.TextField(blank=True)
    signing_kid = models.CharField(max_length=64, blank=True)
    # Application answers carried over to a renewal (see renewal.py): never files or citizen IDs.
    renewal_data = models.JSONField(default=dict, blank=True)
    # The service's published template it was drawn with (None: the shipped default template).
    template = models.ForeignKey(
        "documents.DocumentTemplate", null=True, blank=True, on_delete=models.PROTECT, related_name="documents"
    )

    class Meta:
        ordering = ["-issued_at", "-id"]
        constraints = [
            models.CheckConstraint(condition=models.Q(status__in=DocumentStatus.values), name="document_status_valid"),
            models.CheckConstraint(
                condition=models.Q(status__in=[DocumentStatus.VALID, DocumentStatus.SUSPENDED], revoked_at__isnull=True)
                | models.Q(status=DocumentStatus.REVOKED, revoked_at__isnull=False),
                name="document_revoked_at_matches_status",
            ),
            models.CheckConstraint(
                condition=models.Q(status=DocumentStatus.SUSPENDED, suspended_at__isnull=False)
                | (~models.Q(status=DocumentStatus.SUSPENDED) & models.Q(suspended_at__isnull=True)),
                name="document_suspended_at_matches_status",
            ),
            models.CheckConstraint(
                condition=models.Q(valid_until__isnull=True) | models.Q(valid_until__gte=models.F("valid_from")),
                name="document_validity_ordered",
            ),
        ]
        indexes = [models.Index(fields=["holder", "-issued_at"])]

    def __str__(self) -> str:
        return self.number

    def status_on(self, day: dt.date) -> VerificationStatus:
        """The status a verifier sees on `day` (a Bangkok calendar date)."""
        if self.status == DocumentStatus.REVOKED:
            return VerificationStatus.REVOKED
        if self.status == DocumentStatus.SUSPENDED:
            return VerificationStatus.SUSPENDED
        if self.valid_until is not None and day > self.valid_until:
            return VerificationStatus.EXPIRED
        return VerificationStatus.VALID

    @property
    def current_status(self) -> VerificationStatus:
        return self.status_on(timezone.localdate())

    @property
    def verification_url(self) -> str:
        return f"{settings.BORIKAN_PUBLIC_BASE_URL.rstrip('/')}/verify/{self.verification_code}"

    @property
    def qr_payload(self) -> str:
        """What the QR code holds: the verification URL, with the signed credential in its fragment (never sent
        to the server when the link is opened; read by offline verifiers)."""
        return f"{self.verification_url}#{self.credential}" if self.credential else self.verification_url

    @property
    def field_pairs(self) -> list[tuple[str, str]]:
        return [(item["label"], item["value"]) for item in self.body_fields]


class StatusChange(models.TextChoices):
    SUSPENDED = "suspended", "suspended"
    REINSTATED = "reinstated", "reinstated"
    REVOKED = "revoked", "revoked"


class DocumentStatusEvent(models.Model):
    """Each suspension, reinstatement and revocation of a document, with its reason and who did it."""

    document = models.ForeignKey(IssuedDocument, on_delete=models.PROTECT, related_name="status_events")
    change = models.CharField(max_length=12, choices=StatusChange.choices)
    reason = models.TextField()
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["document_id", "at", "id"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(change__in=StatusChange.values), name="document_status_change_valid"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.document_id}: {self.change}"


class SigningCertificate(models.Model):
    """A certificate (and public key) an agency has signed with. Kept after rotation: the JWKS publishes every key
    that signed a credential still in circulation, so old documents keep verifying offline."""

    agency = models.ForeignKey("agencies.Agency", on_delete=models.PROTECT, related_name="signing_certificates")
    kid = models.CharField(max_length=64, unique=True)
    public_jwk = models.JSONField()
    certificate_pem = models.TextField()
    not_valid_after = models.DateTimeField()
    first_used_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["agency_id", "-first_used_at", "-id"]

    def __str__(self) -> str:
        return f"{self.agency_id}:{self.kid}"


class TemplateStatus(models.TextChoices):
    DRAFT = "draft", "draft"
    PUBLISHED = "published", "published"


class DocumentTemplate(models.Model):
    """One version of a service's document template (a sandboxed Django template and its CSS; see templating.py).

    A service has at most one draft, edited by its agency's administrators; publishing freezes it. Documents are
    drawn with the newest published version at issue time and record which one.
    """

    service = models.ForeignKey("catalog.Service", on_delete=models.PROTECT, related_name="document_templates")
    version = models.PositiveIntegerField()
    html = models.TextField()
    css = models.TextField(blank=True)
    # What the admin filled in on the structured editor (title, paragraphs, signer...), from which `html` and `css`
    # were built (structured.structured_source); null for a template written as HTML (the API, the advanced path).
    spec = models.JSONField(null=True, blank=True)
    status = models.CharField(max_length=10, choices=TemplateStatus.choices, default=TemplateStatus.DRAFT)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    updated_at = models.DateTimeField(auto_now=True)
    published_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    published_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["service_id", "-version"]
        constraints = [
            models.UniqueConstraint(fields=["service", "version"], name="unique_document_template_version"),
            models.UniqueConstraint(
                fields=["service"],
                condition=models.Q(status="draft"),
                name="one_document_template_draft_per_service",
            ),
            models.CheckConstraint(
                condition=models.Q(status="draft", published_at__isnull=True)
                | models.Q(status="published", published_at__isnull=False),
                name="document_template_published_at_matches_status",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.service_id} v{self.version} ({self.status})"
