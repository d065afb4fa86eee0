"""Export the service directory as JSON (the format of data/catalogue.schema.json) or CSV, and read CSV back.

What is exported loads back unchanged with `load_catalogue`: the round trip is tested for both formats.
"""

from __future__ import annotations

import csv
import io
import json
from decimal import Decimal
from typing import Any

from django.utils import timezone

from borikan.agencies.models import Agency

from .loading import DEFAULT_CATALOGUE, read_catalogue_file
from .models import PROCESSES, Service, TransactionType

CONTROLLED_LISTS = ("categories", "channels", "personal_data_fields", "life_events")
# CSV columns: plain text first, then the nested parts as JSON text, then the agency's own columns.
CSV_TEXT = (
    "id", "agency_code", "name_th", "name_en", "category", "transaction_type", "description_th", "description_en",
    "legal_basis_th", "fee_thb", "fee_note", "processing_time_days", "risk_notes",
)  # fmt: skip
CSV_JSON = ("life_events", "keywords_th", "required_documents", "steps", "channels", "personal_data_fields", "platform")
CSV_AGENCY = (
    "agency_th", "agency_en", "agency_email", "agency_ministry_th", "agency_ministry_en", "agency_complaint_channel",
)  # fmt: skip


def _fee_thb(satang: int | None) -> int | float | None:
    if satang is None:
        return None
    amount = Decimal(satang) / 100
    return int(amount) if amount == amount.to_integral_value() else float(amount)


def _service_record(service: Service) -> dict[str, Any]:
    return {
        "id": service.slug,
        "name_th": service.name_th,
        "name_en": service.name_en,
        "agency_th": service.agency.name_th,
        "agency_en": service.agency.name_en,
        "agency_code": service.agency.code,
        "category": service.category,
        "life_events": service.life_events,
        "transaction_type": service.transaction_type,
        "description_th": service.description_th,
        "description_en": service.description_en,
        "keywords_th": service.keywords_th,
        "legal_basis_th": service.legal_basis_th,
        "required_documents": service.required_documents,
        "fee_thb": _fee_thb(service.fee_satang),
        "fee_note": service.fee_note,
        "processing_time_days": service.processing_time_days,
        "steps": service.steps,
        "channels": service.channels,
        "personal_data_fields": service.personal_data_fields,
        "risk_notes": service.risk_notes,
        "platform": {
            "process_modes": {process: service.mode(process) for process in PROCESSES},
            "payment_timing": service.payment_timing,
            "document_title_th": service.document_title_th,
            "document_validity_days": service.document_validity_days,
            "form_schema": service.form_schema,
            "is_published": service.is_published,
            **_risk_assessment(service),
        },
    }


def _risk_assessment(service: Service) -> dict[str, Any]:
    current = service.risk_assessments.filter(is_current=True).first()
    if current is None:
        return {}
    return {
        "risk_assessment": {
            "ratings": current.ratings,
            "justification": current.justification,
            "required_ial": str(current.required_ial),
            "required_aal": str(current.required_aal),
            "override_reason": current.override_reason,
            "is_default_profile": current.is_default_profile,
        }
    }


def _agency_record(agency: Agency) -> dict[str, str]:
    return {
        "th": agency.name_th,
        "en": agency.name_en,
        "email": agency.email,
        "ministry_th": agency.ministry_th,
        "ministry_en": agency.ministry_en,
        "complaint_channel": agency.complaint_channel,
    }


def controlled_lists() -> dict[str, list[str]]:
    """The vocabularies services are classified by, shipped with the project."""
    shipped = read_catalogue_file(DEFAULT_CATALOGUE)
    return {key: shipped[key] for key in CONTROLLED_LISTS}


def export_catalogue() -> dict[str, Any]:
    services = list(Service.objects.select_related("agency").order_by("slug"))
    agencies = {s.agency.code: s.agency for s in services}
    return {
        "about": "borikan service directory export",
        "version": timezone.now().strftime("%Y-%m-%dT%H:%M:%SZ"),
        "language": {"primary": "th", "secondary": "en"},
        **controlled_lists(),
        "transaction_types": list(TransactionType.values),
        "agencies": {code: _agency_record(agencies[code]) for code in sorted(agencies)},
        "services": [_service_record(s) for s in services],
    }


def catalogue_to_csv(data: dict[str, Any]) -> str:
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=[*CSV_TEXT, *CSV_JSON, *CSV_AGENCY], lineterminator="\n")
    writer.writeheader()
    for record in data["services"]:
        agency = data["agencies"][record["agency_code"]]
        row = {key: "" if record.get(key) is None else record[key] for key in CSV_TEXT}
        row |= {key: json.dumps(record.get(key), ensure_ascii=False, sort_keys=True) for key in CSV_JSON}
        row |= {
            f"agency_{key}": agency.get(key, "") for key in ("email", "ministry_th", "ministry_en", "complaint_channel")
        }
        row |= {"agency_th": agency["th"], "agency_en": agency["en"]}
        writer.writerow(row)
    return out.getvalue()


def catalogue_from_csv(text: str) -> dict[str, Any]:
    """Rebuild the JSON form from a CSV export; malformed cells become errors reported by `load_catalogue`."""
    reader = csv.DictReader(io.StringIO(text))
    missing = set(CSV_TEXT) - set(reader.fieldnames or [])
    if missing:
        raise ValueError(f"the CSV lacks the columns {sorted(missing)}")
    agencies: dict[str, dict[str, str]] = {}
    services: list[dict[str, Any]] = []
    for line, row in enumerate(reader, start=2):
        record: dict[str, Any] = {key: row[key] for key in CSV_TEXT}
        for key in CSV_JSON:
            try:
                record[key] = json.loads(row.get(key) or "null")
            except json.JSONDecodeError:
                raise ValueError(f"line {line}: column '{key}' is not valid JSON") from None
        if record["platform"] is None:
            del record["platform"]
        record["fee_thb"] = _number(record["fee_thb"], line, "fee_thb")
        record["processing_time_days"] = _number(record["processing_time_days"], line, "processing_time_days")
        record["agency_th"], record["agency_en"] = row.get("agency_th", ""), row.get("agency_en", "")
        agencies[record["agency_code"]] = {
            "th": row.get("agency_th", ""),
            "en": row.get("agency_en", ""),
            **{
                key: row.get(f"agency_{key}", "")
                for key in ("email", "ministry_th", "ministry_en", "complaint_channel")
            },
        }
        services.append(record)
    return {"version": "csv", **controlled_lists(), "agencies": agencies, "services": services}


def _number(value: str, line: int, column: str) -> int | float | None:
    if value == "":
        return None
    try:
        number = Decimal(value)
    except ArithmeticError:
        raise ValueError(f"line {line}: column '{column}' is not a number") from None
    return int(number) if number == number.to_integral_value() else float(number)
