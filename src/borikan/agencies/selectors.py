"""Reads about agencies and staff. Every agency-scoped read elsewhere starts from these."""

from __future__ import annotations

from collections.abc import Iterable

from django.db.models import Exists, OuterRef

from borikan.core.errors import NotFound

from .models import Agency, StaffMembership, StaffRole


def agency_get(*, code: str) -> Agency:
    agency = Agency.objects.filter(code=code).first()
    if agency is None:
        raise NotFound("agency", "หน่วยงาน")
    return agency


def staff_agency_ids(*, user, roles: Iterable[str] | None = None) -> set[int]:
    """Agencies in which the user holds any (or one of the given) roles. Empty for citizens."""
    if not getattr(user, "is_authenticated", False):
        return set()
    memberships = StaffMembership.objects.filter(user=user)
    if roles is not None:
        memberships = memberships.filter(role__in=list(roles))
    return set(memberships.values_list("agency_id", flat=True))


def staff_has_role(*, user, agency_id: int, role: StaffRole | str) -> bool:
    if not getattr(user, "is_authenticated", False):
        return False
    return StaffMembership.objects.filter(user=user, agency_id=agency_id, role=role).exists()


def is_staff_member(*, user) -> bool:
    return bool(staff_agency_ids(user=user))


def staff_roles(*, user, agency_id: int) -> set[str]:
    """The roles the user holds in one agency (one query)."""
    if not getattr(user, "is_authenticated", False):
        return set()
    return set(StaffMembership.objects.filter(user=user, agency_id=agency_id).values_list("role", flat=True))


def staff_of_row_agency(*, user, agency_field: str = "agency_id") -> Exists:
    """A query expression: "the user holds a role in the agency of this row". Lets other apps filter their
    agency-owned rows by staff access in the same query."""
    return Exists(StaffMembership.objects.filter(user=user, agency_id=OuterRef(agency_field)))
