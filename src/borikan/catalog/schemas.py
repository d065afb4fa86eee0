import datetime

from ninja import Field, Schema

from borikan.core.fields import Code, Label, Text


class AgencyOut(Schema):
    code: str
    name_th: str
    name_en: str


class ServiceSummaryOut(Schema):
    slug: str
    name_th: str
    name_en: str
    agency: AgencyOut
    category: str
    transaction_type: str
    fee_satang: int | None
    processing_time_days: int
    accepts_online_applications: bool


class ServiceOut(ServiceSummaryOut):
    description_th: str
    description_en: str
    legal_basis_th: str
    required_documents: list[dict]
    fee_note: str
    steps: list[dict]
    channels: list[str]
    personal_data_fields: list[str]
    life_events: list[str]
    process_modes: dict[str, str]
    payment_timing: str
    form_schema: dict
    required_ial: str | None
    required_aal: str | None

    @staticmethod
    def resolve_required_ial(obj) -> str | None:
        current = obj.risk_assessments.filter(is_current=True).first()
        return str(current.required_ial) if current else None

    @staticmethod
    def resolve_required_aal(obj) -> str | None:
        current = obj.risk_assessments.filter(is_current=True).first()
        return str(current.required_aal) if current else None


class RiskAssessmentIn(Schema):
    ratings: dict[Code, Code]
    justification: Text
    ial: Code | None = None
    aal: Code | None = None
    override_reason: Text = ""


class RiskAssessmentOut(Schema):
    id: int
    ratings: dict[str, str]
    justification: str
    personal_data_online: bool
    nist_level: int
    derived_ial: str
    derived_aal: str
    required_ial: str
    required_aal: str
    override_reason: str
    derivation: list[list[str]]
    is_default_profile: bool
    is_current: bool
    assessed_at: datetime.datetime

    # Levels are decimals in the database and strings in the API ("2.3"), as ThaID and NDID write them.
    @staticmethod
    def resolve_derived_ial(obj) -> str:
        return str(obj.derived_ial)

    @staticmethod
    def resolve_derived_aal(obj) -> str:
        return str(obj.derived_aal)

    @staticmethod
    def resolve_required_ial(obj) -> str:
        return str(obj.required_ial)

    @staticmethod
    def resolve_required_aal(obj) -> str:
        return str(obj.required_aal)


class PublicationOut(Schema):
    slug: str
    is_published: bool


class WithdrawIn(Schema):
    reason: Text


class HighlightOut(Schema):
    field: str = Field(description="name_th, name_en, keywords_th, description_th, description_en, agency, ...")
    text: str = Field(description="the field's text, or an excerpt of it")
    spans: list[tuple[int, int]] = Field(description="[start, end) character offsets in text of what matched")


class SearchHitOut(Schema):
    service: ServiceSummaryOut
    score: float
    highlights: list[HighlightOut]
    reasons: list[str] = Field(description="synonyms and spelling corrections that made this service match")


class FacetValueOut(Schema):
    value: str
    count: int


class SearchResultOut(Schema):
    query: str
    total: int
    hits: list[SearchHitOut]
    facets: dict[str, list[FacetValueOut]] = Field(
        description="category, agency, life_event, transaction_type, channel, fee: counts over the hits, each "
        "facet ignoring its own filter"
    )
    suggestions: list[str] = Field(description="phrases to try when nothing matched")
    interpretations: list[str] = Field(description="how the query was read: synonyms applied, words corrected")


class SynonymIn(Schema):
    terms: list[Label] = Field(description="2-20 words or phrases that mean the same", max_length=20)
    note: Text = Field("", max_length=300)


class SynonymOut(Schema):
    id: int
    terms: list[str]
    note: str
