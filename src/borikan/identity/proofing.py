"""Identity proofing: raising what is proven about who a person is (IAL), and lowering it again.

At a counter an officer checks the person's Thai ID card against the civil registry and says which further
checks they made. Our reading of the ETDA sub-levels (docs/assurance.md, "Proving who a person is"):

| what was checked                                                       | IAL |
|------------------------------------------------------------------------|-----|
| the card's details agree with the civil registry (card in force)       | 1.3 |
| + the officer compared the person's face with the card, in person      | 2.1 |
| + the card's chip was read (dip-chip) and the face compared            | 2.3 |

Every refusal is audited ("identity.proofing_refused") with a reason code and writes nothing else. A record
holds what was checked, never the citizen ID or the laser code; it lasts until the card expires, at most five
years. A person's IAL is the highest among their valid records (`selectors.current_ial`).
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from decimal import Decimal
from typing import Any, NoReturn

from django.db import IntegrityError, transaction
from django.utils import timezone

from borikan.agencies.selectors import staff_agency_ids
from borikan.audit.services import audit_record
from borikan.core.errors import ApplicationError, PermissionDenied, ValidationFailed
from borikan.core.thaiid import is_valid_thai_id

from . import civil_registry, enforcement
from .models import CITIZEN_ID_PURPOSE, ProofingMethod, ProofingRecord, User
from .pii import lookup_hash
from .selectors import SELF_ASSERTED_IAL, current_ial, proofing_records_valid
from .services import user_set_citizen_id
from .throttle import Limit, TooManyAttempts, _count, _hit

IAL1_3 = Decimal("1.3")
IAL2_1 = Decimal("2.1")
IAL2_3 = Decimal("2.3")
MAX_VALIDITY_YEARS = 5
LASER_CODE = re.compile(r"^[A-Z]{2}[0-9]{10}$")
MAX_NAME = 100
OLDEST_BIRTH_YEAR = 1880

# A registry "no" counts against the person proofed and against the officer: details cannot be guessed at
# a counter one try at a time.
PERSON_REFUSALS = Limit("proofing-person", 5, 24 * 3600)
OFFICER_REFUSALS = Limit("proofing-officer", 20, 3600)

REGISTRY_REFUSALS = {
    civil_registry.Result.MISMATCH: (
        "registry_mismatch",
        "ข้อมูลบนบัตรไม่ตรงกับทะเบียนราษฎร (เลขหลังบัตร ชื่อ นามสกุล หรือวันเกิด)",
        "The card's details do not agree with the civil registry (laser code, names or birth date)",
    ),
    civil_registry.Result.CARD_REVOKED: (
        "card_revoked",
        "บัตรประจำตัวประชาชนใบนี้ถูกยกเลิกแล้ว (เช่น แจ้งหายหรือออกบัตรใหม่)",
        "This ID card has been cancelled (reported lost or replaced)",
    ),
    civil_registry.Result.CARD_EXPIRED: (
        "card_expired",
        "บัตรประจำตัวประชาชนหมดอายุแล้ว กรุณาต่ออายุบัตรก่อน",
        "This ID card has expired; it must be renewed first",
    ),
    civil_registry.Result.NOT_FOUND: (
        "citizen_not_found",
        "ไม่พบเลขประจำตัวประชาชนนี้ในทะเบียนราษฎร",
        "This citizen ID is not in the civil registry",
    ),
}


def account_by_contact(contact: str) -> User | None:
    """The active account an officer names at the counter: by its confirmed e-mail address or by its mobile
    number (an account made with a mobile number has no e-mail). An unconfirmed address names no one: anyone can
    pre-register an address, and the proofing would bind the card's identity to that account."""
    from borikan.core.sms import thai_mobile

    contact = (contact or "").strip()
    people = User.objects.filter(is_active=True)
    if "@" in contact:
        return people.filter(email=contact.lower(), email_verified_at__isnull=False).first()
    try:
        return people.filter(mobile=thai_mobile(contact), mobile_verified_at__isnull=False).first()
    except ValidationFailed:
        return None


def level_text(value: Decimal) -> str:
    """An IAL as ETDA writes it ("2.3"); SQLite hands back aggregates with more digits."""
    return str(Decimal(value).quantize(Decimal("0.1")))


def counter_level(*, face_compared: bool, chip_read: bool) -> Decimal:
    """The IAL a counter proofing reaches after a registry match (a chip read without a face check adds
    nothing: it proves the card, not that its holder is the one in front of the officer)."""
    if face_compared and chip_read:
        return IAL2_3
    if face_compared:
        return IAL2_1
    return IAL1_3


def _add_years(moment: dt.datetime, years: int) -> dt.datetime:
    try:
        return moment.replace(year=moment.year + years)
    except ValueError:  # 29 February
        return moment.replace(year=moment.year + years, day=28)


def record_expiry(*, card_expires_on: dt.date | None, verified_at: dt.datetime) -> dt.datetime:
    """Until the card expires (the end of its last day, Thai time) or five years, whichever is sooner."""
    cap = _add_years(verified_at, MAX_VALIDITY_YEARS)
    if card_expires_on is None:  # a lifelong card
        return cap
    card_end = dt.datetime.combine(card_expires_on + dt.timedelta(days=1), dt.time.min)
    return min(cap, timezone.make_aware(card_end, timezone.get_default_timezone()))


def _audit_refusal(*, actor: Any, user: Any, agency: Any, error: ApplicationError, **data: Any) -> None:
    audit_record(
        actor=actor,
        action="identity.proofing_refused",
        object_type="user",
        object_id=getattr(user, "pk", None) or "-",
        subject_user_id=getattr(user, "pk", None),
        data={"method": "counter", "reason": error.code, "agency": getattr(agency, "code", None), **data},
    )


def _refuse(*, actor: Any, user: Any, agency: Any, error: ApplicationError, **data: Any) -> NoReturn:
    _audit_refusal(actor=actor, user=user, agency=agency, error=error, **data)
    raise error


def require_agency_staff(*, actor: Any, agency: Any) -> None:
    """The actor holds a role in this agency and works at AAL 2 (`enforcement.require_staff`)."""
    if agency is None or agency.pk not in staff_agency_ids(user=actor):
        raise PermissionDenied(
            "เฉพาะเจ้าหน้าที่ของหน่วยงานนี้เท่านั้นที่ยืนยันตัวตนได้",
            "Only staff of this agency may do this",
            code="not_agency_staff",
        )
    enforcement.require_staff(actor)


@dataclass(frozen=True)
class CardDetails:
    citizen_id: str
    laser_code: str  # normalised: "JT1-1234567-89"
    first_name_th: str
    last_name_th: str
    birth_date: dt.date


def _card_details(
    *, citizen_id: str, laser_code: str, first_name_th: str, last_name_th: str, birth_date: Any
) -> CardDetails:
    value = (citizen_id or "").replace("-", "").replace(" ", "")
    if not is_valid_thai_id(value):
        raise ValidationFailed(
            "invalid_citizen_id",
            "เลขประจำตัวประชาชนไม่ถูกต้อง (ตรวจสอบหลักตรวจสอบแล้วไม่ผ่าน)",
            "The citizen ID is not valid (its check digit does not match)",
            field="citizen_id",
        )
    laser = (laser_code or "").replace("-", "").replace(" ", "").upper()
    if not LASER_CODE.match(laser):
        raise ValidationFailed(
            "invalid_laser_code",
            "เลขหลังบัตร (Laser ID) ต้องมีรูปแบบ เช่น JT1-1234567-89",
            "The laser code on the back of the card must look like JT1-1234567-89",
            field="laser_code",
        )
    names = {}
    for field, value_in in (("first_name_th", first_name_th), ("last_name_th", last_name_th)):
        name = " ".join((value_in or "").split())
        if not name or len(name) > MAX_NAME:
            raise ValidationFailed(
                "name_required",
                "กรุณากรอกชื่อและนามสกุลภาษาไทยตามบัตร",
                "Please enter the Thai given name and surname as printed on the card",
                field=field,
            )
        names[field] = name
    if isinstance(birth_date, str):
        try:
            birth_date = dt.date.fromisoformat(birth_date)
        except ValueError:
            birth_date = None
    if not isinstance(birth_date, dt.date) or birth_date > timezone.localdate() or birth_date.year < OLDEST_BIRTH_YEAR:
        raise ValidationFailed(
            "invalid_birth_date",
            "วันเกิดไม่ถูกต้อง (ใช้ปีคริสต์ศักราช เช่น 1985-03-14)",
            "The birth date is not valid (use the Gregorian year, e.g. 1985-03-14)",
            field="birth_date",
        )
    return CardDetails(
        citizen_id=value,
        laser_code=f"{laser[:3]}-{laser[3:10]}-{laser[10:]}",
        first_name_th=names["first_name_th"],
        last_name_th=names["last_name_th"],
        birth_date=birth_date,
    )


def _citizen_id_refusal(*, user: User, citizen_id: str) -> ApplicationError | None:
    """The ID must be the account's own; an account without one may take it unless another account has it."""
    digest = lookup_hash(citizen_id, purpose=CITIZEN_ID_PURPOSE)
    if user.citizen_id_hash:
        if user.citizen_id_hash == digest:
            return None
        return ValidationFailed(
            "citizen_id_differs",
            "เลขประจำตัวประชาชนไม่ตรงกับที่บันทึกไว้ในบัญชีนี้",
            "The citizen ID differs from the one recorded on this account",
            field="citizen_id",
            status=409,
        )
    if User.objects.filter(citizen_id_hash=digest).exclude(pk=user.pk).exists():
        return ValidationFailed(
            "citizen_id_taken",
            "เลขประจำตัวประชาชนนี้ผูกกับบัญชีอื่นแล้ว",
            "This citizen ID belongs to another account",
            field="citizen_id",
            status=409,
        )
    return None


def proofing_counter_record(
    *,
    actor: Any,
    user: User,
    citizen_id: str,
    laser_code: str,
    first_name_th: str,
    last_name_th: str,
    birth_date: dt.date | str,
    face_compared: bool,
    chip_read: bool,
    agency: Any,
    registry: civil_registry.CivilRegistry | None = None,
) -> ProofingRecord:
    """An officer of `agency` proves `user`'s identity with their Thai ID card. Returns the new record."""
    try:
        require_agency_staff(actor=actor, agency=agency)
    except PermissionDenied as error:
        _refuse(actor=actor, user=user, agency=agency, error=error)
    if actor.pk == user.pk:
        _refuse(
            actor=actor,
            user=user,
            agency=agency,
            error=PermissionDenied(
                "เจ้าหน้าที่ยืนยันตัวตนของตนเองไม่ได้", "An officer cannot prove their own identity", "self_proofing"
            ),
        )
    try:
        card = _card_details(
            citizen_id=citizen_id,
            laser_code=laser_code,
            first_name_th=first_name_th,
            last_name_th=last_name_th,
            birth_date=birth_date,
        )
    except ValidationFailed as error:
        _refuse(actor=actor, user=user, agency=agency, error=error, field=error.field)
    refusal = _citizen_id_refusal(user=user, citizen_id=card.citizen_id)
    if refusal is not None:
        _refuse(actor=actor, user=user, agency=agency, error=refusal)
    for limit, key in ((PERSON_REFUSALS, str(user.pk)), (OFFICER_REFUSALS, str(actor.pk))):
        if _count(limit, key) >= limit.attempts:
            _refuse(actor=actor, user=user, agency=agency, error=TooManyAttempts(limit.window_seconds))

    registry = registry or civil_registry.get_registry()
    try:
        answer = registry.check_card(
            civil_registry.CardCheck(
                citizen_id=card.citizen_id,
                laser_code=card.laser_code,
                first_name_th=card.first_name_th,
                last_name_th=card.last_name_th,
                birth_date=card.birth_date,
            )
        )
    except (civil_registry.RegistryUnavailable, civil_registry.RegistryBadAnswer) as error:
        _refuse(actor=actor, user=user, agency=agency, error=error, registry_detail=error.detail)
    if answer.result != civil_registry.Result.MATCH:
        _hit(PERSON_REFUSALS, str(user.pk))
        _hit(OFFICER_REFUSALS, str(actor.pk))
        code, message_th, message_en = REGISTRY_REFUSALS[answer.result]
        _refuse(
            actor=actor,
            user=user,
            agency=agency,
            error=ValidationFailed(code, message_th, message_en),
            registry_result=answer.result,
            registry_check_id=answer.check_id,
        )

    ial = counter_level(face_compared=face_compared, chip_read=chip_read)
    verified_at = timezone.now()
    evidence = {
        "document": "thai_id_card",
        "registry_result": answer.result,
        "registry_checked_at": answer.checked_at.isoformat(),
        "registry_check_id": answer.check_id,
        "card_expires_on": answer.card_expires_on.isoformat() if answer.card_expires_on else None,
        "face_compared": bool(face_compared),
        "chip_read": bool(chip_read),
    }
    try:
        with transaction.atomic():
            locked = User.objects.select_for_update().get(pk=user.pk)
            refusal = _citizen_id_refusal(user=locked, citizen_id=card.citizen_id)  # again, under the lock
            if refusal is not None:
                raise refusal
            if not locked.citizen_id_hash:
                try:
                    with transaction.atomic():
                        user_set_citizen_id(actor=actor, user=locked, citizen_id=card.citizen_id)
                except IntegrityError:  # another account took it a moment ago
                    raise ValidationFailed(
                        "citizen_id_taken",
                        "เลขประจำตัวประชาชนนี้ผูกกับบัญชีอื่นแล้ว",
                        "This citizen ID belongs to another account",
                        field="citizen_id",
                        status=409,
                    ) from None
            record = ProofingRecord.objects.create(
                user=locked,
                method=ProofingMethod.COUNTER,
                ial=ial,
                evidence=evidence,
                verified_by=actor,
                agency=agency,
                verified_at=verified_at,
                expires_at=record_expiry(card_expires_on=answer.card_expires_on, verified_at=verified_at),
                name_th=f"{card.first_name_th} {card.last_name_th}",
                birth_date=card.birth_date,
            )
            # The account shows the name the registry confirmed from now on, not the one typed at sign-up.
            if locked.full_name != record.name_th:
                locked.full_name = record.name_th
                locked.save(update_fields=["full_name"])
            audit_record(
                actor=actor,
                action="identity.proofed",
                object_type="proofing_record",
                object_id=record.pk,
                subject_user_id=user.pk,
                data={
                    "method": "counter",
                    "ial": str(ial),
                    "agency": agency.code,
                    "face_compared": bool(face_compared),
                    "chip_read": bool(chip_read),
                    "registry_check_id": answer.check_id,
                    "expires_at": record.expires_at.isoformat(),
                    "name_from_card": True,
                },
            )
    except ValidationFailed as error:
        _refuse(actor=actor, user=user, agency=agency, error=error)
    user.citizen_id_hash, user.citizen_id_encrypted = locked.citizen_id_hash, locked.citizen_id_encrypted
    user.full_name = locked.full_name
    return record


def _may_revoke(actor: Any, record: ProofingRecord) -> bool:
    if record.agency_id is not None and record.agency_id in staff_agency_ids(user=actor):
        return True
    return bool(getattr(actor, "is_staff", False))  # platform operators (federated and self-asserted records)


def proofing_revoke(*, actor: Any, record: ProofingRecord, reason: str) -> ProofingRecord:
    """Withdraw a proofing (a mistake, a fraud found later). Staff of the agency that proved it, or an operator,
    at AAL 2. The record stays, stamped."""
    reason = " ".join((reason or "").split())
    if not reason or len(reason) > 60:
        raise ValidationFailed(
            "reason_required",
            "กรุณาระบุเหตุผล (ไม่เกิน 60 ตัวอักษร)",
            "Please give a reason (at most 60 characters)",
            field="reason",
        )
    if not _may_revoke(actor, record):
        raise PermissionDenied(
            "เฉพาะเจ้าหน้าที่ของหน่วยงานที่ยืนยันตัวตนเท่านั้นที่เพิกถอนได้",
            "Only staff of the agency that made this proofing may revoke it",
            code="not_agency_staff",
        )
    enforcement.require_staff(actor)
    with transaction.atomic():
        locked = ProofingRecord.objects.select_for_update().get(pk=record.pk)
        if locked.revoked_at is not None:
            raise ApplicationError(
                "already_revoked", "การยืนยันตัวตนนี้ถูกเพิกถอนแล้ว", "This proofing was already revoked", status=409
            )
        locked.revoked_at = timezone.now()
        locked.revoked_reason = reason
        locked.save(update_fields=["revoked_at", "revoked_reason"])
        audit_record(
            actor=actor,
            action="identity.proofing_revoked",
            object_type="proofing_record",
            object_id=locked.pk,
            subject_user_id=locked.user_id,
            data={"reason": reason, "ial": str(locked.ial), "method": locked.method},
        )
    record.revoked_at, record.revoked_reason = locked.revoked_at, locked.revoked_reason
    return record


@transaction.atomic
def proofing_suspend_high_assurance(*, user: Any, reason: str) -> int:
    """Revoke every valid record above IAL 1.3 (an account recovered without its second factor: whoever holds
    it now must prove who they are again). Returns how many were revoked."""
    records = list(proofing_records_valid(user=user).filter(ial__gt=IAL1_3).select_for_update())
    if not records:
        return 0
    now = timezone.now()
    reason = (reason or "suspended")[:60]
    ProofingRecord.objects.filter(pk__in=[record.pk for record in records]).update(
        revoked_at=now, revoked_reason=reason
    )
    audit_record(
        actor=None,
        action="identity.proofing_suspended",
        object_type="user",
        object_id=user.pk,
        subject_user_id=user.pk,
        data={
            "reason": reason,
            "records": [record.pk for record in records],
            "levels": sorted({str(record.ial) for record in records}),
            "ial_after": level_text(current_ial(user=user)),
        },
    )
    return len(records)


# --- reads ---------------------------------------------------------------------------------------------------


def record_status(record: ProofingRecord, *, now: dt.datetime | None = None) -> str:
    now = now or timezone.now()
    if record.revoked_at is not None:
        return "revoked"
    if record.expires_at is not None and record.expires_at <= now:
        return "expired"
    return "valid"


def proofing_history(*, user: Any) -> dict[str, Any]:
    """The person's IAL, their valid records (best first) and their past ones (newest first)."""
    records = list(
        ProofingRecord.objects.filter(user=user).select_related("agency", "verified_by").order_by("-verified_at")
    )
    now = timezone.now()
    valid = sorted((r for r in records if record_status(r, now=now) == "valid"), key=lambda r: -r.ial)
    past = [r for r in records if record_status(r, now=now) != "valid"]
    best = max((r.ial for r in valid), default=SELF_ASSERTED_IAL)
    return {"ial": max(best, SELF_ASSERTED_IAL), "valid": valid, "past": past}
