"""Writes on the service directory: risk assessments and publication (rules agencies must follow)."""

from __future__ import annotations

from decimal import Decimal, InvalidOperation
from typing import Any

from django.db import transaction

from borikan.agencies.models import StaffRole
from borikan.agencies.selectors import staff_roles
from borikan.audit.services import audit_record
from borikan.core.errors import ApplicationError, PermissionDenied, ValidationFailed
from borikan.identity.enforcement import require_staff

from .assurance import AAL_LEVELS, CATEGORIES, DEFAULT_PROFILES, IAL_LEVELS, Impact, derive_levels
from .manual import DEFAULT_COMPLAINT_CHANNEL, manual_findings
from .models import RiskAssessment, Service

RATING_NAMES = {impact.name.lower(): impact for impact in Impact}


class PublicationBlocked(ApplicationError):
    status = 409


def _require_agency_admin(actor: Any, service: Service) -> None:
    if StaffRole.AGENCY_ADMIN not in staff_roles(user=actor, agency_id=service.agency_id):
        raise PermissionDenied(
            "เฉพาะผู้ดูแลระบบของหน่วยงานเจ้าของบริการเท่านั้น",
            "Only an administrator of the agency that runs this service may do this",
        )
    require_staff(actor, service=service)


def _parse_ratings(ratings: dict[str, str]) -> dict[str, Impact]:
    unknown = sorted(set(ratings) - set(CATEGORIES))
    missing = sorted(set(CATEGORIES) - set(ratings))
    bad = sorted(c for c, v in ratings.items() if c in CATEGORIES and str(v).lower() not in RATING_NAMES)
    if unknown or missing or bad:
        raise ValidationFailed(
            "invalid_ratings",
            "ต้องประเมินผลกระทบครบทุกหมวด เป็น none, low, moderate หรือ high",
            "Rate every impact category as none, low, moderate or high",
            field="ratings",
            details={"unknown": unknown, "missing": missing, "invalid": bad},
        )
    return {category: RATING_NAMES[str(value).lower()] for category, value in ratings.items()}


def _level(value: str | None, allowed: tuple[str, ...], name: str) -> Decimal | None:
    if value in (None, ""):
        return None
    try:
        level = Decimal(str(value))
    except InvalidOperation:
        level = None
    if level is None or str(level) not in allowed:
        raise ValidationFailed(
            f"invalid_{name}",
            f"ระดับ {name.upper()} ไม่ถูกต้อง (ใช้ได้: {', '.join(allowed)})",
            f"Not a valid {name.upper()} (allowed: {', '.join(allowed)})",
            field=name,
        )
    return level


def _record(
    *,
    actor: Any,
    service: Service,
    ratings: dict[str, Impact],
    justification: str,
    ial_override: Decimal | None,
    aal_override: Decimal | None,
    override_reason: str,
    is_default_profile: bool,
) -> RiskAssessment:
    derivation = derive_levels(ratings, personal_data_online=bool(service.personal_data_fields))
    required_ial = ial_override or derivation.ial
    required_aal = aal_override or derivation.aal
    if required_ial < derivation.ial or required_aal < derivation.aal:
        raise ValidationFailed(
            "override_below_derived",
            f"ไม่อนุญาตให้กำหนดระดับต่ำกว่าที่ประเมินได้ (IAL {derivation.ial}, AAL {derivation.aal})",
            f"The levels may be raised but never set below the derived IAL {derivation.ial} / AAL {derivation.aal}",
            field="ial",
        )
    overridden = (required_ial, required_aal) != (derivation.ial, derivation.aal)
    if overridden and not override_reason.strip():
        raise ValidationFailed(
            "override_reason_required",
            "กรุณาระบุเหตุผลที่กำหนดระดับสูงกว่าที่ประเมินได้",
            "Give the reason for requiring more than the derived levels",
            field="override_reason",
        )
    RiskAssessment.objects.filter(service=service, is_current=True).update(is_current=False)
    assessment = RiskAssessment.objects.create(
        service=service,
        ratings={category: impact.name.lower() for category, impact in ratings.items()},
        justification=justification.strip(),
        personal_data_online=bool(service.personal_data_fields),
        nist_level=derivation.nist_level,
        derived_ial=derivation.ial,
        derived_aal=derivation.aal,
        required_ial=required_ial,
        required_aal=required_aal,
        override_reason=override_reason.strip() if overridden else "",
        derivation=[list(step) for step in derivation.steps],
        is_default_profile=is_default_profile,
        assessed_by=actor,
    )
    audit_record(
        actor=actor,
        action="service.risk_assessed",
        object_type="service",
        object_id=service.slug,
        data={"ial": str(required_ial), "aal": str(required_aal), "default_profile": is_default_profile},
    )
    return assessment


@transaction.atomic
def risk_assessment_record(
    *,
    actor: Any,
    service: Service,
    ratings: dict[str, str],
    justification: str,
    ial: str | None = None,
    aal: str | None = None,
    override_reason: str = "",
) -> RiskAssessment:
    """An agency admin records the service's risk; the required IAL/AAL follow (raised only, with a reason)."""
    _require_agency_admin(actor, service)
    if not (justification or "").strip():
        raise ValidationFailed(
            "justification_required", "กรุณาระบุเหตุผลประกอบการประเมิน", "Justify the ratings", field="justification"
        )
    return _record(
        actor=actor,
        service=service,
        ratings=_parse_ratings(ratings),
        justification=justification,
        ial_override=_level(ial, IAL_LEVELS, "ial"),
        aal_override=_level(aal, AAL_LEVELS, "aal"),
        override_reason=override_reason,
        is_default_profile=False,
    )


def risk_assessment_import(*, service: Service, recorded: dict[str, Any]) -> RiskAssessment:
    """Restore an exported assessment as the current one (validated and derived again; levels never lower)."""
    current = RiskAssessment.objects.filter(service=service, is_current=True).first()
    if current is not None and (
        current.ratings == recorded["ratings"]
        and current.justification == recorded["justification"].strip()
        and (str(current.required_ial), str(current.required_aal))
        == (recorded["required_ial"], recorded["required_aal"])
    ):
        return current
    derived = derive_levels(
        _parse_ratings(recorded["ratings"]), personal_data_online=bool(service.personal_data_fields)
    )
    required_ial, required_aal = Decimal(recorded["required_ial"]), Decimal(recorded["required_aal"])
    return _record(
        actor=None,
        service=service,
        ratings=_parse_ratings(recorded["ratings"]),
        justification=recorded["justification"],
        ial_override=required_ial if required_ial != derived.ial else None,
        aal_override=required_aal if required_aal != derived.aal else None,
        override_reason=recorded.get("override_reason", ""),
        is_default_profile=bool(recorded.get("is_default_profile")),
    )


def risk_assessment_default(*, service: Service) -> RiskAssessment:
    """The platform's starting assessment from the transaction type's default profile, for a service loaded
    without one; the agency reviews it."""
    return _record(
        actor=None,
        service=service,
        ratings=DEFAULT_PROFILES[service.transaction_type],
        justification=f"Default profile of the transaction type '{service.transaction_type}'; to be reviewed "
        "by the agency.",
        ial_override=None,
        aal_override=None,
        override_reason="",
        is_default_profile=True,
    )


def publication_blockers(service: Service) -> list[tuple[str, str, str]]:
    """Why the service may not be published: (code, Thai, English) for each rule it breaks."""
    blockers = []
    if not RiskAssessment.objects.filter(service=service, is_current=True).exists():
        blockers.append(
            (
                "risk_assessment_required",
                "ต้องมีผลการประเมินความเสี่ยงที่เป็นปัจจุบันก่อนเผยแพร่",
                "A current risk assessment is required before publishing",
            )
        )
    complaint = service.agency.complaint_channel or DEFAULT_COMPLAINT_CHANNEL
    blockers += [(f.code, f.message_th, f.message_en) for f in manual_findings(service, complaint_channel=complaint)]
    return blockers


@transaction.atomic
def service_publish(*, actor: Any, service: Service) -> Service:
    _require_agency_admin(actor, service)
    blockers = publication_blockers(service)
    if blockers:
        raise PublicationBlocked(
            "publication_blocked",
            "ยังเผยแพร่บริการไม่ได้: " + "; ".join(th for _, th, _ in blockers),
            "The service cannot be published yet: " + "; ".join(en for _, _, en in blockers),
            details={"blockers": [code for code, _, _ in blockers]},
        )
    service.is_published = True
    service.save(update_fields=["is_published", "updated_at"])
    audit_record(actor=actor, action="service.published", object_type="service", object_id=service.slug)
    return service


@transaction.atomic
def service_withdraw(*, actor: Any, service: Service, reason: str) -> Service:
    _require_agency_admin(actor, service)
    service.is_published = False
    service.save(update_fields=["is_published", "updated_at"])
    audit_record(
        actor=actor, action="service.withdrawn", object_type="service", object_id=service.slug, data={"reason": reason}
    )
    return service
