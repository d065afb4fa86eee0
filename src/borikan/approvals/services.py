"""Writes on approval chains, delegations, pinned versions, decisions and appeals.

Every refusal is an ApplicationError (a code, Thai and English messages, a 4xx); every write runs in one
transaction with its audit entry, so nothing is stored half-way. The case lifecycle (applications) calls
`pin_versions`, `decision_record`, `next_step` and `appeal_lodge`; see docs/adr/0014-approval-chains.md.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone

from borikan.agencies.models import Agency, StaffMembership, StaffRole
from borikan.agencies.selectors import staff_roles
from borikan.agencies.services import staff_membership_grant, staff_membership_revoke
from borikan.audit.services import audit_record
from borikan.catalog.models import Service
from borikan.core.errors import ApplicationError, NotFound, PermissionDenied, ValidationFailed
from borikan.core.thaidate import parse_typed_date
from borikan.identity.enforcement import AssuranceRequired, Step, require_for_service, require_staff

from .models import (
    DEFAULT_APPEAL_WINDOW_DAYS,
    Appeal,
    CaseApproval,
    CasePin,
    CaseStatus,
    ChainLevel,
    ChainVersion,
    Decision,
    Delegation,
    LevelRole,
    Outcome,
)
from .states import CASE_APPROVAL

MAX_LEVELS = 10
MAX_DELEGATION_DAYS = 180
MAX_REASON = 2000
_HEX64 = re.compile(r"^[0-9a-f]{64}$")


class Conflict(ApplicationError):
    status = 409


# --- helpers ---------------------------------------------------------------------------------------------


def canonical_sha256(data: Any) -> str:
    """SHA-256 of a JSON value in one canonical spelling (sorted keys, no spaces, UTF-8)."""
    text = json.dumps(data, sort_keys=True, ensure_ascii=False, separators=(",", ":"), default=str)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def form_data_digest(form_data: Mapping[str, Any]) -> str:
    """The digest `decision_record` expects for the case data decided on (the lead passes `app.form_data`)."""
    return canonical_sha256(dict(form_data))


DECIDING_ROLES = frozenset(LevelRole.values)
# The deciding roles an agency's admin grants and takes away here; agency_admin itself is not among them.
GRANTABLE_ROLES = (StaffRole.APPROVER.value, StaffRole.DIRECTOR.value)


def roles_held(*, user: Any, agency_id: int) -> set[str]:
    """The deciding roles (LevelRole values) the user holds in one agency: their agencies.StaffMembership roles."""
    return {str(role) for role in staff_roles(user=user, agency_id=agency_id) & DECIDING_ROLES}


def is_agency_member(*, user: Any, agency_id: int) -> bool:
    """Whether the user holds any role in the agency (agencies.StaffMembership)."""
    return bool(staff_roles(user=user, agency_id=agency_id))


def _require_agency_admin(actor: Any, agency_id: int, service: Any = None) -> None:
    """404 for someone outside the agency, 403 for its staff who are not its admins, then staff assurance."""
    held = staff_roles(user=actor, agency_id=agency_id)
    if not held:
        raise NotFound("agency", "หน่วยงาน")
    if StaffRole.AGENCY_ADMIN not in held:
        raise PermissionDenied(
            "เฉพาะผู้ดูแลของหน่วยงานเท่านั้นที่ทำรายการนี้ได้",
            "Only an admin of the agency can do this",
            code="agency_admin_required",
        )
    require_staff(actor, service=service)


def _reason(value: Any, *, required: bool, field: str = "reason") -> str:
    if value is None:
        value = ""
    if not isinstance(value, str):
        raise ValidationFailed("invalid_reason", "เหตุผลต้องเป็นข้อความ", "The reason must be text", field=field)
    value = value.strip()
    if required and not value:
        raise ValidationFailed("reason_required", "กรุณาระบุเหตุผล", "A reason is required", field=field)
    if len(value) > MAX_REASON:
        raise ValidationFailed(
            "reason_too_long",
            f"เหตุผลยาวเกิน {MAX_REASON} ตัวอักษร",
            f"The reason is longer than {MAX_REASON} characters",
            field=field,
        )
    return value


# --- deciding roles (agencies' StaffMembership) --------------------------------------------------------


def _grantable(role: Any) -> str:
    if role not in GRANTABLE_ROLES:
        raise ValidationFailed(
            "invalid_role",
            "บทบาทนี้มอบหรือยกเลิกที่นี่ไม่ได้",
            f"role must be one of {', '.join(GRANTABLE_ROLES)}",
            field="role",
        )
    return str(role)


@transaction.atomic
def approval_role_grant(*, actor: Any, agency: Agency, user: Any, role: str) -> StaffMembership:
    """An agency admin gives a staff member of the agency a deciding role (approver, director): a StaffMembership,
    audited by agencies (`staff.role_granted`). Granting a role already held changes nothing."""
    _require_agency_admin(actor, agency.pk)
    role = _grantable(role)
    if user is None or not is_agency_member(user=user, agency_id=agency.pk):
        raise ValidationFailed(
            "not_agency_staff",
            "ผู้ได้รับบทบาทต้องเป็นเจ้าหน้าที่ของหน่วยงานนี้",
            "The person must be a staff member of this agency",
            field="user",
        )
    return staff_membership_grant(actor=actor, user=user, agency=agency, role=role)


@transaction.atomic
def approval_role_revoke(*, actor: Any, agency: Agency, user: Any, role: str) -> None:
    """An agency admin takes a deciding role (approver, director) away from a staff member (`staff.role_revoked`).
    Cases already decided keep their decisions; the person simply no longer decides the role's levels."""
    _require_agency_admin(actor, agency.pk)
    if role not in GRANTABLE_ROLES or not staff_membership_revoke(actor=actor, user=user, agency=agency, role=role):
        raise NotFound("role assignment", "การมอบบทบาท")


# --- approval chains -------------------------------------------------------------------------------------


def _clean_levels(levels: Any) -> list[dict[str, Any]]:
    if not isinstance(levels, list | tuple) or not levels:  # also None, a string, a mapping
        raise ValidationFailed(
            "chain_needs_levels", "สายการอนุมัติต้องมีอย่างน้อยหนึ่งระดับ", "A chain needs at least one level", field="levels"
        )
    if len(levels) > MAX_LEVELS:
        raise ValidationFailed(
            "too_many_levels",
            f"สายการอนุมัติมีได้ไม่เกิน {MAX_LEVELS} ระดับ",
            f"A chain has at most {MAX_LEVELS} levels",
            field="levels",
        )
    cleaned = []
    for index, raw in enumerate(levels):
        where = f"levels[{index}]"
        if not isinstance(raw, Mapping):
            raise ValidationFailed("invalid_level", "ข้อมูลระดับไม่ถูกต้อง", "A level is an object", field=where)
        role = raw.get("role")
        if role not in LevelRole.values:
            raise ValidationFailed(
                "invalid_level_role",
                "บทบาทผู้พิจารณาไม่ถูกต้อง",
                f"role must be one of {', '.join(LevelRole.values)}",
                field=f"{where}.role",
            )
        may_reject = raw.get("may_reject", True)
        if not isinstance(may_reject, bool):
            raise ValidationFailed(
                "invalid_level",
                "may_reject ต้องเป็นจริงหรือเท็จ",
                "may_reject must be true or false",
                field=f"{where}.may_reject",
            )
        names = {}
        for key in ("name_th", "name_en"):
            value = raw.get(key, "") or ""
            if not isinstance(value, str) or len(value.strip()) > 200:
                raise ValidationFailed(
                    "invalid_level", "ชื่อระดับต้องเป็นข้อความไม่เกิน 200 ตัว", f"{key} is text of at most 200 characters",
                    field=f"{where}.{key}",
                )  # fmt: skip
            names[key] = value.strip()
        cleaned.append({"position": index + 1, "role": role, "may_reject": may_reject, **names})
    if not any(level["may_reject"] for level in cleaned):
        raise ValidationFailed(
            "chain_cannot_reject",
            "ต้องมีอย่างน้อยหนึ่งระดับที่ไม่อนุมัติคำขอได้",
            "At least one level must be allowed to reject",
            field="levels",
        )
    return cleaned


def _current_version(service: Service) -> ChainVersion | None:
    return ChainVersion.objects.filter(service=service).order_by("-number").first()


def chain_version_create(
    *,
    actor: Any,
    service: Service,
    levels: list[Mapping[str, Any]],
    appeal_window_days: int = DEFAULT_APPEAL_WINDOW_DAYS,
    appeal_level: int | None = None,
    note: str = "",
    expected_version: int | None = None,
) -> ChainVersion:
    """Write a new version of the service's chain (agency admins; `actor=None` for the platform's default).

    `expected_version` (the number the editor saw) refuses a save over someone else's newer edit. Cases already
    pinned keep the version they were pinned to.
    """
    if actor is not None:
        _require_agency_admin(actor, service.agency_id, service)
    cleaned = _clean_levels(levels)
    if (
        isinstance(appeal_window_days, bool)
        or not isinstance(appeal_window_days, int)
        or not 1 <= appeal_window_days <= 365
    ):
        raise ValidationFailed(
            "invalid_appeal_window",
            "ระยะเวลาอุทธรณ์ต้องอยู่ระหว่าง 1 ถึง 365 วัน",
            "The appeal window is 1 to 365 days",
            field="appeal_window_days",
        )
    if appeal_level is not None and (
        isinstance(appeal_level, bool) or not isinstance(appeal_level, int) or not 1 <= appeal_level <= len(cleaned)
    ):
        raise ValidationFailed(
            "invalid_appeal_level",
            "ระดับที่พิจารณาอุทธรณ์ต้องเป็นระดับหนึ่งในสายการอนุมัติ",
            "The appeal level must be one of the chain's levels",
            field="appeal_level",
        )
    note = _reason(note, required=False, field="note")[:500]
    try:
        with transaction.atomic():
            current = _current_version(service)
            number = current.number + 1 if current else 1
            if expected_version is not None and expected_version != (current.number if current else 0):
                raise Conflict(
                    "stale_version",
                    "สายการอนุมัติถูกแก้ไขโดยผู้อื่นแล้ว กรุณาโหลดใหม่",
                    "Someone else changed this chain; reload it",
                    details={"current_version": current.number if current else 0},
                )
            version = ChainVersion.objects.create(
                service=service,
                number=number,
                appeal_window_days=appeal_window_days,
                appeal_level=appeal_level,
                note=note,
                created_by=actor,
            )
            ChainLevel.objects.bulk_create(ChainLevel(version=version, **level) for level in cleaned)
            audit_record(
                actor=actor,
                action="approval.chain_versioned",
                object_type="service",
                object_id=service.slug,
                data={
                    "version": number,
                    "levels": [[lv["role"], lv["may_reject"]] for lv in cleaned],
                    "appeal_window_days": appeal_window_days,
                    "appeal_level": appeal_level,
                },
            )
    except IntegrityError:
        # Two editors saved at the same moment: the unique (service, number) let one through.
        raise Conflict(
            "stale_version",
            "สายการอนุมัติถูกแก้ไขโดยผู้อื่นพร้อมกัน กรุณาโหลดใหม่",
            "Someone else changed this chain at the same moment; reload it",
        ) from None
    return version


DEFAULT_LEVELS = [{"role": LevelRole.APPROVER.value, "may_reject": True, "name_th": "ผู้อนุมัติ", "name_en": "Approver"}]


def chain_current_or_default(*, service: Service) -> ChainVersion:
    """The current chain version; a service without one gets the platform default (one approver level)."""
    current = _current_version(service)
    if current is not None:
        return current
    try:
        return chain_version_create(actor=None, service=service, levels=DEFAULT_LEVELS, note="default")
    except Conflict:
        return _current_version(service)


# --- delegations -------------------------------------------------------------------------------------------


def _as_date(value: Any, field: str) -> dt.date:
    if isinstance(value, dt.datetime):
        value = value.date()
    if isinstance(value, dt.date):
        return value
    if isinstance(value, str):
        try:
            return parse_typed_date(value)
        except ValueError:
            pass
    raise ValidationFailed(
        "invalid_date",
        "วันที่ไม่ถูกต้อง กรุณากรอก วัน/เดือน/ปี พ.ศ. เช่น 15/08/2569",
        "Invalid date: give day/month/Buddhist-Era year, for example 15/08/2569 (or YYYY-MM-DD)",
        field=field,
    )


def _overlapping(qs: Any, starts_on: dt.date, ends_on: dt.date) -> Any:
    return qs.filter(revoked_at__isnull=True, starts_on__lte=ends_on, ends_on__gte=starts_on)


def delegation_create(
    *,
    actor: Any,
    agency: Agency,
    delegator: Any,
    delegate: Any,
    starts_on: Any,
    ends_on: Any,
    reason: str = "",
) -> Delegation:
    """The delegator (or an admin of the agency for them) lets a colleague decide in their place for a period."""
    from borikan.identity.models import User

    if not is_agency_member(user=actor, agency_id=agency.pk):
        raise NotFound("agency", "หน่วยงาน")
    if delegator is None or (
        actor.pk != delegator.pk and StaffRole.AGENCY_ADMIN not in staff_roles(user=actor, agency_id=agency.pk)
    ):
        raise PermissionDenied(
            "มอบอำนาจได้เฉพาะในนามของตนเอง (หรือโดยผู้ดูแลหน่วยงาน)",
            "You may delegate only your own authority (or, as the agency's admin, someone else's)",
            code="not_your_authority",
        )
    require_staff(actor)
    if not roles_held(user=delegator, agency_id=agency.pk):
        raise ValidationFailed(
            "delegator_not_approver",
            "ผู้มอบอำนาจไม่มีอำนาจอนุมัติในหน่วยงานนี้",
            "The delegator holds no approving role at this agency",
            field="delegator",
        )
    if delegate is None:
        raise ValidationFailed("delegate_required", "กรุณาระบุผู้รับมอบอำนาจ", "Name the delegate", field="delegate")
    if delegate.pk == delegator.pk:
        raise ValidationFailed(
            "self_delegation", "มอบอำนาจให้ตนเองไม่ได้", "You cannot delegate to yourself", field="delegate"
        )
    if not is_agency_member(user=delegate, agency_id=agency.pk):
        raise ValidationFailed(
            "delegate_outside_agency",
            "ผู้รับมอบอำนาจต้องเป็นเจ้าหน้าที่ของหน่วยงานเดียวกัน",
            "The delegate must be a staff member of the same agency",
            field="delegate",
        )
    starts_on, ends_on = _as_date(starts_on, "starts_on"), _as_date(ends_on, "ends_on")
    today = timezone.localdate()
    if starts_on < today:
        raise ValidationFailed(
            "period_in_past", "วันเริ่มมอบอำนาจต้องไม่ก่อนวันนี้", "The period cannot start in the past", field="starts_on"
        )
    if ends_on < starts_on:
        raise ValidationFailed(
            "period_reversed", "วันสิ้นสุดต้องไม่ก่อนวันเริ่ม", "The period ends before it starts", field="ends_on"
        )
    if (ends_on - starts_on).days + 1 > MAX_DELEGATION_DAYS:
        raise ValidationFailed(
            "period_too_long",
            f"มอบอำนาจได้ครั้งละไม่เกิน {MAX_DELEGATION_DAYS} วัน",
            f"A delegation lasts at most {MAX_DELEGATION_DAYS} days",
            field="ends_on",
        )
    reason = _reason(reason, required=False)[:500]
    with transaction.atomic():
        # Both people's rows, in one order: two delegations involving either of them are checked one after the
        # other, so neither an overlap nor a chain slips in between the check and the insert.
        list(User.objects.select_for_update().filter(pk__in=[delegator.pk, delegate.pk]).order_by("pk"))
        if _overlapping(Delegation.objects.filter(agency=agency, delegator=delegator), starts_on, ends_on).exists():
            raise Conflict(
                "delegation_overlaps",
                "ผู้มอบอำนาจมีการมอบอำนาจในช่วงเวลาที่ทับซ้อนกันอยู่แล้ว",
                "The delegator already has a delegation in an overlapping period",
            )
        if _overlapping(Delegation.objects.filter(agency=agency, delegator=delegate), starts_on, ends_on).exists():
            raise Conflict(
                "delegation_chain",
                "ผู้รับมอบอำนาจได้มอบอำนาจของตนให้ผู้อื่นในช่วงเวลานี้ จึงรับมอบต่อไม่ได้",
                "The delegate has delegated their own authority in this period; delegations do not chain",
            )
        if _overlapping(Delegation.objects.filter(agency=agency, delegate=delegator), starts_on, ends_on).exists():
            raise Conflict(
                "delegation_chain",
                "ผู้มอบอำนาจเป็นผู้รับมอบอำนาจจากผู้อื่นในช่วงเวลานี้ จึงมอบต่อไม่ได้",
                "The delegator holds a delegation from someone else in this period; delegations do not chain",
            )
        delegation = Delegation.objects.create(
            agency=agency,
            delegator=delegator,
            delegate=delegate,
            starts_on=starts_on,
            ends_on=ends_on,
            reason=reason,
            created_by=actor,
        )
        audit_record(
            actor=actor,
            action="approval.delegation_created",
            object_type="delegation",
            object_id=delegation.pk,
            subject_user_id=delegator.pk,
            data={
                "agency": agency.code,
                "delegate_id": delegate.pk,
                "starts_on": starts_on.isoformat(),
                "ends_on": ends_on.isoformat(),
            },
        )
    return delegation


def delegation_revoke(*, actor: Any, delegation_id: Any) -> Delegation:
    """End a delegation now (the delegator, the delegate declining it, or an admin of the agency)."""
    try:
        delegation_id = int(delegation_id)
    except (TypeError, ValueError):
        raise NotFound("delegation", "การมอบอำนาจ") from None
    with transaction.atomic():
        delegation = Delegation.objects.select_for_update().filter(pk=delegation_id).first()
        if delegation is None or not is_agency_member(user=actor, agency_id=delegation.agency_id):
            raise NotFound("delegation", "การมอบอำนาจ")
        is_admin = StaffRole.AGENCY_ADMIN in staff_roles(user=actor, agency_id=delegation.agency_id)
        if actor.pk not in (delegation.delegator_id, delegation.delegate_id) and not is_admin:
            raise PermissionDenied(
                "ยกเลิกได้เฉพาะผู้มอบ ผู้รับมอบ หรือผู้ดูแลหน่วยงาน",
                "Only the delegator, the delegate or the agency's admin can revoke this",
            )
        require_staff(actor)
        if delegation.revoked_at is not None:
            raise Conflict("delegation_revoked", "การมอบอำนาจนี้ถูกยกเลิกแล้ว", "This delegation is already revoked")
        if delegation.ends_on < timezone.localdate():
            raise Conflict("delegation_ended", "การมอบอำนาจนี้สิ้นสุดแล้ว", "This delegation has already ended")
        delegation.revoked_at = timezone.now()
        delegation.revoked_by = actor
        delegation.save(update_fields=["revoked_at", "revoked_by"])
        audit_record(
            actor=actor,
            action="approval.delegation_revoked",
            object_type="delegation",
            object_id=delegation.pk,
            subject_user_id=delegation.delegator_id,
            data={"agency_id": delegation.agency_id, "delegate_id": delegation.delegate_id},
        )
    return delegation


def delegations_active_to(*, delegate: Any, agency_id: int, on: dt.date | None = None) -> list[Delegation]:
    on = on or timezone.localdate()
    return list(
        Delegation.objects.select_related("delegator")
        .filter(agency_id=agency_id, delegate=delegate, revoked_at__isnull=True, starts_on__lte=on, ends_on__gte=on)
        .order_by("starts_on", "pk")
    )


# --- pinned versions -------------------------------------------------------------------------------------


def fee_rule_snapshot(service: Service) -> dict[str, Any]:
    """The fee rule as it stands: the payments fee schedule with its exemptions, or the flat fee."""
    from borikan.payments.models import FeeSchedule

    schedule = FeeSchedule.objects.filter(service=service).first()
    if schedule is None:
        return {"kind": "flat", "fee_satang": service.fee_satang, "fee_note": service.fee_note}
    return {
        "kind": "schedule",
        "schedule_kind": schedule.kind,
        "base_satang": schedule.base_satang,
        "unit_satang": schedule.unit_satang,
        "quantity_field": schedule.quantity_field,
        "unit_name_th": schedule.unit_name_th,
        "unit_name_en": schedule.unit_name_en,
        "max_quantity": schedule.max_quantity,
        "tiers": schedule.tiers,
        "legal_basis_th": schedule.legal_basis_th,
        "exemptions": [
            {
                "code": e.code,
                "category": e.category,
                "name_th": e.name_th,
                "name_en": e.name_en,
                "percent": e.percent,
                "legal_basis_th": e.legal_basis_th,
                "evidence_th": e.evidence_th,
            }
            for e in schedule.exemptions.order_by("code")
        ],
        "schedule_updated_at": schedule.updated_at.isoformat(),
    }


def manual_snapshot(service: Service) -> dict[str, Any]:
    """The citizen manual (Licensing Facilitation Act s.7) as the applicant saw it."""
    return {
        "slug": service.slug,
        "name_th": service.name_th,
        "name_en": service.name_en,
        "description_th": service.description_th,
        "description_en": service.description_en,
        "legal_basis_th": service.legal_basis_th,
        "required_documents": service.required_documents,
        "fee_satang": service.fee_satang,
        "fee_note": service.fee_note,
        "processing_time_days": service.processing_time_days,
        "steps": service.steps,
        "channels": service.channels,
    }


def _version_text(value: Any, field: str) -> str:
    if value is None:
        return ""
    if isinstance(value, bool) or not isinstance(value, str | int):
        raise ValidationFailed("invalid_version", "รุ่นไม่ถูกต้อง", f"{field} must be a number or text", field=field)
    text = str(value).strip()
    if len(text) > 64:
        raise ValidationFailed("invalid_version", "รุ่นยาวเกินไป", f"{field} is at most 64 characters", field=field)
    return text


def is_pinned(case_ref: str) -> bool:
    return CasePin.objects.filter(case_ref=str(case_ref)).exists()


def pin_versions(
    case_ref: str,
    service: Service,
    form_version: str | int | None = None,
    *,
    applicant: Any = None,
    checklist_version_for: Callable[[Service], str | int | None] | None = None,
) -> CasePin:
    """Freeze, at submission, what the case is decided under; call it inside the submission's transaction.

    Idempotent: a case pinned already keeps its pin (a resubmission never re-pins). Also opens the case's
    approval state at level 1 of the pinned chain.
    """
    case_ref = str(case_ref or "").strip()
    if not case_ref or len(case_ref) > 64:
        raise ValidationFailed("invalid_case_ref", "เลขอ้างอิงคำขอไม่ถูกต้อง", "Invalid case reference", field="case_ref")
    form_version_text = _version_text(form_version, "form_version")
    checklist = _version_text(checklist_version_for(service) if checklist_version_for else None, "checklist_version")
    # No savepoint of its own (a round trip each way inside the submission): a failure here fails the caller's
    # transaction anyway; the insert below keeps its savepoint, to survive a concurrent pin of the same case.
    with transaction.atomic(savepoint=False):
        existing = CasePin.objects.filter(case_ref=case_ref).first()
        if existing is not None:
            if existing.service_id != service.pk:
                raise Conflict(
                    "pinned_to_other_service",
                    "คำขอนี้ถูกบันทึกไว้กับบริการอื่นแล้ว",
                    "This case is pinned to another service",
                )
            return existing
        chain = chain_current_or_default(service=service)
        fee_rule, manual = fee_rule_snapshot(service), manual_snapshot(service)
        try:
            with transaction.atomic():
                pin = CasePin.objects.create(
                    case_ref=case_ref,
                    service=service,
                    form_version=form_version_text,
                    fee_rule=fee_rule,
                    fee_rule_sha256=canonical_sha256(fee_rule),
                    manual=manual,
                    manual_sha256=canonical_sha256(manual),
                    chain_version=chain,
                    checklist_version=checklist,
                )
        except IntegrityError:  # pinned by a concurrent call for the same case
            return CasePin.objects.get(case_ref=case_ref)
        CaseApproval.objects.create(
            case_ref=case_ref,
            pin=pin,
            agency_id=service.agency_id,
            applicant=applicant,
        )
        audit_record(
            actor=applicant,
            action="approval.versions_pinned",
            object_type="case",
            object_id=case_ref,
            subject_user_id=getattr(applicant, "pk", None),
            data={
                "service": service.slug,
                "form_version": form_version_text,
                "fee_rule_sha256": pin.fee_rule_sha256,
                "manual_sha256": pin.manual_sha256,
                "chain_version": chain.number,
                "checklist_version": checklist,
            },
        )
    return pin


# --- decisions -------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class NextStep:
    """Where the chain stands after the last decision.

    complete: the chain has ended (status "approved" or "rejected"); otherwise `level` is the level that
    decides next (after a return: the first level of the new round, once the case is forwarded again).
    """

    case_ref: str
    status: str
    complete: bool
    round: int
    level: int | None
    level_role: str | None
    may_reject: bool | None
    levels_total: int
    last_outcome: str | None


def _levels(pin: CasePin) -> list[ChainLevel]:
    cached = getattr(pin, "_levels", None)
    if cached is None:
        cached = list(pin.chain_version.levels.order_by("position"))
        pin._levels = cached
    return cached


def _lock_case(case_ref: Any) -> CaseApproval:
    case = (
        CaseApproval.objects.select_for_update(of=("self",))
        .select_related("pin", "pin__chain_version", "pin__service")
        .filter(case_ref=str(case_ref))
        .first()
    )
    if case is None:
        raise NotFound("case", "คำขอ")
    return case


@dataclass(frozen=True)
class Authority:
    """The actor may decide `step` now: in their own name, or for `on_behalf_of` through `delegation`."""

    step: ChainLevel
    on_behalf_of: Any | None = None
    delegation: Delegation | None = None


@dataclass(frozen=True)
class Refusal:
    """Why the actor may not decide: the error `decision_record` raises (a code, Thai and English messages)."""

    error: ApplicationError | AssuranceRequired

    @property
    def code(self) -> str:
        return self.error.code


def _not_authorised(role: str) -> Refusal:
    return Refusal(
        PermissionDenied(
            "ท่านไม่มีอำนาจพิจารณาในระดับนี้ (และไม่ได้รับมอบอำนาจ)",
            f"You may not decide at this level (it needs the {role} role, held or delegated)",
            code="not_authorised_for_level",
        )
    )


def authority(
    actor: Any, case: CaseApproval, level: int, *, service: Service | None = None, assurance: bool = False
) -> Authority | Refusal:
    """The one rule for who may decide a case's level now. Reads only; `can_decide_now` and `decision_record` both
    ask it. The first check that fails is the answer:

    1. the actor holds no role in the case's agency: `not_found` (someone outside learns nothing of the case);
    2. with `assurance` (the write): staff assurance for approving this service (`assurance_required`);
    3. the chain is complete (`chain_complete`), or `level` is not the current one (`level_already_decided`,
       `level_not_current`: someone decided first);
    4. the actor neither holds the level's role (a StaffMembership) nor holds today a delegation from someone
       who does (`not_authorised_for_level`);
    5. the applicant deciding their own case, in person or for someone (`conflict_of_interest`);
    6. the actor, or the person they decide for, already decided a level of this round (`already_decided_a_level`);
    7. on an appeal, whoever made the rejection appealed against (`appeal_same_decider`).

    Assurance is asked on the write only: a person whose sign-in is too weak still sees the buttons, and the write
    sends them to step up (identity's handler for AssuranceRequired) instead of hiding what they could do.
    """
    held = staff_roles(user=actor, agency_id=case.agency_id)
    if not held:
        return Refusal(NotFound("case", "คำขอ"))
    if assurance:
        try:
            require_staff(actor, service=service, approving=True)
        except AssuranceRequired as refused:
            return Refusal(refused)
    if case.status != CaseStatus.PENDING:
        return Refusal(
            Conflict(
                "chain_complete",
                "คำขอนี้ได้รับการพิจารณาครบทุกระดับแล้ว",
                "The approval chain of this case is already complete",
                details={"status": case.status},
            )
        )
    if level != case.current_level:
        return Refusal(
            Conflict(
                "level_already_decided" if level < case.current_level else "level_not_current",
                f"ขณะนี้คำขออยู่ที่การพิจารณาระดับ {case.current_level}",
                f"The case is at level {case.current_level} now; reload it",
                details={"current_level": case.current_level, "round": case.round},
            )
        )
    step = _levels(case.pin)[level - 1]
    if step.role in held:
        found = Authority(step)
    else:
        found = next(
            (
                Authority(step, delegation.delegator, delegation)
                for delegation in delegations_active_to(delegate=actor, agency_id=case.agency_id)
                if step.role in staff_roles(user=delegation.delegator, agency_id=case.agency_id)
            ),
            None,
        )
        if found is None:
            return _not_authorised(step.role)
    deciders = {actor.pk} | ({found.on_behalf_of.pk} if found.on_behalf_of is not None else set())
    if case.applicant_id is not None and case.applicant_id in deciders:
        return Refusal(
            PermissionDenied(
                "ผู้ยื่นคำขอพิจารณาคำขอของตนเองไม่ได้",
                "The applicant cannot decide their own application",
                code="conflict_of_interest",
            )
        )
    earlier = Decision.objects.filter(case=case, round=case.round).filter(
        Q(decided_by_id__in=deciders) | Q(on_behalf_of_id__in=deciders)
    )
    if earlier.exists():
        return Refusal(
            PermissionDenied(
                "ผู้พิจารณาคนเดียวกันพิจารณาหลายระดับในรอบเดียวกันไม่ได้",
                "One person cannot decide two levels of the same case",
                code="already_decided_a_level",
            )
        )
    appeal = Appeal.objects.filter(case=case, reopened_round=case.round).select_related("rejection").first()
    if appeal is not None and {appeal.rejection.decided_by_id, appeal.rejection.on_behalf_of_id} & deciders:
        return Refusal(
            PermissionDenied(
                "ผู้ที่ไม่อนุมัติคำขอครั้งก่อนพิจารณาอุทธรณ์ไม่ได้",
                "Whoever made the rejection under appeal cannot decide the appeal",
                code="appeal_same_decider",
            )
        )
    return found


def decision_record(
    *,
    actor: Any,
    case_ref: str,
    service: Service,
    level: int,
    outcome: str,
    reason: str,
    form_data_digest: str,
    pinned: CasePin | None = None,
) -> Decision:
    """Record one level's decision on a pinned case, under a row lock on the case's approval state.

    Refused: a malformed outcome, reason or digest; a case of another service; whatever `authority` refuses
    (asked under the lock, with assurance: the one rule `can_decide_now` also asks); a reject at a level that may
    only approve or return.
    """
    try:
        outcome = Outcome(outcome)
    except ValueError:
        raise ValidationFailed(
            "invalid_outcome", "ผลการพิจารณาไม่ถูกต้อง", "outcome must be approve, reject or return", field="outcome"
        ) from None
    reason = _reason(reason, required=outcome != Outcome.APPROVE)
    if not isinstance(form_data_digest, str) or not _HEX64.match(form_data_digest):
        raise ValidationFailed(
            "invalid_digest",
            "ค่าแฮชของข้อมูลคำขอไม่ถูกต้อง",
            "form_data_digest must be a SHA-256 in lower-case hex",
            field="form_data_digest",
        )
    if isinstance(level, bool) or not isinstance(level, int):
        raise ValidationFailed("invalid_level", "ระดับไม่ถูกต้อง", "level must be a number", field="level")
    try:
        with transaction.atomic():
            case = _lock_case(case_ref)
            pin = case.pin
            if pin.service_id != service.pk or (pinned is not None and pinned.pk != pin.pk):
                raise NotFound("case", "คำขอ")
            allowed = authority(actor, case, level, service=service, assurance=True)
            if isinstance(allowed, Refusal):
                raise allowed.error
            step, on_behalf_of, delegation = allowed.step, allowed.on_behalf_of, allowed.delegation
            if outcome == Outcome.REJECT and not step.may_reject:
                raise Conflict(
                    "reject_not_allowed_at_level",
                    "ระดับนี้อนุมัติหรือส่งกลับได้เท่านั้น ไม่อนุมัติไม่ได้",
                    "This level may only approve or return",
                    details={"level": level},
                )
            complete = outcome == Outcome.REJECT or (outcome == Outcome.APPROVE and level == len(_levels(pin)))
            decision = Decision.objects.create(
                case=case,
                case_ref=case.case_ref,
                round=case.round,
                level=level,
                level_role=step.role,
                outcome=outcome,
                reason=reason,
                decided_by=actor,
                on_behalf_of=on_behalf_of,
                delegation=delegation,
                form_data_sha256=form_data_digest,
                pin=pin,
                chain_complete=complete,
            )
            if outcome == Outcome.APPROVE:
                if complete:
                    CASE_APPROVAL.move(case, "approve")
                else:
                    case.current_level = level + 1
            elif outcome == Outcome.REJECT:
                CASE_APPROVAL.move(case, "reject")
                case.rejected_at = decision.decided_at
            else:  # return: back to review; once forwarded again, this round's first level decides anew
                case.round += 1
                case.current_level = case.start_level
            case.save(update_fields=["status", "current_level", "round", "rejected_at", "updated_at"])
            audit_record(
                actor=actor,
                action=f"approval.{outcome.value}",
                object_type="case",
                object_id=case.case_ref,
                subject_user_id=case.applicant_id,
                data={
                    "round": decision.round,
                    "level": level,
                    "role": step.role,
                    "on_behalf_of_id": getattr(on_behalf_of, "pk", None),
                    "delegation_id": getattr(delegation, "pk", None),
                    "form_data_sha256": form_data_digest,
                    "chain_version": pin.chain_version.number,
                    "complete": complete,
                },
            )
    except IntegrityError:
        # Only reachable if the row lock were bypassed: the unique (case, round, level) still lets one through.
        raise Conflict(
            "level_already_decided", "ระดับนี้ได้รับการพิจารณาแล้ว", "This level has already been decided"
        ) from None
    return decision


def next_step(case_ref: str) -> NextStep:
    """What follows the last decision: another level of the chain, or the end (approved / rejected)."""
    case = CaseApproval.objects.select_related("pin__chain_version").filter(case_ref=str(case_ref)).first()
    if case is None:
        raise NotFound("case", "คำขอ")
    levels = _levels(case.pin)
    last = Decision.objects.filter(case=case).order_by("-decided_at", "-pk").values_list("outcome", flat=True).first()
    complete = case.status != CaseStatus.PENDING
    step = None if complete else levels[case.current_level - 1]
    return NextStep(
        case_ref=case.case_ref,
        status=case.status,
        complete=complete,
        round=case.round,
        level=None if step is None else step.position,
        level_role=None if step is None else step.role,
        may_reject=None if step is None else step.may_reject,
        levels_total=len(levels),
        last_outcome=last,
    )


def lifecycle_action(decision: Decision) -> str | None:
    """The applications `Action` a recorded decision calls for: "approve" when it completed the chain, "reject",
    "return"; None when it approved a level and another level follows (the case stays pending approval)."""
    if decision.outcome == Outcome.APPROVE:
        return "approve" if decision.chain_complete else None
    return str(decision.outcome)


def can_decide_now(*, actor: Any, case_ref: str) -> bool:
    """Whether the actor may decide the case's current level now: `authority` without the assurance check (which
    the write asks, sending a weak sign-in to step up). For buttons and the lifecycle's role check; reads only."""
    case = CaseApproval.objects.select_related("pin__chain_version").filter(case_ref=str(case_ref)).first()
    if case is None:
        return False
    return isinstance(authority(actor, case, case.current_level), Authority)


# --- appeal ------------------------------------------------------------------------------------------------


def appeal_deadline(case: CaseApproval) -> dt.datetime | None:
    if case.status != CaseStatus.REJECTED or case.rejected_at is None:
        return None
    return case.rejected_at + dt.timedelta(days=case.pin.chain_version.appeal_window_days)


def appeal_lodge(*, actor: Any, case_ref: str, reason: str) -> Appeal:
    """The applicant appeals a rejection, once, with a reason, within the chain's appeal window.

    Reopens the chain in a new round at the chain's appeal level, or else the level after the one that rejected
    (the last level if the rejection came from it). The lead moves the case rejected → pending_approval.
    """
    reason = _reason(reason, required=True)
    if len(reason) < 10:
        raise ValidationFailed(
            "reason_too_short", "กรุณาระบุเหตุผลการอุทธรณ์อย่างน้อย 10 ตัวอักษร", "Give the reason in at least 10 characters",
            field="reason",
        )  # fmt: skip
    with transaction.atomic():
        case = _lock_case(case_ref)
        if actor is None or case.applicant_id != actor.pk:
            raise NotFound("case", "คำขอ")
        require_for_service(actor, case.pin.service, Step.SUBMIT)
        if Appeal.objects.filter(case=case).exists():
            raise Conflict(
                "appeal_already_lodged", "คำขอนี้ได้อุทธรณ์ไปแล้ว อุทธรณ์ได้ครั้งเดียว", "This case has been appealed once already"
            )
        if case.status != CaseStatus.REJECTED:
            raise Conflict("not_rejected", "อุทธรณ์ได้เฉพาะคำขอที่ไม่ได้รับอนุมัติ", "Only a rejected case can be appealed")
        deadline = appeal_deadline(case)
        if deadline is None or timezone.now() > deadline:
            raise Conflict(
                "appeal_window_closed",
                "พ้นกำหนดเวลาอุทธรณ์แล้ว",
                "The period for an appeal has ended",
                details={"deadline": deadline.isoformat() if deadline else None},
            )
        rejection = Decision.objects.filter(case=case, outcome=Outcome.REJECT).order_by("-decided_at", "-pk").first()
        levels = _levels(case.pin)
        reopen = case.pin.chain_version.appeal_level or min(rejection.level + 1, len(levels))
        case.round += 1
        case.start_level = case.current_level = reopen
        CASE_APPROVAL.move(case, "appeal")
        case.save(update_fields=["round", "start_level", "current_level", "status", "updated_at"])
        appeal = Appeal.objects.create(
            case=case,
            rejection=rejection,
            reason=reason,
            lodged_by=actor,
            reopened_round=case.round,
            reopened_level=reopen,
        )
        audit_record(
            actor=actor,
            action="approval.appeal_lodged",
            object_type="case",
            object_id=case.case_ref,
            subject_user_id=actor.pk,
            data={"rejection_id": rejection.pk, "round": case.round, "level": reopen},
        )
    return appeal
