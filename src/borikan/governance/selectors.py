"""Reads for governance: maturity and manual completeness per service, and per agency."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass

from borikan.agencies.models import Agency
from borikan.catalog.manual import DEFAULT_COMPLAINT_CHANNEL, Finding, manual_findings
from borikan.catalog.models import Service

from .maturity import Maturity, service_maturity


@dataclass(frozen=True)
class ServiceReport:
    service: Service
    maturity: Maturity
    manual: list[Finding]

    @property
    def manual_complete(self) -> bool:
        return not self.manual


def complaint_channel_for(agency: Agency) -> str:
    return agency.complaint_channel or DEFAULT_COMPLAINT_CHANNEL


def service_report(service: Service) -> ServiceReport:
    return ServiceReport(
        service=service,
        maturity=service_maturity(service),
        manual=manual_findings(service, complaint_channel=complaint_channel_for(service.agency)),
    )


def agency_reports(*, agency: Agency) -> list[ServiceReport]:
    """Every service of the agency, published or not, with its level and manual findings."""
    services = Service.objects.filter(agency=agency).select_related("agency").order_by("slug")
    return [service_report(s) for s in services]


def maturity_distribution(reports: list[ServiceReport]) -> dict[int, int]:
    """How many services are at each level 0-5 (every level present, zero where none)."""
    counts = Counter(r.maturity.level for r in reports)
    return {level: counts.get(level, 0) for level in range(6)}
