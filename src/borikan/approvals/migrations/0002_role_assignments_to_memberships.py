"""Every ApprovalRoleAssignment (a deciding role such as director, kept in this app) becomes an
agencies.StaffMembership with the same user, agency and role: one role system (ADR 0014, amended).

Idempotent: a membership already there is kept, never doubled. Reversible: going back writes each director
membership into an assignment again and removes the membership, so agencies' role constraint can be narrowed
back. The assignment's `granted_by` has no place on a membership; who granted it stays in the audit log
(`approval.role_granted`). The model itself is removed by the next migration, not here."""

from django.db import migrations

# The roles ApprovalRoleAssignment could hold (its ExtraRole), frozen here as this migration saw them.
MOVED_ROLES = ("director",)


def assignments_to_memberships(apps, schema_editor):
    Assignment = apps.get_model("approvals", "ApprovalRoleAssignment")
    Membership = apps.get_model("agencies", "StaffMembership")
    rows = Assignment.objects.filter(role__in=MOVED_ROLES).values_list("user_id", "agency_id", "role")
    for user_id, agency_id, role in rows.iterator():
        Membership.objects.get_or_create(user_id=user_id, agency_id=agency_id, role=role)


def memberships_to_assignments(apps, schema_editor):
    Assignment = apps.get_model("approvals", "ApprovalRoleAssignment")
    Membership = apps.get_model("agencies", "StaffMembership")
    moved = Membership.objects.filter(role__in=MOVED_ROLES)
    for user_id, agency_id, role in moved.values_list("user_id", "agency_id", "role").iterator():
        Assignment.objects.get_or_create(user_id=user_id, agency_id=agency_id, role=role)
    moved.delete()


class Migration(migrations.Migration):
    dependencies = [
        ("approvals", "0001_initial"),
        ("agencies", "0004_staffrole_director"),
    ]

    operations = [migrations.RunPython(assignments_to_memberships, memberships_to_assignments)]
