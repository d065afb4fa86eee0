"""Writes about fees: a service's fee schedule and exemptions, applicants' exemption claims, and invoicing a case
from its schedule. Every write is audited; every refusal is a 4xx with a code and Thai/English messages.

The case lifecycle calls `exemption_claims_record` when an application claims an exemption and
`invoice_issue_for_case` when the fee falls due (instead of `invoice_create` with the flat fee).
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from django.db import transaction
from django.utils import timezone

from borikan.agencies.models import StaffRole
from borikan.agencies.selectors import staff_has_role, staff_roles
from borikan.audit.services import audit_record
from borikan.core.errors import ApplicationError, NotFound, PermissionDenied, ValidationFailed, refuse_own
from borikan.identity.enforcement import require_staff

from .fees import FeeAssessment, assess, tiers_errors
from .models import ClaimStatus, ExemptionCategory, ExemptionClaim, FeeExemption, FeeKind, FeeSchedule, Invoice
from .services import invoice_create
from .states import EXEMPTION_CLAIM

_CODE = re.compile(r"^[a-z0-9][a-z0-9_-]{0,39}$")


def _invalid(code: str, th: str, en: str, field: str) -> ValidationFailed:
    return ValidationFailed(code, th, en, field=field)


def _non_negative_int(value: Any, field: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise _invalid(
            "invalid_amount", "จำนวนเงินต้องเป็นจำนวนเต็มสตางค์ไม่ติดลบ", "Amounts are whole satang, not negative", field
        )
    return value


def _clean_exemption(raw: Mapping[str, Any], index: int) -> dict[str, Any]:
    where = f"exemptions[{index}]"
    code = raw.get("code")
    if not isinstance(code, str) or not _CODE.match(code):
        raise _invalid(
            "invalid_exemption",
            "รหัสข้อยกเว้นต้องเป็นตัวอักษรภาษาอังกฤษตัวเล็ก ตัวเลข - หรือ _ ไม่เกิน 40 ตัว",
            "An exemption code is 1-40 lower-case letters, digits, - or _",
            f"{where}.code",
        )
    category = raw.get("category")
    if category not in ExemptionCategory.values:
        raise _invalid(
            "invalid_exemption",
            "ประเภทของผู้ได้รับยกเว้นไม่ถูกต้อง",
            f"Exemption category must be one of {', '.join(ExemptionCategory.values)}",
            f"{where}.category",
        )
    percent = raw.get("percent", 100)
    if isinstance(percent, bool) or not isinstance(percent, int) or not 1 <= percent <= 100:
        raise _invalid(
            "invalid_exemption", "สัดส่วนที่ยกเว้นต้องอยู่ระหว่าง 1 ถึง 100", "Percent waived is 1 to 100", f"{where}.percent"
        )
    cleaned = {"code": code, "category": category, "percent": percent}
    for key, limit in (("name_th", 200), ("name_en", 200), ("legal_basis_th", 2000), ("evidence_th", 300)):
        value = raw.get(key, "")
        if not isinstance(value, str) or len(value.strip()) > limit:
            raise _invalid("invalid_exemption", "ข้อมูลข้อยกเว้นไม่ถูกต้อง", f"{key} must be text", f"{where}.{key}")
        cleaned[key] = value.strip()
    if not cleaned["name_th"] or not cleaned["legal_basis_th"]:
        raise _invalid(
            "exemption_needs_legal_basis",
            "ข้อยกเว้นต้องมีชื่อและบทบัญญัติของกฎหมายที่ให้ยกเว้น",
            "An exemption needs a name and the legal provision that grants it",
            f"{where}.legal_basis_th",
        )
    return cleaned


def fee_schedule_set(
    *,
    actor: Any,
    service: Any,
    kind: str,
    legal_basis_th: str,
    base_satang: int = 0,
    unit_satang: int = 0,
    quantity_field: str = "",
    unit_name_th: str = "",
    unit_name_en: str = "",
    max_quantity: int = 10_000,
    tiers: list[dict[str, Any]] | None = None,
    exemptions: Iterable[Mapping[str, Any]] = (),
) -> FeeSchedule:
    """Create or replace the service's fee schedule and its exemptions (agency admins; `actor=None` for loaders).

    An exemption that has been claimed cannot be removed (its claims keep pointing at the rule as it was).
    """
    if actor is not None and not staff_has_role(user=actor, agency_id=service.agency_id, role=StaffRole.AGENCY_ADMIN):
        raise PermissionDenied(
            "เฉพาะผู้ดูแลของหน่วยงานเจ้าของบริการเท่านั้นที่กำหนดค่าธรรมเนียมได้",
            "Only an admin of the service's agency can set its fees",
        )
    if actor is not None:
        require_staff(actor, service=service)
    if kind not in FeeKind.values:
        raise _invalid("invalid_fee_kind", "ประเภทค่าธรรมเนียมไม่ถูกต้อง", f"kind must be one of {FeeKind.values}", "kind")
    base_satang, unit_satang = (
        _non_negative_int(base_satang, "base_satang"),
        _non_negative_int(unit_satang, "unit_satang"),
    )
    tiers = [] if tiers is None else tiers
    if kind == FeeKind.TIERED:
        problems = tiers_errors(tiers)
        if problems or not tiers:
            raise ValidationFailed(
                "invalid_fee_tiers",
                "ช่วงค่าธรรมเนียมไม่ถูกต้อง",
                "The fee tiers are invalid: " + ("; ".join(problems) or "at least one tier is needed"),
                field="tiers",
                details={"tiers": problems},
            )
    elif tiers:
        raise _invalid(
            "invalid_fee_tiers", "ช่วงค่าธรรมเนียมใช้ได้กับค่าธรรมเนียมแบบช่วงเท่านั้น", "Tiers are only for a tiered fee", "tiers"
        )
    if kind in (FeeKind.PER_UNIT, FeeKind.TIERED) and not (isinstance(quantity_field, str) and quantity_field.strip()):
        raise _invalid(
            "fee_quantity_field_required",
            "ต้องระบุช่องในแบบคำขอที่ใช้นับจำนวน",
            "A per-unit or tiered fee needs the form field that holds the quantity",
            "quantity_field",
        )
    if isinstance(max_quantity, bool) or not isinstance(max_quantity, int) or max_quantity < 1:
        raise _invalid(
            "invalid_fee_quantity",
            "จำนวนสูงสุดต้องเป็นจำนวนเต็มบวก",
            "max_quantity must be a positive integer",
            "max_quantity",
        )
    if not (legal_basis_th or "").strip():
        raise _invalid(
            "fee_needs_legal_basis",
            "ต้องระบุกฎหมายที่กำหนดค่าธรรมเนียม",
            "The legal basis of the fee is required",
            "legal_basis_th",
        )
    cleaned = [_clean_exemption(raw, index) for index, raw in enumerate(exemptions)]
    codes = [item["code"] for item in cleaned]
    if len(codes) != len(set(codes)):
        raise _invalid("invalid_exemption", "รหัสข้อยกเว้นซ้ำกัน", "Exemption codes must be unique", "exemptions")
    with transaction.atomic():
        schedule, created = FeeSchedule.objects.select_for_update().update_or_create(
            service=service,
            defaults={
                "kind": kind,
                "base_satang": base_satang,
                "unit_satang": unit_satang,
                "quantity_field": (quantity_field or "").strip(),
                "unit_name_th": unit_name_th.strip(),
                "unit_name_en": unit_name_en.strip(),
                "max_quantity": max_quantity,
                "tiers": tiers,
                "legal_basis_th": legal_basis_th.strip(),
            },
        )
        gone = schedule.exemptions.exclude(code__in=codes)
        if gone.filter(claims__isnull=False).exists():
            raise ApplicationError(
                "exemption_in_use",
                "ลบข้อยกเว้นที่มีผู้ขอใช้แล้วไม่ได้",
                "An exemption that has been claimed cannot be removed",
                status=409,
            )
        gone.delete()
        for item in cleaned:
            FeeExemption.objects.update_or_create(schedule=schedule, code=item["code"], defaults=item)
        audit_record(
            actor=actor,
            action="fee_schedule.created" if created else "fee_schedule.changed",
            object_type="service",
            object_id=service.pk,
            data={
                "kind": kind,
                "base_satang": base_satang,
                "unit_satang": unit_satang,
                "tiers": tiers,
                "exemptions": [{k: item[k] for k in ("code", "category", "percent")} for item in cleaned],
            },
        )
    return schedule


# --- exemption claims -----------------------------------------------------------------------------------


def exemption_claims_record(
    *, actor: Any, case_ref: str, service: Any, codes: Iterable[str], note: str = ""
) -> list[ExemptionClaim]:
    """Record the applicant's claims to exemptions of the service's schedule for one case (idempotent per code).

    The caller (the case lifecycle) has checked that `actor` is the applicant of `case_ref`.
    """
    codes = list(dict.fromkeys(codes))
    if not codes:
        return []
    if not all(isinstance(code, str) for code in codes) or not isinstance(note, str) or len(note) > 500:
        raise _invalid(
            "invalid_exemption_claim", "ข้อมูลการขอยกเว้นไม่ถูกต้อง", "The exemption claim is malformed", "exemptions"
        )
    found = {e.code: e for e in FeeExemption.objects.filter(schedule__service=service, code__in=codes)}
    unknown = [code for code in codes if code not in found]
    if unknown:
        raise ValidationFailed(
            "unknown_exemption",
            "บริการนี้ไม่มีข้อยกเว้นค่าธรรมเนียมที่ขอ",
            f"This service has no fee exemption {', '.join(unknown)}",
            field="exemptions",
            details={"unknown": unknown},
        )
    claims = []
    with transaction.atomic():
        for code in codes:
            claim, created = ExemptionClaim.objects.get_or_create(
                case_ref=case_ref, exemption=found[code], defaults={"claimant": actor, "note": note.strip()}
            )
            claims.append(claim)
            if created:
                audit_record(
                    actor=actor,
                    action="fee.exemption_claimed",
                    object_type="exemption_claim",
                    object_id=claim.pk,
                    subject_user_id=actor.pk,
                    data={"case_ref": case_ref, "exemption": code, "category": found[code].category},
                )
    return claims


def exemption_claim_decide(*, actor: Any, claim_id: int, accept: bool, reason: str = "") -> ExemptionClaim:
    """An officer or approver of the service's agency accepts or rejects a claim (rejecting needs a reason).
    A rejected claim is not applied to the fee; a claim already on an issued invoice cannot be changed."""
    with transaction.atomic():
        claim = (
            ExemptionClaim.objects.select_for_update()
            .select_related("exemption__schedule__service")
            .filter(pk=claim_id)
            .first()
        )
        if claim is None:
            raise NotFound("exemption claim", "คำขอยกเว้นค่าธรรมเนียม")
        agency_id = claim.exemption.schedule.service.agency_id
        if not staff_roles(user=actor, agency_id=agency_id) & {StaffRole.OFFICER, StaffRole.APPROVER}:
            raise NotFound("exemption claim", "คำขอยกเว้นค่าธรรมเนียม")
        require_staff(actor, service=claim.exemption.schedule.service)
        refuse_own(actor, claim.claimant_id)
        if not accept and not (reason or "").strip():
            raise _invalid("reason_required", "กรุณาระบุเหตุผล", "A reason is required to reject a claim", "reason")
        if Invoice.objects.filter(case_ref=claim.case_ref).exclude(status="cancelled").exists():
            raise ApplicationError(
                "fee_already_invoiced",
                "ออกใบแจ้งชำระเงินแล้ว เปลี่ยนการยกเว้นค่าธรรมเนียมไม่ได้",
                "The fee has already been invoiced; the exemption can no longer change",
                status=409,
            )
        EXEMPTION_CLAIM.move(claim, "accept" if accept else "reject")
        claim.decided_by = actor
        claim.decided_at = timezone.now()
        claim.decision_reason = (reason or "").strip()[:500]
        claim.save(update_fields=["status", "decided_by", "decided_at", "decision_reason"])
        audit_record(
            actor=actor,
            action="fee.exemption_accepted" if accept else "fee.exemption_rejected",
            object_type="exemption_claim",
            object_id=claim.pk,
            subject_user_id=claim.claimant_id,
            data={"case_ref": claim.case_ref, "exemption": claim.exemption.code, "reason": claim.decision_reason},
        )
    return claim


# --- invoicing a case from its schedule -----------------------------------------------------------------------


@dataclass(frozen=True)
class FeeDecision:
    """What the case owes: the assessment, and the invoice issued for it (None when nothing is to be paid)."""

    assessment: FeeAssessment
    invoice: Invoice | None

    @property
    def payment_needed(self) -> bool:
        return self.invoice is not None


def fee_assess_for_case(*, case_ref: str, service: Any, form_data: Mapping[str, Any] | None = None) -> FeeAssessment:
    """The fee the case would be charged now: the schedule over its form data, with its claims not rejected."""
    claimed = FeeExemption.objects.filter(
        claims__case_ref=case_ref,
        schedule__service=service,
        claims__status__in=[ClaimStatus.CLAIMED, ClaimStatus.ACCEPTED],
    )
    return assess(service=service, form_data=form_data, exemptions=claimed)


def invoice_issue_for_case(
    *,
    actor: Any,
    case_ref: str,
    service: Any,
    payer: Any,
    ref1: str,
    form_data: Mapping[str, Any] | None = None,
    description: str | None = None,
    due_date: dt.date | None = None,
    idempotency_key: str | None = None,
    before_write: Callable[[], None] | None = None,
    channel: str = "thai_qr",
) -> FeeDecision:
    """Compute the case's fee from the service's schedule and claimed exemptions, and invoice it.

    A service with no schedule charges its flat `fee_satang`. A fee that comes to zero after an exemption is not
    invoiced: the decision is audited ("fee.exempted") and `payment_needed` is False.
    """
    assessment = fee_assess_for_case(case_ref=case_ref, service=service, form_data=form_data)
    if assessment.total_satang <= 0:
        if assessment.fully_exempt:
            audit_record(
                actor=actor,
                action="fee.exempted",
                object_type="case",
                object_id=case_ref,
                subject_user_id=payer.pk,
                data=assessment.as_audit(),
            )
        return FeeDecision(assessment, None)
    invoice = invoice_create(
        actor=actor,
        case_ref=case_ref,
        agency=service.agency,
        payer=payer,
        amount_satang=assessment.total_satang,
        ref1=ref1,
        description=description or service.name_th,
        due_date=due_date,
        service=service,
        lines=assessment.lines,
        idempotency_key=idempotency_key,
        before_write=before_write,
        channel=channel,
    )
    return FeeDecision(assessment, invoice)
