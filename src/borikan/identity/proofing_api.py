"""API for proofing (identity) and company representation. Mounted under /api/v1/auth/ by identity/api.py."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.http import HttpRequest
from ninja import Router, Schema, Status

from borikan.agencies.selectors import agency_get, is_staff_member
from borikan.core.errors import NotFound, ValidationFailed
from borikan.core.fields import Code, Email, Id, Name, PathId, Text

from . import authn, juristic, proofing
from .apiauth import api_auth
from .models import ProofingRecord, Representation, User
from .selectors import proofing_records_valid

router = Router(tags=["auth"])


class ProofingRecordOut(Schema):
    id: int
    method: str
    ial: str
    status: str
    verified_at: dt.datetime
    expires_at: dt.datetime | None
    revoked_at: dt.datetime | None
    revoked_reason: str
    agency: str | None
    provider: str


def _record_out(record: ProofingRecord) -> dict[str, Any]:
    return {
        "id": record.pk,
        "method": record.method,
        "ial": proofing.level_text(record.ial),
        "status": proofing.record_status(record),
        "verified_at": record.verified_at,
        "expires_at": record.expires_at,
        "revoked_at": record.revoked_at,
        "revoked_reason": record.revoked_reason,
        "agency": record.agency.code if record.agency_id else None,
        "provider": record.provider,
    }


class AssuranceOut(Schema):
    ial: str
    aal: str
    methods: list[str]
    records: list[ProofingRecordOut]


@router.get("/assurance", response=AssuranceOut, auth=api_auth, summary="My IAL, this request's AAL, my proofings")
def assurance(request: HttpRequest):
    user = request.auth
    current = authn.assurance_of(user)
    records = proofing_records_valid(user=user).select_related("agency").order_by("-ial", "-verified_at")
    return {
        "ial": proofing.level_text(current.ial),
        "aal": str(current.aal),
        "methods": list(current.methods),
        "records": [_record_out(record) for record in records],
    }


def _account(*, email: str | None, account_id: int | None, mobile: str | None = None) -> User:
    if not email and not mobile and account_id is None:
        raise ValidationFailed(
            "account_required",
            "กรุณาระบุอีเมล หมายเลขโทรศัพท์มือถือ หรือเลขบัญชีของบุคคลนั้น",
            "Give the person's account e-mail, mobile number or account id",
            field="email",
        )
    if email or mobile:
        person = proofing.account_by_contact(email or mobile or "")
    else:
        person = User.objects.filter(is_active=True, pk=account_id).first()
    if person is None:
        raise NotFound("account", "บัญชีผู้ใช้")
    return person


class CounterProofingIn(Schema):
    email: Email | None = None
    mobile: Code | None = None  # an account made with a mobile number has no e-mail
    account_id: Id | None = None
    citizen_id: Code
    laser_code: Code
    first_name_th: Name
    last_name_th: Name
    birth_date: dt.date
    face_compared: bool = False
    chip_read: bool = False
    agency: Code


@router.post(
    "/proofing/counter",
    response={201: ProofingRecordOut},
    auth=api_auth,
    summary="Officer: prove a person's identity with their Thai ID card (checked against the civil registry)",
)
def counter_proofing(request: HttpRequest, payload: CounterProofingIn):
    actor = request.auth
    if not is_staff_member(user=actor):  # before looking anyone up: accounts are not enumerable by citizens
        proofing.require_agency_staff(actor=actor, agency=None)
    record = proofing.proofing_counter_record(
        actor=actor,
        user=_account(email=payload.email, account_id=payload.account_id, mobile=payload.mobile),
        citizen_id=payload.citizen_id,
        laser_code=payload.laser_code,
        first_name_th=payload.first_name_th,
        last_name_th=payload.last_name_th,
        birth_date=payload.birth_date,
        face_compared=payload.face_compared,
        chip_read=payload.chip_read,
        agency=agency_get(code=payload.agency),
    )
    return Status(201, _record_out(record))


class RevokeIn(Schema):
    reason: Text


@router.post(
    "/proofing/records/{record_id}/revoke",
    response=ProofingRecordOut,
    auth=api_auth,
    summary="Officer: revoke a proofing made by their agency",
)
def revoke_proofing(request: HttpRequest, record_id: PathId, payload: RevokeIn):
    actor = request.auth
    if not (is_staff_member(user=actor) or actor.is_staff):
        raise NotFound("proofing record", "ข้อมูลการยืนยันตัวตน")
    record = ProofingRecord.objects.select_related("agency").filter(pk=record_id).first()
    if record is None:
        raise NotFound("proofing record", "ข้อมูลการยืนยันตัวตน")
    return _record_out(proofing.proofing_revoke(actor=actor, record=record, reason=payload.reason))


# --- juristic persons -------------------------------------------------------------------------------------


class RepresentationOut(Schema):
    id: int
    registration_number: str
    name_th: str
    name_en: str
    role: str
    status: str
    valid_from: dt.datetime
    valid_until: dt.datetime | None
    revoked_at: dt.datetime | None
    agency: str | None


def _representation_out(item: Representation) -> dict[str, Any]:
    return {
        "id": item.pk,
        "registration_number": item.juristic_person.registration_number,
        "name_th": item.juristic_person.name_th,
        "name_en": item.juristic_person.name_en,
        "role": item.role,
        "status": juristic.representation_status(item),
        "valid_from": item.valid_from,
        "valid_until": item.valid_until,
        "revoked_at": item.revoked_at,
        "agency": item.agency.code if item.agency_id else None,
    }


@router.get(
    "/juristic/representations",
    response=list[RepresentationOut],
    auth=api_auth,
    summary="The companies I may act for (and past representations)",
)
def my_representations(request: HttpRequest):
    return [_representation_out(item) for item in juristic.representations_of(user=request.auth)]


class RepresentationIn(Schema):
    email: Email | None = None
    account_id: Id | None = None
    registration_number: Code
    name_th: Name = ""
    name_en: Name = ""
    role: Code
    agency: Code
    certificate_issued_on: dt.date
    power_of_attorney_checked: bool = False
    valid_until: dt.datetime | None = None


@router.post(
    "/juristic/representations",
    response={201: RepresentationOut},
    auth=api_auth,
    summary="Officer: record that a person may act for a company, after checking its documents",
)
def record_representation(request: HttpRequest, payload: RepresentationIn):
    actor = request.auth
    if not is_staff_member(user=actor):
        proofing.require_agency_staff(actor=actor, agency=None)
    representation = juristic.representation_record(
        actor=actor,
        user=_account(email=payload.email, account_id=payload.account_id),
        registration_number=payload.registration_number,
        name_th=payload.name_th,
        name_en=payload.name_en,
        role=payload.role,
        agency=agency_get(code=payload.agency),
        certificate_issued_on=payload.certificate_issued_on,
        power_of_attorney_checked=payload.power_of_attorney_checked,
        valid_until=payload.valid_until,
    )
    return Status(201, _representation_out(representation))


@router.post(
    "/juristic/representations/{representation_id}/revoke",
    response=RepresentationOut,
    auth=api_auth,
    summary="End a representation (the representative, or agency staff)",
)
def revoke_representation(request: HttpRequest, representation_id: PathId, payload: RevokeIn):
    actor = request.auth
    found = Representation.objects.select_related("juristic_person", "agency").filter(pk=representation_id).first()
    if found is None or (found.user_id != actor.pk and not is_staff_member(user=actor)):
        raise NotFound("representation", "ข้อมูลผู้แทน")
    return _representation_out(juristic.representation_revoke(actor=actor, representation=found, reason=payload.reason))
