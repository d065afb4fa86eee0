"""The agency admin's home: where signing in lands an admin, linking every setting of their agency's services."""

import pytest
from django.test import Client
from django.urls import reverse

from borikan.agencies.models import StaffRole
from borikan.conftest import make_service, make_staff, sign_in

pytestmark = pytest.mark.django_db


def test_an_admin_lands_on_a_page_linking_every_setting(agency, service, other_agency):
    foreign = make_service(agency=other_agency, slug="foreign-service")
    admin = make_staff("admin@excise.go.th", agency, StaffRole.AGENCY_ADMIN)
    client = sign_in(Client(), admin)
    assert client.get(reverse("identity:home"))["Location"] == reverse("agencyadmin:home")

    page = client.get(reverse("agencyadmin:home"))
    assert page.status_code == 200
    body = page.content.decode()
    for url in (
        reverse("eforms:admin_versions", args=[service.slug]),
        reverse("payments:fee_schedule", args=[service.slug]),
        reverse("documents:template_edit", args=[service.slug]),
        reverse("office:service_casework", args=[service.slug]),
        reverse("approvals:chain", args=[service.slug]),
        reverse("approvals:delegations"),
        reverse("payments:counter_day_sheet") + f"?agency={agency.code}",
        reverse("payments:held_payments"),
        reverse("payments:reconciliation"),
        reverse("governance:agency", args=[agency.code]),
    ):
        assert f'href="{url}"' in body, url
    assert foreign.slug not in body  # another agency's services are not theirs to set
    for url in (
        reverse("payments:fee_schedule", args=[service.slug]),
        reverse("payments:reconciliation"),
        reverse("payments:held_payments"),
        reverse("payments:counter_day_sheet") + f"?agency={agency.code}",
    ):
        assert client.get(url).status_code == 200, url  # and the links open for them


def test_the_page_is_only_for_agency_admins(agency, officer, citizen):
    assert sign_in(Client(), officer).get(reverse("agencyadmin:home")).status_code == 404
    assert sign_in(Client(), citizen).get(reverse("agencyadmin:home")).status_code == 404
    anonymous = Client().get(reverse("agencyadmin:home"))
    assert anonymous.status_code == 302 and "/account/login/" in anonymous["Location"]


def test_the_page_reads_in_a_fixed_number_of_queries(agency, django_assert_max_num_queries):
    admin = make_staff("admin@excise.go.th", agency, StaffRole.AGENCY_ADMIN)
    client = sign_in(Client(), admin)
    for index in range(6):
        make_service(agency=agency, slug=f"service-{index}")
    with django_assert_max_num_queries(12):
        assert client.get(reverse("agencyadmin:home")).status_code == 200
