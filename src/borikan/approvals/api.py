"""Approval chains, delegations and the approval record of a case, at /api/v1/approvals/.

Decisions and appeals are not taken here: they move the case, so the applications API takes them and calls
`services.decision_record` / `services.appeal_lodge` in the same transaction (docs/adr/0014-approval-chains.md).
"""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from django.utils import timezone
from ninja import Router, Status

from borikan.agencies.models import staff_role_labels
from borikan.agencies.selectors import agency_get
from borikan.catalog.selectors import service_get_for_staff
from borikan.core.errors import NotFound, ValidationFailed
from borikan.core.fields import PathCode, PathId
from borikan.identity.apiauth import api_auth
from borikan.identity.models import User

from . import selectors, services
from .models import ChainVersion, Delegation
from .schemas import CaseOut, ChainIn, ChainOut, DelegationIn, DelegationOut, RoleIn, RoleOut

router = Router(tags=["approvals"])


def chain_out(version: ChainVersion) -> dict[str, Any]:
    return {
        "service": version.service.slug,
        "version": version.number,
        "appeal_window_days": version.appeal_window_days,
        "appeal_level": version.appeal_level,
        "note": version.note,
        "created_at": version.created_at,
        "created_by_id": version.created_by_id,
        "levels": [
            {
                "position": level.position,
                "role": level.role,
                "may_reject": level.may_reject,
                "name_th": level.name_th,
                "name_en": level.name_en,
            }
            for level in version.levels.all()
        ],
    }


def delegation_out(delegation: Delegation) -> dict[str, Any]:
    today = timezone.localdate()
    return {
        "id": delegation.pk,
        "agency": delegation.agency.code,
        "delegator_id": delegation.delegator_id,
        "delegator_name": delegation.delegator.full_name,
        "delegate_id": delegation.delegate_id,
        "delegate_name": delegation.delegate.full_name,
        "starts_on": delegation.starts_on,
        "ends_on": delegation.ends_on,
        "reason": delegation.reason,
        "revoked_at": delegation.revoked_at,
        "active_today": delegation.revoked_at is None and delegation.starts_on <= today <= delegation.ends_on,
    }


def case_out(case: Any) -> dict[str, Any]:
    pin = case.pin
    step = services.next_step(case.case_ref)
    appeal = selectors.case_appeal(case=case)
    return {
        "case_ref": case.case_ref,
        "pinned": {
            "service": pin.service.slug,
            "pinned_at": pin.pinned_at,
            "form_version": pin.form_version,
            "fee_rule": pin.fee_rule,
            "fee_rule_sha256": pin.fee_rule_sha256,
            "manual": pin.manual,
            "manual_sha256": pin.manual_sha256,
            "chain_version": pin.chain_version.number,
            "checklist_version": pin.checklist_version,
        },
        "next_step": {
            "status": step.status,
            "complete": step.complete,
            "round": step.round,
            "level": step.level,
            "level_role": step.level_role,
            "may_reject": step.may_reject,
            "levels_total": step.levels_total,
            "last_outcome": step.last_outcome,
        },
        "decisions": [
            {
                "id": d.pk,
                "round": d.round,
                "level": d.level,
                "level_role": d.level_role,
                "outcome": d.outcome,
                "reason": d.reason,
                "decided_by_id": d.decided_by_id,
                "decided_by_name": d.decided_by.full_name,
                "on_behalf_of_id": d.on_behalf_of_id,
                "on_behalf_of_name": d.on_behalf_of.full_name if d.on_behalf_of else None,
                "decided_at": d.decided_at,
                "form_data_sha256": d.form_data_sha256,
                "chain_complete": d.chain_complete,
            }
            for d in selectors.case_decisions(case=case)
        ],
        "appeal": (
            None
            if appeal is None
            else {
                "reason": appeal.reason,
                "lodged_at": appeal.lodged_at,
                "reopened_round": appeal.reopened_round,
                "reopened_level": appeal.reopened_level,
            }
        ),
        "appeal_deadline": selectors.case_appeal_deadline(case=case) if appeal is None else None,
    }


def role_out(agency_code: str, user_id: int, role: str) -> dict[str, Any]:
    label_th, label_en = staff_role_labels(role)
    return {"agency": agency_code, "user_id": user_id, "role": role, "label_th": label_th, "label_en": label_en}


def _staff_by_email(email: str | None, field: str) -> User | None:
    if not email:
        return None
    user = User.objects.filter(email__iexact=email.strip()).first()
    if user is None:
        # Unknown and outside the agency read the same: the API does not tell who has an account.
        raise ValidationFailed(
            "delegate_outside_agency" if field == "delegate" else "not_agency_staff",
            "ไม่พบเจ้าหน้าที่ของหน่วยงานนี้ที่ใช้อีเมลนี้",
            "No staff member of this agency has this e-mail address",
            field=field,
        )
    return user


@router.get(
    "/services/{slug}/chain",
    auth=api_auth,
    response=ChainOut,
    url_name="approvals_chain",
    summary="The current approval chain of a service (staff of its agency)",
)
def chain_get(request: HttpRequest, slug: PathCode) -> dict:
    service = service_get_for_staff(user=request.auth, slug=slug)
    current = selectors.chain_current(service=service)
    if current is None:
        raise NotFound("approval chain", "สายการอนุมัติ")
    return chain_out(current)


@router.get(
    "/services/{slug}/chain/versions",
    auth=api_auth,
    response=list[ChainOut],
    url_name="approvals_chain_versions",
    summary="Every version of a service's approval chain, newest first",
)
def chain_history(request: HttpRequest, slug: PathCode) -> list[dict]:
    service = service_get_for_staff(user=request.auth, slug=slug)
    return [chain_out(v) for v in selectors.chain_versions(service=service).order_by("-number")]


@router.put(
    "/services/{slug}/chain",
    auth=api_auth,
    response={201: ChainOut},
    url_name="approvals_chain_set",
    summary="Save a new version of a service's approval chain (an admin of its agency)",
    description="422 chain_needs_levels, invalid_level_role, too_many_levels, chain_cannot_reject, "
    "invalid_appeal_window, invalid_appeal_level; 409 stale_version; 403 agency_admin_required.",
)
def chain_set(request: HttpRequest, slug: PathCode, payload: ChainIn) -> Status:
    service = service_get_for_staff(user=request.auth, slug=slug)
    version = services.chain_version_create(
        actor=request.auth,
        service=service,
        levels=[level.model_dump() for level in payload.levels],
        appeal_window_days=payload.appeal_window_days,
        appeal_level=payload.appeal_level,
        note=payload.note,
        expected_version=payload.expected_version,
    )
    return Status(201, chain_out(version))


@router.get(
    "/delegations",
    auth=api_auth,
    response=list[DelegationOut],
    url_name="approvals_delegations",
    summary="My delegations (given and received); an agency admin sees all of the agency's",
)
def delegations_list(request: HttpRequest) -> list[dict]:
    return [delegation_out(d) for d in selectors.delegations_visible_to(user=request.auth)[:500]]


@router.post(
    "/delegations",
    auth=api_auth,
    response={201: DelegationOut},
    url_name="approvals_delegation_create",
    summary="Delegate approval authority at an agency to a colleague for a period",
    description="422 self_delegation, delegate_outside_agency, delegator_not_approver, period_in_past, "
    "period_reversed, period_too_long; 409 delegation_overlaps, delegation_chain; 403 not_your_authority.",
)
def delegation_create(request: HttpRequest, payload: DelegationIn) -> Status:
    agency = agency_get(code=payload.agency)
    delegator = _staff_by_email(payload.delegator_email, "delegator") or request.auth
    delegation = services.delegation_create(
        actor=request.auth,
        agency=agency,
        delegator=delegator,
        delegate=_staff_by_email(payload.delegate_email, "delegate"),
        starts_on=payload.starts_on,
        ends_on=payload.ends_on,
        reason=payload.reason,
    )
    return Status(201, delegation_out(delegation))


@router.post(
    "/delegations/{delegation_id}/revoke",
    auth=api_auth,
    response=DelegationOut,
    url_name="approvals_delegation_revoke",
    summary="End a delegation now (its delegator, its delegate or the agency's admin)",
)
def delegation_revoke(request: HttpRequest, delegation_id: PathId) -> dict:
    return delegation_out(services.delegation_revoke(actor=request.auth, delegation_id=delegation_id))


@router.post(
    "/agencies/{code}/roles",
    auth=api_auth,
    response={201: RoleOut},
    url_name="approvals_role_grant",
    summary="Give a staff member of the agency a deciding role (approver, director) (an admin of the agency)",
    description="The role is a staff membership of the agency (agencies.StaffMembership), audited as "
    "staff.role_granted. 422 invalid_role, not_agency_staff; 403 agency_admin_required.",
)
def role_grant(request: HttpRequest, code: PathCode, payload: RoleIn) -> Status:
    agency = agency_get(code=code)
    # Looked up without refusing: the service checks the actor's authority before it says who is not staff.
    user = User.objects.filter(email__iexact=payload.user_email.strip()).first() if payload.user_email else None
    membership = services.approval_role_grant(actor=request.auth, agency=agency, user=user, role=payload.role)
    return Status(201, role_out(agency.code, membership.user_id, membership.role))


@router.get(
    "/cases/{case_ref}",
    auth=api_auth,
    response=CaseOut,
    url_name="approvals_case",
    summary="A case's pinned versions, its decisions (who, when, on whose behalf, on what data) and appeal",
)
def case_get(request: HttpRequest, case_ref: PathCode) -> dict:
    return case_out(selectors.case_for_user(user=request.auth, case_ref=case_ref))


@router.get(
    "/agencies/{code}/roles",
    auth=api_auth,
    response=list[RoleOut],
    url_name="approvals_roles",
    summary="Who holds the roles a chain level can name (approver, agency admin, director) in the agency (its staff)",
)
def roles_list(request: HttpRequest, code: PathCode) -> list[dict]:
    agency = agency_get(code=code)
    if not services.is_agency_member(user=request.auth, agency_id=agency.pk):
        raise NotFound("agency", "หน่วยงาน")
    return [role_out(agency.code, m.user_id, m.role) for m in selectors.deciding_roles_of_agency(agency=agency)]


@router.delete(
    "/agencies/{code}/roles/{role}/{user_id}",
    auth=api_auth,
    response={204: None},
    url_name="approvals_role_revoke",
    summary="Take a deciding role (approver, director) away from a staff member (an admin of the agency)",
    description="Removes the staff membership with that role, audited as staff.role_revoked. "
    "404 when the person does not hold it; 403 agency_admin_required.",
)
def role_revoke(request: HttpRequest, code: PathCode, role: PathCode, user_id: PathId) -> Status:
    agency = agency_get(code=code)
    user = User.objects.filter(pk=user_id).first()
    if user is None:
        raise NotFound("role assignment", "การมอบบทบาท")
    services.approval_role_revoke(actor=request.auth, agency=agency, user=user, role=role)
    return Status(204, None)
