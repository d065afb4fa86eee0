"""The move to one role system: every ApprovalRoleAssignment becomes an agencies.StaffMembership (0002, data), then
the model goes (0003, schema). Run for real: the database is taken back to before the move, rows are written with
the models of that time, and the migrations run forwards, again, backwards and forwards."""

from __future__ import annotations

import importlib

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

from borikan.agencies.models import StaffMembership, StaffRole
from borikan.conftest import make_agency, make_staff

BEFORE = [("approvals", "0001_initial")]
MOVED = [("approvals", "0002_role_assignments_to_memberships")]
LATEST = [("approvals", "0003_delete_approvalroleassignment")]

data_migration = importlib.import_module("borikan.approvals.migrations.0002_role_assignments_to_memberships")


def _migrate(targets):
    """Migrate to `targets`; the historical app registry of that state."""
    executor = MigrationExecutor(connection)
    executor.migrate(targets)
    return MigrationExecutor(connection).loader.project_state(targets).apps


def _roles(user, agency) -> set[str]:
    return set(StaffMembership.objects.filter(user=user, agency=agency).values_list("role", flat=True))


@pytest.mark.django_db(transaction=True)
def test_assignments_become_memberships_once_and_come_back_on_reverse():
    excise, dbd = make_agency("EXCISE"), make_agency("DBD")
    admin = make_staff("admin@excise.go.th", excise, StaffRole.AGENCY_ADMIN)
    officer = make_staff("officer@excise.go.th", excise, StaffRole.OFFICER)
    approver = make_staff("approver@excise.go.th", excise, StaffRole.APPROVER)
    both = make_staff("both@dbd.go.th", dbd, StaffRole.OFFICER)
    StaffMembership.objects.create(user=both, agency=excise, role=StaffRole.OFFICER)
    try:
        old = _migrate(BEFORE)
        Assignment = old.get_model("approvals", "ApprovalRoleAssignment")
        for user, agency in ((officer, excise), (both, dbd), (approver, excise)):
            Assignment.objects.create(user_id=user.pk, agency_id=agency.pk, role="director", granted_by_id=admin.pk)
        # One already moved by hand before the migration ran: it is kept, not doubled.
        StaffMembership.objects.create(user=approver, agency=excise, role=StaffRole.DIRECTOR)

        moved = _migrate(MOVED)
        assert _roles(officer, excise) == {"officer", "director"}
        assert _roles(approver, excise) == {"approver", "director"}
        assert (_roles(both, dbd), _roles(both, excise)) == ({"officer", "director"}, {"officer"})  # its own agency
        assert _roles(admin, excise) == {"agency_admin"}
        count = StaffMembership.objects.count()
        data_migration.assignments_to_memberships(moved, None)  # run again: nothing doubled
        assert StaffMembership.objects.count() == count

        old = _migrate(BEFORE)  # reverse: the directors are assignments again, and only there
        Assignment = old.get_model("approvals", "ApprovalRoleAssignment")
        assert sorted(Assignment.objects.values_list("user_id", "agency_id", "role")) == sorted(
            [(officer.pk, excise.pk, "director"), (both.pk, dbd.pk, "director"), (approver.pk, excise.pk, "director")]
        )
        assert not StaffMembership.objects.filter(role="director").exists()
        assert _roles(officer, excise) == {"officer"}
    finally:
        _migrate(LATEST)
    assert _roles(officer, excise) == {"officer", "director"} and _roles(both, dbd) == {"officer", "director"}
    assert "approvals_approvalroleassignment" not in connection.introspection.table_names()
