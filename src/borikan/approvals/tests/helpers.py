"""Builders for approvals tests. Cases are plain case_refs: this app never imports applications."""

from __future__ import annotations

import uuid

from borikan.agencies.models import StaffRole
from borikan.approvals import services
from borikan.approvals.models import CasePin
from borikan.catalog.models import Service
from borikan.conftest import VALID_FORM, make_staff

DIGEST = services.form_data_digest(VALID_FORM)


def new_case_ref() -> str:
    return str(uuid.uuid4())


def admin_of(agency, email: str = "admin@excise.go.th"):
    return make_staff(email, agency, StaffRole.AGENCY_ADMIN)


def two_level_chain(service: Service, admin, *, first_may_reject: bool = True, **extra):
    return services.chain_version_create(
        actor=admin,
        service=service,
        levels=[
            {"role": "approver", "may_reject": first_may_reject, "name_th": "หัวหน้ากลุ่ม", "name_en": "Head of unit"},
            {"role": "director", "may_reject": True, "name_th": "ผู้อำนวยการ", "name_en": "Director"},
        ],
        **extra,
    )


def pinned_case(service: Service, applicant, **extra) -> CasePin:
    return services.pin_versions(new_case_ref(), service, "3", applicant=applicant, **extra)


def decide(actor, pin: CasePin, level: int, outcome: str = "approve", reason: str = ""):
    return services.decision_record(
        actor=actor,
        case_ref=pin.case_ref,
        service=pin.service,
        level=level,
        outcome=outcome,
        reason=reason,
        form_data_digest=DIGEST,
        pinned=pin,
    )
