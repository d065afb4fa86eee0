"""Validate and load a service catalogue file. Either every record is valid and all load, or none do."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any

from django.db import transaction

from borikan.agencies.models import Agency
from borikan.audit.services import audit_record

from .formschema import build_default_form_schema
from .models import PaymentTiming, Service, StepMode, TransactionType

DEFAULT_CATALOGUE = Path(__file__).parent / "data" / "thai-services.json"
SLUG_RE = re.compile(r"^[a-z0-9][a-z0-9-]{1,99}$")
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
    for key in ("id", "name_th", "name_en", "agency_code", "category", "transaction_type", "description_th",
                "legal_basis_th"):  # fmt: skip
        if not isinstance(record.get(key), str) or not record[key].strip():
            errors.append(f"{where}: '{key}' must be a non-empty string")
    if isinstance(record.get("id"), str) and not SLUG_RE.match(record["id"]):
        errors.append(f"{where}: 'id' must be a lower-case ASCII slug")
    if record.get("agency_code") not in lists["agencies"]:
        errors.append(f"{where}: unknown agency_code {record.get('agency_code')!r}")
    if record.get("category") not in lists["categories"]:
        errors.append(f"{where}: unknown category {record.get('category')!r}")
    if record.get("transaction_type") not in TransactionType.values:
        errors.append(f"{where}: unknown transaction_type {record.get('transaction_type')!r}")
    fee = record.get("fee_thb")
    if fee is not None:
        try:
            if isinstance(fee, bool) or Decimal(str(fee)) < 0:
                raise InvalidOperation
        except InvalidOperation:
            errors.append(f"{where}: 'fee_thb' must be null or a non-negative number")
    days = record.get("processing_time_days")
    if not isinstance(days, int) or isinstance(days, bool) or days < 1:
        errors.append(f"{where}: 'processing_time_days' must be a whole number of days ≥ 1")
    for key, allowed in (("channels", lists["channels"]), ("personal_data_fields", lists["personal_data_fields"]),
                         ("life_events", lists["life_events"])):  # fmt: skip
        values = record.get(key)
        if not isinstance(values, list) or not all(isinstance(v, str) for v in values):
            errors.append(f"{where}: '{key}' must be a list of strings")
        elif unknown := sorted(set(values) - allowed):
            errors.append(f"{where}: unknown {key} {unknown}")
    for key in ("required_documents", "steps", "keywords_th"):
        if not isinstance(record.get(key, []), list):
            errors.append(f"{where}: '{key}' must be a list")
    for i, doc in enumerate(record.get("required_documents") or []):
        if not isinstance(doc, dict) or not isinstance(doc.get("name_th"), str):
            errors.append(f"{where}: required_documents[{i}] needs 'name_th'")
    for i, step in enumerate(record.get("steps") or []):
        if not isinstance(step, dict) or not isinstance(step.get("name_th"), str):
            errors.append(f"{where}: steps[{i}] needs 'name_th'")
    return errors


def validate_catalogue(data: Any) -> list[str]:
    if not isinstance(data, dict):
        return ["the file must hold a JSON object"]
    errors: list[str] = []
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
        slug = record.get("id") if isinstance(record, dict) else None
        if isinstance(slug, str):
            if slug in seen:
                errors.append(f"services[{index}] ({slug}): duplicate id")
            seen.add(slug)
    return errors


def _service_defaults(record: dict[str, Any], agency: Agency) -> dict[str, Any]:
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
            agency, created = Agency.objects.update_or_create(
                code=code,
                defaults={
                    "name_th": names["th"],
                    "name_en": names["en"],
                    "ministry_th": _ministry(names["th"], "กระทรวง"),
                    "ministry_en": _ministry(names["en"], "Ministry"),
                },
            )
            agencies[code] = agency
            report.agencies_created += created
            report.agencies_updated += not created
        for record in data["services"]:
            _, created = Service.objects.update_or_create(
                slug=record["id"], defaults=_service_defaults(record, agencies[record["agency_code"]])
            )
            report.services_created += created
            report.services_updated += not created
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
