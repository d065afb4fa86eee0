import pytest

from borikan.agencies.models import StaffRole
from borikan.conftest import make_staff


@pytest.fixture
def form_admin(agency):
    return make_staff("forms@excise.go.th", agency, StaffRole.AGENCY_ADMIN)


@pytest.fixture
def foreign_admin(other_agency):
    return make_staff("forms@dbd.go.th", other_agency, StaffRole.AGENCY_ADMIN)
