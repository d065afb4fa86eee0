"""Reads for approvals. Every agency-scoped read answers 404 to anyone outside the agency."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.db.models import Q, QuerySet

from borikan.agencies.models import Agency, StaffMembership, StaffRole
from borikan.agencies.selectors import staff_agency_ids
from borikan.catalog.models import Service
from borikan.core.errors import NotFound

from .models import Appeal, CaseApproval, ChainVersion, Decision, Delegation, LevelRole
from .services import appeal_deadline, is_agency_member


def chain_versions(*, service: Service) -> QuerySet[ChainVersion]:
    return ChainVersion.objects.filter(service=service).prefetch_related("levels").select_related("created_by")


def chain_current(*, service: Service) -> ChainVersion | None:
    return chain_versions(service=service).order_by("-number").first()


def deciding_roles_of_agency(*, agency: Agency) -> QuerySet[StaffMembership]:
    """Who holds a role a chain level can name (approver, agency admin, director) in the agency."""
    return (
        StaffMembership.objects.filter(agency=agency, role__in=LevelRole.values)
        .select_related("user")
        .order_by("role", "user_id")
    )


def delegations_visible_to(*, user: Any) -> QuerySet[Delegation]:
    """The user's own delegations (given and received) and, for an agency admin, all of that agency's."""
    admin_of = staff_agency_ids(user=user, roles=[StaffRole.AGENCY_ADMIN])
    return (
        Delegation.objects.filter(Q(delegator=user) | Q(delegate=user) | Q(agency_id__in=admin_of))
        .select_related("agency", "delegator", "delegate", "created_by", "revoked_by")
        .order_by("-starts_on", "-pk")
    )


def case_for_user(*, user: Any, case_ref: str) -> CaseApproval:
    """A case's approval record for its agency's staff or its applicant; NotFound for anyone else."""
    case = (
        CaseApproval.objects.select_related("pin", "pin__service", "pin__chain_version", "agency")
        .filter(case_ref=str(case_ref))
        .first()
    )
    if case is None or not (
        (getattr(user, "pk", None) is not None and case.applicant_id == user.pk)
        or is_agency_member(user=user, agency_id=case.agency_id)
    ):
        raise NotFound("case", "คำขอ")
    return case


def case_decisions(*, case: CaseApproval) -> list[Decision]:
    return list(
        case.decisions.select_related("decided_by", "on_behalf_of", "pin").order_by("round", "level", "decided_at")
    )


def case_appeal(*, case: CaseApproval) -> Appeal | None:
    return Appeal.objects.filter(case=case).first()


def case_appeal_deadline(*, case: CaseApproval) -> dt.datetime | None:
    return appeal_deadline(case)
