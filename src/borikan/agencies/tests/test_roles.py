"""Staff roles: one set (director among them) with Thai and English labels, held as memberships, granted and
revoked with an audit entry."""

from __future__ import annotations

import pytest
from django.db import IntegrityError, transaction

from borikan.agencies.models import STAFF_ROLE_LABELS_TH, StaffMembership, StaffRole, staff_role_labels
from borikan.agencies.selectors import staff_roles
from borikan.agencies.services import staff_membership_grant, staff_membership_revoke
from borikan.audit.models import AuditEntry
from borikan.conftest import make_staff


def test_every_role_has_a_thai_and_an_english_label():
    assert set(STAFF_ROLE_LABELS_TH) == set(StaffRole)
    assert staff_role_labels("director") == ("ผู้อำนวยการ", "director")
    assert staff_role_labels("agency_admin") == ("ผู้ดูแลหน่วยงาน", "agency admin")
    assert staff_role_labels("chief") == ("chief", "chief")


@pytest.mark.django_db
def test_director_is_a_membership_role_and_unknown_roles_are_refused_by_the_database(agency):
    person = make_staff("director@excise.go.th", agency, StaffRole.OFFICER, StaffRole.DIRECTOR)
    assert staff_roles(user=person, agency_id=agency.pk) == {"officer", "director"}
    with pytest.raises(IntegrityError), transaction.atomic():
        StaffMembership.objects.create(user=person, agency=agency, role="chief")


@pytest.mark.django_db
def test_grant_and_revoke_are_audited_once(agency):
    admin = make_staff("admin@excise.go.th", agency, StaffRole.AGENCY_ADMIN)
    person = make_staff("person@excise.go.th", agency, StaffRole.OFFICER)
    staff_membership_grant(actor=admin, user=person, agency=agency, role=StaffRole.DIRECTOR)
    staff_membership_grant(actor=admin, user=person, agency=agency, role=StaffRole.DIRECTOR)
    assert staff_membership_revoke(actor=admin, user=person, agency=agency, role=StaffRole.DIRECTOR)
    assert not staff_membership_revoke(actor=admin, user=person, agency=agency, role=StaffRole.DIRECTOR)
    entries = AuditEntry.objects.filter(subject_user_id=person.pk, action__startswith="staff.role_")
    assert [(e.action, e.actor_id, e.data["role"]) for e in entries.order_by("pk")] == [
        ("staff.role_granted", admin.pk, "director"),
        ("staff.role_revoked", admin.pk, "director"),
    ]
    assert staff_roles(user=person, agency_id=agency.pk) == {"officer"}
