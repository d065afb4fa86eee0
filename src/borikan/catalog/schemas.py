from ninja import Schema


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
