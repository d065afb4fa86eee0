"""Reads about agencies and staff. Every agency-scoped read elsewhere starts from these."""

from __future__ import annotations

from collections.abc import Iterable

from borikan.core.errors import NotFound

from .models import Agency, StaffMembership, StaffRole


def agency_get(*, code: str) -> Agency:
    agency = Agency.objects.filter(code=code).first()
    if agency is None:
        raise NotFound("agency", "หน่วยงาน")
    return agency


def staff_agency_ids(*, user, roles: Iterable[str] | None = None) -> set[int]:  # noqa: ANN001
    """Agencies in which the user holds any (or one of the given) roles. Empty for citizens."""
    if not getattr(user, "is_authenticated", False):
        return set()
    memberships = StaffMembership.objects.filter(user=user)
    if roles is not None:
        memberships = memberships.filter(role__in=list(roles))
    return set(memberships.values_list("agency_id", flat=True))


def staff_has_role(*, user, agency_id: int, role: StaffRole | str) -> bool:  # noqa: ANN001
    if not getattr(user, "is_authenticated", False):
        return False
    return StaffMembership.objects.filter(user=user, agency_id=agency_id, role=role).exists()


def is_staff_member(*, user) -> bool:  # noqa: ANN001
    return bool(staff_agency_ids(user=user))
