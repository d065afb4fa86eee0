"""Validate and load a service catalogue file. Either every record is valid and all load, or none do."""

from __future__ import annotations

import functools
import json
import re
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from types import SimpleNamespace
from typing import Any

from django.db import transaction
from jsonschema import Draft202012Validator
from jsonschema.exceptions import SchemaError

from borikan.agencies.models import Agency
from borikan.audit.services import audit_record

from .formschema import build_default_form_schema
from .manual import DEFAULT_COMPLAINT_CHANNEL, manual_findings
from .models import PaymentTiming, Service, StepMode, TransactionType
from .services import risk_assessment_default, risk_assessment_import

DEFAULT_CATALOGUE = Path(__file__).parent / "data" / "thai-services.json"
CATALOGUE_SCHEMA = Path(__file__).parent / "data" / "catalogue.schema.json"
ONLINE_CHANNELS = {"online", "mobile-app"}
# Certificates and filings are paid for when asked for; licences once granted.
PAY_BEFORE_REVIEW = {"certificate-request", "tax-filing", "payment"}


@dataclass
class LoadReport:
    errors: list[str] = field(default_factory=list)
    agencies_created: int = 0
    agencies_updated: int = 0
    services_created: int = 0
    services_updated: int = 0

    @property
    def ok(self) -> bool:
        return not self.errors


def _ministry(name: str, marker: str) -> str:
    """'กรมการปกครอง กระทรวงมหาดไทย' → 'กระทรวงมหาดไทย'; 'Department X, Ministry of Y' → 'Ministry of Y'."""
    index = name.find(marker)
    return name[index:].strip(" ,()") if index >= 0 else ""


def _document_title(service_name: str) -> str:
    """The title printed on what the service issues: 'การขอใบอนุญาตขายสุรา' (applying for …) → 'ใบอนุญาตขายสุรา'."""
    for prefix in ("การขอ", "การยื่นขอ"):
        if service_name.startswith(prefix) and len(service_name) > len(prefix) + 2:
            return service_name[len(prefix) :]
    return service_name


def _check_service(record: Any, index: int, lists: dict[str, set[str]]) -> list[str]:
    where = f"services[{index}]"
    if not isinstance(record, dict):
        return [f"{where}: not an object"]
    where = f"services[{index}] ({record.get('id', '?')})"
    errors: list[str] = []
    if record.get("agency_code") not in lists["agencies"]:
        errors.append(f"{where}: unknown agency_code {record.get('agency_code')!r}")
    if record.get("category") not in lists["categories"]:
        errors.append(f"{where}: unknown category {record.get('category')!r}")
    if record.get("transaction_type") not in TransactionType.values:
        errors.append(f"{where}: unknown transaction_type {record.get('transaction_type')!r}")
    for key, allowed in (("channels", lists["channels"]), ("personal_data_fields", lists["personal_data_fields"]),
                         ("life_events", lists["life_events"])):  # fmt: skip
        values = record.get(key)
        if isinstance(values, list) and (unknown := sorted({v for v in values if isinstance(v, str)} - allowed)):
            errors.append(f"{where}: unknown {key} {unknown}")
    return errors


@functools.cache
def _schema_validator() -> Draft202012Validator:
    return Draft202012Validator(json.loads(CATALOGUE_SCHEMA.read_text(encoding="utf-8")))


def _schema_errors(data: Any) -> list[str]:
    """Structural errors against the published JSON Schema, each with where it is."""
    errors = []
    for error in sorted(_schema_validator().iter_errors(data), key=lambda e: list(map(str, e.absolute_path))):
        where = "".join(f"[{p}]" if isinstance(p, int) else f".{p}" for p in error.absolute_path).lstrip(".")
        errors.append(f"{where or 'file'}: {error.message}")
    return errors


def _platform_errors(record: dict[str, Any], where: str) -> list[str]:
    platform = record.get("platform")
    if not isinstance(platform, dict):
        return []
    try:
        Draft202012Validator.check_schema(platform.get("form_schema", {}))
    except SchemaError as error:
        return [f"{where}: platform.form_schema is not a valid JSON Schema: {error.message}"]
    return []


def _manual_errors(record: dict[str, Any], where: str, agencies: dict[str, Any]) -> list[str]:
    """A service to be published must have a complete citizen manual (the rule publication enforces)."""
    platform = record.get("platform")
    if isinstance(platform, dict) and not platform.get("is_published", True):
        return []
    try:
        fee = record.get("fee_thb")
        manual = SimpleNamespace(
            legal_basis_th=record.get("legal_basis_th") or "",
            steps=[s for s in record.get("steps") or [] if isinstance(s, dict)],
            processing_time_days=record.get("processing_time_days"),
            required_documents=record.get("required_documents") or [],
            fee_satang=None if fee is None else int(Decimal(str(fee)) * 100),
            fee_note=record.get("fee_note") or "",
            channels=record.get("channels") or [],
        )
        agency = agencies.get(record.get("agency_code"), {})
        complaint = (agency.get("complaint_channel") if isinstance(agency, dict) else "") or DEFAULT_COMPLAINT_CHANNEL
        findings = manual_findings(manual, complaint_channel=complaint)
    except (TypeError, ArithmeticError):
        return []  # malformed values are reported by the schema check
    if not findings:
        return []
    return [
        f"{where}: the citizen manual is incomplete, so it cannot be published: {', '.join(f.code for f in findings)}"
    ]


def validate_catalogue(data: Any) -> list[str]:
    if not isinstance(data, dict):
        return ["the file must hold a JSON object"]
    errors: list[str] = _schema_errors(data)
    lists: dict[str, set[str]] = {}
    for key in ("categories", "channels", "personal_data_fields", "life_events"):
        if not isinstance(data.get(key), list):
            errors.append(f"'{key}' must be a list")
        lists[key] = set(data.get(key) or [])
    agencies = data.get("agencies")
    if not isinstance(agencies, dict) or not agencies:
        errors.append("'agencies' must be an object of code → {th, en}")
        agencies = {}
    for code, names in agencies.items():
        if not re.match(r"^[A-Za-z0-9-]{2,20}$", code):
            errors.append(f"agencies.{code}: the code must be 2-20 letters, digits or '-'")
        if not isinstance(names, dict) or not names.get("th") or not names.get("en"):
            errors.append(f"agencies.{code}: needs both 'th' and 'en' names")
    lists["agencies"] = set(agencies)
    services = data.get("services")
    if not isinstance(services, list) or not services:
        errors.append("'services' must be a non-empty list")
        services = []
    seen: set[str] = set()
    for index, record in enumerate(services):
        errors.extend(_check_service(record, index, lists))
        if isinstance(record, dict):
            where = f"services[{index}] ({record.get('id', '?')})"
            errors.extend(_platform_errors(record, where))
            errors.extend(_manual_errors(record, where, data.get("agencies") or {}))
        slug = record.get("id") if isinstance(record, dict) else None
        if isinstance(slug, str):
            if slug in seen:
                errors.append(f"services[{index}] ({slug}): duplicate id")
            seen.add(slug)
    return errors


def _platform_values(platform: dict[str, Any], record: dict[str, Any]) -> dict[str, Any]:
    """How the service runs on borikan, as exported: taken as it is."""
    return {
        **{f"mode_{process}": mode for process, mode in platform["process_modes"].items()},
        "payment_timing": platform["payment_timing"],
        "document_title_th": platform.get("document_title_th") or _document_title(record["name_th"]),
        "document_validity_days": platform.get("document_validity_days"),
        "form_schema": platform["form_schema"],
        "is_published": platform["is_published"],
    }


def _service_defaults(record: dict[str, Any], agency: Agency) -> dict[str, Any]:
    values = _derived_defaults(record, agency)
    if isinstance(record.get("platform"), dict):
        values.update(_platform_values(record["platform"], record))
    return values


def _derived_defaults(record: dict[str, Any], agency: Agency) -> dict[str, Any]:
    """A citizen manual without platform settings: every process online if the manual offers an online channel."""
    online = bool(ONLINE_CHANNELS & set(record["channels"]))
    mode = StepMode.ONLINE if online else StepMode.COUNTER
    fee = record.get("fee_thb")
    fee_satang = int(Decimal(str(fee)) * 100) if fee is not None else None
    paid = bool(fee_satang)
    return {
        "agency": agency,
        "name_th": record["name_th"],
        "name_en": record["name_en"],
        "description_th": record["description_th"],
        "description_en": record.get("description_en", ""),
        "category": record["category"],
        "transaction_type": record["transaction_type"],
        "life_events": record.get("life_events", []),
        "keywords_th": record.get("keywords_th", []),
        "legal_basis_th": record["legal_basis_th"],
        "required_documents": record.get("required_documents", []),
        "fee_satang": fee_satang,
        "fee_note": record.get("fee_note") or "",
        "processing_time_days": record["processing_time_days"],
        "steps": record.get("steps", []),
        "channels": record["channels"],
        "personal_data_fields": record["personal_data_fields"],
        "risk_notes": record.get("risk_notes", ""),
        "form_schema": build_default_form_schema(record["personal_data_fields"]),
        "mode_search": StepMode.ONLINE,
        "mode_identity": mode,
        "mode_application": mode,
        "mode_review": mode,
        "mode_approval": mode,
        "mode_payment": (mode if paid else StepMode.NOT_APPLICABLE),
        "mode_issuance": mode,
        "mode_delivery": mode,
        "payment_timing": (
            PaymentTiming.BEFORE_REVIEW
            if record["transaction_type"] in PAY_BEFORE_REVIEW
            else PaymentTiming.AFTER_APPROVAL
        ),
        "document_title_th": _document_title(record["name_th"]),
    }


def load_catalogue(*, data: Any, actor=None) -> LoadReport:
    """Validate the whole file first; load it in one transaction only when every record is valid."""
    report = LoadReport(errors=validate_catalogue(data))
    if not report.ok:
        return report
    with transaction.atomic():
        agencies: dict[str, Agency] = {}
        for code, names in data["agencies"].items():
            defaults = {
                "name_th": names["th"],
                "name_en": names["en"],
                "ministry_th": names.get("ministry_th", _ministry(names["th"], "กระทรวง")),
                "ministry_en": names.get("ministry_en", _ministry(names["en"], "Ministry")),
            }
            defaults |= {key: names[key] for key in ("email", "complaint_channel") if key in names}
            agency, created = Agency.objects.update_or_create(code=code, defaults=defaults)
            agencies[code] = agency
            report.agencies_created += created
            report.agencies_updated += not created
        for record in data["services"]:
            service, created = Service.objects.update_or_create(
                slug=record["id"], defaults=_service_defaults(record, agencies[record["agency_code"]])
            )
            report.services_created += created
            report.services_updated += not created
            recorded = (record.get("platform") or {}).get("risk_assessment")
            if recorded:
                risk_assessment_import(service=service, recorded=recorded)
            elif not service.risk_assessments.filter(is_current=True).exists():
                risk_assessment_default(service=service)
        audit_record(
            actor=actor,
            action="catalogue.loaded",
            object_type="catalogue",
            object_id=str(data.get("version", "")),
            data={"services": len(data["services"]), "agencies": len(agencies)},
        )
    return report


def read_catalogue_file(path: Path) -> Any:
    with path.open(encoding="utf-8") as handle:
        return json.load(handle)
