import uuid

from django.db import models
from django.db.models.signals import post_delete, post_save

from borikan.agencies.models import Agency
from borikan.core.models import TimeStampedModel

# The eight processes of the government digital-process guideline, in order.
PROCESSES = (
    "search",
    "identity",
    "application",
    "review",
    "approval",
    "payment",
    "issuance",
    "delivery",
)


class TransactionType(models.TextChoices):
    INFORMATION = "information", "information"
    REGISTRATION = "registration", "registration"
    LICENCE_NEW = "licence-new", "new licence"
    LICENCE_RENEWAL = "licence-renewal", "licence renewal"
    PERMIT = "permit", "permit"
    CERTIFICATE_REQUEST = "certificate-request", "certificate request"
    BENEFIT_CLAIM = "benefit-claim", "benefit claim"
    TAX_FILING = "tax-filing", "tax filing"
    PAYMENT = "payment", "payment"
    AMENDMENT = "amendment", "amendment"
    COMPLAINT = "complaint", "complaint"


class StepMode(models.TextChoices):
    ONLINE = "online", "online"
    COUNTER = "counter", "counter"
    NOT_APPLICABLE = "not_applicable", "not applicable"


class PaymentTiming(models.TextChoices):
    BEFORE_REVIEW = "before_review", "before review"
    AFTER_APPROVAL = "after_approval", "after approval"


class Service(TimeStampedModel):
    """One public service: its citizen manual (Licensing Facilitation Act s.7) and how each process runs."""

    slug = models.SlugField(max_length=100, unique=True)
    agency = models.ForeignKey(Agency, on_delete=models.PROTECT, related_name="services")
    name_th = models.CharField(max_length=300)
    name_en = models.CharField(max_length=300)
    description_th = models.TextField()
    description_en = models.TextField(blank=True)
    category = models.CharField(max_length=60, db_index=True)
    transaction_type = models.CharField(max_length=30, choices=TransactionType.choices)
    life_events = models.JSONField(default=list, blank=True)
    keywords_th = models.JSONField(default=list, blank=True)
    legal_basis_th = models.TextField()
    required_documents = models.JSONField(default=list, blank=True)
    # Money is integer satang. None means free or variable; fee_note says which.
    fee_satang = models.BigIntegerField(null=True, blank=True)
    fee_note = models.CharField(max_length=500, blank=True)
    processing_time_days = models.PositiveIntegerField()
    steps = models.JSONField(default=list, blank=True)
    channels = models.JSONField(default=list, blank=True)
    personal_data_fields = models.JSONField(default=list, blank=True)
    risk_notes = models.TextField(blank=True)
    # JSON Schema of the application form (validated on the server; renders the page).
    form_schema = models.JSONField(default=dict, blank=True)
    # Per-process configuration: online / counter / not_applicable.
    mode_search = models.CharField(max_length=20, choices=StepMode.choices, default=StepMode.ONLINE)
    mode_identity = models.CharField(max_length=20, choices=StepMode.choices, default=StepMode.COUNTER)
    mode_application = models.CharField(max_length=20, choices=StepMode.choices, default=StepMode.COUNTER)
    mode_review = models.CharField(max_length=20, choices=StepMode.choices, default=StepMode.COUNTER)
    mode_approval = models.CharField(max_length=20, choices=StepMode.choices, default=StepMode.COUNTER)
    mode_payment = models.CharField(max_length=20, choices=StepMode.choices, default=StepMode.NOT_APPLICABLE)
    mode_issuance = models.CharField(max_length=20, choices=StepMode.choices, default=StepMode.COUNTER)
    mode_delivery = models.CharField(max_length=20, choices=StepMode.choices, default=StepMode.COUNTER)
    payment_timing = models.CharField(
        max_length=20, choices=PaymentTiming.choices, default=PaymentTiming.AFTER_APPROVAL
    )
    # Title printed on the issued document, e.g. "ใบอนุญาต..." (defaults to the service name).
    document_title_th = models.CharField(max_length=300, blank=True)
    document_validity_days = models.PositiveIntegerField(null=True, blank=True)
    is_published = models.BooleanField(default=True)

    class Meta:
        ordering = ["slug"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(transaction_type__in=TransactionType.values),
                name="service_transaction_type_valid",
            ),
            models.CheckConstraint(
                condition=models.Q(fee_satang__isnull=True) | models.Q(fee_satang__gte=0),
                name="service_fee_non_negative",
            ),
        ]

    def __str__(self) -> str:
        return self.slug

    def mode(self, process: str) -> str:
        return getattr(self, f"mode_{process}")

    @property
    def process_modes(self) -> dict[str, str]:
        return {p: self.mode(p) for p in PROCESSES}

    @property
    def fee_due(self) -> bool:
        """Whether this service collects a fee online through the platform."""
        return bool(self.fee_satang) and self.mode_payment == StepMode.ONLINE

    @property
    def accepts_online_applications(self) -> bool:
        return self.is_published and self.mode_application == StepMode.ONLINE


class RiskAssessment(models.Model):
    """One recorded assessment of a service's risk (NIST SP 800-63 impact categories) and the IAL/AAL it
    requires. The newest is current; earlier ones are its history and are never changed."""

    service = models.ForeignKey(Service, on_delete=models.CASCADE, related_name="risk_assessments")
    ratings = models.JSONField()  # category -> none / low / moderate / high
    justification = models.TextField()
    personal_data_online = models.BooleanField()
    nist_level = models.PositiveSmallIntegerField()
    derived_ial = models.DecimalField(max_digits=2, decimal_places=1)
    derived_aal = models.DecimalField(max_digits=2, decimal_places=1)
    # What the service requires: the derived levels, or higher ones chosen with a reason (never lower).
    required_ial = models.DecimalField(max_digits=2, decimal_places=1)
    required_aal = models.DecimalField(max_digits=2, decimal_places=1)
    override_reason = models.TextField(blank=True)
    derivation = models.JSONField(default=list)  # [[thai, english], ...] as shown to people
    # Set for the platform's starting assessment from the transaction type's default profile.
    is_default_profile = models.BooleanField(default=False)
    assessed_by = models.ForeignKey("identity.User", on_delete=models.PROTECT, null=True, blank=True)
    assessed_at = models.DateTimeField(auto_now_add=True)
    is_current = models.BooleanField(default=True)

    class Meta:
        ordering = ["-assessed_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["service"], condition=models.Q(is_current=True), name="one_current_risk_assessment"
            ),
            models.CheckConstraint(
                condition=models.Q(required_ial__gte=models.F("derived_ial"))
                & models.Q(required_aal__gte=models.F("derived_aal")),
                name="risk_override_never_lower",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.service_id}: IAL {self.required_ial} / AAL {self.required_aal}"


class SearchSynonym(TimeStampedModel):
    """Words and phrases that mean the same to someone searching (พาสปอร์ต = หนังสือเดินทาง = passport).

    Applied at query time: a query containing any of the terms also looks for the others. Kept by platform
    operators through the API (catalog.search.services); seeded from data/search_synonyms.json.
    """

    terms = models.JSONField(default=list)
    note = models.CharField(max_length=300, blank=True)

    class Meta:
        ordering = ["id"]

    def __str__(self) -> str:
        return " = ".join(str(t) for t in self.terms)


class SearchRevision(models.Model):
    """Changes whenever something the search index reads changes, so every web process knows to rebuild.

    One row. A random token rather than a counter: a rolled-back change never leaves a value another change
    will reuse. Bumped in the writer's transaction by the receivers below (saves and deletes of services,
    agencies and synonyms); bulk inserts are caught by the highest ids, which the revision check also reads.
    """

    key = models.CharField(max_length=20, unique=True, default="catalogue")
    token = models.CharField(max_length=32)

    def __str__(self) -> str:
        return f"{self.key} @ {self.token}"

    @classmethod
    def bump(cls) -> None:
        token = uuid.uuid4().hex
        if not cls.objects.filter(key="catalogue").update(token=token):
            cls.objects.create(key="catalogue", token=token)


def _search_content_changed(sender, **kwargs) -> None:
    # Cache invalidation for the search index (a framework hook, not a business rule): see catalog/search/state.py.
    SearchRevision.bump()


for _model in (Service, Agency, SearchSynonym):
    post_save.connect(_search_content_changed, sender=_model, dispatch_uid=f"search_revision_save_{_model.__name__}")
    post_delete.connect(
        _search_content_changed, sender=_model, dispatch_uid=f"search_revision_delete_{_model.__name__}"
    )
