from ninja import Schema


class GapOut(Schema):
    code: str
    message_th: str
    message_en: str


class ServiceMaturityOut(Schema):
    slug: str
    name_th: str
    level: int
    level_name_th: str
    level_name_en: str
    next_level: int | None
    next_steps: list[GapOut]
    manual_complete: bool
    manual_findings: list[GapOut]


class AgencyMaturityOut(Schema):
    agency: str
    name_th: str
    name_en: str
    distribution: dict[int, int]
    services: list[ServiceMaturityOut]
