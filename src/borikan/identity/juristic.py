"""Juristic persons (companies, partnerships, foundations) act only through people recorded as their
representatives (issue 4 §1).

An officer records a representation after checking, at the counter:
- the company certificate (หนังสือรับรองการจดทะเบียนนิติบุคคล) issued within the last 180 days, which names
  the directors with signing authority;
- for a representative who is not a director, the power of attorney (หนังสือมอบอำนาจ) signed by them.
The officer works at AAL 2 in their agency; every recording and revocation is audited. The record keeps which
documents were checked, never copies. Applications ask `may_act_for(user, registration_number)`.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from borikan.agencies.selectors import is_staff_member, staff_agency_ids
from borikan.audit.services import audit_record
from borikan.core.errors import ApplicationError, NotFound, PermissionDenied, ValidationFailed
from borikan.core.thaiid import is_valid_thai_id

from . import enforcement
from .models import JuristicPerson, Representation, RepresentationRole, User
from .proofing import require_agency_staff
from .selectors import current_ial

CERTIFICATE_MAX_AGE_DAYS = 180


def normal_registration_number(value: str) -> str | None:
    """The 13 digits, or None when the number is malformed or its check digit is wrong."""
    digits = (value or "").replace("-", "").replace(" ", "")
    return digits if is_valid_thai_id(digits) else None


def _standing(now: dt.datetime) -> Q:
    return Q(revoked_at__isnull=True, valid_from__lte=now) & (Q(valid_until__isnull=True) | Q(valid_until__gt=now))


def _audit_refusal(*, actor: Any, user: Any, error: ApplicationError, registration_number: str) -> None:
    audit_record(
        actor=actor,
        action="identity.representation_refused",
        object_type="user",
        object_id=getattr(user, "pk", None) or "-",
        subject_user_id=getattr(user, "pk", None),
        data={"reason": error.code, "registration_number": (registration_number or "")[:20]},
    )


def _checked_input(
    *,
    registration_number: str,
    name_th: str,
    role: str,
    certificate_issued_on: Any,
    power_of_attorney_checked: bool,
    valid_until: dt.datetime | None,
) -> tuple[str, str, dt.date]:
    number = normal_registration_number(registration_number)
    if number is None:
        raise ValidationFailed(
            "invalid_registration_number",
            "เลขทะเบียนนิติบุคคลไม่ถูกต้อง (ต้องเป็นตัวเลข 13 หลักและหลักตรวจสอบถูกต้อง)",
            "The registration number is not valid (13 digits with a matching check digit)",
            field="registration_number",
        )
    if role not in RepresentationRole.values:
        raise ValidationFailed(
            "invalid_role",
            "บทบาทต้องเป็นกรรมการหรือผู้รับมอบอำนาจ",
            "The role must be director or authorised_representative",
            field="role",
        )
    if isinstance(certificate_issued_on, str):
        try:
            certificate_issued_on = dt.date.fromisoformat(certificate_issued_on)
        except ValueError:
            certificate_issued_on = None
    today = timezone.localdate()
    if not isinstance(certificate_issued_on, dt.date) or certificate_issued_on > today:
        raise ValidationFailed(
            "invalid_certificate_date",
            "กรุณาระบุวันที่ออกหนังสือรับรองการจดทะเบียนให้ถูกต้อง",
            "Please give the date the company certificate was issued",
            field="certificate_issued_on",
        )
    if (today - certificate_issued_on).days > CERTIFICATE_MAX_AGE_DAYS:
        raise ValidationFailed(
            "certificate_too_old",
            f"หนังสือรับรองการจดทะเบียนต้องออกให้ไม่เกิน {CERTIFICATE_MAX_AGE_DAYS} วัน",
            f"The company certificate must have been issued within the last {CERTIFICATE_MAX_AGE_DAYS} days",
            field="certificate_issued_on",
        )
    if role == RepresentationRole.AUTHORISED_REPRESENTATIVE and not power_of_attorney_checked:
        raise ValidationFailed(
            "power_of_attorney_required",
            "ผู้รับมอบอำนาจต้องแสดงหนังสือมอบอำนาจที่ลงนามโดยกรรมการผู้มีอำนาจ",
            "An authorised representative must show a power of attorney signed by a director with authority",
            field="power_of_attorney_checked",
        )
    if valid_until is not None and valid_until <= timezone.now():
        raise ValidationFailed(
            "invalid_valid_until", "วันสิ้นสุดต้องเป็นวันในอนาคต", "The end date must be in the future", field="valid_until"
        )
    return number, " ".join((name_th or "").split()), certificate_issued_on


def representation_record(
    *,
    actor: Any,
    user: User,
    registration_number: str,
    name_th: str = "",
    name_en: str = "",
    role: str,
    agency: Any,
    certificate_issued_on: dt.date | str,
    power_of_attorney_checked: bool = False,
    valid_until: dt.datetime | None = None,
) -> Representation:
    """An officer of `agency` records that `user` may act for the juristic person (created on first sight)."""
    try:
        require_agency_staff(actor=actor, agency=agency)
        if actor.pk == user.pk:
            raise PermissionDenied(
                "เจ้าหน้าที่บันทึกการเป็นผู้แทนของตนเองไม่ได้",
                "An officer cannot record their own representation",
                code="self_recording",
            )
        number, name_th, issued_on = _checked_input(
            registration_number=registration_number,
            name_th=name_th,
            role=role,
            certificate_issued_on=certificate_issued_on,
            power_of_attorney_checked=power_of_attorney_checked,
            valid_until=valid_until,
        )
        with transaction.atomic():
            company = JuristicPerson.objects.select_for_update().filter(registration_number=number).first()
            if company is None:
                if not name_th:
                    raise ValidationFailed(
                        "name_required",
                        "กรุณากรอกชื่อนิติบุคคลตามหนังสือรับรอง",
                        "Please enter the company's name as on its certificate",
                        field="name_th",
                    )
                company = JuristicPerson.objects.create(
                    registration_number=number, name_th=name_th, name_en=" ".join((name_en or "").split())
                )
            now = timezone.now()
            standing = list(
                Representation.objects.select_for_update().filter(
                    juristic_person=company, user=user, revoked_at__isnull=True
                )
            )
            for earlier in standing:
                if earlier.valid_until is None or earlier.valid_until > now:
                    raise ApplicationError(
                        "representation_exists",
                        "บุคคลนี้เป็นผู้แทนของนิติบุคคลนี้อยู่แล้ว",
                        "This person already represents this company",
                        status=409,
                    )
                earlier.revoked_at, earlier.revoked_reason = now, "expired; renewed"
                earlier.save(update_fields=["revoked_at", "revoked_reason"])
            representation = Representation.objects.create(
                juristic_person=company,
                user=user,
                role=role,
                evidence={
                    "company_certificate": {"issued_on": issued_on.isoformat(), "checked": True},
                    "power_of_attorney_checked": bool(power_of_attorney_checked),
                    "representative_ial": str(current_ial(user=user)),
                },
                verified_by=actor,
                agency=agency,
                valid_from=now,
                valid_until=valid_until,
            )
            audit_record(
                actor=actor,
                action="identity.representation_recorded",
                object_type="representation",
                object_id=representation.pk,
                subject_user_id=user.pk,
                data={
                    "registration_number": number,
                    "role": role,
                    "agency": agency.code,
                    "evidence": representation.evidence,
                    "valid_until": valid_until.isoformat() if valid_until else None,
                },
            )
    except enforcement.AssuranceRequired:
        raise  # audited by the API's and the pages' handlers after rollback (enforcement.audit_refusal)
    except ApplicationError as error:
        _audit_refusal(actor=actor, user=user, error=error, registration_number=registration_number)
        raise
    return representation


def representation_active(user: Any, juristic_person: JuristicPerson) -> Representation | None:
    """The person's standing representation of this juristic person, if any."""
    if not getattr(user, "pk", None):
        return None
    return (
        Representation.objects.filter(_standing(timezone.now()), user=user, juristic_person=juristic_person)
        .select_related("juristic_person")
        .first()
    )


def may_act_for(user: Any, registration_number: str) -> JuristicPerson | None:
    """The juristic person this user may act for under this registration number, or None."""
    number = normal_registration_number(registration_number)
    if number is None or not getattr(user, "pk", None):
        return None
    found = (
        Representation.objects.filter(_standing(timezone.now()), user=user, juristic_person__registration_number=number)
        .select_related("juristic_person")
        .first()
    )
    return found.juristic_person if found is not None else None


def representations_of(*, user: Any) -> list[Representation]:
    """Every representation of this person (standing and past), newest first."""
    return list(
        Representation.objects.filter(user=user)
        .select_related("juristic_person", "agency", "verified_by")
        .order_by("-valid_from")
    )


def representation_status(representation: Representation, *, now: dt.datetime | None = None) -> str:
    now = now or timezone.now()
    if representation.revoked_at is not None:
        return "revoked"
    if representation.valid_until is not None and representation.valid_until <= now:
        return "expired"
    if representation.valid_from > now:
        return "pending"
    return "active"


def representation_revoke(*, actor: Any, representation: Representation, reason: str) -> Representation:
    """End a representation: the representative themself (stepping down), or staff at AAL 2 of the agency that
    verified it (staff of another agency could otherwise end any company's power by guessing ids). Anyone else
    is told it does not exist."""
    reason = " ".join((reason or "").split())
    if not reason or len(reason) > 60:
        raise ValidationFailed(
            "reason_required",
            "กรุณาระบุเหตุผล (ไม่เกิน 60 ตัวอักษร)",
            "Please give a reason (at most 60 characters)",
            field="reason",
        )
    if representation.user_id != actor.pk:
        if not is_staff_member(user=actor):
            raise PermissionDenied(
                "เฉพาะผู้แทนเองหรือเจ้าหน้าที่เท่านั้นที่ยกเลิกได้",
                "Only the representative or agency staff may revoke this",
                code="not_agency_staff",
            )
        if representation.agency_id is None or representation.agency_id not in staff_agency_ids(user=actor):
            raise NotFound("representation", "ข้อมูลผู้แทน")
        enforcement.require_staff(actor)
    with transaction.atomic():
        locked = Representation.objects.select_for_update().get(pk=representation.pk)
        if locked.revoked_at is not None:
            raise ApplicationError(
                "already_revoked", "การเป็นผู้แทนนี้ถูกยกเลิกแล้ว", "This representation was already revoked", status=409
            )
        locked.revoked_at = timezone.now()
        locked.revoked_reason = reason
        locked.save(update_fields=["revoked_at", "revoked_reason"])
        audit_record(
            actor=actor,
            action="identity.representation_revoked",
            object_type="representation",
            object_id=locked.pk,
            subject_user_id=locked.user_id,
            data={"reason": reason, "by_representative": locked.user_id == actor.pk},
        )
    representation.revoked_at, representation.revoked_reason = locked.revoked_at, locked.revoked_reason
    return representation
