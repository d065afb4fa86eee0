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
            data={"user_id": user.pk, "role": str(role)},
        )
    return membership
