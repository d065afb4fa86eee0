"""Computing a service's fee for one application: the schedule's lines, then the best exemption claimed.

Pure functions over the schedule's data (no writes). Money is integer satang. See ADR 12.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from jsonschema import Draft202012Validator

from borikan.core.errors import ValidationFailed

from .models import FeeExemption, FeeKind, FeeSchedule, LineKind

# The tiers of a tiered schedule: ascending `up_to` bounds, the last one may be open (null).
TIERS_SCHEMA: dict[str, Any] = {
    "$schema": "https://json-schema.org/draft/2020-12/schema",
    "type": "array",
    "maxItems": 50,
    "items": {
        "type": "object",
        "additionalProperties": False,
        "required": ["up_to", "satang"],
        "properties": {
            "up_to": {"type": ["integer", "null"], "minimum": 0},
            "satang": {"type": "integer", "minimum": 0},
        },
    },
}
_TIERS_VALIDATOR = Draft202012Validator(TIERS_SCHEMA)


@dataclass(frozen=True)
class FeeLine:
    kind: str
    label_th: str
    label_en: str
    quantity: int
    unit_satang: int
    amount_satang: int
    legal_basis_th: str = ""

    def as_dict(self) -> dict[str, Any]:
        return {
            "kind": self.kind,
            "label_th": self.label_th,
            "label_en": self.label_en,
            "quantity": self.quantity,
            "unit_satang": self.unit_satang,
            "amount_satang": self.amount_satang,
        }


@dataclass(frozen=True)
class FeeAssessment:
    lines: list[FeeLine]
    subtotal_satang: int
    total_satang: int
    quantity: int | None = None
    exemption_code: str | None = None
    claimed_codes: list[str] = field(default_factory=list)

    @property
    def fully_exempt(self) -> bool:
        return self.subtotal_satang > 0 and self.total_satang == 0

    def as_audit(self) -> dict[str, Any]:
        return {
            "subtotal_satang": self.subtotal_satang,
            "total_satang": self.total_satang,
            "quantity": self.quantity,
            "exemption": self.exemption_code,
            "claimed": self.claimed_codes,
            "lines": [line.as_dict() for line in self.lines],
        }


def tiers_errors(tiers: Any) -> list[str]:
    """Why `tiers` is not a valid tier list (empty when it is): the JSON Schema, then ascending bounds."""
    errors = [
        f"{'/'.join(str(p) for p in e.absolute_path) or '(root)'}: {e.message}"
        for e in _TIERS_VALIDATOR.iter_errors(tiers)
    ]
    if errors:
        return errors
    bounds = [tier["up_to"] for tier in tiers]
    if any(bound is None for bound in bounds[:-1]):
        errors.append("only the last tier may have no upper bound (up_to null)")
    finite = [bound for bound in bounds if bound is not None]
    if finite != sorted(set(finite)):
        errors.append("tier bounds (up_to) must be strictly ascending")
    return errors


def _quantity_error(code: str, th: str, en: str, field_name: str) -> ValidationFailed:
    return ValidationFailed(code, th, en, field=field_name or "quantity")


def read_quantity(schedule: FeeSchedule, form_data: Mapping[str, Any] | None) -> int:
    """The number of units the fee is counted on, from the application's form field; refused when invalid."""
    value = (form_data or {}).get(schedule.quantity_field) if schedule.quantity_field else None
    if isinstance(value, str) and value.strip().isdigit():
        value = int(value.strip())
    if value is None:
        raise _quantity_error(
            "fee_quantity_missing",
            f"ต้องระบุจำนวน{schedule.unit_name_th or 'หน่วย'}เพื่อคำนวณค่าธรรมเนียม",
            f"The number of {schedule.unit_name_en or 'units'} is needed to compute the fee",
            schedule.quantity_field,
        )
    if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= schedule.max_quantity:
        raise _quantity_error(
            "invalid_fee_quantity",
            f"จำนวน{schedule.unit_name_th or 'หน่วย'}ต้องเป็นจำนวนเต็มระหว่าง 0 ถึง {schedule.max_quantity:,}",
            f"The number of {schedule.unit_name_en or 'units'} must be a whole number from 0 to "
            f"{schedule.max_quantity:,}",
            schedule.quantity_field,
        )
    return value


def _schedule_lines(schedule: FeeSchedule, quantity: int | None) -> list[FeeLine]:
    basis = schedule.legal_basis_th
    lines: list[FeeLine] = []
    if schedule.base_satang:
        lines.append(FeeLine(LineKind.FEE, "ค่าธรรมเนียม", "Fee", 1, schedule.base_satang, schedule.base_satang, basis))
    unit_th, unit_en = schedule.unit_name_th or "หน่วย", schedule.unit_name_en or "units"
    if schedule.kind == FeeKind.PER_UNIT:
        assert quantity is not None  # noqa: S101 -- read_quantity ran for this kind
        lines.append(
            FeeLine(
                LineKind.FEE,
                f"ค่าธรรมเนียมต่อ{unit_th}",
                f"Fee per {unit_en.rstrip('s') or unit_en}",
                quantity,
                schedule.unit_satang,
                schedule.unit_satang * quantity,
                basis,
            )
        )
    elif schedule.kind == FeeKind.TIERED:
        assert quantity is not None  # noqa: S101 -- read_quantity ran for this kind
        tier = next((t for t in schedule.tiers if t["up_to"] is None or quantity <= t["up_to"]), None)
        if tier is None:
            raise _quantity_error(
                "fee_quantity_out_of_tiers",
                f"จำนวน{unit_th}เกินช่วงที่กำหนดค่าธรรมเนียมไว้",
                f"The number of {unit_en} is above every fee tier",
                schedule.quantity_field,
            )
        bound_th = f"ไม่เกิน {tier['up_to']:,} {unit_th}" if tier["up_to"] is not None else "ขึ้นไป"
        bound_en = f"up to {tier['up_to']:,} {unit_en}" if tier["up_to"] is not None else "and above"
        lines.append(
            FeeLine(
                LineKind.FEE,
                f"ค่าธรรมเนียมตามช่วง ({bound_th})",
                f"Tiered fee ({bound_en})",
                quantity,
                tier["satang"],
                tier["satang"],
                basis,
            )
        )
    return [line for line in lines if line.amount_satang]


def _best_exemption(exemptions: Iterable[FeeExemption]) -> FeeExemption | None:
    """Exemptions do not stack: the one that waives the largest share applies (ties: the first code)."""
    return min(exemptions, key=lambda e: (-e.percent, e.code), default=None)


def assess(
    *,
    service: Any,
    form_data: Mapping[str, Any] | None = None,
    exemptions: Iterable[FeeExemption] = (),
) -> FeeAssessment:
    """The fee for one application of `service`: computed lines, then the best of the given exemptions."""
    schedule = FeeSchedule.objects.filter(service=service).first()
    quantity: int | None = None
    if schedule is None:
        fee = service.fee_satang or 0
        lines = [FeeLine(LineKind.FEE, "ค่าธรรมเนียม", "Fee", 1, fee, fee, service.legal_basis_th)] if fee else []
    else:
        if schedule.kind in (FeeKind.PER_UNIT, FeeKind.TIERED):
            quantity = read_quantity(schedule, form_data)
        lines = _schedule_lines(schedule, quantity)
    subtotal = sum(line.amount_satang for line in lines)
    exemptions = list(exemptions)
    best = _best_exemption(exemptions) if subtotal > 0 else None
    if best is not None:
        waived = subtotal if best.percent == 100 else (subtotal * best.percent + 50) // 100
        lines.append(
            FeeLine(
                LineKind.EXEMPTION,
                f"ยกเว้นค่าธรรมเนียม: {best.name_th}" + ("" if best.percent == 100 else f" ({best.percent}%)"),
                f"Exemption: {best.name_en}" + ("" if best.percent == 100 else f" ({best.percent}%)"),
                1,
                -waived,
                -waived,
                best.legal_basis_th,
            )
        )
    return FeeAssessment(
        lines=lines,
        subtotal_satang=subtotal,
        total_satang=sum(line.amount_satang for line in lines),
        quantity=quantity,
        exemption_code=best.code if best else None,
        claimed_codes=sorted(e.code for e in exemptions),
    )
