"""Writes on staff memberships: the one place a role in an agency is granted or taken away (audited).

These are the primitives; who may call them is decided by the caller (the approvals API lets an agency's admin
manage its deciding roles; the demo seed runs as the platform)."""

from __future__ import annotations

from django.db import transaction

from borikan.audit.services import audit_record

from .models import Agency, StaffMembership, StaffRole


@transaction.atomic
def staff_membership_grant(*, actor, user, agency: Agency, role: StaffRole | str) -> StaffMembership:
    membership, created = StaffMembership.objects.get_or_create(user=user, agency=agency, role=role)
    if created:
        audit_record(
            actor=actor,
            action="staff.role_granted",
            object_type="agency",
            object_id=agency.code,
            subject_user_id=user.pk,
            data={"user_id": user.pk, "role": str(role)},
        )
    return membership


@transaction.atomic
def staff_membership_revoke(*, actor, user, agency: Agency, role: StaffRole | str) -> bool:
    """Take one role in the agency away from the user; False when they did not hold it (nothing is written)."""
    deleted, _ = StaffMembership.objects.filter(user=user, agency=agency, role=role).delete()
    if not deleted:
        return False
    audit_record(
        actor=actor,
        action="staff.role_revoked",
        object_type="agency",
        object_id=agency.code,
        subject_user_id=user.pk,
        data={"user_id": user.pk, "role": str(role)},
    )
    return True
