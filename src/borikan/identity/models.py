from __future__ import annotations

import hashlib

from django.contrib.auth.models import AbstractBaseUser, BaseUserManager, PermissionsMixin
from django.db import models
from django.utils import timezone

CITIZEN_ID_PURPOSE = "citizen_id"


class UserManager(BaseUserManager["User"]):
    use_in_migrations = True

    def create_user(self, email: str | None, password: str | None = None, **extra) -> User:
        if not email and not extra.get("mobile"):
            raise ValueError("an e-mail address or a verified mobile number is required")
        # Self-service sign-up passes email_verified_at=None and sends a link; every other way in (an operator,
        # a federated provider that asserted email_verified, the demo) has the address proven already.
        if email:
            extra.setdefault("email_verified_at", timezone.now())
        user = self.model(email=self.normalize_email(email).lower() if email else None, **extra)
        user.set_password(password)
        user.save(using=self._db)
        return user

    def create_superuser(self, email: str, password: str | None = None, **extra) -> User:
        extra.update(is_staff=True, is_superuser=True)
        return self.create_user(email, password, **extra)


class User(AbstractBaseUser, PermissionsMixin):
    """A person who signs in: a citizen, an agency officer, or a platform operator.

    Agency roles live in `agencies.StaffMembership`; `is_staff` only means Django-admin access (operators).
    """

    # A person signs up with an e-mail address or with a mobile number proven by SMS (identity/phone.py): either
    # is a login name, so each is unique when present.
    email = models.EmailField(unique=True, null=True, blank=True)
    # An address counts (sign-in, notices) only once its owner opened the link sent to it (identity/verification.py).
    email_verified_at = models.DateTimeField(null=True, blank=True)
    full_name = models.CharField(max_length=200)
    phone = models.CharField(max_length=20, blank=True)  # contact number, as typed; not proven
    mobile = models.CharField(max_length=16, unique=True, null=True, blank=True)  # E.164, proven by an SMS code
    mobile_verified_at = models.DateTimeField(null=True, blank=True)
    # The 13-digit citizen ID: matched by a keyed hash, readable only by decrypting (identity/pii.py).
    citizen_id_hash = models.CharField(max_length=64, unique=True, null=True, blank=True)
    citizen_id_encrypted = models.TextField(blank=True)
    # Bumped by "sign out everywhere": part of the session hash, so every existing session stops being valid.
    session_epoch = models.PositiveIntegerField(default=0)
    is_active = models.BooleanField(default=True)
    is_staff = models.BooleanField(default=False)
    date_joined = models.DateTimeField(default=timezone.now)

    objects = UserManager()

    USERNAME_FIELD = "email"
    EMAIL_FIELD = "email"
    REQUIRED_FIELDS = ["full_name"]

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=models.Q(email__isnull=False) | models.Q(mobile__isnull=False),
                name="user_has_a_login_name",
            )
        ]

    def __str__(self) -> str:
        return self.email or self.mobile or f"user {self.pk}"

    def _get_session_auth_hash(self, secret: str | None = None) -> str:
        """Django's session hash (of the password), extended with the session epoch."""
        from django.utils.crypto import salted_hmac

        return salted_hmac(
            "borikan.identity.User.session_auth_hash",
            f"{self.password}:{self.session_epoch}",
            secret=secret,
            algorithm="sha256",
        ).hexdigest()

    @property
    def citizen_id(self) -> str:
        from .pii import decrypt

        return decrypt(self.citizen_id_encrypted, purpose=CITIZEN_ID_PURPOSE) if self.citizen_id_encrypted else ""


class ApiToken(models.Model):
    """A bearer token for API clients. Only its SHA-256 is stored; the token is shown once at login."""

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="api_tokens")
    key_hash = models.CharField(max_length=64, unique=True)
    created_at = models.DateTimeField(auto_now_add=True)
    expires_at = models.DateTimeField()
    revoked_at = models.DateTimeField(null=True, blank=True)
    # How the person authenticated for this token (identity/authn.py); step-up adds to it.
    auth_methods = models.JSONField(default=list, blank=True)
    last_used_at = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return f"API token of user {self.user_id}"

    @staticmethod
    def hash_key(key: str) -> str:
        return hashlib.sha256(key.encode()).hexdigest()


LEVEL_FIELD = {"max_digits": 2, "decimal_places": 1}


class ProofingMethod(models.TextChoices):
    SELF_ASSERTED = "self_asserted", "Self-asserted"
    COUNTER = "counter", "Verified at a counter"
    FEDERATED = "federated", "Federated identity provider"


class ProofingRecord(models.Model):
    """One proofing of a person: how, on what evidence, by whom, to which IAL, until when.

    The person's IAL is the highest level among the records that are neither expired nor revoked
    (identity/assurance.py). Records are never edited: a revocation only stamps `revoked_at`.
    """

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="proofing_records")
    method = models.CharField(max_length=20, choices=ProofingMethod.choices)
    ial = models.DecimalField(**LEVEL_FIELD)
    # What was checked (document type, registry answer, which checks the officer made); never a raw citizen ID.
    evidence = models.JSONField(default=dict, blank=True)
    verified_by = models.ForeignKey(
        User, null=True, blank=True, on_delete=models.PROTECT, related_name="proofings_performed"
    )
    agency = models.ForeignKey("agencies.Agency", null=True, blank=True, on_delete=models.PROTECT)
    provider = models.CharField(max_length=50, blank=True)  # the identity provider, for federated records
    verified_at = models.DateTimeField(default=timezone.now)
    expires_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)
    revoked_reason = models.CharField(max_length=60, blank=True)
    # Who the evidence says the person is: the name on the card the registry confirmed, or the name and birth
    # date the identity provider asserted. Blank where the evidence named no one (records before 2569-12).
    name_th = models.CharField(max_length=200, blank=True)
    name_en = models.CharField(max_length=200, blank=True)
    birth_date = models.DateField(null=True, blank=True)

    class Meta:
        indexes = [models.Index(fields=["user", "-ial"], name="proofing_user_ial")]

    def __str__(self) -> str:
        return f"IAL {self.ial} ({self.method}) for user {self.user_id}"


class TotpDevice(models.Model):
    """An authenticator app (RFC 6238). The secret is encrypted at rest; the last accepted time step is kept
    so that a code cannot be used twice."""

    user = models.OneToOneField(User, on_delete=models.CASCADE, related_name="totp_device")
    secret_encrypted = models.TextField()
    confirmed_at = models.DateTimeField(null=True, blank=True)
    last_used_step = models.BigIntegerField(default=0)
    created_at = models.DateTimeField(auto_now_add=True)

    def __str__(self) -> str:
        return f"TOTP of user {self.user_id}"


class RecoveryCode(models.Model):
    """A one-time recovery code (a NIST look-up secret). Only a keyed hash is stored."""

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="recovery_codes")
    code_hash = models.CharField(max_length=64, unique=True)
    created_at = models.DateTimeField(auto_now_add=True)
    used_at = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return f"recovery code of user {self.user_id}"


class WebAuthnCredential(models.Model):
    """A passkey or security key registered through WebAuthn."""

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="webauthn_credentials")
    credential_id = models.CharField(max_length=1400, unique=True)  # base64url of the raw credential ID
    credential_data = models.BinaryField()  # fido2 AttestedCredentialData: AAGUID, ID and COSE public key
    sign_count = models.PositiveBigIntegerField(default=0)
    name = models.CharField(max_length=100, blank=True)
    backup_eligible = models.BooleanField(default=False)  # a synced passkey rather than a device-bound key
    created_at = models.DateTimeField(auto_now_add=True)
    last_used_at = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return f"passkey {self.name or self.pk} of user {self.user_id}"


class FederatedIdentity(models.Model):
    """The link between an account and a subject at an external OpenID Connect provider."""

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="federated_identities")
    provider = models.CharField(max_length=50)
    subject = models.CharField(max_length=255)
    linked_at = models.DateTimeField(auto_now_add=True)
    last_login_at = models.DateTimeField(null=True, blank=True)
    last_acr = models.CharField(max_length=200, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["provider", "subject"], name="federated_identity_unique_subject"),
            models.UniqueConstraint(fields=["user", "provider"], name="federated_identity_one_per_provider"),
        ]

    def __str__(self) -> str:
        return f"{self.provider} subject of user {self.user_id}"


def validate_registration_number(value: str) -> None:
    from django.core.exceptions import ValidationError

    from borikan.core.thaiid import is_valid_thai_id

    if not (len(value) == 13 and is_valid_thai_id(value)):
        raise ValidationError("not a 13-digit registration number with a valid check digit")


class JuristicPerson(models.Model):
    """A company or other juristic person, known by its 13-digit registration number (same check digit as a
    citizen ID). It acts only through people recorded as its representatives (`Representation`)."""

    registration_number = models.CharField(max_length=13, unique=True, validators=[validate_registration_number])
    name_th = models.CharField(max_length=255)
    name_en = models.CharField(max_length=255, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    def __str__(self) -> str:
        return self.registration_number


class RepresentationRole(models.TextChoices):
    DIRECTOR = "director", "Director"
    AUTHORISED_REPRESENTATIVE = "authorised_representative", "Authorised representative"


class Representation(models.Model):
    """A person may act for a juristic person: recorded by an officer who checked the company certificate (and
    the power of attorney for a representative who is not a director). Never edited; revocation stamps it."""

    juristic_person = models.ForeignKey(JuristicPerson, on_delete=models.PROTECT, related_name="representations")
    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="representations")
    role = models.CharField(max_length=30, choices=RepresentationRole.choices)
    evidence = models.JSONField(default=dict, blank=True)  # which documents were checked; no copies
    verified_by = models.ForeignKey(User, on_delete=models.PROTECT, related_name="representations_verified")
    agency = models.ForeignKey("agencies.Agency", null=True, blank=True, on_delete=models.PROTECT)
    valid_from = models.DateTimeField(default=timezone.now)
    valid_until = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)
    revoked_reason = models.CharField(max_length=60, blank=True)

    class Meta:
        constraints = [
            # At most one standing representation per person and company (an expired one is revoked on renewal).
            models.UniqueConstraint(
                fields=["juristic_person", "user"],
                condition=models.Q(revoked_at__isnull=True),
                name="representation_one_standing",
            ),
            models.CheckConstraint(
                condition=models.Q(role__in=RepresentationRole.values), name="representation_role_valid"
            ),
            models.CheckConstraint(
                condition=models.Q(valid_until__isnull=True) | models.Q(valid_until__gt=models.F("valid_from")),
                name="representation_period_valid",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.user_id} as {self.role} of {self.juristic_person_id}"
