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


COUNTER_FIELDS = ("counter_address_th", "counter_address_en", "opening_hours_th", "opening_hours_en", "counter_phone")


@transaction.atomic
def agency_counter_update(*, actor, agency: Agency, details: dict[str, str]) -> Agency:
    """The agency's admin says where and when its counter proves people; only an admin of that agency may."""
    from borikan.core.errors import PermissionDenied, ValidationFailed

    if not StaffMembership.objects.filter(user=actor, agency=agency, role=StaffRole.AGENCY_ADMIN).exists():
        raise PermissionDenied(
            "เฉพาะผู้ดูแลของหน่วยงานนี้เท่านั้น", "Only this agency's administrators may do this", code="not_agency_admin"
        )
    cleaned = {name: " ".join((details.get(name) or "").split()) for name in COUNTER_FIELDS}
    limits = {name: Agency._meta.get_field(name).max_length for name in COUNTER_FIELDS}
    for name, value in cleaned.items():
        if len(value) > limits[name]:
            raise ValidationFailed(
                "too_long", f"ข้อความยาวเกิน {limits[name]} ตัวอักษร", f"Longer than {limits[name]} characters", field=name
            )
    if cleaned["counter_address_en"] and not cleaned["counter_address_th"]:
        raise ValidationFailed(
            "thai_first", "กรุณากรอกที่อยู่ภาษาไทยก่อน", "Give the address in Thai first", field="counter_address_th"
        )
    changed = sorted(name for name, value in cleaned.items() if getattr(agency, name) != value)
    for name, value in cleaned.items():
        setattr(agency, name, value)
    agency.save(update_fields=[*COUNTER_FIELDS, "updated_at"])
    audit_record(
        actor=actor,
        action="agency.counter_updated",
        object_type="agency",
        object_id=agency.code,
        data={"fields": changed},
    )
    return agency
